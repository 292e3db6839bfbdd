import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { bucketLabelOf, gbpsOf, peaksOf } from '../../lambdas/core/insights/peaks.ts';
import type { BucketTotals } from '../../lambdas/core/report/gather.ts';
import { localDayWindow } from '../../lambdas/core/report/time.ts';

const window = localDayWindow('2026-11-30', 'Europe/Berlin');

function bucket(timestamp: number, delivered: number, sessions: number): BucketTotals {
  return { timestamp, http: delivered / 2, p2p: delivered / 2, played: 0, rebuffered: 0, sessions };
}

describe('the day’s peaks', () => {
  const hourly = Array.from({ length: 26 }, (_, index) => {
    const t = window.from - TIME.HOUR + index * TIME.HOUR;
    const localHour = index - 1;
    // 450 GB in the 20:00 hour is 1 Gbps on average; sessions peak at 21:00.
    return bucket(t, localHour === 20 ? 450e9 : 100e9, localHour === 21 ? 5000 : 1000);
  });
  // A bigger bucket outside the day must not count.
  hourly.push(bucket(window.to, 900e9, 9000));

  it('finds the highest delivery rate and the most sessions, with their local times and bucket', () => {
    const peaks = peaksOf({ buckets: hourly, window, bucketMs: TIME.HOUR, timeZone: 'Europe/Berlin' });
    expect(peaks.deliveredGbps?.value).toBeCloseTo(1, 12);
    expect(peaks.deliveredGbps?.clock).toBe('20:00');
    expect(peaks.deliveredGbps?.localTime).toBe('2026-11-30T20:00+01:00');
    expect(peaks.deliveredGbps?.start).toBe(Date.UTC(2026, 10, 30, 19));
    expect(peaks.deliveredGbps?.end).toBe(Date.UTC(2026, 10, 30, 20));
    expect(peaks.deliveredGbps?.bucketLabel).toBe('1h');
    expect(peaks.sessions?.value).toBe(5000);
    expect(peaks.sessions?.clock).toBe('21:00');
  });

  it('gives ties to the earliest bucket and has no peak without traffic', () => {
    const flat = [bucket(window.from + TIME.HOUR, 10, 1), bucket(window.from, 10, 1)];
    expect(
      peaksOf({ buckets: flat, window, bucketMs: TIME.HOUR, timeZone: 'UTC' }).deliveredGbps?.start,
    ).toBe(window.from);
    const empty = peaksOf({
      buckets: [bucket(window.from, 0, 0)],
      window,
      bucketMs: TIME.HOUR,
      timeZone: 'UTC',
    });
    expect(empty).toEqual({ deliveredGbps: null, sessions: null });
  });

  it('measures a rate on the bucket it was given', () => {
    expect(gbpsOf(450e9, TIME.HOUR)).toBeCloseTo(1, 12);
    expect(gbpsOf(75e9, 10 * TIME.MINUTE)).toBeCloseTo(1, 12);
    expect(bucketLabelOf(30 * TIME.MINUTE)).toBe('30m');
    expect(bucketLabelOf(7 * TIME.MINUTE)).toBe('7m');
    expect(() => peaksOf({ buckets: [], window, bucketMs: 0, timeZone: 'UTC' })).toThrow(RangeError);
  });
});
