/**
 * The report's insights, computed from the gathered data and the summary's figures: the headline
 * (the biggest material change and who explains it), the drivers of offload and delivered bytes
 * over every breakdown read, what P2P saved, the day's peaks and the 30-day history. Pure: the
 * insights core does the arithmetic, this module only chooses its inputs.
 */
import { type Blame, blame } from '../insights/blame.ts';
import {
  type DeliveredDecomposition,
  decomposeDelivered,
  decomposeOffload,
  type OffloadDecomposition,
} from '../insights/drivers.ts';
import {
  type BlamedMetric,
  buildHeadline,
  type ComparisonName,
  type Headline,
} from '../insights/headline.ts';
import { DEFAULT_MATERIALITY, type Materiality } from '../insights/materiality.ts';
import { type Peaks, peaksOf } from '../insights/peaks.ts';
import type { CdnPrice } from '../insights/pricing.ts';
import { type DayTraffic, type Savings, savingsOf } from '../insights/savings.ts';
import {
  type BreakdownTraffic,
  breakdownKeyOf,
  foldSegments,
  rollUp,
  type SegmentTraffic,
} from '../insights/segments.ts';
import { type Figures, offloadOf } from './figures.ts';
import type { ReportData } from './gather.ts';
import { HISTORY_DAYS } from './scope.ts';
import { addDays, type LocalDayWindow } from './time.ts';

export interface ExplainOptions {
  /** @default DEFAULT_MATERIALITY */
  readonly materiality?: Materiality;
  /** The `cdnPricePerGb` setting; absent: bytes only. */
  readonly price?: CdnPrice;
  readonly currency: string;
}

/** One breakdown's drivers of both metrics against the leading comparison. */
export interface BreakdownDrivers {
  readonly key: string;
  readonly offload: OffloadDecomposition | null;
  readonly delivered: DeliveredDecomposition;
}

export interface HistoryDay {
  readonly date: string;
  readonly http: number;
  readonly p2p: number;
  readonly delivered: number;
  readonly offload: number | null;
  /** A UTC day of the API's 1d buckets, not a local day of the report's zone. */
  readonly utcDay: boolean;
}

export interface ReportInsights {
  readonly headline: Headline;
  /** The comparison the drivers explain: the headline's lead; null when there is none. */
  readonly driversAgainst: ComparisonName | null;
  /** Pairs first, then each dimension alone, in the order of the breakdowns read. */
  readonly drivers: readonly BreakdownDrivers[];
  readonly blames: Readonly<Record<BlamedMetric, Blame | null>>;
  readonly savings: Savings;
  readonly peaks: Peaks;
  /** Up to `HISTORY_DAYS` days ending on the report day, oldest first. */
  readonly history: readonly HistoryDay[];
}

/** The baselines the summary compares the day with. */
export interface Baselines {
  readonly day: Figures;
  readonly sameWeekdayLastWeek: Figures | null;
  readonly trailing: Figures | null;
  readonly previousDay: Figures | null;
}

/** Which windows each comparison's "before" side sums. */
function baselineIndexes(windows: readonly LocalDayWindow[], date: string): Record<ComparisonName, number[]> {
  const last = windows.length - 1;
  const lastWeek = windows.findIndex((window) => window.date === addDays(date, -7));
  return {
    sameWeekdayLastWeek: lastWeek >= 0 ? [lastWeek] : [],
    trailing: Array.from({ length: last }, (_, index) => index),
    previousDay: last >= 1 ? [last - 1] : [],
  };
}

/** Segments of some days summed, scaled to a per-day mean (a trailing average's bytes). */
function sideOf(breakdown: BreakdownTraffic[], indexes: readonly number[]): BreakdownTraffic | null {
  const days = indexes.map((index) => breakdown[index]).filter((day) => day !== undefined);
  const first = days[0];
  if (first === undefined) return null;
  const folded = foldSegments(
    first.dimensions,
    days.flatMap((day) => day.rows),
  );
  const scale = 1 / days.length;
  const rows: SegmentTraffic[] = [...folded.values()].map((row) => ({
    values: row.values,
    http: row.http * scale,
    p2p: row.p2p * scale,
  }));
  return { dimensions: first.dimensions, rows };
}

/** Each breakdown read, day by day, then each of its dimensions alone, without repeats. */
function breakdownsByDay(data: ReportData): BreakdownTraffic[][] {
  const seen = new Set<string>();
  const all: BreakdownTraffic[][] = [];
  const add = (days: BreakdownTraffic[]) => {
    const key = breakdownKeyOf(days[0]?.dimensions ?? []);
    if (days.length === 0 || seen.has(key)) return;
    seen.add(key);
    all.push(days);
  };
  const pairs = data.breakdowns.map((breakdown) =>
    breakdown.days.map((rows): BreakdownTraffic => ({ dimensions: breakdown.dimensions, rows })),
  );
  for (const days of pairs) add(days);
  for (const days of pairs) {
    const dimensions = days[0]?.dimensions ?? [];
    if (dimensions.length < 2) continue;
    for (const dimension of dimensions) add(days.map((day) => rollUp(day, [dimension])));
  }
  return all;
}

function driversAgainst(
  byDay: readonly BreakdownTraffic[][],
  indexes: readonly number[],
  last: number,
): BreakdownDrivers[] {
  return byDay.flatMap((days): BreakdownDrivers[] => {
    const before = sideOf(days, indexes);
    const after = days[last];
    if (before === null || after === undefined) return [];
    return [
      {
        key: breakdownKeyOf(after.dimensions),
        offload: decomposeOffload(before, after),
        delivered: decomposeDelivered(before, after),
      },
    ];
  });
}

function blamesOf(drivers: readonly BreakdownDrivers[]): Record<BlamedMetric, Blame | null> {
  return {
    offload: blame(drivers.flatMap((set) => (set.offload ? [set.offload] : []))),
    delivered: blame(drivers.map((set) => set.delivered)),
  };
}

function dayTrafficOf(data: ReportData): DayTraffic[] {
  const { windows } = data.scope;
  const days = windows.map((window) => ({ date: window.date, http: 0, p2p: 0 }));
  for (const bucket of data.buckets) {
    const day = days.find((_, index) => {
      const window = windows[index] as LocalDayWindow;
      return bucket.timestamp >= window.from && bucket.timestamp < window.to;
    });
    if (day === undefined) continue;
    day.http += bucket.http;
    day.p2p += bucket.p2p;
  }
  return days;
}

export function explainReport(
  data: ReportData,
  baselines: Baselines,
  options: ExplainOptions,
): ReportInsights {
  const { scope } = data;
  const { windows, date } = scope;
  const last = windows.length - 1;
  const indexes = baselineIndexes(windows, date);
  const byDay = breakdownsByDay(data);

  const blames: Partial<Record<ComparisonName, Record<BlamedMetric, Blame | null>>> = {};
  const driversOf: Partial<Record<ComparisonName, BreakdownDrivers[]>> = {};
  for (const name of ['sameWeekdayLastWeek', 'trailing', 'previousDay'] as const) {
    if (indexes[name].length === 0 || baselines[name] === null) continue;
    const drivers = driversAgainst(byDay, indexes[name], last);
    driversOf[name] = drivers;
    blames[name] = blamesOf(drivers);
  }
  const headline = buildHeadline({
    date,
    day: baselines.day,
    baselines: {
      sameWeekdayLastWeek: baselines.sameWeekdayLastWeek,
      trailing: baselines.trailing,
      previousDay: baselines.previousDay,
    },
    materiality: options.materiality ?? DEFAULT_MATERIALITY,
    blames,
  });

  const localDays = dayTrafficOf(data);
  // The trend's local days are exact: a history day of the same date gives way to them.
  const firstLocal = windows[0]?.date ?? date;
  const older = data.history.filter((day) => day.date < firstLocal);
  const month = date.slice(0, 7);
  const monthDays = [...older, ...localDays].filter((day) => day.date.startsWith(month) && day.date <= date);
  const savings = savingsOf({
    date,
    days: monthDays,
    ...(options.price ? { price: options.price } : {}),
    currency: options.currency,
  });
  const firstHistoryDate = addDays(date, 1 - HISTORY_DAYS);
  const history = [
    ...older.map((day) => ({ ...day, utcDay: scope.historyInUtcDays })),
    ...localDays.map((day) => ({ ...day, utcDay: false })),
  ]
    .filter((day) => day.date >= firstHistoryDate && day.date <= date)
    .map((day) => ({ ...day, delivered: day.http + day.p2p, offload: offloadOf(day.http, day.p2p) }));

  const lead = headline.lead;
  return {
    headline,
    driversAgainst: lead,
    drivers: lead === null ? [] : (driversOf[lead] ?? []),
    blames: (lead === null ? undefined : blames[lead]) ?? { offload: null, delivered: null },
    savings,
    peaks: peaksOf({
      buckets: data.buckets,
      window: windows[last] as LocalDayWindow,
      bucketMs: scope.trendBucketMs,
      timeZone: scope.timeZone,
    }),
    history,
  };
}
