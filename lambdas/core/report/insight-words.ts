/**
 * Words the HTML and the plain-text parts share for the insights: how a comparison, a driver, a
 * saving, a peak, an incident and the lake's health are told. Escaping is the HTML renderer's job.
 */
import type { DeliveredDecomposition, DriverRow, OffloadDecomposition } from '../insights/drivers.ts';
import { type ComparisonName, comparisonLabel } from '../insights/headline.ts';
import type { ReportIncident } from '../insights/incident-days.ts';
import type { Peak } from '../insights/peaks.ts';
import { formatMoney } from '../insights/pricing.ts';
import { segmentDescription } from '../insights/segments.ts';
import { percentChangeText, pointsChangeText, shareExplainedText } from '../insights/wording.ts';
import type { HistoryDay } from './explain.ts';
import { formatBytes } from './format.ts';
import { type DatasetHealth, RUNBOOK_SECTION } from './ops.ts';
import type { ReportSummary } from './summary.ts';
import { localClock, localIsoMinute } from './time.ts';

/** Driver rows each breakdown lists before the grouped rest. */
export const DRIVERS_SHOWN = 2;

/** `last Mon (2026-11-23)`, `7-day avg (2026-11-23 to 2026-11-29)`, `Sun (2026-11-29)`. */
export function comparisonDescription(summary: ReportSummary, name: ComparisonName): string {
  const label = comparisonLabel(name, summary.date);
  if (name === 'trailing' && summary.trailing)
    return `${label} (${summary.trailing.firstDate} to ${summary.trailing.lastDate})`;
  const day = name === 'sameWeekdayLastWeek' ? summary.lastWeekDay : summary.previousDay;
  return day ? `${label} (${day.date})` : label;
}

/** The subject's news without the brand and date: what the top of the email says first. */
export function leadSentence(summary: ReportSummary): string {
  const subject = summary.insights.headline.subject;
  const news = subject.slice(subject.indexOf(':') + 1).trim();
  return news.charAt(0).toUpperCase() + news.slice(1);
}

/** The decompositions of one metric that have segments to show, pairs first. */
export function driverSetsOf<M extends 'offload' | 'delivered'>(
  summary: ReportSummary,
  metric: M,
): NonNullable<ReportSummary['insights']['drivers'][number][M]>[] {
  return summary.insights.drivers.flatMap((entry) => {
    const set = entry[metric];
    return set !== null && (set.drivers.length > 0 || set.other !== null)
      ? [set as NonNullable<typeof set>]
      : [];
  });
}

/** `Country`, `ISP within country`, `OS within browser`. */
export function breakdownTitle(dimensions: readonly string[]): string {
  const noun = (dimension: string) =>
    ({ 'country.code': 'country', 'isp.name': 'ISP', 'browser.name': 'browser', 'os.name': 'OS' })[
      dimension
    ] ?? dimension;
  if (dimensions.length === 1) {
    const name = noun(dimensions[0] ?? '');
    return name.charAt(0).toUpperCase() + name.slice(1);
  }
  const [outer, inner] = dimensions;
  return `${noun(inner ?? '')} within ${noun(outer ?? '')}`.replace(/^./, (c) => c.toUpperCase());
}

export interface DriverLine {
  readonly name: string;
  /** `71%`, or null when the change is too small to apportion. */
  readonly share: string | null;
  /** `−4.9 pts (rate −4.8, mix −0.1)`, `−120.0 GiB`. */
  readonly detail: string;
}

function offloadDetail(row: DriverRow & { mix: number; rate: number }): string {
  return `${pointsChangeText(row.contribution * 100)} (own offload ${pointsChangeText(row.rate * 100)}, traffic mix ${pointsChangeText(row.mix * 100)})`;
}

function bytesChange(bytes: number): string {
  const text = formatBytes(Math.abs(bytes));
  return bytes < 0 ? `−${text}` : `+${text}`;
}

/** The top drivers of one decomposition, then the grouped small segments, as lines. */
export function driverLines(set: OffloadDecomposition | DeliveredDecomposition): DriverLine[] {
  const rows = set.drivers.slice(0, DRIVERS_SHOWN);
  const line = (row: (typeof set.drivers)[number], name: string): DriverLine => ({
    name,
    share: row.shareExplained === null ? null : shareExplainedText(row.shareExplained),
    detail: 'mix' in row ? offloadDetail(row) : bytesChange(row.contribution),
  });
  const lines = rows.map((row) => line(row, row.segment ? segmentDescription(row.segment) : 'Other'));
  const rest = set.drivers.length - rows.length + (set.other?.segmentCount ?? 0);
  if (rest > 0) {
    const contribution =
      set.drivers.slice(DRIVERS_SHOWN).reduce((sum, row) => sum + row.contribution, 0) +
      (set.other?.contribution ?? 0);
    const share =
      set.change !== 0 && rows.every((row) => row.shareExplained !== null) ? contribution / set.change : null;
    lines.push({
      name: `${rest} more segment${rest === 1 ? '' : 's'}`,
      share: share === null ? null : shareExplainedText(share),
      detail: 'reference' in set ? pointsChangeText(contribution * 100) : bytesChange(contribution),
    });
  }
  return lines;
}

/** `−6.9 pts`, `−13.0%`: the change a decomposition explains. */
export function totalChangeText(set: OffloadDecomposition | DeliveredDecomposition): string {
  if ('reference' in set) return pointsChangeText(set.change * 100);
  return set.changePercent === null ? bytesChange(set.change) : percentChangeText(set.changePercent);
}

/** `at 21:00 (2026-11-30T21:00+01:00), measured on 1h buckets`. */
export function peakWhen(peak: Peak): string {
  return `at ${peak.clock} (${peak.localTime}), measured on ${peak.bucketLabel} buckets`;
}

export function formatGbps(value: number): string {
  return `${value.toFixed(value >= 10 ? 1 : 2)} Gbps`;
}

/** Money, or null when the figure could not be had. */
export function moneyText(amount: number | null, currency: string): string | null {
  return amount === null ? null : formatMoney(amount, currency);
}

/** `2 gaps: 14:00, 15:00 UTC` for the windows a dataset is missing. */
export function missingText(health: DatasetHealth): string {
  if (health.missing.length === 0) return 'none missing';
  const shown = health.missing
    .slice(0, 4)
    .map((start) => new Date(start).toISOString().slice(0, 16).replace('T', ' '));
  const more = health.missing.length - shown.length;
  return `${health.missing.length} missing: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''} UTC`;
}

export function healthLine(health: DatasetHealth): string {
  return `${health.dataset}: ${health.written} of ${health.expected} windows written, ${health.provisional} provisional, ${missingText(health)}`;
}

export function runbookText(url: string | null): string {
  return url ?? `the "${RUNBOOK_SECTION}" section of the README`;
}

/** `14:00–16:00`, or `since 14:00` for an incident still open. */
export function incidentLine(incident: ReportIncident, timeZone: string): string {
  const from = localClock(incident.startHour, timeZone);
  const until =
    incident.recoveredAt === null ? 'still open' : `recovered ${localClock(incident.recoveredAt, timeZone)}`;
  const who = incident.blame
    ? `, ${incident.blame.name} explains ${shareExplainedText(incident.blame.shareExplained)}`
    : '';
  return `${from} (${localIsoMinute(incident.startHour, timeZone)}): offload down ${incident.worstDropPts.toFixed(1)} pts at worst${who}; ${until}`;
}

/** A week's totals of the history, for the offload trend. */
export interface HistoryWeek {
  readonly firstDate: string;
  readonly lastDate: string;
  readonly delivered: number;
  readonly offload: number | null;
}

/** The history in weeks ending on the report day, oldest first. */
export function historyWeeks(history: readonly HistoryDay[]): HistoryWeek[] {
  const weeks: HistoryWeek[] = [];
  for (let end = history.length; end > 0; end -= 7) {
    const days = history.slice(Math.max(0, end - 7), end);
    const http = days.reduce((sum, day) => sum + day.http, 0);
    const p2p = days.reduce((sum, day) => sum + day.p2p, 0);
    weeks.unshift({
      firstDate: days[0]?.date ?? '',
      lastDate: days.at(-1)?.date ?? '',
      delivered: http + p2p,
      offload: http + p2p > 0 ? p2p / (http + p2p) : null,
    });
  }
  return weeks;
}

/** The line under the savings when the price is `npm start`'s example. */
export function examplePriceNote(summary: ReportSummary): string | null {
  if (!summary.examplePrice) return null;
  return `Example price (set by npm start), not yours: set cdnPricePerGb to your CDN's price per GB in ${summary.insights.savings.currency}, or to monthly volume tiers (see docs/insights.md).`;
}
