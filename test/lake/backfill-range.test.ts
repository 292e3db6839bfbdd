import { describe, expect, it } from 'vitest';
import { LAKE_EPOCH, LAKE_EPOCH_RULE } from '../../lambdas/core/datasets.ts';
import {
  BackfillRangeError,
  backfillRangeProblems,
  checkBackfillRange,
} from '../../lambdas/core/lake/backfill-range.ts';

const day = (date: string) => Date.parse(`${date}T00:00:00Z`);

describe('backfillRangeProblems', () => {
  it('finds nothing wrong with a range from the first day of the lake on', () => {
    expect(backfillRangeProblems({ from: day(LAKE_EPOCH), to: day('2015-01-02') })).toEqual([]);
    expect(backfillRangeProblems({ from: day('2024-05-01'), to: day('2024-05-01') + 1 })).toEqual([]);
  });

  it('names "to" when the range is empty or backwards', () => {
    const rule = 'must be after "from" (the range is [from, to))';
    expect(backfillRangeProblems({ from: day('2024-05-02'), to: day('2024-05-01') })).toEqual([
      { field: 'to', rule },
    ]);
    expect(backfillRangeProblems({ from: day('2024-05-01'), to: day('2024-05-01') })).toEqual([
      { field: 'to', rule },
    ]);
  });

  it('names "from" when the range starts before the first day of the lake', () => {
    expect(backfillRangeProblems({ from: day('2014-12-31'), to: day('2015-01-02') })).toEqual([
      { field: 'from', rule: LAKE_EPOCH_RULE },
    ]);
  });

  it('lists every rule a range breaks, the empty range first', () => {
    expect(
      backfillRangeProblems({ from: day('2014-12-31'), to: day('2014-12-30') }).map(({ field }) => field),
    ).toEqual(['to', 'from']);
  });

  it('names the other bound the way the caller names its fields', () => {
    const [problem] = backfillRangeProblems({ from: 2, to: 1 }, (field) => `--${field}`);
    expect(problem?.rule).toBe('must be after --from (the range is [from, to))');
  });

  it('refuses a bound that is not a whole number of milliseconds, and compares nothing else', () => {
    expect(backfillRangeProblems({ from: Number.NaN, to: 1.5 })).toEqual([
      { field: 'from', rule: 'must be a whole number of milliseconds' },
      { field: 'to', rule: 'must be a whole number of milliseconds' },
    ]);
  });
});

describe('checkBackfillRange', () => {
  it('passes a good range', () => {
    expect(() => checkBackfillRange({ from: day('2024-05-01'), to: day('2024-05-02') })).not.toThrow();
  });

  it('throws BackfillRangeError naming the range and every problem', () => {
    const check = () => checkBackfillRange({ from: day('2014-12-31'), to: day('2014-12-30') });
    expect(check).toThrow(BackfillRangeError);
    expect(check).toThrow(
      `backfill range [2014-12-31T00:00:00.000Z, 2014-12-30T00:00:00.000Z) must have "from" before "to" and start in the lake: "to" must be after "from" (the range is [from, to)); "from" ${LAKE_EPOCH_RULE}`,
    );
  });

  it('shows a bound that is no moment as the number it is', () => {
    expect(() => checkBackfillRange({ from: Number.NaN, to: 1 })).toThrow(
      /\[NaN, 1970-01-01T00:00:00\.001Z\)/,
    );
  });
});
