import { describe, expect, it } from 'vitest';
import type { Dimension } from '../../lambdas/core/contract.ts';
import { blame } from '../../lambdas/core/insights/blame.ts';
import { decomposeOffload, type OffloadDecomposition } from '../../lambdas/core/insights/drivers.ts';
import { type BreakdownTraffic, rollUp } from '../../lambdas/core/insights/segments.ts';

const PAIR: Dimension[] = ['country.code', 'isp.name'];
const COUNTRIES = ['DE', 'FR', 'IT'];
/** X is in every country; each country also has two ISPs of its own. */
const ISPS: Record<string, string[]> = {
  DE: ['X', 'DE-1', 'DE-2'],
  FR: ['X', 'FR-1', 'FR-2'],
  IT: ['X', 'IT-1', 'IT-2'],
};

function world(offloadOf: (country: string, isp: string) => number): BreakdownTraffic {
  return {
    dimensions: PAIR,
    rows: COUNTRIES.flatMap((country) =>
      (ISPS[country] ?? []).map((isp) => {
        const delivered = 1_000_000;
        const p2p = Math.round(delivered * offloadOf(country, isp));
        return { values: [country, isp], http: delivered - p2p, p2p };
      }),
    ),
  };
}

/** Country, ISP and the pair, as the watch and the report decompose them. */
function decompositions(before: BreakdownTraffic, after: BreakdownTraffic): OffloadDecomposition[] {
  return [['country.code'], ['isp.name'], PAIR].flatMap((dimensions) => {
    const view = (side: BreakdownTraffic) =>
      dimensions.length === 2 ? side : rollUp(side, dimensions as Dimension[]);
    return decomposeOffload(view(before), view(after)) ?? [];
  });
}

const normal = world(() => 0.6);

describe('blame across breakdowns', () => {
  it('names the pair for an incident on one ISP in one country', () => {
    const incident = world((country, isp) => (country === 'DE' && isp === 'X' ? 0.1 : 0.6));
    const result = blame(decompositions(normal, incident));
    expect(result?.name).toBe('ISP X DE');
    expect(result?.segment).toEqual({ dimensions: PAIR, values: ['DE', 'X'] });
    expect(result?.shareExplained).toBeCloseTo(1, 9);
    // Its parts explained as much; they are listed as the alternatives.
    expect(result?.alternatives.map((candidate) => candidate.name).sort()).toEqual(['Country DE', 'ISP X']);
  });

  it('names the ISP alone for an incident on that ISP in every country', () => {
    const incident = world((_, isp) => (isp === 'X' ? 0.1 : 0.6));
    const result = blame(decompositions(normal, incident));
    expect(result?.name).toBe('ISP X');
    expect(result?.shareExplained).toBeCloseTo(1, 9);
  });

  it('names the country for a drop across all of its ISPs', () => {
    const incident = world((country) => (country === 'FR' ? 0.2 : 0.6));
    expect(blame(decompositions(normal, incident))?.name).toBe('Country FR');
  });

  it('still names the pair when the rest of its country moved against the drop', () => {
    const incident = world((country, isp) =>
      country === 'DE' && isp === 'X' ? 0.1 : country === 'DE' ? 0.65 : 0.6,
    );
    const result = blame(decompositions(normal, incident));
    expect(result?.name).toBe('ISP X DE');
    expect(result?.shareExplained).toBeGreaterThan(1);
  });

  it('blames nobody when the change is spread thinly over many segments', () => {
    const many = (offload: number): BreakdownTraffic => ({
      dimensions: PAIR,
      rows: Array.from({ length: 10 }, (_, index) => ({
        values: [`C${index}`, `ISP${index}`],
        http: 1000 * (1 - offload),
        p2p: 1000 * offload,
      })),
    });
    expect(blame(decompositions(many(0.6), many(0.5)))).toBeNull();
  });

  it('never blames a segment that moved against the change, nor the grouped row', () => {
    const before: BreakdownTraffic = {
      dimensions: ['country.code'],
      rows: [
        { values: ['DE'], http: 500, p2p: 500 },
        { values: ['FR'], http: 500, p2p: 500 },
        ...Array.from({ length: 50 }, (_, index) => ({ values: [`Z${index}`], http: 5, p2p: 5 })),
      ],
    };
    const after: BreakdownTraffic = {
      dimensions: ['country.code'],
      rows: [
        { values: ['DE'], http: 500, p2p: 500 },
        { values: ['FR'], http: 400, p2p: 600 },
        ...Array.from({ length: 50 }, (_, index) => ({ values: [`Z${index}`], http: 10, p2p: 0 })),
      ],
    };
    const decomposition = decomposeOffload(before, after, { minShare: 0.1 });
    // The small ones (grouped) pulled offload down; FR pushed it up against the change.
    expect(decomposition?.other?.shareExplained).toBeGreaterThan(1);
    expect(blame(decomposition ? [decomposition] : [])).toBeNull();
  });

  it('returns null without any decomposition', () => {
    expect(blame([])).toBeNull();
  });
});
