/**
 * The Peer5 `/export` contract, as data. The simulator, the client's validation and the query splitter
 * all read these tables, so a rule is written once.
 */
import * as z from 'zod';
import { isoTime } from './dates.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const TIME = { MINUTE, HOUR, DAY } as const;

/** Where the Peer5 API is served, unless the `apiBaseUrl` setting says otherwise. */
export const DEFAULT_BASE_URL = 'https://control.peer5.com/v1';

/** Bucket length of every interval the API accepts, in milliseconds. */
export const INTERVAL_MS = {
  '1m': MINUTE,
  '5m': 5 * MINUTE,
  '10m': 10 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '3h': 3 * HOUR,
  '12h': 12 * HOUR,
  '1d': DAY,
  '7d': 7 * DAY,
  '14d': 14 * DAY,
} as const;

export type Interval = keyof typeof INTERVAL_MS;
export const INTERVALS = Object.keys(INTERVAL_MS) as Interval[];

export interface IntervalLimit {
  /** Longest `to - from`, or null for no limit. */
  readonly maxRangeMs: number | null;
  /** How far before `now` the oldest `from` may be, or null for no limit. */
  readonly lookBackMs: number | null;
}

export const INTERVAL_LIMITS: Record<Interval, IntervalLimit> = {
  '1m': { maxRangeMs: 6 * HOUR, lookBackMs: 7 * DAY },
  '5m': { maxRangeMs: 6 * HOUR, lookBackMs: 7 * DAY },
  '10m': { maxRangeMs: 7 * DAY, lookBackMs: 14 * DAY },
  '30m': { maxRangeMs: 7 * DAY, lookBackMs: 14 * DAY },
  '1h': { maxRangeMs: null, lookBackMs: 14 * DAY },
  '3h': { maxRangeMs: null, lookBackMs: 14 * DAY },
  '12h': { maxRangeMs: null, lookBackMs: 14 * DAY },
  '1d': { maxRangeMs: null, lookBackMs: null },
  '7d': { maxRangeMs: null, lookBackMs: null },
  '14d': { maxRangeMs: null, lookBackMs: null },
};

export const METRICS = ['http', 'p2p', 'played', 'rebuffered', 'sessions'] as const;
export type Metric = (typeof METRICS)[number];

export const DIMENSIONS = [
  'browser.name',
  'country.code',
  'city.name',
  'isp.name',
  'os.name',
  'session.page',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const MAX_DIMENSIONS = 2;

/** Timestamps below this are taken to be seconds, not milliseconds. */
export const MIN_MILLISECOND_TIMESTAMP = 1e11;

/**
 * Filters narrow an export to some values of some dimensions: keys from DIMENSIONS, each with a
 * non-empty list of exact values. One schema for the API request, a dataset's definition and the
 * report's settings.
 */
export const filtersSchema = z.partialRecord(
  z.enum(DIMENSIONS),
  z.array(z.string()).min(1, 'each filter needs at least one value').readonly(),
);
export type Filters = z.infer<typeof filtersSchema>;

export type ExportFormat = 'json' | 'csv';

/** The body of `POST /v1/export`. */
export interface ExportRequest {
  readonly from: number;
  readonly to: number;
  readonly interval: Interval;
  readonly metrics: readonly Metric[];
  readonly dimensions?: readonly Dimension[];
  readonly filters?: Filters;
}

/**
 * One row of an export: the bucket start, the requested dimensions (null when the value is
 * unknown) and the requested metrics.
 */
export interface ExportRow {
  readonly timestamp: number;
  readonly dimensions: Readonly<Partial<Record<Dimension, string | null>>>;
  readonly metrics: Readonly<Partial<Record<Metric, number>>>;
}

export function isInterval(value: unknown): value is Interval {
  return typeof value === 'string' && Object.hasOwn(INTERVAL_MS, value);
}

export function isDimension(value: unknown): value is Dimension {
  return typeof value === 'string' && (DIMENSIONS as readonly string[]).includes(value);
}

/** A broken rule of the contract: the field and a sentence that names the rule. */
export interface ContractViolation {
  readonly field: string;
  readonly message: string;
}

function describeDuration(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} day${ms === DAY ? '' : 's'}`;
  if (ms % HOUR === 0) return `${ms / HOUR} hour${ms === HOUR ? '' : 's'}`;
  return `${ms / MINUTE} minutes`;
}

/**
 * The rule of `from` and `to`: an integer count of milliseconds (not seconds), aligned to the
 * interval since the Unix epoch. Null when `value` keeps it.
 */
export function findTimestampViolation(
  field: 'from' | 'to',
  value: unknown,
  interval: Interval,
): ContractViolation | null {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    return {
      field,
      message: `"${field}" must be an integer timestamp in milliseconds; got ${String(value)}`,
    };
  }
  if (value < MIN_MILLISECOND_TIMESTAMP) {
    return {
      field,
      message: `"${field}" must be in milliseconds; ${value} looks like seconds (multiply by 1000)`,
    };
  }
  const bucket = INTERVAL_MS[interval];
  if (value % bucket !== 0) {
    return {
      field,
      message: `"${field}" must be a multiple of the ${interval} interval (${bucket} ms) since the Unix epoch; got ${isoTime(value)}`,
    };
  }
  return null;
}

/** The rule of `interval`: one the API knows. Null when `value` keeps it. */
export function findIntervalViolation(value: unknown): ContractViolation | null {
  return isInterval(value)
    ? null
    : {
        field: 'interval',
        message: `"interval" must be one of ${INTERVALS.join(', ')}; got ${JSON.stringify(value)}`,
      };
}

function checkNameList(
  field: 'metrics' | 'dimensions',
  value: unknown,
  allowed: readonly string[],
  options: { min: number; max: number },
): ContractViolation | null {
  if (!Array.isArray(value)) return { field, message: `"${field}" must be an array of strings` };
  if (value.length < options.min) return { field, message: `"${field}" must not be empty` };
  if (value.length > options.max) {
    return { field, message: `"${field}" allows at most ${options.max} entries, got ${value.length}` };
  }
  const seen = new Set<string>();
  for (const entry of value) {
    if (typeof entry !== 'string' || !allowed.includes(entry)) {
      return {
        field,
        message: `"${field}" has unknown value ${JSON.stringify(entry)}; allowed: ${allowed.join(', ')}`,
      };
    }
    if (seen.has(entry)) return { field, message: `"${field}" lists ${JSON.stringify(entry)} twice` };
    seen.add(entry);
  }
  return null;
}

function checkFilters(value: unknown): ContractViolation | null {
  if (value === undefined) return null;
  const result = filtersSchema.safeParse(value);
  if (result.success) return null;
  // The API's words for the schema's first complaint.
  const [issue] = result.error.issues;
  if (issue?.code === 'unrecognized_keys') {
    const key = String(issue.keys[0]);
    return {
      field: `filters.${key}`,
      message: `"filters" has unknown key ${JSON.stringify(key)}; allowed: ${DIMENSIONS.join(', ')}`,
    };
  }
  const key = issue?.path[0];
  if (key === undefined) return { field: 'filters', message: '"filters" must be an object' };
  return {
    field: `filters.${String(key)}`,
    message: `"filters.${String(key)}" must be a non-empty array of strings`,
  };
}

/**
 * Checks a request body against every rule of the contract, in a fixed order, and returns the
 * first rule it breaks, or null when the request is legal at `now`.
 */
export function findContractViolation(body: unknown, now: number): ContractViolation | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { field: 'body', message: 'the request body must be a JSON object' };
  }
  const request = body as Record<string, unknown>;
  const { interval } = request;
  if (!isInterval(interval)) return findIntervalViolation(interval);
  const fromViolation = findTimestampViolation('from', request.from, interval);
  if (fromViolation) return fromViolation;
  const toViolation = findTimestampViolation('to', request.to, interval);
  if (toViolation) return toViolation;
  const from = request.from as number;
  const to = request.to as number;
  if (from >= to)
    return { field: 'to', message: '"to" must be greater than "from" (the range is [from, to))' };

  const limit = INTERVAL_LIMITS[interval];
  if (limit.maxRangeMs !== null && to - from > limit.maxRangeMs) {
    return {
      field: 'to',
      message: `the ${interval} interval allows a range of at most ${describeDuration(limit.maxRangeMs)} ("to" - "from")`,
    };
  }
  if (limit.lookBackMs !== null && from < now - limit.lookBackMs) {
    return {
      field: 'from',
      message: `the ${interval} interval only reaches back ${describeDuration(limit.lookBackMs)}; "from" is too old`,
    };
  }

  const metricsViolation = checkNameList('metrics', request.metrics, METRICS, {
    min: 1,
    max: METRICS.length,
  });
  if (metricsViolation) return metricsViolation;
  if (request.dimensions !== undefined) {
    const dimensionsViolation = checkNameList('dimensions', request.dimensions, DIMENSIONS, {
      min: 0,
      max: MAX_DIMENSIONS,
    });
    if (dimensionsViolation) return dimensionsViolation;
  }
  return checkFilters(request.filters);
}

/**
 * Finest interval whose look-back still reaches `from` at `now` and whose buckets `from` and `to`
 * line up with, for error messages: a suggestion the API would refuse helps nobody.
 */
export function finestIntervalReaching(from: number, now: number, to: number = from): Interval {
  const reaching = INTERVALS.find((interval) => {
    const { lookBackMs } = INTERVAL_LIMITS[interval];
    const bucket = INTERVAL_MS[interval];
    return (lookBackMs === null || from >= now - lookBackMs) && from % bucket === 0 && to % bucket === 0;
  });
  return reaching ?? '1d';
}

export function alignDown(ms: number, interval: Interval): number {
  const bucket = INTERVAL_MS[interval];
  return Math.floor(ms / bucket) * bucket;
}
