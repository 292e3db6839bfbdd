/**
 * The HTML sections that explain the day: what drove the change, what P2P saved, the peaks, the
 * 30-day history, the watch's incidents and the ops footer. Layout as in html.ts: tables,
 * inline styles, `bgcolor` for clients that drop CSS.
 */

import { assessedChangeText } from '../insights/headline.ts';
import { type AssessedChange, arrowOfTone, colourToneOf } from '../insights/materiality.ts';
import { CHART_COLORS } from './chart.ts';
import { formatBytes, formatPercent } from './format.ts';
import {
  COLORS,
  FONT,
  type Html,
  html,
  note,
  sectionRow,
  sectionTitle,
  TONE_COLORS,
  table,
} from './html-kit.ts';
import {
  breakdownTitle,
  comparisonDescription,
  driverLines,
  driverSetsOf,
  examplePriceNote,
  formatGbps,
  healthLine,
  historyWeeks,
  incidentLine,
  moneyText,
  peakWhen,
  runbookText,
  totalChangeText,
} from './insight-words.ts';
import type { ReportSummary } from './summary.ts';

/** A change coloured and marked by its materiality: a 0.1-point dip is grey with ■. */
export function assessedSpan(assessed: AssessedChange | undefined, suffix: string): Html {
  const text = assessed ? assessedChangeText(assessed) : null;
  if (assessed === undefined || text === null) {
    return html`<span style="color:${COLORS.muted};">no data ${suffix}</span>`;
  }
  const colour = TONE_COLORS[colourToneOf(assessed.tone)];
  return html`<span style="color:${colour};">${arrowOfTone(assessed.tone)}&nbsp;${text}</span> <span style="color:${COLORS.muted};">${suffix}</span>`;
}

/** The first line of the card, and so the inbox preview: the subject's news in words. */
export function leadBanner(summary: ReportSummary, sentence: string): Html {
  const change = summary.insights.headline.leadChange;
  const colour = change ? TONE_COLORS[colourToneOf(change.tone)] : COLORS.text;
  return html`<div style="font-size:15px;line-height:22px;font-weight:600;color:${colour};margin:6px 0 0;">${sentence}</div>`;
}

export function driversSection(summary: ReportSummary): Html {
  const { insights } = summary;
  const against = insights.driversAgainst;
  if (against === null || insights.drivers.length === 0) return html``;
  const parts = (['offload', 'delivered'] as const).map((metric) => {
    const sets = driverSetsOf(summary, metric);
    const first = sets[0];
    if (first === undefined) return html``;
    const rows = sets.map((set) => [
      html`${breakdownTitle(set.dimensions)}`,
      html`${driverLines(set).map(
        (line, index) =>
          html`${index > 0 ? html`<br>` : ''}${line.name}${line.share ? html` <strong>${line.share}</strong>` : ''} <span style="color:${COLORS.muted};">${line.detail}</span>`,
      )}`,
    ]);
    const blamed = insights.blames[metric];
    const title = metric === 'offload' ? 'Why offload moved' : 'Why delivered bytes moved';
    return html`${sectionTitle(title, `${totalChangeText(first)} vs ${comparisonDescription(summary, against)}; each segment's part of the change and the share it explains`)}
${blamed ? html`<div style="font-family:${FONT};font-size:13px;line-height:20px;color:${COLORS.text};margin:0 0 6px;"><strong>${blamed.name}</strong> explains the most.</div>` : ''}
${table(['Breakdown', 'Segments that explain it'], rows)}
<div style="height:14px;line-height:14px;font-size:0;">&nbsp;</div>`;
  });
  return sectionRow(
    html`${parts}${note('Segments under 1% of the bytes on both days are grouped. Own offload is the part due to the segment’s offload moving; traffic mix, the part due to its share of traffic moving. The parts add up to the change.')}`,
  );
}

export function moneySection(summary: ReportSummary): Html {
  const { savings } = summary.insights;
  const bytes = (value: number | null) => (value === null ? 'n/a' : formatBytes(value));
  const money = savings.money;
  const headers = money
    ? ['', 'CDN bytes avoided', `Saved (${savings.currency})`]
    : ['', 'CDN bytes avoided'];
  const row = (label: string, avoided: number | null, saved: number | null): Html[] => [
    html`${label}`,
    html`${bytes(avoided)}`,
    ...(money ? [html`<strong>${moneyText(saved, savings.currency) ?? 'n/a'}</strong>`] : []),
  ];
  const rows = [
    row('This day', savings.bytesAvoided.day, money?.day ?? null),
    row('Month to date', savings.bytesAvoided.monthToDate, money?.monthToDate ?? null),
    row(
      `Projected month (${savings.daysInMonth} days)`,
      savings.bytesAvoided.projectedMonth,
      money?.projectedMonth ?? null,
    ),
  ];
  const notes = [
    examplePriceNote(summary),
    savings.hint,
    savings.missingDates.length > 0
      ? `Month figures need every day of the month; missing: ${savings.missingDates.join(', ')}.`
      : null,
    summary.insights.history.some((day) => day.utcDay)
      ? 'Days before the last eight are UTC days (the API’s daily buckets).'
      : null,
  ].filter((text) => text !== null);
  return sectionRow(
    html`${sectionTitle('What P2P saved', 'bytes the CDN did not deliver, at your CDN price; a GB is 10⁹ bytes')}
${table(headers, rows)}
${notes.map((text) => note(text))}`,
  );
}

export function peaksLine(summary: ReportSummary): Html {
  const { deliveredGbps, sessions } = summary.insights.peaks;
  const parts = [
    deliveredGbps
      ? html`Peak delivery <strong>${formatGbps(deliveredGbps.value)}</strong> ${peakWhen(deliveredGbps)}.`
      : '',
    sessions
      ? html` Peak sessions <strong>${sessions.value.toLocaleString('en-US', { maximumFractionDigits: 0 })}</strong> ${peakWhen(sessions)}.`
      : '',
  ];
  return html`<div style="font-family:${FONT};font-size:13px;line-height:20px;color:${COLORS.text};margin:4px 0 0;">${parts}</div>`;
}

const HISTORY_BAR_HEIGHT = 48;

export function historySection(summary: ReportSummary): Html {
  const { history } = summary.insights;
  if (history.length === 0) return html``;
  const max = Math.max(...history.map((day) => day.delivered), 1);
  // One cell per day: HTTP as the bar's fill and P2P as its top border, so a day is one element.
  const bars = history.map((day) => {
    const p2p = Math.max(day.p2p > 0 ? 1 : 0, Math.round((day.p2p / max) * HISTORY_BAR_HEIGHT));
    const http = Math.round((day.http / max) * HISTORY_BAR_HEIGHT);
    return html`<td valign="bottom" title="${day.date}" style="padding:0 1px;"><div style="height:${http}px;border-top:${p2p}px solid ${CHART_COLORS.p2p};background-color:${CHART_COLORS.http};font-size:0;line-height:0;"></div></td>`;
  });
  const weeks = historyWeeks(history).map((week) => [
    html`${week.firstDate} to ${week.lastDate}`,
    html`${formatBytes(week.delivered)}`,
    html`<strong>${formatPercent(week.offload)}</strong>`,
  ]);
  return sectionRow(
    html`${sectionTitle(`The last ${history.length} days`, 'delivered bytes a day, P2P (green) over HTTP (grey), and offload by week')}
<table width="100%" height="${HISTORY_BAR_HEIGHT}" cellpadding="0" cellspacing="0" border="0"><tr>${bars}</tr></table>
<div style="font-family:${FONT};font-size:11px;line-height:16px;color:${COLORS.muted};margin:2px 0 8px;">${history[0]?.date} · peak ${formatBytes(max)} · ${history.at(-1)?.date}</div>
${table(['Week', 'Delivered', 'Offload'], weeks)}`,
  );
}

export function incidentsSection(summary: ReportSummary): Html {
  const { incidents } = summary;
  if (incidents === null) return html``;
  const body =
    incidents.length === 0
      ? html`<div style="font-family:${FONT};font-size:13px;line-height:20px;color:${COLORS.muted};">The hourly offload watch raised no alert on this day.</div>`
      : html`${incidents.map(
          (incident) =>
            html`<div style="font-family:${FONT};font-size:13px;line-height:20px;color:${COLORS.text};margin:0 0 4px;"><span style="color:${COLORS.bad};">▼</span>&nbsp;${incidentLine(incident, summary.timeZone)}</div>`,
        )}`;
  return sectionRow(
    html`${sectionTitle('Offload alerts', 'incidents of the hourly offload watch on this day')}${body}`,
  );
}

export function opsFooter(summary: ReportSummary): Html {
  const { ops } = summary;
  if (ops === null) return html``;
  const lake = ops.lake
    ? html`<p style="margin:0 0 6px;"><strong>Lake</strong> (${ops.lake.location}): ${ops.lake.datasets.map((health, index) => html`${index > 0 ? html`<br>` : ''}${healthLine(health)}`)}</p>`
    : '';
  const athena = ops.athena
    ? html`<p style="margin:0 0 6px;"><strong>Query the day</strong> in Athena, workgroup ${ops.athena.workGroup}, database ${ops.athena.database}${ops.athena.url ? html`: <a href="${ops.athena.url}" style="color:${COLORS.neutral};">open the query editor</a>` : ''}, then run:<br><span style="font-family:Menlo,Consolas,monospace;font-size:11px;">${ops.athena.sql.split('\n').map((line, index) => html`${index > 0 ? html`<br>` : ''}${line}`)}</span></p>`
    : '';
  const runbook = ops.runbookUrl
    ? html`<a href="${ops.runbookUrl}" style="color:${COLORS.neutral};">the runbook</a>`
    : html`${runbookText(null)}`;
  const requests =
    ops.apiRequests === null ? '' : html` This report took ${ops.apiRequests} Peer5 API requests.`;
  return html`<tr><td style="padding:14px 20px 0;font-family:${FONT};font-size:12px;line-height:18px;color:${COLORS.muted};">
${lake}${athena}<p style="margin:0;">Something wrong? See ${runbook}.${requests}</p>
</td></tr>`;
}
