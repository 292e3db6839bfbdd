/**
 * Which API queries a daily report needs, and at which resolution, for a report day in a zone.
 *
 * Every figure in the report comes from the same day boundaries, so the headline, the chart and
 * the segment tables add up. Boundaries are local midnights converted to UTC; the API only accepts
 * ranges aligned to the chosen interval, so the interval must divide every boundary:
 * - whole-hour zones use 1h buckets (UTC itself could use 1d, and does for the segment tables);
 * - :30 zones (Asia/Kolkata, Australia/Adelaide) use 30m buckets, which reach back 14 days too;
 * - :45 zones (Asia/Kathmandu, Pacific/Chatham, Australia/Eucla) would need 5m buckets, but 5m
 *   reaches back only 7 days and the trend needs 8. The report then uses the finest interval that
 *   still reaches (10m) and rounds each boundary to the nearest 10 minutes, so a day starts 5
 *   minutes late or early. The summary carries that approximation and the email says so.
 */
import {
  alignDown,
  type Dimension,
  type Filters,
  INTERVAL_LIMITS,
  INTERVAL_MS,
  INTERVALS,
  type Interval,
  METRICS,
  type Metric,
  TIME,
} from '../contract.ts';
import type { ExportQuery } from '../source.ts';
import { addDays, type LocalDayWindow, localDayWindow } from './time.ts';

/** Segment tables of the report, in display order. */
export const SEGMENT_DIMENSIONS = [
  'country.code',
  'browser.name',
  'isp.name',
  'os.name',
] as const satisfies readonly Dimension[];
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];

/**
 * The breakdowns the report reads, as pairs: the API allows two dimensions a query, and a pair's
 * rows roll up exactly to each dimension alone (splits add up to the totals), so two queries give
 * the four segment tables and the drivers of every dimension and of both pairs (ISP within
 * country, OS within browser).
 */
export const BREAKDOWNS = [
  ['country.code', 'isp.name'],
  ['browser.name', 'os.name'],
] as const satisfies readonly (readonly [SegmentDimension, SegmentDimension])[];
export type BreakdownDimensions = (typeof BREAKDOWNS)[number];

/** Days the history (the 30-day trend) covers, the report day included. */
export const HISTORY_DAYS = 30;

/** How each segment dimension is named in the email (`plural` as written mid-sentence) and the CSV. */
export const SEGMENT_NAMES: Readonly<
  Record<SegmentDimension, { readonly singular: string; readonly plural: string; readonly key: string }>
> = {
  'country.code': { singular: 'Country', plural: 'countries', key: 'country' },
  'browser.name': { singular: 'Browser', plural: 'browsers', key: 'browser' },
  'isp.name': { singular: 'ISP', plural: 'ISPs', key: 'isp' },
  'os.name': { singular: 'OS', plural: 'operating systems', key: 'os' },
};

/** Days before the report day that the trailing average covers. */
export const TRAILING_DAYS = 7;

/** The bytes offload is computed from: all a segment table (or a saved offload query) needs. */
export const OFFLOAD_METRICS = ['http', 'p2p'] as const satisfies readonly Metric[];

/**
 * Safety margin on the API's look-back: the server's clock may run ahead of ours, and a request
 * planned at the edge of the window would be refused by the time it is sent.
 */
export const LOOK_BACK_MARGIN_MS = TIME.HOUR;

export class ReportWindowError extends Error {
  override readonly name = 'ReportWindowError';
}

export interface ReportApproximation {
  /** The interval the boundaries were rounded to. */
  readonly interval: Interval;
  /** The largest distance between a rounded boundary and the true local midnight. */
  readonly maxShiftMs: number;
}

export interface ReportScope {
  readonly date: string;
  readonly timeZone: string;
  /** True local days, oldest first; the last one is the report day. */
  readonly days: readonly LocalDayWindow[];
  /** The boundaries the data is cut at: equal to `days` unless `approximation` is set. */
  readonly windows: readonly LocalDayWindow[];
  readonly approximation: ReportApproximation | null;
  /** One query over every day, for the hourly chart and the day-by-day trend. */
  readonly trendQuery: ExportQuery;
  /** Bucket length of `trendQuery`. */
  readonly trendBucketMs: number;
  /** One query per pair of `BREAKDOWNS`, over every day of `windows`, aligned with `BREAKDOWNS`. */
  readonly breakdownQueries: readonly ExportQuery[];
  /**
   * Daily totals before `windows` (whose days the trend query gives exactly), back to the 1st of
   * the month or `HISTORY_DAYS` days, whichever is earlier: 1d buckets, which are UTC days.
   */
  readonly historyQuery: ExportQuery;
  /**
   * True when the history's days are not the zone's local days (the zone's midnight is not a UTC
   * midnight): days before the trend's are then UTC days, and the email says so.
   */
  readonly historyInUtcDays: boolean;
}

export interface ReportScopeOptions {
  readonly date: string;
  readonly timeZone: string;
  /** The clock of the run, ms since the epoch: the API's look-back is measured from it. */
  readonly now: number;
  readonly filters?: Filters;
}

function reaches(interval: Interval, t: number, now: number): boolean {
  const { lookBackMs } = INTERVAL_LIMITS[interval];
  return lookBackMs === null || t >= now - lookBackMs + LOOK_BACK_MARGIN_MS;
}

function divides(interval: Interval, boundaries: readonly number[]): boolean {
  const bucket = INTERVAL_MS[interval];
  return boundaries.every((boundary) => boundary % bucket === 0);
}

function boundariesOf(windows: readonly LocalDayWindow[]): number[] {
  const last = windows.at(-1);
  return [...windows.map((window) => window.from), ...(last ? [last.to] : [])];
}

/** Coarsest first, so exact plans fetch as few rows as possible. */
const COARSEST_FIRST = [...INTERVALS].sort((a, b) => INTERVAL_MS[b] - INTERVAL_MS[a]);

/** The chart shows hours, so the trend query must be hourly or finer. */
const HOURLY_OR_FINER = COARSEST_FIRST.filter((interval) => INTERVAL_MS[interval] <= TIME.HOUR);

function roundToInterval(t: number, interval: Interval): number {
  const bucket = INTERVAL_MS[interval];
  return alignDown(t + bucket / 2, interval);
}

export function scopeReport(options: ReportScopeOptions): ReportScope {
  const { date, timeZone, now, filters } = options;
  const allDays = Array.from({ length: TRAILING_DAYS + 1 }, (_, index) =>
    localDayWindow(addDays(date, index - TRAILING_DAYS), timeZone),
  );
  const reportDay = allDays.at(-1) as LocalDayWindow;
  if (reportDay.to > now) {
    throw new ReportWindowError(
      `date: ${date} has not ended yet in ${timeZone} (it ends at ${new Date(reportDay.to).toISOString()}); a report covers a whole day, so pick an earlier date (the default is yesterday)`,
    );
  }
  // Hourly data reaches back 14 days, which covers the report day and its 7-day trend whenever the
  // report runs within a week of the day. For an older day the oldest trailing days are dropped
  // (the email then compares against a shorter average); a day hourly data cannot reach at all
  // cannot be reported on, because its hours and its local-midnight boundaries are gone from the API.
  const days = allDays.filter((day) => HOURLY_OR_FINER.some((interval) => reaches(interval, day.from, now)));
  if (days.at(-1) !== reportDay) {
    throw new ReportWindowError(
      `date: ${date} is too old to report on; the API keeps hourly data for 14 days, so the report day must start after ${new Date(now - (INTERVAL_LIMITS['1h'].lookBackMs ?? 0) + LOOK_BACK_MARGIN_MS).toISOString()}`,
    );
  }
  const oldest = (days[0] as LocalDayWindow).from;
  const reaching = HOURLY_OR_FINER.filter((interval) => reaches(interval, oldest, now));
  const exact = reaching.find((interval) => divides(interval, boundariesOf(days)));

  let windows: readonly LocalDayWindow[] = days;
  let trendInterval: Interval;
  let approximation: ReportApproximation | null = null;
  if (exact !== undefined) {
    trendInterval = exact;
  } else {
    // Finest interval that reaches, so the boundaries move as little as possible.
    trendInterval = reaching.at(-1) as Interval;
    windows = days.map((day) => ({
      date: day.date,
      from: roundToInterval(day.from, trendInterval),
      to: roundToInterval(day.to, trendInterval),
    }));
    const maxShiftMs = Math.max(
      ...days.flatMap((day, index) => {
        const window = windows[index] as LocalDayWindow;
        return [Math.abs(window.from - day.from), Math.abs(window.to - day.to)];
      }),
    );
    approximation = { interval: trendInterval, maxShiftMs };
  }

  const trendFrom = (windows[0] as LocalDayWindow).from;
  const trendTo = (windows.at(-1) as LocalDayWindow).to;
  // Coarsest first: UTC days are read as 1d buckets, one row per segment a day.
  const segmentInterval =
    COARSEST_FIRST.find(
      (interval) => divides(interval, boundariesOf(windows)) && reaches(interval, trendFrom, now),
    ) ?? trendInterval;

  const withFilters = filters !== undefined && Object.keys(filters).length > 0 ? { filters } : {};
  const breakdownQueries = BREAKDOWNS.map(
    (dimensions): ExportQuery => ({
      from: trendFrom,
      to: trendTo,
      interval: segmentInterval,
      metrics: OFFLOAD_METRICS,
      dimensions,
      ...withFilters,
    }),
  );
  const history = historyRange(date, trendFrom);

  return {
    date,
    timeZone,
    days,
    windows,
    approximation,
    trendQuery: { from: trendFrom, to: trendTo, interval: trendInterval, metrics: METRICS, ...withFilters },
    trendBucketMs: INTERVAL_MS[trendInterval],
    breakdownQueries,
    historyQuery: { ...history, interval: '1d', metrics: OFFLOAD_METRICS, ...withFilters },
    historyInUtcDays: !divides('1d', boundariesOf(windows)),
  };
}

/**
 * The UTC days before the trend's first day, back to the month's 1st or `HISTORY_DAYS` days. The
 * end is the trend's start rounded to the nearest UTC midnight, so in a zone off UTC the seam
 * between UTC and local days is at most half a day off, never a day counted twice.
 */
function historyRange(date: string, trendFrom: number): { from: number; to: number } {
  const monthStart = `${date.slice(0, 8)}01`;
  const historyStart = addDays(date, 1 - HISTORY_DAYS);
  const first = monthStart < historyStart ? monthStart : historyStart;
  const from = Date.parse(`${first}T00:00:00Z`);
  const to = Math.max(from, Math.round(trendFrom / TIME.DAY) * TIME.DAY);
  return { from, to };
}
