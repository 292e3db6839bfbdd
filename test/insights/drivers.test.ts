import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dimension } from '../../lambdas/core/contract.ts';
import {
  DEFAULT_MIN_SEGMENT_SHARE,
  decomposeDelivered,
  decomposeOffload,
  decompositionTolerance,
  type OffloadDriver,
} from '../../lambdas/core/insights/drivers.ts';
import { type BreakdownTraffic, SegmentInputError } from '../../lambdas/core/insights/segments.ts';
import { MIN_DROP_SHARE } from '../../lambdas/core/report/figures.ts';

const COUNTRY: Dimension[] = ['country.code'];

/** `{ DE: [http, p2p] }` as a one-dimension breakdown. */
function byCountry(rows: Record<string, readonly [number, number]>): BreakdownTraffic {
  return {
    dimensions: COUNTRY,
    rows: Object.entries(rows).map(([value, [http, p2p]]) => ({ values: [value], http, p2p })),
  };
}

function row(rows: readonly OffloadDriver[], value: string): OffloadDriver {
  const found = rows.find((entry) => entry.segment?.values[0] === value);
  if (found === undefined) throw new Error(`no row for ${value}`);
  return found;
}

describe('the offload decomposition on hand-computed cases', () => {
  it('puts a segment whose own offload fell entirely in its rate effect', () => {
    const result = decomposeOffload(
      byCountry({ DE: [500, 500], FR: [200, 800] }),
      byCountry({ DE: [800, 200], FR: [200, 800] }),
    );
    expect(result?.change).toBeCloseTo(-0.15, 15);
    const de = row(result?.drivers ?? [], 'DE');
    expect(de.mix).toBe(0);
    expect(de.rate).toBeCloseTo(-0.15, 15);
    expect(de.shareExplained).toBeCloseTo(1, 12);
    expect(row(result?.drivers ?? [], 'FR').contribution).toBe(0);
    expect(result?.drivers[0]?.segment?.values).toEqual(['DE']);
  });

  it('credits no mix to a segment that only grew while having the average offload', () => {
    const result = decomposeOffload(
      byCountry({ DE: [500, 500], FR: [500, 500] }),
      byCountry({ DE: [1500, 1500], FR: [500, 500] }),
    );
    expect(result?.change).toBe(0);
    for (const driver of result?.drivers ?? []) {
      expect(driver.mix).toBe(0);
      expect(driver.rate).toBe(0);
    }
  });

  it('splits a pure shift of traffic into mix effects measured against the overall offload', () => {
    // DE (80% offload) grows from half to three quarters of the bytes; FR (40%) stays as it was.
    const result = decomposeOffload(
      byCountry({ DE: [200, 800], FR: [600, 400] }),
      byCountry({ DE: [600, 2400], FR: [600, 400] }),
    );
    expect(result?.change).toBeCloseTo(0.1, 15);
    expect(result?.reference).toBeCloseTo(0.65, 15);
    const de = row(result?.drivers ?? [], 'DE');
    const fr = row(result?.drivers ?? [], 'FR');
    expect(de.mix).toBeCloseTo(0.25 * (0.8 - 0.65), 15);
    expect(fr.mix).toBeCloseTo(-0.25 * (0.4 - 0.65), 15);
    expect(de.rate).toBe(0);
    expect(fr.rate).toBe(0);
    expect(fr.shareExplained).toBeCloseTo(0.625, 12);
    expect(de.shareExplained).toBeCloseTo(0.375, 12);
    expect(result?.drivers.map((driver) => driver.segment?.values[0])).toEqual(['FR', 'DE']);
  });

  it('treats a segment that appears as all mix, with its offload on the side it has', () => {
    const result = decomposeOffload(
      byCountry({ DE: [500, 500] }),
      byCountry({ DE: [500, 500], JP: [100, 900] }),
    );
    const jp = row(result?.drivers ?? [], 'JP');
    expect(jp.before).toEqual({ delivered: 0, share: 0, offload: null });
    expect(jp.after.offload).toBeCloseTo(0.9, 15);
    expect(jp.rate).toBe(0);
    expect(jp.mix).toBeCloseTo(0.5 * (0.9 - 0.6), 15);
    expect(jp.shareExplained).toBeCloseTo(0.75, 12);
    expect(row(result?.drivers ?? [], 'DE').mix).toBeCloseTo(0.05, 15);
  });

  it('treats a segment that disappears as the mirror image of one that appears', () => {
    const appears = decomposeOffload(
      byCountry({ DE: [500, 500] }),
      byCountry({ DE: [500, 500], JP: [100, 900] }),
    );
    const disappears = decomposeOffload(
      byCountry({ DE: [500, 500], JP: [100, 900] }),
      byCountry({ DE: [500, 500] }),
    );
    const jp = row(disappears?.drivers ?? [], 'JP');
    expect(jp.after).toEqual({ delivered: 0, share: 0, offload: null });
    expect(jp.mix).toBeCloseTo(-row(appears?.drivers ?? [], 'JP').mix, 15);
    expect(disappears?.change).toBeCloseTo(-(appears?.change ?? 0), 15);
  });

  it('gives a segment that moved against the change a negative share, ranked last', () => {
    // DE falls 20 points, FR rises 5: the total falls, and FR works against it.
    const result = decomposeOffload(
      byCountry({ DE: [500, 500], FR: [500, 500] }),
      byCountry({ DE: [700, 300], FR: [450, 550] }),
    );
    expect(result?.change).toBeCloseTo(-0.075, 15);
    expect(row(result?.drivers ?? [], 'DE').shareExplained).toBeCloseTo(0.1 / 0.075, 12);
    expect(row(result?.drivers ?? [], 'FR').shareExplained).toBeCloseTo(-0.025 / 0.075, 12);
    expect(result?.drivers.map((driver) => driver.segment?.values[0])).toEqual(['DE', 'FR']);
  });

  it('gives no percentages when the total change is negligible, and ranks by size instead', () => {
    // DE −10 pts, FR +10 pts on equal traffic: the total does not move.
    const result = decomposeOffload(
      byCountry({ DE: [500, 500], FR: [500, 500], IT: [500, 500] }),
      byCountry({ DE: [600, 400], FR: [400, 600], IT: [500, 500] }),
    );
    expect(Math.abs(result?.change ?? 1)).toBeLessThan(1e-15);
    expect(result?.drivers.every((driver) => driver.shareExplained === null)).toBe(true);
    expect(result?.drivers.at(-1)?.segment?.values).toEqual(['IT']);
  });

  it('returns null when either side had no traffic: there is no offload to explain', () => {
    expect(decomposeOffload(byCountry({}), byCountry({ DE: [1, 1] }))).toBeNull();
    expect(decomposeOffload(byCountry({ DE: [1, 1] }), byCountry({ DE: [0, 0] }))).toBeNull();
  });

  it('groups the segments under the minimum share on both sides into one other row', () => {
    const before = byCountry({ DE: [5000, 5000], FR: [3000, 3000], A: [10, 90], B: [40, 60], C: [0, 0] });
    const after = byCountry({ DE: [7000, 3000], FR: [3000, 3000], A: [90, 10], B: [50, 50], C: [0, 50] });
    const ungrouped = decomposeOffload(before, after, { minShare: 0 });
    const grouped = decomposeOffload(before, after, { minShare: 0.05 });
    expect(grouped?.other?.segmentCount).toBe(3);
    expect(grouped?.drivers.map((driver) => driver.segment?.values[0]).sort()).toEqual(['DE', 'FR']);
    // Named rows keep the figures they have without grouping; the group is the sum of its members.
    expect(row(grouped?.drivers ?? [], 'DE')).toEqual(row(ungrouped?.drivers ?? [], 'DE'));
    const members = (ungrouped?.drivers ?? []).filter((driver) =>
      ['A', 'B', 'C'].includes(driver.segment?.values[0] ?? ''),
    );
    expect(grouped?.other?.contribution).toBeCloseTo(
      members.reduce((sum, driver) => sum + driver.contribution, 0),
      15,
    );
    expect(grouped?.other?.before.delivered).toBe(200);
    expect(grouped?.other?.after.offload).toBeCloseTo(110 / 250, 15);
    expect(grouped?.other?.mix).toBeCloseTo(
      members.reduce((sum, driver) => sum + driver.mix, 0),
      15,
    );
  });

  it('keeps a segment that is big on one side only out of the group', () => {
    const result = decomposeOffload(
      byCountry({ DE: [99, 1], JP: [0, 0] }),
      byCountry({ DE: [1, 1], JP: [50, 50] }),
      {
        minShare: 0.5,
      },
    );
    expect(result?.drivers.map((driver) => driver.segment?.values[0]).sort()).toEqual(['DE', 'JP']);
    expect(result?.other).toBeNull();
  });

  it('defaults the minimum share to the report’s own floor', () => {
    expect(DEFAULT_MIN_SEGMENT_SHARE).toBe(MIN_DROP_SHARE);
  });

  it('folds rows listed twice for one segment', () => {
    const twice: BreakdownTraffic = {
      dimensions: COUNTRY,
      rows: [
        { values: ['DE'], http: 100, p2p: 100 },
        { values: ['DE'], http: 100, p2p: 100 },
      ],
    };
    expect(decomposeOffload(twice, twice)?.drivers[0]?.before.delivered).toBe(400);
  });

  it('refuses negative or non-finite bytes and breakdowns of different dimensions', () => {
    expect(() => decomposeOffload(byCountry({ DE: [-1, 1] }), byCountry({ DE: [1, 1] }))).toThrow(
      SegmentInputError,
    );
    expect(() => decomposeOffload(byCountry({ DE: [Number.NaN, 1] }), byCountry({ DE: [1, 1] }))).toThrow(
      /http/,
    );
    expect(() => decomposeOffload(byCountry({ DE: [1, 1] }), { dimensions: ['isp.name'], rows: [] })).toThrow(
      /same dimensions/,
    );
    expect(() =>
      decomposeOffload(byCountry({ DE: [1, 1] }), byCountry({ DE: [1, 1] }), { minShare: 2 }),
    ).toThrow(RangeError);
  });
});

describe('the delivered bytes decomposition', () => {
  it('gives each segment its difference of bytes and its share of the change', () => {
    const result = decomposeDelivered(
      byCountry({ DE: [600, 400], FR: [500, 500] }),
      byCountry({ DE: [300, 200], FR: [550, 550] }),
    );
    expect(result.change).toBe(-400);
    expect(result.changePercent).toBeCloseTo(-20, 12);
    expect(result.drivers.map((driver) => [driver.segment?.values[0], driver.contribution])).toEqual([
      ['DE', -500],
      ['FR', 100],
    ]);
    expect(result.drivers[0]?.shareExplained).toBeCloseTo(1.25, 12);
    expect(result.drivers[1]?.shareExplained).toBeCloseTo(-0.25, 12);
  });

  it('has no percent change and no percentages when nothing changed or nothing was delivered before', () => {
    const steady = decomposeDelivered(byCountry({ DE: [1, 1] }), byCountry({ DE: [1, 1] }));
    expect(steady.drivers[0]?.shareExplained).toBeNull();
    const fromNothing = decomposeDelivered(byCountry({}), byCountry({ DE: [1, 1] }));
    expect(fromNothing.changePercent).toBeNull();
    expect(fromNothing.drivers[0]?.shareExplained).toBe(1);
  });
});

/** Random breakdowns: segments present on one side, both, or neither, with any byte counts. */
const sideArbitrary = fc.option(
  fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 })),
  { nil: null, freq: 4 },
);
const segmentsArbitrary = fc.uniqueArray(
  fc.record({ key: fc.integer({ min: 0, max: 500 }), before: sideArbitrary, after: sideArbitrary }),
  { selector: (segment) => segment.key, minLength: 1, maxLength: 60 },
);
const minShareArbitrary = fc.constantFrom(0, 0.001, 0.01, 0.05, 0.2, 1);

function sides(segments: { key: number; before: [number, number] | null; after: [number, number] | null }[]) {
  const side = (which: 'before' | 'after'): BreakdownTraffic => ({
    dimensions: ['isp.name', 'country.code'],
    rows: segments.flatMap((segment) => {
      const bytes = segment[which];
      return bytes === null
        ? []
        : [
            {
              values: [`isp${segment.key}`, segment.key % 3 === 0 ? null : 'DE'],
              http: bytes[0],
              p2p: bytes[1],
            },
          ];
    }),
  });
  return { before: side('before'), after: side('after') };
}

describe('the decomposition adds up (property)', () => {
  it('sums offload contributions, grouped row included, to the total change within the stated tolerance', () => {
    fc.assert(
      fc.property(segmentsArbitrary, minShareArbitrary, (segments, minShare) => {
        const { before, after } = sides(segments);
        const result = decomposeOffload(before, after, { minShare });
        const hasTraffic = (side: BreakdownTraffic) => side.rows.some((entry) => entry.http + entry.p2p > 0);
        if (!hasTraffic(before) || !hasTraffic(after)) {
          expect(result).toBeNull();
          return;
        }
        if (result === null) throw new Error('expected a decomposition');
        const rows = [...result.drivers, ...(result.other ? [result.other] : [])];
        const total = rows.reduce((sum, entry) => sum + entry.contribution, 0);
        const tolerance = decompositionTolerance(segments.length);
        expect(Math.abs(total - result.change)).toBeLessThanOrEqual(tolerance);
        expect(Math.abs(result.residual)).toBeLessThanOrEqual(tolerance);
        for (const entry of rows) expect(entry.mix + entry.rate).toBe(entry.contribution);
        const shares = rows.map((entry) => entry.shareExplained);
        if (shares.every((share) => share !== null)) {
          expect(Math.abs((shares as number[]).reduce((sum, share) => sum + share, 0) - 1)).toBeLessThan(
            1e-9,
          );
        }
        const grouped = rows.reduce((sum, entry) => sum + entry.segmentCount, 0);
        const withTraffic = segments.filter(
          (s) => (s.before?.[0] ?? 0) + (s.before?.[1] ?? 0) + (s.after?.[0] ?? 0) + (s.after?.[1] ?? 0) > 0,
        );
        expect(grouped).toBe(withTraffic.length);
      }),
      { numRuns: 500 },
    );
  });

  it('negates every figure when before and after are swapped', () => {
    fc.assert(
      fc.property(segmentsArbitrary, minShareArbitrary, (segments, minShare) => {
        const { before, after } = sides(segments);
        const forward = decomposeOffload(before, after, { minShare });
        const backward = decomposeOffload(after, before, { minShare });
        if (forward === null || backward === null) return;
        expect(backward.change === -forward.change).toBe(true);
        const byKey = new Map(
          backward.drivers.map((entry) => [JSON.stringify(entry.segment?.values), entry]),
        );
        for (const entry of forward.drivers) {
          const mirror = byKey.get(JSON.stringify(entry.segment?.values));
          // Exactly opposite (=== treats 0 and -0 alike).
          expect(mirror?.mix === -entry.mix).toBe(true);
          expect(mirror?.rate === -entry.rate).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('sums delivered contributions to the change of bytes exactly', () => {
    fc.assert(
      fc.property(segmentsArbitrary, minShareArbitrary, (segments, minShare) => {
        const { before, after } = sides(segments);
        const result = decomposeDelivered(before, after, { minShare });
        const rows = [...result.drivers, ...(result.other ? [result.other] : [])];
        expect(rows.reduce((sum, entry) => sum + entry.contribution, 0)).toBe(result.change);
        expect(result.residual).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
