import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestPacer } from '../../lambdas/adapters/peer5-api/pacer.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import {
  type BackfillBudgetSettings,
  backfillBudgetOf,
  backfillBudgetProblem,
  SCHEDULED_FUNCTIONS,
  scheduledPaceOf,
} from '../../lambdas/core/lake/backfill-budget.ts';
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
      itemPace: { requests: 1, windowMs: 10_000 },
      scheduledPace: { requests: 2, windowMs: 60_000 },
    });
  });

  it('gives each scheduled function a whole third of the fifth, and at least one request a minute', () => {
    expect(scheduledPaceOf({ apiRequestsPerMinute: 30 })).toEqual({ requests: 2, windowMs: 60_000 });
    expect(scheduledPaceOf({ apiRequestsPerMinute: 100 })).toEqual({ requests: 6, windowMs: 60_000 });
    // Below 15 a fifth is less than one request each: the scheduled runs keep 3, the backfill the rest.
    expect(backfillBudgetOf({ apiRequestsPerMinute: 5, backfillConcurrency: 1 })).toMatchObject({
      scheduledPerMinute: 3,
      backfillPerMinute: 2,
      scheduledPace: { requests: 1, windowMs: 60_000 },
    });
  });

  it('spaces an item for a whole number of requests a minute', () => {
    // 24 a minute over 7 items is 3.43 each: spaced for 3, not 3.43, so no minute holds 4.
    expect(backfillBudgetOf({ apiRequestsPerMinute: 30, backfillConcurrency: 7 }).itemSpacingMs).toBe(20_000);
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
    expect(() => parseSettings({ ...REQUIRED, apiRequestsPerMinute: 10, backfillConcurrency: 8 })).toThrow(
      /Invalid setting "backfillConcurrency": must be at most 7/,
    );
  });
});

/**
 * Virtual time for RequestPacers: `sleep` parks a waiter, and `runUntil` moves the clock from one
 * waiter to the next, letting every caller that can go on do so before it moves again.
 */
function virtualTime() {
  let now = 0;
  const waiters: { at: number; order: number; wake: () => void }[] = [];
  let order = 0;
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    clock: () => now,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        waiters.push({ at: now + ms, order: order++, wake });
      }),
    async runUntil(end: number): Promise<void> {
      for (;;) {
        await settle();
        waiters.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = waiters.shift();
        if (next === undefined || next.at >= end) return;
        now = next.at;
        next.wake();
      }
    },
  };
}

/** The most request starts in any 60 s window [t, t + 60 s). */
function busiestMinute(starts: readonly number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  let last = 0;
  for (let first = 0; first < sorted.length; first++) {
    while (last < sorted.length && (sorted[last] as number) < (sorted[first] as number) + TIME.MINUTE) last++;
    most = Math.max(most, last - first);
  }
  return most;
}

/**
 * The worst case of a backfill on AWS beside the schedule, from t = 0 for `minutes`: every one of
 * the `backfillConcurrency` slots runs items back to back (each with a fresh pacer, as on a fresh
 * Lambda instance, draining before it returns), each item of `itemRequests[i]` requests sent as
 * fast as its pacer allows; and the three scheduled functions send requests as fast as theirs do.
 */
async function worstCaseStarts(
  settings: BackfillBudgetSettings,
  itemRequests: readonly number[],
  minutes: number,
): Promise<number[]> {
  const time = virtualTime();
  const budget = backfillBudgetOf(settings);
  const end = minutes * TIME.MINUTE;
  const starts: number[] = [];
  const request = async (pacer: RequestPacer) => {
    await pacer.take();
    if (time.clock() < end) starts.push(time.clock());
  };
  const slot = async (index: number) => {
    for (let item = index; time.clock() < end; item++) {
      const pacer = new RequestPacer(budget.itemPace, time.clock, time.sleep);
      const requests = itemRequests[item % itemRequests.length] as number;
      for (let i = 0; i < requests; i++) await request(pacer);
      await pacer.drain();
    }
  };
  const scheduled = async () => {
    const pacer = new RequestPacer(budget.scheduledPace, time.clock, time.sleep);
    while (time.clock() < end) await request(pacer);
  };
  for (let index = 0; index < settings.backfillConcurrency; index++) void slot(index);
  for (let index = 0; index < SCHEDULED_FUNCTIONS; index++) void scheduled();
  await time.runUntil(end);
  return starts;
}

describe('a backfill at full concurrency beside all three scheduled runs, in virtual time', () => {
  it('never sends more than apiRequestsPerMinute in any minute at the defaults, and uses all of it', async () => {
    const starts = await worstCaseStarts(
      { apiRequestsPerMinute: 30, backfillConcurrency: 4 },
      [3, 1, 7, 2],
      10,
    );
    // 4 items at 6 a minute and 3 scheduled functions at 2: the whole budget, no more.
    expect(busiestMinute(starts)).toBe(30);
  });

  it('stays within the budget at the edges of the settings', async () => {
    for (const settings of [
      { apiRequestsPerMinute: 5, backfillConcurrency: 2 },
      { apiRequestsPerMinute: 14, backfillConcurrency: 11 },
      { apiRequestsPerMinute: 31, backfillConcurrency: 7 },
      { apiRequestsPerMinute: 1_000, backfillConcurrency: 40 },
    ]) {
      const starts = await worstCaseStarts(settings, [1, 4, 2], 4);
      expect(busiestMinute(starts), JSON.stringify(settings)).toBeLessThanOrEqual(
        settings.apiRequestsPerMinute,
      );
    }
  });

  it('stays within the budget for any valid settings and item lengths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 5, max: 300 }).chain((apiRequestsPerMinute) =>
          fc.record({
            apiRequestsPerMinute: fc.constant(apiRequestsPerMinute),
            backfillConcurrency: fc.integer({
              min: 1,
              max: Math.min(
                40,
                Math.floor(
                  backfillBudgetOf({ apiRequestsPerMinute, backfillConcurrency: 1 }).backfillPerMinute,
                ),
              ),
            }),
          }),
        ),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
        async (settings, itemRequests) => {
          expect(backfillBudgetProblem(settings)).toBeNull();
          const starts = await worstCaseStarts(settings, itemRequests, 3);
          expect(busiestMinute(starts)).toBeLessThanOrEqual(settings.apiRequestsPerMinute);
        },
      ),
      { numRuns: 40 },
    );
  });
});
