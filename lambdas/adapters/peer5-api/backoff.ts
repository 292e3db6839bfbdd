/** Retry timing: exponential backoff with full jitter, and the server's Retry-After. */

/** setTimeout's ceiling: Node turns a longer timer into 1 ms, and a deadline further away needs none. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

/**
 * Full jitter: a uniform draw from [0, min(maxDelay, base * 2^retry)), `retry` counting from 0.
 * Spreading retries over the whole window (rather than around its end) is what lets a client out of
 * a rate limit that counts refused requests: the ceiling doubles until calls are sparse enough.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(policy.random() * ceiling);
}

/**
 * Reads a `Retry-After` header, either delay-seconds or an HTTP date, as milliseconds from `now`.
 * Returns undefined when the header is absent or unreadable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date always names its month; this keeps "-1" and the like from parsing as a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
