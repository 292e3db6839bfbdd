/**
 * The fewest API requests the contract allows for the report's figures, worked out from its rules,
 * to print beside the requests the report makes (`npm run bench`):
 * - a request carries at most `MAX_DIMENSIONS` dimensions, and its rows add up to the totals, so
 *   the totals can ride on a dimensioned request of the same interval and range;
 * - a figure can only come from an interval whose buckets divide its boundaries and whose look-back
 *   reaches its start;
 * - each request is split where the interval's longest range says (`splitQuery`).
 */
import { INTERVAL_LIMITS, type Interval, MAX_DIMENSIONS } from '../contract.ts';
import { splitQuery } from '../query-split.ts';
import type { ExportQuery } from '../source.ts';
import { type ReportScope, SEGMENT_DIMENSIONS } from './scope.ts';

function requestsOf(query: ExportQuery, now: number): number {
  return splitQuery(query, { now }).length;
}

function reaches(interval: Interval, from: number, now: number): boolean {
  const { lookBackMs } = INTERVAL_LIMITS[interval];
  return lookBackMs === null || from >= now - lookBackMs;
}

/** The least number of requests that give every figure of the scope's report. */
export function minimumReportRequests(scope: ReportScope, now: number): number {
  const trend = scope.trendQuery;
  const history = scope.historyQuery;
  const dimensionRequests = Math.ceil(SEGMENT_DIMENSIONS.length / MAX_DIMENSIONS);
  const segmentInterval = scope.breakdownQueries[0]?.interval ?? trend.interval;
  const options: number[] = [];
  // The totals ride on the dimensioned requests at the trend's interval; the history apart.
  options.push(dimensionRequests * requestsOf(trend, now) + requestsOf(history, now));
  // Or the dimensioned requests read daily buckets over the history and the trend's days, when
  // daily buckets cut the report's days exactly; the hourly totals apart.
  if (segmentInterval === '1d') {
    options.push(requestsOf(trend, now) + dimensionRequests * requestsOf({ ...history, to: trend.to }, now));
  }
  // Or the trend's interval reaches back over the history too: one interval for everything.
  if (reaches(trend.interval, history.from, now)) {
    options.push(dimensionRequests * requestsOf({ ...trend, from: history.from }, now));
  }
  return Math.min(...options);
}
