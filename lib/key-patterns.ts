/**
 * IAM resource patterns for the lake's keys, derived from the writer's own key functions rather
 * than restated. A key function is called for a few sample windows; every position where the keys
 * differ becomes `?` (exactly one character), every other position stays literal. The result
 * admits exactly the keys of that shape and contains no `*`, so the policy needs no wildcard that
 * a reviewer must be argued into.
 */
import { CADENCE_MS, type DatasetDefinition } from '../lambdas/core/datasets.ts';

/**
 * Window starts whose UTC date and hour digits differ in every position that can vary within the
 * years 2000-2999: year 2000/2111, month 01/12, day 01/22/30, hour 00/13/19.
 */
const SAMPLE_STARTS = [
  Date.UTC(2000, 0, 1, 0),
  Date.UTC(2111, 11, 22, 13),
  Date.UTC(2089, 9, 30, 19),
  Date.UTC(2045, 5, 18, 6),
];

export class KeyPatternError extends Error {
  override readonly name = 'KeyPatternError';
}

/** The `?` pattern matching every key `keyOf` returns for a window start of `dataset`. */
export function keyPattern(dataset: DatasetDefinition, keyOf: (start: number) => string): string {
  const length = CADENCE_MS[dataset.cadence];
  const keys = SAMPLE_STARTS.map((start) => keyOf(start - (start % length)));
  const first = keys[0] as string;
  if (keys.some((key) => key.length !== first.length)) {
    throw new KeyPatternError(
      `keys of dataset "${dataset.name}" do not all have the same length (${keys.join(', ')}), so no ?-pattern covers them`,
    );
  }
  return [...first].map((char, index) => (keys.every((key) => key[index] === char) ? char : '?')).join('');
}
