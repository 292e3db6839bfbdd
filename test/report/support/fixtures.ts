/**
 * Hand-built report inputs: every trend bucket of a plan filled by a function, and segment totals
 * given as plain lists, so a test knows every number that goes in.
 */
import type { BucketTotals, ReportData, SegmentTotals } from '../../../lambdas/core/report/gather.ts';
import {
  SEGMENT_DIMENSIONS,
  type SegmentDimension,
  scopeReport,
} from '../../../lambdas/core/report/scope.ts';

export interface FixtureOptions {
  readonly date: string;
  readonly timeZone: string;
  readonly now: number;
  /** Metrics of the bucket starting at `timestamp`; `dayIndex` 7 is the report day, 6 the day before. */
  readonly bucket: (timestamp: number, dayIndex: number) => Omit<BucketTotals, 'timestamp'>;
  readonly segments?: Partial<
    Record<SegmentDimension, { current: readonly SegmentTotals[]; previous: readonly SegmentTotals[] }>
  >;
  /** Daily bytes before the trend's days. */
  readonly history?: ReportData['history'];
}

export function fixtureData(options: FixtureOptions): ReportData {
  const scope = scopeReport({ date: options.date, timeZone: options.timeZone, now: options.now });
  const buckets: BucketTotals[] = [];
  const offset = 8 - scope.windows.length;
  for (let t = scope.trendQuery.from; t < scope.trendQuery.to; t += scope.trendBucketMs) {
    const dayIndex = scope.windows.findIndex((window) => t >= window.from && t < window.to) + offset;
    buckets.push({ timestamp: t, ...options.bucket(t, dayIndex) });
  }
  // Each dimension's lists as a breakdown of its own: the previous day, then the report day.
  const last = scope.windows.length - 1;
  const breakdowns = SEGMENT_DIMENSIONS.map((dimension) => {
    const given = options.segments?.[dimension] ?? { current: [], previous: [] };
    const rowsOf = (totals: readonly SegmentTotals[]) =>
      totals.map((entry) => ({ values: [entry.value], http: entry.http, p2p: entry.p2p }));
    return {
      dimensions: [dimension],
      days: scope.windows.map((_, index) =>
        index === last ? rowsOf(given.current) : index === last - 1 ? rowsOf(given.previous) : [],
      ),
    };
  });
  return { scope, buckets, breakdowns, history: options.history ?? [] };
}

export const ZERO_BUCKET = { http: 0, p2p: 0, played: 0, rebuffered: 0, sessions: 0 } as const;

/** Walks any value and returns the paths of numbers that are NaN or infinite. */
export function nonFiniteNumbers(value: unknown, path = '$'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value))
    return value.flatMap((item, index) => nonFiniteNumbers(item, `${path}[${index}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => nonFiniteNumbers(item, `${path}.${key}`));
  }
  return [];
}
