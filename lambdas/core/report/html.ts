/**
 * The HTML part: email-safe markup (tables for layout, inline styles, bgcolor attributes for
 * clients that drop CSS, 600px wide and fluid below) built with a template tag that escapes every
 * interpolated value unless it is markup this module produced itself.
 */
import { CHART_COLORS, CHART_HEIGHT, CHART_WIDTH, ghostSeries, type OffloadChartOptions } from './chart.ts';
import { formatBytes, formatPercent, formatRebufferRatio, formatSessions } from './format.ts';
import {
  approximationNote,
  arrowOf,
  changeText,
  dayLengthNote,
  headline,
  hourRange,
  type Polarity,
  REBUFFER_BANDS_TEXT,
  segmentLabel,
  type Tone,
  toneOf,
  trailingName,
} from './labels.ts';
import { SEGMENT_NAMES } from './scope.ts';
import {
  type Change,
  MIN_DROP_SHARE,
  type RebufferBand,
  type ReportSummary,
  type SegmentBreakdown,
} from './summary.ts';
import { addDays, longDate } from './time.ts';

/** Markup that is already safe; anything else interpolated into `html` is escaped. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type HtmlPart = Html | string | number | null | undefined | false | readonly HtmlPart[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

function renderPart(part: HtmlPart): string {
  if (part instanceof Html) return part.markup;
  if (Array.isArray(part)) return part.map(renderPart).join('');
  if (part === null || part === undefined || part === false) return '';
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: readonly HtmlPart[]): Html {
  let markup = strings[0] ?? '';
  parts.forEach((part, index) => {
    markup += renderPart(part) + (strings[index + 1] ?? '');
  });
  return new Html(markup);
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

const COLORS = {
  page: '#f3f4f6',
  card: '#ffffff',
  panel: '#f9fafb',
  border: '#e5e7eb',
  text: '#111827',
  muted: '#6b7280',
  good: '#047857',
  bad: '#b91c1c',
  neutral: '#4b5563',
} as const;

const TONE_COLORS: Record<Tone, string> = { good: COLORS.good, bad: COLORS.bad, neutral: COLORS.neutral };

const BAND_STYLES: Record<RebufferBand, { background: string; color: string; label: string }> = {
  good: { background: '#dcfce7', color: '#166534', label: 'Good' },
  acceptable: { background: '#fef3c7', color: '#92400e', label: 'Acceptable' },
  concerning: { background: '#fee2e2', color: '#991b1b', label: 'Concerning' },
};

/** The Content-ID the HTML uses for the inline chart. */
export const CHART_CONTENT_ID = 'offload-chart@peer5-reporter';

function changeSpan(change: Change | undefined, polarity: Polarity, suffix: string): Html {
  const text = change ? changeText(change) : null;
  if (change === undefined || text === null) {
    return html`<span style="color:${COLORS.muted};">no data ${suffix}</span>`;
  }
  const tone = toneOf(change.change, polarity);
  return html`<span style="color:${TONE_COLORS[tone]};white-space:nowrap;">${arrowOf(change.change)}&nbsp;${text}</span> <span style="color:${COLORS.muted};">${suffix}</span>`;
}

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

function sectionTitle(title: string, subtitle?: string): Html {
  return html`<div style="font-family:${FONT};font-size:16px;line-height:22px;font-weight:700;color:${COLORS.text};margin:0 0 2px;">${title}</div>${
    subtitle
      ? html`<div style="font-family:${FONT};font-size:12px;line-height:18px;color:${COLORS.muted};margin:0 0 8px;">${subtitle}</div>`
      : ''
  }`;
}

const CELL = `font-family:${FONT};font-size:13px;line-height:18px;padding:7px 6px;border-bottom:1px solid ${COLORS.border};color:${COLORS.text};`;
const HEAD = `font-family:${FONT};font-size:11px;line-height:16px;padding:6px 6px;border-bottom:2px solid ${COLORS.border};color:${COLORS.muted};text-transform:uppercase;letter-spacing:0.04em;font-weight:600;`;

function table(headers: readonly string[], rows: readonly (readonly Html[])[]): Html {
  return html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
<tr>${headers.map((header, index) => html`<th align="${index === 0 ? 'left' : 'right'}" style="${HEAD}">${header}</th>`)}</tr>
${rows.map(
  (cells) =>
    html`<tr>${cells.map(
      (cell, index) =>
        html`<td align="${index === 0 ? 'left' : 'right'}" style="${CELL}${index === 0 ? 'overflow-wrap:break-word;' : 'white-space:nowrap;'}">${cell}</td>`,
    )}</tr>`,
)}
</table>`;
}

function labelCell(label: { text: string; unknown: boolean }): Html {
  return label.unknown
    ? html`<span style="color:${COLORS.muted};font-style:italic;">${label.text}</span>`
    : html`${label.text}`;
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

function dropsSection(summary: ReportSummary): Html {
  const subtitle = `segments with at least ${formatPercent(MIN_DROP_SHARE, 0)} of their breakdown's bytes, compared with the previous day`;
  if (summary.offloadDrops.length === 0) {
    return html`<tr><td style="padding:18px 20px 0;">
${sectionTitle('Offload drops', subtitle)}
<div style="font-family:${FONT};font-size:13px;line-height:20px;color:${COLORS.muted};">No segment lost offload since the previous day.</div>
</td></tr>`;
  }
  const rows = summary.offloadDrops.map((drop) => [
    html`<span style="color:${COLORS.muted};">${SEGMENT_NAMES[drop.dimension].singular}:</span> ${labelCell(segmentLabel(drop.dimension, drop.value))}`,
    html`${formatBytes(drop.delivered)}`,
    html`${formatPercent(drop.previousOffload)}`,
    html`<strong>${formatPercent(drop.offload)}</strong>`,
    pointsCell(drop.offloadChange),
  ]);
  return html`<tr><td style="padding:18px 20px 0;">
${sectionTitle('Biggest offload drops', subtitle)}
${table(['Segment', 'Delivered', 'Was', 'Now', 'Change'], rows)}
</td></tr>`;
}

function comparisonSection(summary: ReportSummary): Html {
  const previous = summary.vsPreviousDay;
  const trailing = summary.vsTrailingAverage;
  const trailingLabel = trailingName(summary);
  const row = (
    label: string,
    value: string,
    key: 'offload' | 'delivered' | 'rebufferRatio' | 'averageSessions',
    format: (value: number | null) => string,
    polarity: Polarity,
  ): Html[] => {
    const cell = (change: Change | undefined): Html => {
      if (change === undefined) return html`<span style="color:${COLORS.muted};">n/a</span>`;
      const text = changeText(change);
      const tone = toneOf(change.change, polarity);
      return html`${format(change.baseline)}${text ? html`<br><span style="color:${TONE_COLORS[tone]};font-size:12px;">${arrowOf(change.change)}&nbsp;${text}</span>` : ''}`;
    };
    return [html`${label}`, html`<strong>${value}</strong>`, cell(previous?.[key]), cell(trailing?.[key])];
  };
  const bytes = (value: number | null): string => formatBytes(value ?? 0);
  const sessions = (value: number | null): string => formatSessions(value ?? 0);
  const figures = headline(summary);
  return html`<tr><td style="padding:18px 20px 0;">
${sectionTitle('How the day compares', `previous day ${summary.previousDay?.date ?? 'n/a'}; ${trailingLabel} over ${summary.trailing ? `${summary.trailing.firstDate} to ${summary.trailing.lastDate}` : 'n/a'}`)}
${table(
  ['Figure', 'This day', 'Previous day', trailingLabel],
  [
    row('Offload', figures.offload, 'offload', formatPercent, 'higher-is-better'),
    row('Delivered', figures.delivered, 'delivered', bytes, 'neutral'),
    row('Rebuffer ratio', figures.rebuffer, 'rebufferRatio', formatRebufferRatio, 'lower-is-better'),
    row('Avg. sessions', figures.sessions, 'averageSessions', sessions, 'neutral'),
  ],
)}
</td></tr>`;
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
  return html`<td style="padding:0 4px 0 0;vertical-align:middle;"><table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td width="${width}" height="${height}"${fill} style="width:${width}px;height:${height}px;${style}font-size:0;line-height:0;">&nbsp;</td></tr></table></td><td style="padding:0 14px 0 0;font-family:${FONT};font-size:12px;line-height:16px;color:${COLORS.muted};vertical-align:middle;white-space:nowrap;">${label}</td>`;
}

const WEEKDAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long' });
const DAY_MONTH = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });

/** `Last Wednesday (18 Nov)` for the report day 2026-11-25: the day the ghost shows. */
export function ghostDayLabel(date: string): string {
  const at = Date.parse(`${addDays(date, -7)}T00:00:00Z`);
  return `Last ${WEEKDAY.format(at)} (${DAY_MONTH.format(at)})`;
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
${ghost}<img src="${chartSrc}" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" alt="${alt}" style="display:block;width:100%;max-width:${CHART_WIDTH}px;height:auto;border:0;outline:none;text-decoration:none;">
<div style="font-family:${FONT};font-size:13px;line-height:20px;color:${COLORS.text};margin:8px 0 0;">${peak}</div>
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

export function preheaderText(summary: ReportSummary): string {
  if (!summary.hasTraffic) return `No traffic on ${summary.date} (${summary.timeZone}).`;
  const figures = headline(summary);
  const offloadChange = summary.vsPreviousDay ? changeText(summary.vsPreviousDay.offload) : null;
  return `Offload ${figures.offload}${offloadChange ? ` (${offloadChange})` : ''} · ${figures.delivered} delivered · rebuffer ratio ${figures.rebuffer}${figures.band ? ` (${figures.band})` : ''}`;
}

export function renderReportHtml(summary: ReportSummary, options: HtmlOptions): string {
  const figures = headline(summary);
  const previousLabel = 'vs previous day';
  const trailingLabel = `vs ${trailingName(summary)}`;
  const kpis = kpiRow([
    kpiCell('Offload', figures.offload, [
      changeSpan(summary.vsPreviousDay?.offload, 'higher-is-better', previousLabel),
      changeSpan(summary.vsTrailingAverage?.offload, 'higher-is-better', trailingLabel),
    ]),
    kpiCell('Delivered', figures.delivered, [
      html`<span style="color:${COLORS.muted};"><span style="white-space:nowrap;">P2P ${figures.p2p}</span> · <span style="white-space:nowrap;">HTTP ${figures.http}</span></span>`,
      changeSpan(summary.vsPreviousDay?.delivered, 'neutral', previousLabel),
      changeSpan(summary.vsTrailingAverage?.delivered, 'neutral', trailingLabel),
    ]),
    kpiCell('Rebuffer ratio', figures.rebuffer, [
      bandPill(summary.rebufferBand),
      changeSpan(summary.vsPreviousDay?.rebufferRatio, 'lower-is-better', previousLabel),
      changeSpan(summary.vsTrailingAverage?.rebufferRatio, 'lower-is-better', trailingLabel),
    ]),
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
<body style="margin:0;padding:0;width:100%;background-color:${COLORS.page};-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%;" bgcolor="${COLORS.page}">
<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;">${preheaderText(summary)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${COLORS.page}" style="background-color:${COLORS.page};">
<tr><td align="center" style="padding:24px 8px;">
<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" align="center"><tr><td><![endif]-->
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${COLORS.card}" style="max-width:600px;background-color:${COLORS.card};border:1px solid ${COLORS.border};border-radius:8px;">
<tr><td style="padding:22px 20px 10px;font-family:${FONT};">
<div style="font-size:12px;line-height:16px;color:${COLORS.muted};text-transform:uppercase;letter-spacing:0.08em;font-weight:600;">Peer5 daily report</div>
<div style="font-size:22px;line-height:30px;font-weight:700;color:${COLORS.text};margin:2px 0 0;">${longDate(summary.date)}</div>
<div style="font-size:13px;line-height:18px;color:${COLORS.muted};">${summary.timeZone} · ${summary.hoursInDay} hours</div>
</td></tr>
${summary.hasTraffic ? kpis : noTrafficBanner(summary)}
${summary.hasTraffic ? chartSection(summary, options.chartSrc, options.chart) : ''}
${comparisonSection(summary)}
${summary.hasTraffic ? summary.segments.map((breakdown) => segmentTable(breakdown, summary.topN)) : ''}
${summary.hasTraffic ? dropsSection(summary) : ''}
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
