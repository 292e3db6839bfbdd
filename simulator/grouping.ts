/**
 * Which segments an export covers and how they group: the filters pick the members, the
 * requested dimensions group them, and the groups are sorted as the API sorts rows.
 */
import type { Dimension, Filters } from '../lambdas/core/contract.ts';
import type { Population } from './population.ts';

/** The segments a request covers, grouped by its dimension values, groups in output order. */
export interface ResolvedExport {
  readonly dimensions: readonly Dimension[];
  /** Indices of the segments that pass the filters. */
  readonly members: Int32Array;
  /** Group of each member, by position in `members`. */
  readonly groupOf: Int32Array;
  /** Dimension values of each group, in request order; groups sorted as the API sorts rows. */
  readonly groups: readonly (readonly (string | null)[])[];
}

/**
 * Row order: by each dimension value in request order, an unknown (null) value first, strings by
 * UTF-16 code units (plain JavaScript string comparison).
 */
export function compareDimensionValues(a: readonly (string | null)[], b: readonly (string | null)[]): number {
  for (let index = 0; index < a.length; index++) {
    const left = a[index] ?? null;
    const right = b[index] ?? null;
    if (left === right) continue;
    if (left === null) return -1;
    if (right === null) return 1;
    return left < right ? -1 : 1;
  }
  return 0;
}

function passesFilters(population: Population, segment: number, filters: Filters | undefined): boolean {
  if (!filters) return true;
  for (const [dimension, allowed] of Object.entries(filters) as [Dimension, readonly string[]][]) {
    const value = population.values[dimension][segment];
    if (value === null || value === undefined || !allowed.includes(value)) return false;
  }
  return true;
}

export function resolveExport(
  population: Population,
  dimensions: readonly Dimension[],
  filters: Filters | undefined,
): ResolvedExport {
  const selected: number[] = [];
  for (let segment = 0; segment < population.size; segment++) {
    if (passesFilters(population, segment, filters)) selected.push(segment);
  }
  const members = Int32Array.from(selected);
  const keyOf = (segment: number) => dimensions.map((d) => population.values[d][segment] ?? null);
  const byKey = new Map<string, (string | null)[]>();
  const memberKeys: string[] = [];
  for (const segment of members) {
    const values = keyOf(segment);
    const key = JSON.stringify(values);
    memberKeys.push(key);
    if (!byKey.has(key)) byKey.set(key, values);
  }
  // Without dimensions there is always one group, even when the filters match no segment.
  if (byKey.size === 0) byKey.set('[]', []);
  const sorted = [...byKey.entries()].sort(([, a], [, b]) => compareDimensionValues(a, b));
  const rank = new Map(sorted.map(([key], index) => [key, index]));
  const groupOf = Int32Array.from(memberKeys, (key) => rank.get(key) ?? 0);
  return { dimensions, members, groupOf, groups: sorted.map(([, values]) => values) };
}
