/**
 * The simulator's settings and injected faults, with one validator per setting shared by the
 * library, the admin endpoints and the command line. Every error names the field and the rule.
 */
import { SEGMENT_LIMITS } from './population.ts';

export type SimulatorFault =
  | {
      status: 429 | 500 | 502 | 503 /** Whole seconds, or a header value sent as is. */;
      retryAfter?: number | string;
    }
  | { kind: 'delay'; ms: number }
  | { kind: 'drip'; bytes: number; everyMs: number }
  | { kind: 'truncate' }
  | { kind: 'reset' }
  | { kind: 'error-body' }
  | { kind: 'html' };

export interface RateLimit {
  readonly requests: number;
  readonly windowMs?: number;
}

export interface ResolvedRateLimit {
  readonly requests: number;
  readonly windowMs: number;
}

export const DEFAULT_RATE_WINDOW_MS = 60_000;
export const FAULT_STATUSES = [429, 500, 502, 503] as const;
const FAULT_KINDS = ['delay', 'drip', 'truncate', 'reset', 'error-body', 'html'] as const;
/** A delay longer than this is a mistake, not a slow answer; a test wanting "never" uses this. */
const MAX_DELAY_MS = 3_600_000;
/** The largest piece a drip sends at a time. */
const MAX_DRIP_BYTES = 1024 * 1024;
/** A header value is visible ASCII (and tabs and spaces): a line break would end the header. */
const HEADER_VALUE = /^[\t\x20-\x7e]+$/;

export class SimulatorConfigError extends Error {
  override readonly name = 'SimulatorConfigError';
}

export function fail(message: string): never {
  throw new SimulatorConfigError(message);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(`"${field}" must be an integer from ${min} to ${max}; got ${JSON.stringify(value)}`);
  }
  return value;
}

export function parseSegments(value: unknown, field = 'segments'): number {
  return parseInteger(value, field, SEGMENT_LIMITS.min, SEGMENT_LIMITS.max);
}

export function parseSeed(value: unknown, field = 'seed'): number {
  return parseInteger(value, field, 0, 0xffff_ffff);
}

export function parsePort(value: unknown, field = 'port'): number {
  return parseInteger(value, field, 0, 65_535);
}

export function parseClock(value: unknown, field = 'now'): number {
  return parseInteger(value, field, 0, Number.MAX_SAFE_INTEGER);
}

export function parseLateDataDelay(value: unknown, field = 'lateDataDelayMs'): number {
  return parseInteger(value, field, 0, 30 * 24 * 3_600_000);
}

export function parseRateLimit(value: unknown, field = 'rateLimit'): ResolvedRateLimit | null {
  if (value === null) return null;
  if (!isObject(value)) {
    fail(`"${field}" must be null (no limit) or an object {"requests": N, "windowMs": M}`);
  }
  const extra = Object.keys(value).find((key) => key !== 'requests' && key !== 'windowMs');
  if (extra !== undefined)
    fail(`"${field}" has unknown field ${JSON.stringify(extra)}; allowed: requests, windowMs`);
  const requests = parseInteger(value.requests, `${field}.requests`, 1, Number.MAX_SAFE_INTEGER);
  const windowMs =
    value.windowMs === undefined
      ? DEFAULT_RATE_WINDOW_MS
      : parseInteger(value.windowMs, `${field}.windowMs`, 1, Number.MAX_SAFE_INTEGER);
  return { requests, windowMs };
}

export function parseTokens(value: unknown, field = 'tokens'): string[] {
  if (!Array.isArray(value) || value.length === 0) fail(`"${field}" must be a non-empty array of strings`);
  for (const token of value) {
    if (typeof token !== 'string' || token.length === 0)
      fail(`"${field}" must only contain non-empty strings`);
  }
  return value as string[];
}

export function parseHost(value: unknown, field = 'host'): string {
  if (typeof value !== 'string' || value.length === 0) fail(`"${field}" must be a non-empty host name`);
  return value;
}

function describeFaultShapes(): string {
  return `{"status": ${FAULT_STATUSES.join('|')}} or {"kind": ${FAULT_KINDS.map((k) => `"${k}"`).join('|')}}`;
}

/**
 * A status fault's `Retry-After`: whole seconds as a number, or any header value as a string (an
 * HTTP date, or a number too large for a timer), sent as given.
 */
function parseRetryAfterField(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && HEADER_VALUE.test(value)) return value;
  fail(
    `"${field}" must be whole seconds (a number from 0) or a header value (a string of printable ASCII); got ${JSON.stringify(value)}`,
  );
}

export function parseFault(value: unknown, field: string): SimulatorFault {
  if (!isObject(value)) fail(`"${field}" must be an object: ${describeFaultShapes()}`);
  if ('status' in value) {
    const { status } = value;
    if (!(FAULT_STATUSES as readonly unknown[]).includes(status)) {
      fail(`"${field}.status" must be one of ${FAULT_STATUSES.join(', ')}; got ${JSON.stringify(status)}`);
    }
    const extra = Object.keys(value).find((key) => key !== 'status' && key !== 'retryAfter');
    if (extra !== undefined)
      fail(`"${field}" has unknown field ${JSON.stringify(extra)}; allowed: status, retryAfter`);
    const fault = { status: status as (typeof FAULT_STATUSES)[number] };
    return value.retryAfter === undefined
      ? fault
      : { ...fault, retryAfter: parseRetryAfterField(value.retryAfter, `${field}.retryAfter`) };
  }
  const { kind } = value;
  switch (kind) {
    case 'delay':
      return { kind, ms: parseInteger(value.ms, `${field}.ms`, 0, MAX_DELAY_MS) };
    case 'drip':
      return {
        kind,
        bytes: parseInteger(value.bytes, `${field}.bytes`, 1, MAX_DRIP_BYTES),
        everyMs: parseInteger(value.everyMs, `${field}.everyMs`, 1, MAX_DELAY_MS),
      };
    case 'truncate':
    case 'reset':
    case 'error-body':
    case 'html':
      return { kind };
    default:
      fail(
        `"${field}.kind" must be one of ${FAULT_KINDS.join(', ')} (or give "status"); got ${JSON.stringify(kind)}`,
      );
  }
}

export function parseFaults(value: unknown, field = 'faults'): SimulatorFault[] {
  if (!Array.isArray(value)) fail(`"${field}" must be an array of faults: ${describeFaultShapes()}`);
  return value.map((fault, index) => parseFault(fault, `${field}[${index}]`));
}

export interface ConfigPatch {
  segments?: number;
  rateLimit?: ResolvedRateLimit | null;
  lateDataDelayMs?: number;
  tokens?: string[];
}

const CONFIG_FIELDS = ['segments', 'rateLimit', 'lateDataDelayMs', 'tokens'] as const;

/** The body of `POST /_sim/config`: any of the live settings. */
export function parseConfigPatch(body: unknown): ConfigPatch {
  if (!isObject(body)) fail(`the body must be a JSON object with any of ${CONFIG_FIELDS.join(', ')}`);
  const unknownField = Object.keys(body).find((key) => !(CONFIG_FIELDS as readonly string[]).includes(key));
  if (unknownField !== undefined) {
    fail(`unknown field ${JSON.stringify(unknownField)}; allowed: ${CONFIG_FIELDS.join(', ')}`);
  }
  const patch: ConfigPatch = {};
  if (body.segments !== undefined) patch.segments = parseSegments(body.segments);
  if (body.rateLimit !== undefined) patch.rateLimit = parseRateLimit(body.rateLimit);
  if (body.lateDataDelayMs !== undefined) patch.lateDataDelayMs = parseLateDataDelay(body.lateDataDelayMs);
  if (body.tokens !== undefined) patch.tokens = parseTokens(body.tokens);
  return patch;
}

/** The body of `POST /_sim/clock`. */
export function parseClockBody(body: unknown): number {
  if (!isObject(body)) fail('the body must be a JSON object {"now": <epoch ms>}');
  return parseClock(body.now);
}

/** The body of `POST /_sim/faults`. */
export function parseFaultsBody(body: unknown): SimulatorFault[] {
  if (!isObject(body)) fail('the body must be a JSON object {"faults": [...]}');
  return parseFaults(body.faults);
}
