/**
 * Splits a query over any [from, to) into the fewest API-legal requests. The contract's tables
 * (bucket lengths, range and look-back limits) and its rules for the interval and the bounds come
 * from contract.ts; this file only applies them.
 */

import {
  type ContractViolation,
  type ExportRequest,
  findIntervalViolation,
  findTimestampViolation,
  finestIntervalReaching,
  INTERVAL_LIMITS,
} from './contract.ts';
import { isoTime } from './dates.ts';
import { ExportRequestInvalidError, LookBackError } from './export-errors.ts';
import type { ExportQuery } from './source.ts';

export interface SplitOptions {
  /** The clock the look-back limits are measured from, in epoch ms. */
  readonly now: number;
}

function refuse(violation: ContractViolation, query: ExportQuery): never {
  throw new ExportRequestInvalidError(violation.field, violation.message, { request: query });
}

/**
 * Returns the fewest requests that cover [query.from, query.to) exactly once, each aligned to the
 * interval and within its range limit, in time order. An empty range gives no requests.
 *
 * Throws ExportRequestInvalidError (naming the field) for an unknown interval or an unaligned,
 * non-integer or reversed range, and LookBackError when `from` is older than the interval's
 * look-back at `now`. Metrics, dimensions and filters are passed through untouched: the client
 * checks every planned request against the whole contract before sending it.
 */
export function splitQuery(query: ExportQuery, options: SplitOptions): ExportRequest[] {
  const intervalViolation = findIntervalViolation(query.interval);
  if (intervalViolation) refuse(intervalViolation, query);
  for (const field of ['from', 'to'] as const) {
    // Never widen an unaligned bound silently: the lake and the report pass aligned windows.
    const violation = findTimestampViolation(field, query[field], query.interval);
    if (violation) refuse(violation, query);
  }
  const { from, to } = query;
  if (to < from) {
    throw new ExportRequestInvalidError(
      'to',
      `"to" (${isoTime(to)}) must not be before "from" (${isoTime(from)}); the range is [from, to)`,
      { request: query },
    );
  }
  if (to === from) return [];

  const { interval } = query;
  const limit = INTERVAL_LIMITS[interval];
  if (limit.lookBackMs !== null) {
    const oldestAllowedMs = options.now - limit.lookBackMs;
    if (from < oldestAllowedMs) {
      const suggestedInterval = finestIntervalReaching(from, options.now, to);
      throw new LookBackError(
        `"from" (${isoTime(from)}) is older than the ${interval} interval reaches back: the oldest allowed at ${isoTime(options.now)} is ${isoTime(oldestAllowedMs)}. ` +
          `Use the ${suggestedInterval} interval (the finest that reaches that far), or move "from" later.`,
        { interval, oldestAllowedMs, suggestedInterval },
        { request: query },
      );
    }
  }

  const { from: _from, to: _to, ...shape } = query;
  const step = limit.maxRangeMs ?? to - from;
  const requests: ExportRequest[] = [];
  for (let start = from; start < to; start += step) {
    requests.push({ ...shape, from: start, to: Math.min(to, start + step) });
  }
  return requests;
}
