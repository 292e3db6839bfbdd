/**
 * The day's peaks from the report's trend buckets: the highest delivery rate and the most
 * concurrent sessions, each with when it happened in the report's time zone and the bucket length
 * it was measured on. A peak is only as sharp as its buckets: a 1h bucket's rate is that hour's
 * average, so a 5-minute spike reads lower, and the email says which bucket it used.
 *
 * - Delivered rate: (http + p2p) bytes × 8 / bucket seconds, in Gbps (10^9 bits per second, the
 *   decimal unit networks are measured in).
 * - Sessions: the API's `sessions` is already the bucket's average of concurrent sessions.
 * Ties go to the earliest bucket; a day with no traffic (or no sessions) has no peak (null).
 */
import { INTERVAL_MS, type Interval } from '../contract.ts';
import type { BucketTotals } from '../report/gather.ts';
import { type LocalDayWindow, localClock, localIsoMinute } from '../report/time.ts';

export const BITS_PER_GIGABIT = 1e9;

export interface Peak {
  readonly value: number;
  /** The bucket's first instant, ms since the epoch, and the first instant after it. */
  readonly start: number;
  readonly end: number;
  /** Local `HH:MM` of the bucket start. */
  readonly clock: string;
  /** Local ISO date-time with offset, e.g. `2026-11-30T20:00+01:00`. */
  readonly localTime: string;
  readonly bucketMs: number;
  /** The bucket as the API names it (`1h`, `30m`). */
  readonly bucketLabel: string;
}

export interface Peaks {
  readonly deliveredGbps: Peak | null;
  readonly sessions: Peak | null;
}

export interface PeakOptions {
  readonly buckets: readonly BucketTotals[];
  /** The report day's window: only buckets that start inside it count. */
  readonly window: LocalDayWindow;
  readonly bucketMs: number;
  readonly timeZone: string;
}

/** `1h` for 3,600,000 ms, or minutes when the API has no such interval. */
export function bucketLabelOf(bucketMs: number): string {
  const interval = (Object.keys(INTERVAL_MS) as Interval[]).find((name) => INTERVAL_MS[name] === bucketMs);
  return interval ?? `${Math.round(bucketMs / 60_000)}m`;
}

/** Average delivery rate of a bucket, in Gbps. */
export function gbpsOf(deliveredBytes: number, bucketMs: number): number {
  return (deliveredBytes * 8) / (bucketMs / 1000) / BITS_PER_GIGABIT;
}

export function peaksOf(options: PeakOptions): Peaks {
  const { buckets, window, bucketMs, timeZone } = options;
  if (!(bucketMs > 0)) throw new RangeError(`bucketMs must be more than 0; got ${bucketMs}`);
  const peakOf = (measure: (bucket: BucketTotals) => number): Peak | null => {
    let best: { bucket: BucketTotals; value: number } | null = null;
    for (const bucket of buckets) {
      if (bucket.timestamp < window.from || bucket.timestamp >= window.to) continue;
      const value = measure(bucket);
      if (!(value > 0)) continue;
      if (
        best === null ||
        value > best.value ||
        (value === best.value && bucket.timestamp < best.bucket.timestamp)
      ) {
        best = { bucket, value };
      }
    }
    if (best === null) return null;
    const start = best.bucket.timestamp;
    return {
      value: best.value,
      start,
      end: start + bucketMs,
      clock: localClock(start, timeZone),
      localTime: localIsoMinute(start, timeZone),
      bucketMs,
      bucketLabel: bucketLabelOf(bucketMs),
    };
  };
  return {
    deliveredGbps: peakOf((bucket) => gbpsOf(bucket.http + bucket.p2p, bucketMs)),
    sessions: peakOf((bucket) => bucket.sessions),
  };
}
