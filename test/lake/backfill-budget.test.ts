import { describe, expect, it } from 'vitest';
import { backfillBudgetOf, backfillBudgetProblem } from '../../lambdas/core/lake/backfill-budget.ts';
import { SettingsError } from '../../lambdas/core/settings/errors.ts';
import { parseSettings } from '../../lambdas/core/settings/parse.ts';

const REQUIRED = { sender: 'reports@example.com', recipients: ['ops@example.com'] };

describe('the rate budget of a backfill on AWS', () => {
  it('keeps a fifth for the scheduled runs and shares the rest evenly among the items', () => {
    expect(backfillBudgetOf({ apiRequestsPerMinute: 30, backfillConcurrency: 4 })).toEqual({
      scheduledPerMinute: 6,
      backfillPerMinute: 24,
      itemPerMinute: 6,
      itemSpacingMs: 10_000,
    });
  });

  it('lets the items at once send no more together than their share', () => {
    for (const [limit, concurrency] of [
      [30, 1],
      [30, 24],
      [100, 7],
      [1_000, 40],
    ] as const) {
      const budget = backfillBudgetOf({ apiRequestsPerMinute: limit, backfillConcurrency: concurrency });
      expect(concurrency * (60_000 / budget.itemSpacingMs)).toBeLessThanOrEqual(
        budget.backfillPerMinute + 1e-9,
      );
    }
  });

  it('refuses a concurrency the budget cannot feed, naming both settings', () => {
    expect(backfillBudgetProblem({ apiRequestsPerMinute: 30, backfillConcurrency: 24 })).toBeNull();
    expect(backfillBudgetProblem({ apiRequestsPerMinute: 30, backfillConcurrency: 25 })).toMatch(
      /must be at most 24: .*apiRequestsPerMinute \(30\)/,
    );
  });

  it('is checked by the settings schema, so synth and the CLI refuse the same settings', () => {
    expect(parseSettings(REQUIRED)).toMatchObject({ apiRequestsPerMinute: 30, backfillConcurrency: 4 });
    expect(() => parseSettings({ ...REQUIRED, apiRequestsPerMinute: 10, backfillConcurrency: 9 })).toThrow(
      SettingsError,
    );
    expect(() => parseSettings({ ...REQUIRED, apiRequestsPerMinute: 10, backfillConcurrency: 9 })).toThrow(
      /Invalid setting "backfillConcurrency": must be at most 8/,
    );
  });
});
