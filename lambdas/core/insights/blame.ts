/**
 * One name for a change, chosen from the drivers of several breakdowns of it (country, ISP,
 * browser, and pairs such as ISP within country).
 *
 * The rule:
 * 1. The candidate that explains the largest share of the change is the first choice. A candidate
 *    that moved against the change (negative share) is never blamed.
 * 2. When that is a single dimension's segment (country DE), a pair that narrows it ((DE, ISP X))
 *    is named instead if it explains at least `specificEnough` (90%) as much: the pair is then
 *    the more precise name for the same thing. The best such pair wins.
 * 3. When even the first choice explains less than `minShareExplained` (25%), the change is spread
 *    over many segments and nobody is blamed (null).
 *
 * So an incident on ISP X in DE only, where DE, X and (DE, X) each explain about 100%, names the
 * pair; an incident on ISP X in every country, where X explains 100% but (DE, X) only DE's part,
 * names ISP X; a country-wide drop names the country. When X has 90% or more of its traffic in
 * one country the pair is named, which is then true of 90% of the change.
 */
import type { DriverSet } from './drivers.ts';
import { refines, type Segment, segmentName } from './segments.ts';

export const DEFAULT_MIN_SHARE_EXPLAINED = 0.25;
export const DEFAULT_SPECIFIC_ENOUGH = 0.9;
/** How many runners-up a blame lists besides its choice. */
export const BLAME_ALTERNATIVES = 3;

export interface BlameCandidate {
  readonly segment: Segment;
  /** `ISP Acme DE`: see `segmentName`. */
  readonly name: string;
  /** Its part of the change, in the metric's unit. */
  readonly contribution: number;
  /** Its part over the whole change: 0.71 explains 71%. */
  readonly shareExplained: number;
}

export interface Blame extends BlameCandidate {
  /** The change every candidate's share is of. */
  readonly change: number;
  /** The next best candidates, most explaining first, for a "see also" line. */
  readonly alternatives: readonly BlameCandidate[];
}

export interface BlameOptions {
  /** @default DEFAULT_MIN_SHARE_EXPLAINED */
  readonly minShareExplained?: number;
  /** @default DEFAULT_SPECIFIC_ENOUGH */
  readonly specificEnough?: number;
}

function candidatesOf(sets: readonly DriverSet[]): BlameCandidate[] {
  return sets.flatMap((set) =>
    set.drivers.flatMap((row): BlameCandidate[] =>
      row.segment !== null && row.shareExplained !== null && row.shareExplained > 0
        ? [
            {
              segment: row.segment,
              name: segmentName(row.segment),
              contribution: row.contribution,
              shareExplained: row.shareExplained,
            },
          ]
        : [],
    ),
  );
}

function mostExplainingFirst(a: BlameCandidate, b: BlameCandidate): number {
  return (
    b.shareExplained - a.shareExplained ||
    b.segment.dimensions.length - a.segment.dimensions.length ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** Names the segment (or pair) to blame for the change the driver sets decompose, or null. */
export function blame(sets: readonly DriverSet[], options: BlameOptions = {}): Blame | null {
  const minShareExplained = options.minShareExplained ?? DEFAULT_MIN_SHARE_EXPLAINED;
  const specificEnough = options.specificEnough ?? DEFAULT_SPECIFIC_ENOUGH;
  const candidates = candidatesOf(sets).sort(mostExplainingFirst);
  const first = candidates[0];
  if (first === undefined || first.shareExplained < minShareExplained) return null;

  const narrower = candidates.filter(
    (candidate) =>
      refines(candidate.segment, first.segment) &&
      candidate.shareExplained >= specificEnough * first.shareExplained,
  );
  const chosen = narrower[0] ?? first;
  const change = sets.find((set) => set.drivers.length > 0)?.change ?? 0;
  return {
    ...chosen,
    change,
    alternatives: candidates.filter((candidate) => candidate !== chosen).slice(0, BLAME_ALTERNATIVES),
  };
}
