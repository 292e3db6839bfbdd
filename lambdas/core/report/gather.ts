/**
 * Reads what the report needs through an ExportSource: the trend query (a few hundred buckets),
 * one query per breakdown pair over the same days, and the daily history before them. Breakdown
 * rows are folded into per-day segment totals as they stream in, so memory grows with the number
 * of distinct segments, not with rows.
 */
import { type Dimension, type ExportRow, METRICS, type Metric } from '../contract.ts';
import { utcDateOf } from '../dates.ts';
import type { DayTraffic } from '../insights/savings.ts';
import { type SegmentTraffic, segmentKeyOf } from '../insights/segments.ts';
import type { ExportSource, ExportStreamOptions } from '../source.ts';
import type { ReportScope } from './scope.ts';
import { type LocalDayWindow, windowIndexOf } from './time.ts';

/** One bucket of the trend query: every metric, 0 where the API sent none. */
export interface BucketTotals extends Readonly<Record<Metric, number>> {
  readonly timestamp: number;
}

export interface SegmentTotals {
  /** The dimension value; null when the API could not tell (an unlocated country, say). */
  readonly value: string | null;
  readonly http: number;
  readonly p2p: number;
}

/** One breakdown's segments, day by day. */
export interface BreakdownDays {
  readonly dimensions: readonly Dimension[];
  /** Aligned with the scope's `windows`: each day's segments with traffic. */
  readonly days: readonly (readonly SegmentTraffic[])[];
}

/** Everything the summary is computed from. Small, and plain data, so tests can build it by hand. */
export interface ReportData {
  readonly scope: ReportScope;
  /** Buckets of the trend query, in time order. */
  readonly buckets: readonly BucketTotals[];
  /** One per breakdown read (the scope's pairs; tests may give single dimensions). */
  readonly breakdowns: readonly BreakdownDays[];
  /** Daily bytes before the trend's days, oldest first (`scope.historyQuery`). */
  readonly history: readonly DayTraffic[];
}

function metric(row: ExportRow, name: Metric): number {
  return row.metrics[name] ?? 0;
}

export function bucketTotalsOf(row: ExportRow): BucketTotals {
  const totals = { timestamp: row.timestamp } as Record<'timestamp' | Metric, number>;
  for (const name of METRICS) totals[name] = metric(row, name);
  return totals;
}

/** Folds a breakdown's rows into per-day segment totals, one list per window. */
export async function accumulateBreakdown(
  rows: AsyncIterable<ExportRow>,
  dimensions: readonly Dimension[],
  windows: readonly LocalDayWindow[],
): Promise<BreakdownDays> {
  const perDay = windows.map(
    () => new Map<string, { values: (string | null)[]; http: number; p2p: number }>(),
  );
  for await (const row of rows) {
    const totals = perDay[windowIndexOf(windows, row.timestamp)];
    if (totals === undefined) continue;
    const values = dimensions.map((dimension) => row.dimensions[dimension] ?? null);
    const key = segmentKeyOf(values);
    const entry = totals.get(key) ?? { values, http: 0, p2p: 0 };
    entry.http += metric(row, 'http');
    entry.p2p += metric(row, 'p2p');
    totals.set(key, entry);
  }
  return { dimensions, days: perDay.map((totals) => [...totals.values()]) };
}

/** Daily bytes per UTC day of 1d buckets. */
export async function accumulateHistory(rows: AsyncIterable<ExportRow>): Promise<DayTraffic[]> {
  const days: DayTraffic[] = [];
  for await (const row of rows) {
    days.push({ date: utcDateOf(row.timestamp), http: metric(row, 'http'), p2p: metric(row, 'p2p') });
  }
  return days.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

export async function gatherReportData(
  source: ExportSource,
  scope: ReportScope,
  options: ExportStreamOptions = {},
): Promise<ReportData> {
  const buckets: BucketTotals[] = [];
  // Queries run one after another: the API's rate limit is unpublished and shared with the lake.
  for await (const row of source.rows(scope.trendQuery, options)) buckets.push(bucketTotalsOf(row));
  buckets.sort((a, b) => a.timestamp - b.timestamp);

  const breakdowns: BreakdownDays[] = [];
  for (const query of scope.breakdownQueries) {
    breakdowns.push(
      await accumulateBreakdown(source.rows(query, options), query.dimensions ?? [], scope.windows),
    );
  }
  const history = await accumulateHistory(source.rows(scope.historyQuery, options));
  return { scope, buckets, breakdowns, history };
}
