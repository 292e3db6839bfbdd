import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ExportRequest,
  findContractViolation,
  INTERVAL_LIMITS,
  INTERVAL_MS,
  INTERVALS,
  type Interval,
  TIME,
} from '../../lambdas/core/contract.ts';
import { ExportRequestInvalidError, LookBackError } from '../../lambdas/core/export-errors.ts';
import { splitQuery } from '../../lambdas/core/query-split.ts';

const NOW = Date.UTC(2025, 5, 15, 12, 34, 56);

const base = { metrics: ['http', 'p2p'], dimensions: ['country.code'] } as const;

/** A random aligned range for an interval that the interval's look-back still reaches at NOW. */
const rangeArbitrary = fc.constantFrom(...INTERVALS).chain((interval) => {
  const bucket = INTERVAL_MS[interval];
  const { lookBackMs } = INTERVAL_LIMITS[interval];
  const oldest = Math.ceil((NOW - (lookBackMs ?? 400 * TIME.DAY)) / bucket);
  const newest = Math.floor((NOW + 2 * TIME.DAY) / bucket);
  return fc
    .tuple(fc.integer({ min: oldest, max: newest }), fc.integer({ min: 0, max: newest - oldest }))
    .map(([start, buckets]) => ({ interval, from: start * bucket, to: (start + buckets) * bucket }));
});

describe('splitQuery', () => {
  it('returns legal, aligned, ordered requests that cover the range exactly once with the fewest calls', () => {
    fc.assert(
      fc.property(rangeArbitrary, ({ interval, from, to }) => {
        const requests = splitQuery({ ...base, interval, from, to }, { now: NOW });
        const bucket = INTERVAL_MS[interval];
        const { maxRangeMs } = INTERVAL_LIMITS[interval];

        const expectedCount = from === to ? 0 : maxRangeMs === null ? 1 : Math.ceil((to - from) / maxRangeMs);
        expect(requests).toHaveLength(expectedCount);

        let cursor = from;
        for (const request of requests) {
          expect(findContractViolation(request, NOW)).toBeNull();
          expect(request.from % bucket).toBe(0);
          expect(request.to % bucket).toBe(0);
          // Contiguous and in order: each starts where the previous ended, so no gap and no overlap.
          expect(request.from).toBe(cursor);
          expect(request.to).toBeGreaterThan(request.from);
          cursor = request.to;
          expect(request).toMatchObject({ interval, metrics: base.metrics, dimensions: base.dimensions });
        }
        expect(cursor).toBe(requests.length === 0 ? from : to);
      }),
      { numRuns: 500 },
    );
  });

  it('passes metrics, dimensions and filters through to every request', () => {
    const filters = { 'country.code': ['BR', 'DE'] };
    const from = Date.UTC(2025, 5, 14);
    const requests = splitQuery(
      { interval: '1m', from, to: from + 13 * TIME.HOUR, metrics: ['sessions'], filters },
      { now: NOW },
    );
    expect(requests.map((r) => [r.from - from, r.to - from])).toEqual([
      [0, 6 * TIME.HOUR],
      [6 * TIME.HOUR, 12 * TIME.HOUR],
      [12 * TIME.HOUR, 13 * TIME.HOUR],
    ]);
    for (const request of requests) expect(request).toMatchObject({ metrics: ['sessions'], filters });
  });

  it('returns no requests for an empty range', () => {
    const at = Date.UTC(2025, 5, 15, 12);
    expect(splitQuery({ ...base, interval: '1h', from: at, to: at }, { now: NOW })).toEqual([]);
  });

  it('sends one request for an unlimited interval however long the range', () => {
    const requests = splitQuery(
      { ...base, interval: '1d', from: Date.UTC(2020, 0, 1), to: Date.UTC(2025, 0, 1) },
      { now: NOW },
    );
    expect(requests).toEqual([
      { ...base, interval: '1d', from: Date.UTC(2020, 0, 1), to: Date.UTC(2025, 0, 1) },
    ]);
  });

  it('lets a range reach into the future', () => {
    const from = Date.UTC(2025, 5, 15, 12);
    const requests = splitQuery({ ...base, interval: '5m', from, to: from + 12 * TIME.HOUR }, { now: NOW });
    expect(requests).toHaveLength(2);
  });

  it('rejects an unaligned "from" or "to" by name instead of widening the range', () => {
    const from = Date.UTC(2025, 5, 15, 10);
    const unalignedFrom = () =>
      splitQuery(
        { ...base, interval: '1h', from: from + TIME.MINUTE, to: from + TIME.HOUR * 2 },
        { now: NOW },
      );
    expect(unalignedFrom).toThrow(ExportRequestInvalidError);
    // The contract's own words (contract.ts), the ones the API answers with.
    expect(unalignedFrom).toThrow(
      '"from" must be a multiple of the 1h interval (3600000 ms) since the Unix epoch; got 2025-06-15T10:01:00.000Z',
    );
    try {
      splitQuery({ ...base, interval: '1h', from, to: from + 90 * TIME.MINUTE }, { now: NOW });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExportRequestInvalidError);
      expect((error as ExportRequestInvalidError).field).toBe('to');
      expect((error as Error).message).toBe(
        '"to" must be a multiple of the 1h interval (3600000 ms) since the Unix epoch; got 2025-06-15T11:30:00.000Z',
      );
    }
  });

  it('rejects timestamps in seconds, reversed ranges and unknown intervals, naming the field', () => {
    const fieldOf = (query: ExportRequest) => {
      try {
        splitQuery(query, { now: NOW });
      } catch (error) {
        expect(error).toBeInstanceOf(ExportRequestInvalidError);
        return [(error as ExportRequestInvalidError).field, (error as Error).message];
      }
      return expect.unreachable();
    };
    const from = Date.UTC(2025, 5, 15, 10);
    expect(fieldOf({ ...base, interval: '1h', from: from / 1000, to: from + TIME.HOUR })).toEqual([
      'from',
      expect.stringMatching(/looks like seconds/),
    ]);
    expect(fieldOf({ ...base, interval: '1h', from, to: from - TIME.HOUR })).toEqual([
      'to',
      expect.stringMatching(/must not be before "from"/),
    ]);
    expect(fieldOf({ ...base, interval: '2h' as Interval, from, to: from + TIME.HOUR })).toEqual([
      'interval',
      expect.stringMatching(/"interval" must be one of 1m, 5m/),
    ]);
  });

  it('throws LookBackError suggesting the finest interval that still reaches that far', () => {
    const from = Date.UTC(2025, 5, 5); // ten days before NOW: beyond 1m's 7 days, within 10m's 14
    try {
      splitQuery({ ...base, interval: '1m', from, to: from + TIME.HOUR }, { now: NOW });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LookBackError);
      const lookBack = error as LookBackError;
      expect(lookBack.name).toBe('LookBackError');
      expect(lookBack.field).toBe('from');
      expect(lookBack.interval).toBe('1m');
      expect(lookBack.oldestAllowedMs).toBe(NOW - 7 * TIME.DAY);
      expect(lookBack.suggestedInterval).toBe('10m');
      expect(lookBack.message).toContain('Use the 10m interval');
      expect(lookBack.message).toContain(new Date(NOW - 7 * TIME.DAY).toISOString());
    }
  });

  it('suggests only an interval whose buckets the range lines up with', () => {
    const from = Date.UTC(2025, 5, 5, 0, 1); // beyond 1m's look-back, and not on a 10m or 30m boundary
    try {
      splitQuery({ ...base, interval: '1m', from, to: from + TIME.HOUR }, { now: NOW });
      expect.unreachable();
    } catch (error) {
      expect((error as LookBackError).suggestedInterval).toBe('1d');
    }
    const onTheHour = Date.UTC(2025, 5, 5, 1);
    expect(() =>
      splitQuery({ ...base, interval: '1m', from: onTheHour, to: onTheHour + TIME.HOUR }, { now: NOW }),
    ).toThrow(/Use the 10m interval/);
  });

  it('suggests a daily interval when even the hourly ones do not reach back far enough', () => {
    const from = Date.UTC(2025, 4, 1);
    expect(() => splitQuery({ ...base, interval: '1h', from, to: from + TIME.DAY }, { now: NOW })).toThrow(
      /Use the 1d interval/,
    );
  });

  it('throws LookBackError for every interval and range that starts beyond its look-back', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INTERVALS.filter((i) => INTERVAL_LIMITS[i].lookBackMs !== null)),
        fc.integer({ min: 1, max: 1000 }),
        (interval, bucketsTooOld) => {
          const bucket = INTERVAL_MS[interval];
          const lookBackMs = INTERVAL_LIMITS[interval].lookBackMs ?? 0;
          const from = (Math.floor((NOW - lookBackMs) / bucket) - bucketsTooOld) * bucket;
          expect(() => splitQuery({ ...base, interval, from, to: from + bucket }, { now: NOW })).toThrow(
            LookBackError,
          );
        },
      ),
    );
  });
});
