/**
 * The `?` patterns of the lake's keys, derived from the writer's key functions: they admit every
 * key a window start of the dataset's cadence produces, in the years 2000-2999, and no other.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CADENCE_MS,
  type DatasetDefinition,
  DEFAULT_DATASETS,
  windowAt,
} from '../../lambdas/core/datasets.ts';
import { provisionalMarkerKey } from '../../lambdas/core/lake/keys.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import { KeyPatternError, keyPattern } from '../../lib/key-patterns.ts';
import { iamPattern } from './iam-pattern.ts';

function datasetOf(cadence: DatasetDefinition['cadence']): DatasetDefinition {
  const dataset = DEFAULT_DATASETS.find((candidate) => candidate.cadence === cadence);
  if (!dataset) throw new Error(`no default dataset is ${cadence}`);
  return dataset;
}

const HOURLY = datasetOf('hourly');
const DAILY = datasetOf('daily');

const windowKey = (dataset: DatasetDefinition) => (start: number) =>
  objectKey('peer5', windowAt(dataset, start));

/** Window starts of `dataset`'s cadence from 2000-01-01 to the end of 2999. */
function windowStarts(dataset: DatasetDefinition) {
  const length = CADENCE_MS[dataset.cadence];
  return fc
    .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(3000, 0, 1) - 1 })
    .map((instant) => instant - (instant % length));
}

describe('a key pattern', () => {
  it('turns every position where the keys differ into ? and keeps the others literal', () => {
    const hourOf = (start: number) => `logs/${new Date(start).toISOString().slice(0, 13)}.txt`;
    expect(keyPattern(HOURLY, hourOf)).toBe('logs/2???-??-??T??.txt');
    // A daily window starts at midnight, so the hour never varies.
    expect(keyPattern(DAILY, hourOf)).toBe('logs/2???-??-??T00.txt');
    expect(keyPattern(HOURLY, () => 'peer5/_runs/lease.json')).toBe('peer5/_runs/lease.json');
  });

  it("follows the writer's layout of windows and provisional markers, with no *", () => {
    expect(keyPattern(HOURLY, windowKey(HOURLY))).toBe(
      `peer5/${HOURLY.name}/dt=2???-??-??/hour=??/${HOURLY.name}_2???-??-??T??.csv.gz`,
    );
    expect(keyPattern(DAILY, windowKey(DAILY))).toBe(
      `peer5/${DAILY.name}/dt=2???-??-??/${DAILY.name}_2???-??-??.csv.gz`,
    );
    expect(keyPattern(HOURLY, (start) => provisionalMarkerKey('peer5', HOURLY, start))).toBe(
      `peer5/_provisional/${HOURLY.name}/2???-??-??T??:00:00.000Z`,
    );
  });

  it('admits the key of every window start of the cadence in the years 2000-2999', () => {
    for (const dataset of [HOURLY, DAILY]) {
      const pattern = iamPattern(keyPattern(dataset, windowKey(dataset)));
      fc.assert(
        fc.property(windowStarts(dataset), (start) => pattern.test(windowKey(dataset)(start))),
        { numRuns: 500 },
      );
    }
  });

  it('admits no key of another prefix, another dataset, or with characters added or taken away', () => {
    const pattern = iamPattern(keyPattern(HOURLY, windowKey(HOURLY)));
    const other = DEFAULT_DATASETS.find((dataset) => dataset.cadence === 'hourly' && dataset !== HOURLY);
    fc.assert(
      fc.property(windowStarts(HOURLY), (start) => {
        const key = windowKey(HOURLY)(start);
        expect(pattern.test(`${key}.tmp`)).toBe(false);
        expect(pattern.test(key.slice(0, -1))).toBe(false);
        expect(pattern.test(objectKey('other', windowAt(HOURLY, start)))).toBe(false);
        if (other) expect(pattern.test(objectKey('peer5', windowAt(other, start)))).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(other).toBeDefined();
  });

  it('refuses keys that do not all have the same length, naming the dataset', () => {
    // Milliseconds since 1970 have 12 digits in 2000 and 13 from 2001 on.
    const millisecondsOf = (start: number) => `peer5/${start}.csv.gz`;
    expect(() => keyPattern(HOURLY, millisecondsOf)).toThrow(KeyPatternError);
    expect(() => keyPattern(HOURLY, millisecondsOf)).toThrow(
      `keys of dataset "${HOURLY.name}" do not all have the same length`,
    );
  });
});
