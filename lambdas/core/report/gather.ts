/**
 * Reads what the report needs through an ExportSource: the trend query (a few hundred buckets) and
 * one query per segment dimension. Segment rows are folded into per-value totals as they stream
 * in, so memory grows with the number of distinct countries, browsers and ISPs, not with rows.
 */
import { type ExportRow, METRICS, type Metric } from '../contract.ts';
import type { ExportSource, ExportStreamOptions } from '../source.ts';
import { type ReportScope, SEGMENT_DIMENSIONS, type SegmentDimension } from './scope.ts';
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

export interface SegmentDays {
  readonly current: readonly SegmentTotals[];
  readonly previous: readonly SegmentTotals[];
}

/** Everything the summary is computed from. Small, and plain data, so tests can build it by hand. */
export interface ReportData {
  readonly scope: ReportScope;
  /** Buckets of the trend query, in time order. */
  readonly buckets: readonly BucketTotals[];
  readonly segments: Readonly<Record<SegmentDimension, SegmentDays>>;
}

function metric(row: ExportRow, name: Metric): number {
  return row.metrics[name] ?? 0;
}

export function bucketTotalsOf(row: ExportRow): BucketTotals {
  const totals = { timestamp: row.timestamp } as Record<'timestamp' | Metric, number>;
  for (const name of METRICS) totals[name] = metric(row, name);
  return totals;
}

/**
 * Folds a dimension's rows into per-value totals for the report day (`current`) and the day before
 * (`previous`). `windows` is the previous day then the report day, or just the report day.
 */
export async function accumulateSegments(
  rows: AsyncIterable<ExportRow>,
  dimension: SegmentDimension,
  windows: readonly LocalDayWindow[],
): Promise<SegmentDays> {
  const perDay = windows.map(() => new Map<string | null, { http: number; p2p: number }>());
  for await (const row of rows) {
    const totals = perDay[windowIndexOf(windows, row.timestamp)];
    if (totals === undefined) continue;
    const value = row.dimensions[dimension] ?? null;
    const entry = totals.get(value) ?? { http: 0, p2p: 0 };
    entry.http += metric(row, 'http');
    entry.p2p += metric(row, 'p2p');
    totals.set(value, entry);
  }
  const asList = (totals: Map<string | null, { http: number; p2p: number }> | undefined): SegmentTotals[] =>
    [...(totals ?? new Map()).entries()].map(([value, entry]) => ({ value, ...entry }));
  const current = perDay.at(-1);
  const previous = perDay.length > 1 ? perDay.at(-2) : undefined;
  return { current: asList(current), previous: asList(previous) };
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

  const segmentWindows = scope.windows.slice(-2);
  const segments = {} as Record<SegmentDimension, SegmentDays>;
  for (const dimension of SEGMENT_DIMENSIONS) {
    segments[dimension] = await accumulateSegments(
      source.rows(scope.segmentQueries[dimension], options),
      dimension,
      segmentWindows,
    );
  }
  return { scope, buckets, segments };
}
