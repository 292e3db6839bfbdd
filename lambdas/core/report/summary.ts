/**
 * The daily report as numbers: pure functions from gathered totals to the figures every part of the
 * email shows. Ratios are null, never NaN, when their denominator is zero (a day with no traffic).
 */
import { METRICS, type Metric, TIME } from '../contract.ts';
import type { ReportIncident } from '../insights/incident-days.ts';
import { DEFAULT_CURRENCY } from '../insights/pricing.ts';
import { rollUp } from '../insights/segments.ts';
import { type ExplainOptions, explainReport, type ReportInsights } from './explain.ts';
import {
  type Comparison,
  compareFigures,
  type Figures,
  offloadOf,
  pointsChange,
  type RebufferBand,
  rebufferBandOf,
  rebufferRatioOf,
} from './figures.ts';
import type { BucketTotals, ReportData, SegmentTotals } from './gather.ts';
import type { ReportOps } from './ops.ts';
import { type ReportApproximation, SEGMENT_DIMENSIONS, type SegmentDimension } from './scope.ts';
import {
  addDays,
  formatUtcOffset,
  type LocalDayWindow,
  localClock,
  windowIndexOf,
  zoneOffsetMs,
} from './time.ts';

export const DEFAULT_TOP_N = 5;

export interface DayFigures extends Figures {
  readonly date: string;
}

/** Per-day means of the volumes, and pooled ratios over the whole period. */
export interface TrailingFigures extends Figures {
  readonly days: number;
  readonly firstDate: string;
  readonly lastDate: string;
}

export interface HourFigures {
  /** The true local hour's first instant. */
  readonly start: number;
  /** Local `HH:MM`; twice the same on the day clocks go back, so see `utcOffset`. */
  readonly label: string;
  readonly utcOffset: string;
  readonly http: number;
  readonly p2p: number;
  readonly delivered: number;
  readonly offload: number | null;
}

export interface SegmentFigures {
  readonly value: string | null;
  readonly http: number;
  readonly p2p: number;
  readonly delivered: number;
  /** Share of the dimension's bytes for the day. */
  readonly share: number;
  readonly offload: number | null;
  readonly previousDelivered: number;
  readonly previousOffload: number | null;
  /** Offload change vs the previous day, in percentage points. */
  readonly offloadChange: number | null;
}

export interface SegmentBreakdown {
  readonly dimension: SegmentDimension;
  readonly delivered: number;
  /** Every value with traffic on the report day, most bytes first. */
  readonly rows: readonly SegmentFigures[];
  readonly top: readonly SegmentFigures[];
}

export interface ReportSummary {
  readonly date: string;
  readonly timeZone: string;
  /** The true local day, [from, to) in ms. */
  readonly from: number;
  readonly to: number;
  /** 24, or 23 / 25 on DST days. */
  readonly hoursInDay: number;
  /** Set when the zone's midnight could not be matched exactly (:45 zones). */
  readonly approximation: ReportApproximation | null;
  readonly hasTraffic: boolean;
  readonly day: DayFigures;
  readonly previousDay: DayFigures | null;
  /** The same weekday a week earlier: the comparison that leads. */
  readonly lastWeekDay: DayFigures | null;
  readonly trailing: TrailingFigures | null;
  readonly rebufferBand: RebufferBand | null;
  readonly hours: readonly HourFigures[];
  /** Last week's same day, hour by hour: the chart's ghost. Empty when it is not in the data. */
  readonly lastWeekHours: readonly HourFigures[];
  readonly peakHour: HourFigures | null;
  readonly vsPreviousDay: Comparison | null;
  readonly vsLastWeek: Comparison | null;
  readonly vsTrailingAverage: Comparison | null;
  /** Each dimension's segments on the report day, against the previous day. */
  readonly segments: readonly SegmentBreakdown[];
  readonly topN: number;
  readonly insights: ReportInsights;
  /** True when the price behind the savings is an example (`npm start`'s), not a setting. */
  readonly examplePrice: boolean;
  /** The ops footer; null when the report was summarised without one (tests, previews). */
  readonly ops: ReportOps | null;
  /**
   * Incidents of the hourly offload watch on the report day; null when no watch ran (the section
   * is left out), empty when it ran and found none.
   */
  readonly incidents: readonly ReportIncident[] | null;
}

/**
 * Each metric summed over a period. `sessions` is an average per bucket, so it is summed times the
 * bucket length: the integral of concurrent sessions over time, in session-milliseconds.
 */
type Sums = Record<Metric, number>;

function emptySums(): Sums {
  return Object.fromEntries(METRICS.map((name) => [name, 0])) as Sums;
}

function figuresOf(sums: Sums, durationMs: number, days = 1): Figures {
  const http = sums.http / days;
  const p2p = sums.p2p / days;
  return {
    http,
    p2p,
    delivered: http + p2p,
    offload: offloadOf(sums.http, sums.p2p),
    played: sums.played / days,
    rebuffered: sums.rebuffered / days,
    rebufferRatio: rebufferRatioOf(sums.played, sums.rebuffered),
    averageSessions: durationMs > 0 ? sums.sessions / durationMs : 0,
  };
}

function bySizeThenValue(a: SegmentFigures, b: SegmentFigures): number {
  if (b.delivered !== a.delivered) return b.delivered - a.delivered;
  if (a.value === b.value) return 0;
  if (a.value === null) return 1;
  if (b.value === null) return -1;
  return a.value < b.value ? -1 : 1;
}

export function segmentBreakdown(
  dimension: SegmentDimension,
  current: readonly SegmentTotals[],
  previous: readonly SegmentTotals[],
  topN: number,
): SegmentBreakdown {
  const previousByValue = new Map(previous.map((entry) => [entry.value, entry]));
  const delivered = current.reduce((sum, entry) => sum + entry.http + entry.p2p, 0);
  const rows = current
    .filter((entry) => entry.http + entry.p2p > 0)
    .map((entry): SegmentFigures => {
      const before = previousByValue.get(entry.value);
      const offload = offloadOf(entry.http, entry.p2p);
      const previousOffload = before ? offloadOf(before.http, before.p2p) : null;
      return {
        value: entry.value,
        http: entry.http,
        p2p: entry.p2p,
        delivered: entry.http + entry.p2p,
        share: delivered > 0 ? (entry.http + entry.p2p) / delivered : 0,
        offload,
        previousDelivered: before ? before.http + before.p2p : 0,
        previousOffload,
        offloadChange: pointsChange(offload, previousOffload).change,
      };
    })
    .sort(bySizeThenValue);
  return { dimension, delivered, rows, top: rows.slice(0, topN) };
}

/** One dimension's totals on one day, rolled up from the breakdown that has it; empty without one. */
function segmentTotalsOf(data: ReportData, dimension: SegmentDimension, index: number): SegmentTotals[] {
  const breakdown = data.breakdowns.find((entry) => entry.dimensions.includes(dimension));
  const rows = breakdown?.days[index];
  if (breakdown === undefined || rows === undefined) return [];
  return rollUp({ dimensions: breakdown.dimensions, rows }, [dimension]).rows.map((row) => ({
    value: row.values[0] ?? null,
    http: row.http,
    p2p: row.p2p,
  }));
}

function addBucket(sums: Sums, bucket: BucketTotals, bucketMs: number): void {
  for (const name of METRICS) sums[name] += name === 'sessions' ? bucket[name] * bucketMs : bucket[name];
}

function hoursOf(data: ReportData, reportWindow: LocalDayWindow, trueDay: LocalDayWindow): HourFigures[] {
  const { timeZone } = data.scope;
  const count = Math.ceil((reportWindow.to - reportWindow.from) / TIME.HOUR);
  const bins = Array.from({ length: count }, () => ({ http: 0, p2p: 0 }));
  for (const bucket of data.buckets) {
    if (bucket.timestamp < reportWindow.from || bucket.timestamp >= reportWindow.to) continue;
    const bin = bins[Math.floor((bucket.timestamp - reportWindow.from) / TIME.HOUR)];
    if (bin === undefined) continue;
    bin.http += bucket.http;
    bin.p2p += bucket.p2p;
  }
  return bins.map((bin, index) => {
    // Labels come from the true local hours even when the data boundaries were rounded.
    const start = trueDay.from + index * TIME.HOUR;
    return {
      start,
      label: localClock(start, timeZone),
      utcOffset: formatUtcOffset(zoneOffsetMs(start, timeZone)),
      http: bin.http,
      p2p: bin.p2p,
      delivered: bin.http + bin.p2p,
      offload: offloadOf(bin.http, bin.p2p),
    };
  });
}

export interface SummaryOptions extends Partial<ExplainOptions> {
  readonly topN?: number;
  readonly ops?: ReportOps;
  readonly incidents?: readonly ReportIncident[];
  /** The price is an example, not the user's: the email says so. */
  readonly examplePrice?: boolean;
}

export function summarizeReport(data: ReportData, options: SummaryOptions = {}): ReportSummary {
  const topN = options.topN ?? DEFAULT_TOP_N;
  const { scope } = data;
  const { windows } = scope;
  const bucketMs = scope.trendBucketMs;

  const sums = windows.map(() => emptySums());
  for (const bucket of data.buckets) {
    const target = sums[windowIndexOf(windows, bucket.timestamp)];
    if (target) addBucket(target, bucket, bucketMs);
  }
  const dayAt = (index: number): DayFigures => {
    const window = windows[index] as LocalDayWindow;
    return { date: window.date, ...figuresOf(sums[index] as Sums, window.to - window.from) };
  };
  const last = windows.length - 1;
  const day = dayAt(last);
  const previousDay = last >= 1 ? dayAt(last - 1) : null;
  const lastWeekIndex = windows.findIndex((window) => window.date === addDays(scope.date, -7));
  const lastWeekDay = lastWeekIndex >= 0 ? dayAt(lastWeekIndex) : null;

  let trailing: TrailingFigures | null = null;
  if (last >= 1) {
    const trailingSums = emptySums();
    let durationMs = 0;
    for (let index = 0; index < last; index += 1) {
      const daySums = sums[index] as Sums;
      for (const name of METRICS) trailingSums[name] += daySums[name];
      const window = windows[index] as LocalDayWindow;
      durationMs += window.to - window.from;
    }
    trailing = {
      days: last,
      firstDate: (windows[0] as LocalDayWindow).date,
      lastDate: (windows[last - 1] as LocalDayWindow).date,
      ...figuresOf(trailingSums, durationMs, last),
    };
  }

  const trueDay = scope.days.at(-1) as LocalDayWindow;
  const hours = hoursOf(data, windows[last] as LocalDayWindow, trueDay);
  const peakHour = hours.reduce<HourFigures | null>(
    (best, hour) => (hour.delivered > 0 && (best === null || hour.delivered > best.delivered) ? hour : best),
    null,
  );
  const lastWeekHours =
    lastWeekIndex >= 0
      ? hoursOf(data, windows[lastWeekIndex] as LocalDayWindow, scope.days[lastWeekIndex] as LocalDayWindow)
      : [];
  const segments = SEGMENT_DIMENSIONS.map((dimension) =>
    segmentBreakdown(
      dimension,
      segmentTotalsOf(data, dimension, last),
      last >= 1 ? segmentTotalsOf(data, dimension, last - 1) : [],
      topN,
    ),
  );
  const insights = explainReport(
    data,
    { day, sameWeekdayLastWeek: lastWeekDay, trailing, previousDay },
    {
      currency: options.currency ?? DEFAULT_CURRENCY,
      ...(options.materiality ? { materiality: options.materiality } : {}),
      ...(options.price ? { price: options.price } : {}),
    },
  );

  return {
    date: scope.date,
    timeZone: scope.timeZone,
    from: trueDay.from,
    to: trueDay.to,
    hoursInDay: (trueDay.to - trueDay.from) / TIME.HOUR,
    approximation: scope.approximation,
    hasTraffic: day.delivered > 0,
    day,
    previousDay,
    lastWeekDay,
    trailing,
    rebufferBand: rebufferBandOf(day.rebufferRatio),
    hours,
    lastWeekHours,
    peakHour,
    vsPreviousDay: previousDay ? compareFigures(day, previousDay) : null,
    vsLastWeek: lastWeekDay ? compareFigures(day, lastWeekDay) : null,
    vsTrailingAverage: trailing ? compareFigures(day, trailing) : null,
    segments,
    topN,
    insights,
    examplePrice: options.examplePrice === true && options.price !== undefined,
    ops: options.ops ?? null,
    incidents: options.incidents ?? null,
  };
}
