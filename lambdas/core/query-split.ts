/**
 * Splits a query over any [from, to) into the fewest API-legal requests. The contract's tables
 * (bucket lengths, range and look-back limits) come from contract.ts; this file only applies them.
 */

import {
  type ExportRequest,
  finestIntervalReaching,
  INTERVAL_LIMITS,
  INTERVAL_MS,
  INTERVALS,
  isInterval,
  MIN_MILLISECOND_TIMESTAMP,
} from './contract.ts';
import { ExportRequestInvalidError, LookBackError } from './export-errors.ts';
import type { ExportQuery } from './source.ts';

export interface SplitOptions {
  /** The clock the look-back limits are measured from, in epoch ms. */
  readonly now: number;
}

/** An ISO 8601 rendering for messages; a value no Date can hold is shown as it is. */
export function isoTime(ms: unknown): string {
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15
    ? new Date(ms).toISOString()
    : String(ms);
}

function checkBound(field: 'from' | 'to', value: unknown, query: ExportQuery): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ExportRequestInvalidError(
      field,
      `"${field}" must be an integer timestamp in milliseconds; got ${String(value)}`,
      { request: query },
    );
  }
  if (value < MIN_MILLISECOND_TIMESTAMP) {
    throw new ExportRequestInvalidError(
      field,
      `"${field}" must be in milliseconds; ${value} looks like seconds (multiply by 1000)`,
      { request: query },
    );
  }
  const bucket = INTERVAL_MS[query.interval];
  if (value % bucket !== 0) {
    // Never widen silently: the lake and the report pass aligned windows, so this is a caller bug.
    throw new ExportRequestInvalidError(
      field,
      `"${field}" (${isoTime(value)}) must be aligned to the ${query.interval} interval, a multiple of ${bucket} ms since the Unix epoch`,
      { request: query },
    );
  }
  return value;
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
  if (!isInterval(query.interval)) {
    throw new ExportRequestInvalidError(
      'interval',
      `"interval" must be one of ${INTERVALS.join(', ')}; got ${JSON.stringify(query.interval)}`,
      { request: query },
    );
  }
  const from = checkBound('from', query.from, query);
  const to = checkBound('to', query.to, query);
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
