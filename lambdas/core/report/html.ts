/**
 * The HTML part: email-safe markup (tables for layout, inline styles, bgcolor attributes for
 * clients that drop CSS, 600px wide and fluid below) built with a template tag that escapes every
 * interpolated value unless it is markup this module produced itself.
 */

import { comparisonLabel } from '../insights/headline.ts';
import { lazily } from '../lazy.ts';
import { CHART_COLORS, CHART_HEIGHT, CHART_WIDTH, ghostSeries, type OffloadChartOptions } from './chart.ts';
import type { RebufferBand } from './figures.ts';
import { formatBytes, formatPercent, formatRebufferRatio, formatSessions } from './format.ts';
import {
  assessedSpan,
  driversSection,
  historySection,
  incidentsSection,
  leadBanner,
  moneySection,
  opsFooter,
  peaksLine,
} from './html-insights.ts';
import {
  COLORS,
  FONT,
  Html,
  html,
  labelCell,
  sectionRow,
  sectionTitle,
  TONE_COLORS,
  table,
} from './html-kit.ts';
import { comparisonDescription, leadSentence } from './insight-words.ts';
import {
  approximationNote,
  arrowOf,
  changeText,
  dayLengthNote,
  headline,
  hourRange,
  REBUFFER_BANDS_TEXT,
  segmentLabel,
  toneOf,
  trailingName,
} from './labels.ts';
import { SEGMENT_NAMES } from './scope.ts';
import type { ReportSummary, SegmentBreakdown } from './summary.ts';
import { addDays, longDate } from './time.ts';

export { escapeHtml, Html, html } from './html-kit.ts';

const BAND_STYLES: Record<RebufferBand, { background: string; color: string; label: string }> = {
  good: { background: '#dcfce7', color: '#166534', label: 'Good' },
  acceptable: { background: '#fef3c7', color: '#92400e', label: 'Acceptable' },
  concerning: { background: '#fee2e2', color: '#991b1b', label: 'Concerning' },
};

/** The Content-ID the HTML uses for the inline chart. */
export const CHART_CONTENT_ID = 'offload-chart@peer5-reporter';

function bandPill(band: RebufferBand | null): Html {
  if (band === null) return html``;
  const style = BAND_STYLES[band];
  return html`<span style="display:inline-block;margin:0 0 2px;padding:1px 8px;border-radius:10px;background-color:${style.background};color:${style.color};font-size:12px;line-height:16px;font-weight:600;">${style.label}</span>`;
}

function kpiCell(label: string, value: Html | string, lines: readonly Html[]): Html {
  return html`<div style="display:inline-block;width:100%;max-width:192px;vertical-align:top;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td style="padding:6px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${COLORS.panel}" style="background-color:${COLORS.panel};border:1px solid ${COLORS.border};border-radius:6px;">
<tr><td style="padding:12px 14px;font-family:${FONT};color:${COLORS.text};">
<div style="font-size:12px;line-height:16px;color:${COLORS.muted};text-transform:uppercase;letter-spacing:0.06em;">${label}</div>
<div style="font-size:26px;line-height:34px;font-weight:700;color:${COLORS.text};">${value}</div>
${lines.map((line) => html`<div style="font-size:12px;line-height:18px;">${line}</div>`)}
</td></tr></table>
</td></tr></table>
</div>`;
}

function kpiRow(cells: readonly Html[]): Html {
  // Three 192px columns side by side; below 600px they wrap and stack. Outlook needs a real table.
  const msoBetween = new Html('<!--[if mso]></td><td width="192" valign="top"><![endif]-->');
  return html`<tr><td align="center" style="padding:4px 11px 8px;font-size:0;">
<!--[if mso]><table role="presentation" width="576" cellpadding="0" cellspacing="0" border="0"><tr><td width="192" valign="top"><![endif]-->
${cells.map((cell, index) => (index === 0 ? cell : html`${msoBetween}${cell}`))}
<!--[if mso]></td></tr></table><![endif]-->
</td></tr>`;
}

function pointsCell(change: number | null): Html {
  if (change === null) return html`<span style="color:${COLORS.muted};">new</span>`;
  const tone = toneOf(change, 'higher-is-better');
  return html`<span style="color:${TONE_COLORS[tone]};">${arrowOf(change)}&nbsp;${changeText({ current: null, baseline: null, change, unit: 'pts' })}</span>`;
}

function segmentTable(breakdown: SegmentBreakdown, topN: number): Html {
  const names = SEGMENT_NAMES[breakdown.dimension];
  const rows = breakdown.top.map((row) => [
    labelCell(segmentLabel(breakdown.dimension, row.value)),
    html`${formatBytes(row.delivered)}`,
    html`${formatPercent(row.share)}`,
    html`<strong>${formatPercent(row.offload)}</strong>`,
    pointsCell(row.offloadChange),
  ]);
  const others = breakdown.rows.length - breakdown.top.length;
  return html`<tr><td style="padding:18px 20px 0;">
${sectionTitle(`Top ${Math.min(topN, breakdown.rows.length)} ${names.plural}`, `by delivered bytes${others > 0 ? `; ${others} more in the attached CSV` : ''}`)}
${table([names.singular, 'Delivered', 'Share', 'Offload', 'vs prev. day'], rows)}
</td></tr>`;
}

function comparisonSection(summary: ReportSummary): Html {
  const assessed = summary.insights.headline.comparisons;
  const columns = [
    { name: 'sameWeekdayLastWeek', label: 'Last week', comparison: summary.vsLastWeek },
    { name: 'trailing', label: trailingName(summary), comparison: summary.vsTrailingAverage },
    { name: 'previousDay', label: 'Previous day', comparison: summary.vsPreviousDay },
  ] as const;
  const row = (
    label: string,
    value: string,
    key: 'offload' | 'delivered' | 'rebufferRatio' | 'averageSessions',
    format: (value: number | null) => string,
  ): Html[] => {
    const cell = (column: (typeof columns)[number]): Html => {
      const change = column.comparison?.[key];
      if (change === undefined) return html`<span style="color:${COLORS.muted};">n/a</span>`;
      const judged = key === 'averageSessions' ? undefined : assessed[column.name]?.[key];
      const text = changeText(change);
      const shown = judged
        ? html`<br><span style="font-size:12px;">${assessedSpan(judged, '')}</span>`
        : text
          ? html`<br><span style="color:${COLORS.neutral};font-size:12px;">${text}</span>`
          : '';
      return html`${format(change.baseline)}${shown}`;
    };
    return [html`${label}`, html`<strong>${value}</strong>`, ...columns.map(cell)];
  };
  const bytes = (value: number | null): string => formatBytes(value ?? 0);
  const sessions = (value: number | null): string => formatSessions(value ?? 0);
  const figures = headline(summary);
  const subtitle = columns
    .filter((column) => column.comparison !== null)
    .map((column) => comparisonDescription(summary, column.name))
    .join('; ');
  return sectionRow(html`${sectionTitle('How the day compares', `${subtitle}; coloured when the change is material`)}
${table(
  ['Figure', 'This day', ...columns.map((column) => column.label)],
  [
    row('Offload', figures.offload, 'offload', formatPercent),
    row('Delivered', figures.delivered, 'delivered', bytes),
    row('Rebuffer ratio', figures.rebuffer, 'rebufferRatio', formatRebufferRatio),
    row('Avg. sessions', figures.sessions, 'averageSessions', sessions),
  ],
)}`);
}

type SwatchShape = 'box' | 'line' | 'dashed' | 'outline';

function swatchStyle(color: string, shape: SwatchShape): { height: number; style: string } {
  if (shape === 'box') return { height: 10, style: `background-color:${color};` };
  if (shape === 'line') return { height: 3, style: `background-color:${color};` };
  if (shape === 'dashed') return { height: 0, style: `border-top:2px dashed ${color};` };
  return { height: 8, style: `border:1px solid ${color};border-bottom:0;` };
}

function legendSwatch(color: string, label: string, shape: SwatchShape): Html {
  const { height, style } = swatchStyle(color, shape);
  const fill = shape === 'box' || shape === 'line' ? html` bgcolor="${color}"` : '';
  // A dash pattern needs the room for two dashes to read as dashed.
  const width = shape === 'dashed' ? 16 : 12;
  return html`<td style="padding:0 4px 0 0;vertical-align:middle;"><table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td width="${width}" height="${height}"${fill} style="width:${width}px;height:${height}px;${style}font-size:0;line-height:0;">&nbsp;</td></tr></table></td><td style="padding:0 14px 0 0;font-family:${FONT};font-size:12px;line-height:16px;color:${COLORS.muted};vertical-align:middle;">${label}</td>`;
}

const weekday = lazily(() => new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long' }));
const dayMonth = lazily(
  () => new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' }),
);

/** `Last Wednesday (18 Nov)` for the report day 2026-11-25: the day the ghost shows. */
export function ghostDayLabel(date: string): string {
  const at = Date.parse(`${addDays(date, -7)}T00:00:00Z`);
  return `Last ${weekday().format(at)} (${dayMonth().format(at)})`;
}

/** The legend's second line, for the ghost series the chart draws (see `ghostSeries`). */
function ghostLegend(summary: ReportSummary, chart: OffloadChartOptions | undefined): Html {
  const shown = ghostSeries(chart);
  if (!shown.offload && !shown.delivered) return html``;
  return html`<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 8px;"><tr>
<td style="padding:0 8px 0 0;font-family:${FONT};font-size:12px;line-height:16px;color:${COLORS.muted};vertical-align:middle;">${ghostDayLabel(summary.date)}:</td>
${shown.offload ? legendSwatch(CHART_COLORS.ghostOffload, 'Offload', 'dashed') : ''}${shown.delivered ? legendSwatch(CHART_COLORS.ghostDelivered, 'Delivered', 'outline') : ''}
</tr></table>`;
}

function chartSection(summary: ReportSummary, chartSrc: string, chart?: OffloadChartOptions): Html {
  const peakIndex = summary.peakHour ? summary.hours.indexOf(summary.peakHour) : -1;
  const peak = summary.peakHour
    ? html`Peak hour <strong>${hourRange(summary, peakIndex)}</strong>: ${formatBytes(summary.peakHour.delivered)} delivered, offload ${formatPercent(summary.peakHour.offload)}.`
    : '';
  const ghost = ghostLegend(summary, chart);
  const alt = `Bar chart of bytes delivered per hour, HTTP and P2P stacked, with the hourly offload as a line${ghost.markup ? ', and the same hours a week earlier as a ghost' : ''}`;
  return html`<tr><td style="padding:18px 20px 0;">
${sectionTitle('Delivered per hour', `local time, ${summary.timeZone}`)}
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 ${ghost.markup ? 4 : 8}px;"><tr>
${legendSwatch(CHART_COLORS.p2p, 'P2P', 'box')}${legendSwatch(CHART_COLORS.http, 'HTTP', 'box')}${legendSwatch(CHART_COLORS.offload, 'Offload (right axis)', 'line')}
</tr></table>
${ghost}<img src="${chartSrc}" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" alt="${alt}" style="display:block;width:100%;max-width:${CHART_WIDTH}px;height:auto;border:0;text-decoration:none;">
<div style="font-family:${FONT};font-size:13px;line-height:20px;color:${COLORS.text};margin:8px 0 0;">${peak}</div>
${peaksLine(summary)}
</td></tr>`;
}

function noTrafficBanner(summary: ReportSummary): Html {
  return html`<tr><td style="padding:8px 20px 0;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#fef3c7" style="background-color:#fef3c7;border-radius:6px;"><tr><td style="padding:16px;font-family:${FONT};font-size:15px;line-height:22px;color:#92400e;">
<strong>No traffic.</strong> The Peer5 API reports no bytes delivered on ${longDate(summary.date)} in ${summary.timeZone}. If players were running, check that the Peer5 script is still on your pages.
</td></tr></table>
</td></tr>`;
}

export interface HtmlOptions {
  readonly subject: string;
  /** The chart's `src`: a `cid:` reference in the email, a data URI in the preview. */
  readonly chartSrc: string;
  /** The options the chart was drawn with, so the legend names the ghost series it shows. */
  readonly chart?: OffloadChartOptions;
}

export function renderReportHtml(summary: ReportSummary, options: HtmlOptions): string {
  const figures = headline(summary);
  const { comparisons } = summary.insights.headline;
  const weekLabel = summary.lastWeekDay ? `vs ${comparisonLabel('sameWeekdayLastWeek', summary.date)}` : '';
  const trailingLabel = `vs ${trailingName(summary)}`;
  const lines = (metric: 'offload' | 'delivered' | 'rebufferRatio') => [
    ...(summary.lastWeekDay ? [assessedSpan(comparisons.sameWeekdayLastWeek?.[metric], weekLabel)] : []),
    assessedSpan(comparisons.trailing?.[metric], trailingLabel),
  ];
  const kpis = kpiRow([
    kpiCell('Offload', figures.offload, lines('offload')),
    kpiCell('Delivered', figures.delivered, [
      html`<span style="color:${COLORS.muted};">P2P&nbsp;${figures.p2p} · HTTP&nbsp;${figures.http}</span>`,
      ...lines('delivered'),
    ]),
    kpiCell('Rebuffer ratio', figures.rebuffer, [bandPill(summary.rebufferBand), ...lines('rebufferRatio')]),
  ]);
  const notes = [dayLengthNote(summary), approximationNote(summary)].filter((note) => note !== null);
  const from = new Date(summary.from).toISOString().slice(0, 16).replace('T', ' ');
  const to = new Date(summary.to).toISOString().slice(0, 16).replace('T', ' ');

  const body = html`<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="color-scheme" content="light">
<meta name="supported-color-schemes" content="light">
<title>${options.subject}</title>
</head>
<body bgcolor="${COLORS.page}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${COLORS.page}" style="background-color:${COLORS.page};">
<tr><td align="center" style="padding:24px 8px;">
<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" align="center"><tr><td><![endif]-->
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${COLORS.card}" style="max-width:600px;background-color:${COLORS.card};border:1px solid ${COLORS.border};border-radius:8px;">
<tr><td style="padding:22px 20px 10px;font-family:${FONT};">
<div style="font-size:12px;line-height:16px;color:${COLORS.muted};text-transform:uppercase;letter-spacing:0.08em;font-weight:600;">Peer5 daily report</div>
<div style="font-size:22px;line-height:30px;font-weight:700;color:${COLORS.text};margin:2px 0 0;">${longDate(summary.date)}</div>
<div style="font-size:13px;line-height:18px;color:${COLORS.muted};">${summary.timeZone} · ${summary.hoursInDay} hours</div>
${leadBanner(summary, leadSentence(summary))}
</td></tr>
${summary.hasTraffic ? kpis : noTrafficBanner(summary)}
${summary.hasTraffic ? chartSection(summary, options.chartSrc, options.chart) : ''}
${summary.hasTraffic ? driversSection(summary) : ''}
${moneySection(summary)}
${comparisonSection(summary)}
${incidentsSection(summary)}
${historySection(summary)}
${summary.hasTraffic ? summary.segments.map((breakdown) => segmentTable(breakdown, summary.topN)) : ''}
${opsFooter(summary)}
<tr><td style="padding:22px 20px 22px;font-family:${FONT};font-size:12px;line-height:18px;color:${COLORS.muted};">
${notes.map((note) => html`<p style="margin:0 0 8px;">${note}</p>`)}
<p style="margin:0 0 8px;">The day runs from ${from} to ${to} UTC. Figures come straight from the Peer5 API; reports that arrive late can still add a little to the last hours. Every segment is in the attached CSV.</p>
<p style="margin:0;">Offload = P2P / (HTTP + P2P). Rebuffer ratio = rebuffered / (played + rebuffered): ${REBUFFER_BANDS_TEXT}. Average sessions is a time-weighted mean.</p>
</td></tr>
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr>
</table>
</body>
</html>
`;
  return body.markup;
}
