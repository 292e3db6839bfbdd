/**
 * The planning step of run.ts: `planScheduledRun` and `planBackfillRun` read the lake and plan,
 * and `runExport` / `runBackfill` execute exactly that plan.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import { BackfillRangeError } from '../../lambdas/core/lake/backfill-range.ts';
import { provisionalMarkerKey } from '../../lambdas/core/lake/keys.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import { planBackfill, planRun } from '../../lambdas/core/lake/plan.ts';
import { planBackfillRun, planScheduledRun, runBackfill, runExport } from '../../lambdas/core/lake/run.ts';
import type { LakeSink } from '../../lambdas/core/lake/sink.ts';
import { readLakeState } from '../../lambdas/core/lake/state.ts';
import type { ExportSource } from '../../lambdas/core/source.ts';

const { HOUR, DAY } = TIME;
const [hours] = parseDatasets([{ name: 'hours', interval: '1h', metrics: ['http'], cadence: 'hourly' }]) as [
  DatasetDefinition,
];
const T0 = Date.UTC(2024, 6, 1);
const NOW = T0 + 10 * HOUR + 5 * 60_000;
const SETTLE = 3 * HOUR;

/** A source with no traffic at all: every window is written empty. */
const quiet: ExportSource = {
  async *rows() {
    // Nothing to send.
  },
};

let root: string;
let sink: LocalLakeSink;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lake-plans-'));
  sink = new LocalLakeSink({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeWindow(start: number, marked = false): Promise<void> {
  await sink.put(objectKey('lake', windowAt(hours, start)), new Uint8Array(0));
  if (marked) await sink.put(provisionalMarkerKey('lake', hours, start), new Uint8Array(0));
}

function startsOf(plan: { fetches: readonly { windows: readonly { start: number }[] }[] }): number[] {
  return plan.fetches.flatMap((fetch) => fetch.windows.map((window) => window.start));
}

/** Refuses every read, to show that nothing was read. */
const unreadable: LakeSink = {
  location: 'nowhere',
  list: () => {
    throw new Error('the lake was listed');
  },
  get: () => Promise.reject(new Error('the lake was read')),
  head: () => Promise.reject(new Error('the lake was read')),
  put: () => Promise.reject(new Error('the lake was written')),
  delete: () => Promise.reject(new Error('the lake was written')),
};

describe('planScheduledRun', () => {
  it('plans from what the lake holds: the same plan as reading the state and planning it', async () => {
    for (let hour = 0; hour < 6; hour++) await writeWindow(T0 + hour * HOUR);
    await writeWindow(T0 + 2 * HOUR, true);
    const input = { sink, prefix: 'lake', datasets: [hours], now: NOW, since: T0, settleMs: SETTLE };
    const plan = await planScheduledRun(input);
    const state = await readLakeState(sink, 'lake', [hours], NOW, input);
    expect(plan).toEqual(planRun({ ...input, lake: state }));
    // Final windows are left alone; the marked one, the missing ones and the young ones are fetched.
    expect(startsOf(plan)).toEqual([2, 6, 7, 8, 9].map((hour) => T0 + hour * HOUR));
  });

  it('is the plan runExport executes', async () => {
    await writeWindow(T0 + 3 * HOUR);
    const input = { sink, prefix: 'lake', datasets: [hours], now: NOW, since: T0, settleMs: SETTLE };
    const plan = await planScheduledRun(input);
    const result = await runExport({ ...input, source: quiet });
    expect(result.plan).toEqual(plan);
    expect(result.windows.map((window) => window.start)).toEqual(startsOf(plan));
  });
});

describe('planBackfillRun', () => {
  it('plans the windows of the range that are not final yet, from what the lake holds', async () => {
    await writeWindow(T0 + HOUR);
    await writeWindow(T0 + 2 * HOUR, true);
    const input = { sink, prefix: 'lake', datasets: [hours], now: NOW, from: T0, to: T0 + 4 * HOUR };
    const plan = await planBackfillRun({ ...input, settleMs: SETTLE });
    const state = await readLakeState(sink, 'lake', [hours], NOW, { settleMs: SETTLE, from: T0 });
    expect(plan).toEqual(planBackfill({ ...input, settleMs: SETTLE, lake: state }));
    expect(startsOf(plan)).toEqual([0, 2, 3].map((hour) => T0 + hour * HOUR));
    const forced = await planBackfillRun({ ...input, settleMs: SETTLE, force: true });
    expect(startsOf(forced)).toEqual([0, 1, 2, 3].map((hour) => T0 + hour * HOUR));
  });

  it('refuses a bad range before it reads the lake', async () => {
    const plan = planBackfillRun({
      sink: unreadable,
      prefix: 'lake',
      datasets: [hours],
      now: NOW,
      from: T0,
      to: T0,
    });
    await expect(plan).rejects.toThrow(BackfillRangeError);
    await expect(plan).rejects.toThrow(/"to" must be after "from"/);
    const early = planBackfillRun({
      sink: unreadable,
      prefix: 'lake',
      datasets: [hours],
      now: NOW,
      from: T0 - 20 * 365 * DAY,
      to: T0,
    });
    await expect(early).rejects.toThrow(/"from" must be on or after 2015-01-01/);
  });

  it('is the plan runBackfill executes', async () => {
    const input = { sink, prefix: 'lake', datasets: [hours], now: NOW, from: T0, to: T0 + 3 * HOUR };
    const plan = await planBackfillRun(input);
    const result = await runBackfill({ ...input, source: quiet });
    expect(result.plan).toEqual(plan);
    expect(result.windows.map((window) => window.start)).toEqual([0, 1, 2].map((hour) => T0 + hour * HOUR));
  });
});
