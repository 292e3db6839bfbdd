import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import { provisionalMarkerKey } from '../../lambdas/core/lake/keys.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import { planBackfill, planRun } from '../../lambdas/core/lake/plan.ts';
import type { LakeListOptions, LakeSink } from '../../lambdas/core/lake/sink.ts';
import { readLakeState } from '../../lambdas/core/lake/state.ts';
import { sinkWith } from './support/lake.ts';

const { HOUR, DAY } = TIME;
const [daily] = parseDatasets([
  { name: 'hours_by_day', interval: '1h', metrics: ['http'], cadence: 'daily' },
]) as [DatasetDefinition];
const TODAY = Date.UTC(2024, 8, 30);
const NOW = TODAY + 7 * HOUR;

let root: string;
let local: LocalLakeSink;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lake-state-'));
  local = new LocalLakeSink({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * Counts the keys each listing hands out and the list requests (calls) made, to show how much of
 * the lake a run reads.
 */
function countingSink(inner: LakeSink): { sink: LakeSink; listed: string[]; requests: () => number } {
  const listed: string[] = [];
  let requests = 0;
  const sink = sinkWith(inner, {
    async *list(prefix: string, options?: LakeListOptions) {
      requests += 1;
      for await (const key of inner.list(prefix, options)) {
        listed.push(key);
        yield key;
      }
    },
  });
  return { sink, listed, requests: () => requests };
}

/** Empty window objects, written as plain files: the sink's staged, synced put is not under test here. */
async function writeWindows(starts: number[]): Promise<void> {
  for (const start of starts) {
    const file = join(root, objectKey('lake', windowAt(daily, start)));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, '');
  }
}

function days(from: number, to: number): number[] {
  const out: number[] = [];
  for (let day = from; day < to; day++) out.push(TODAY + day * DAY);
  return out;
}

describe('readLakeState', () => {
  it('lists only the windows a run could touch, however old the lake is', async () => {
    await writeWindows(days(-90, 0));
    const { sink, listed } = countingSink(local);
    const state = await readLakeState(sink, 'lake', [daily], NOW);
    const dataset = state.datasets.get('hours_by_day');
    expect(dataset?.firstWindowStart).toBe(TODAY - 90 * DAY);
    // The 14-day look-back (whole days from 13 days ago) plus a day of recent gaps.
    expect(dataset?.listedFrom).toBe(TODAY - 14 * DAY);
    expect(dataset?.present.size).toBe(14);
    expect(listed.length).toBeLessThanOrEqual(1 + 14);
  });

  it('lists further back when a gap reaches past the usual range, so the gap is reported whole', async () => {
    await writeWindows([TODAY - 60 * DAY]);
    const state = await readLakeState(local, 'lake', [daily], NOW);
    expect(state.datasets.get('hours_by_day')?.listedFrom).toBe(TODAY - 60 * DAY);
    const plan = planRun({ datasets: [daily], now: NOW, lake: state });
    expect(plan.gaps).toEqual([
      {
        dataset: 'hours_by_day',
        start: TODAY - 59 * DAY,
        end: TODAY - 13 * DAY,
        windows: 46,
        reason: 'beyond-look-back',
      },
    ]);
  });

  it('costs a run the same list requests and keys after an outage, for a lake of 30 days and of 2 years', async () => {
    // The same 40-day outage (longer than the 14-day look-back) behind a young and an old lake.
    const costs = [];
    for (const age of [30, 730]) {
      await rm(root, { recursive: true, force: true });
      await writeWindows(days(-40 - age, -40));
      const { sink, listed, requests } = countingSink(local);
      const state = await readLakeState(sink, 'lake', [daily], NOW);
      const dataset = state.datasets.get('hours_by_day');
      expect(dataset?.firstWindowStart).toBe(TODAY - (40 + age) * DAY);
      expect(dataset?.listedFrom).toBe(TODAY - 41 * DAY);
      expect(planRun({ datasets: [daily], now: NOW, lake: state }).gaps).toEqual([
        {
          dataset: 'hours_by_day',
          start: TODAY - 40 * DAY,
          end: TODAY - 13 * DAY,
          windows: 27,
          reason: 'beyond-look-back',
        },
      ]);
      costs.push({ requests: requests(), keys: listed.length });
    }
    expect(costs[1]).toEqual(costs[0]);
    // The first key, the markers, the listed range, and a search of a few probes of one key each.
    expect(costs[0]?.requests).toBeLessThanOrEqual(3 + 2 * Math.ceil(Math.log2(27 + 2)));
  });

  it('reports only the most recent gap after an outage, not older ones before the window that ends it', async () => {
    await writeWindows([...days(-90, -80), ...days(-70, -40)]);
    const state = await readLakeState(local, 'lake', [daily], NOW);
    expect(state.datasets.get('hours_by_day')?.listedFrom).toBe(TODAY - 41 * DAY);
    expect(planRun({ datasets: [daily], now: NOW, lake: state }).gaps).toEqual([
      {
        dataset: 'hours_by_day',
        start: TODAY - 40 * DAY,
        end: TODAY - 13 * DAY,
        windows: 27,
        reason: 'beyond-look-back',
      },
    ]);
  });

  it('finds the window before a gap past stray keys, and lists from the floor when there is none', async () => {
    await writeWindows([TODAY - 50 * DAY]);
    await local.put('lake/hours_by_day/dt=2024-08-20/notes.txt', Buffer.from('not a window'));
    await local.put('lake/hours_by_day/dt=2024-08-21/zz.txt', Buffer.from('nor this'));
    const state = await readLakeState(local, 'lake', [daily], NOW);
    expect(state.datasets.get('hours_by_day')?.listedFrom).toBe(TODAY - 50 * DAY);
    // With `since` before the lake's first window and nothing between, the gap starts at `since`.
    const since = TODAY - 60 * DAY;
    await rm(root, { recursive: true, force: true });
    await writeWindows([TODAY - DAY]);
    const fromSince = await readLakeState(local, 'lake', [daily], NOW, { since });
    expect(fromSince.datasets.get('hours_by_day')?.listedFrom).toBe(since);
    expect(planRun({ datasets: [daily], now: NOW, lake: fromSince, since }).gaps).toEqual([
      {
        dataset: 'hours_by_day',
        start: since,
        end: TODAY - 13 * DAY,
        windows: 47,
        reason: 'beyond-look-back',
      },
    ]);
  });

  it('skips stray keys in a table and reads provisional markers', async () => {
    await local.put('lake/hours_by_day/README.txt', Buffer.from('not a window'));
    await local.put('lake/hours_by_day/dt=2024-09-29/notes.csv.gz', Buffer.from('not a window either'));
    await writeWindows([TODAY - DAY, TODAY - 2 * DAY]);
    await local.put(provisionalMarkerKey('lake', daily, TODAY - DAY), new Uint8Array(0));
    await local.put('lake/_provisional/hours_by_day/garbage', new Uint8Array(0));
    const state = await readLakeState(local, 'lake', [daily], NOW);
    const dataset = state.datasets.get('hours_by_day');
    expect(dataset?.firstWindowStart).toBe(TODAY - 2 * DAY);
    expect([...(dataset?.present ?? [])].sort()).toEqual([TODAY - 2 * DAY, TODAY - DAY]);
    expect([...(dataset?.provisional ?? [])]).toEqual([TODAY - DAY]);
  });

  it('lists only the provisional markers a run can still fetch or must report, however many are stuck', async () => {
    // Written provisional, then runs stopped for longer than the 14-day look-back.
    const stuck = days(-90, -14);
    const reported = TODAY - 14 * DAY;
    await writeWindows(days(-90, 0));
    for (const start of [...stuck, reported, TODAY - DAY]) {
      await local.put(provisionalMarkerKey('lake', daily, start), new Uint8Array(0));
    }
    const { sink, listed } = countingSink(local);
    const state = await readLakeState(sink, 'lake', [daily], NOW);
    const markers = [...(state.datasets.get('hours_by_day')?.provisional ?? [])].sort((a, b) => a - b);
    // The look-back reaches whole days from 13 days ago; a day of recent gaps before that.
    expect(markers).toEqual([reported, TODAY - DAY]);
    expect(listed.filter((key) => key.includes('/_provisional/'))).toHaveLength(2);
    expect(planRun({ datasets: [daily], now: NOW, lake: state }).gaps).toEqual([
      {
        dataset: 'hours_by_day',
        start: reported,
        end: reported + DAY,
        windows: 1,
        reason: 'provisional-beyond-look-back',
      },
    ]);
    // A day later that window is past the report period too; its marker stays in the lake.
    const later = await readLakeState(local, 'lake', [daily], NOW + DAY);
    expect(planRun({ datasets: [daily], now: NOW + DAY, lake: later }).gaps).toEqual([]);
    expect(await local.head(provisionalMarkerKey('lake', daily, reported))).not.toBeNull();
  });

  it('lists the markers of a backfill range, so the backfill reports the windows stuck in it', async () => {
    await writeWindows(days(-40, 0));
    await local.put(provisionalMarkerKey('lake', daily, TODAY - 50 * DAY), new Uint8Array(0));
    await local.put(provisionalMarkerKey('lake', daily, TODAY - 35 * DAY), new Uint8Array(0));
    const from = TODAY - 40 * DAY;
    const state = await readLakeState(local, 'lake', [daily], NOW, { from });
    expect([...(state.datasets.get('hours_by_day')?.provisional ?? [])]).toEqual([TODAY - 35 * DAY]);
    const plan = planBackfill({ datasets: [daily], now: NOW, lake: state, from, to: TODAY - 30 * DAY });
    expect(plan.gaps).toEqual([
      {
        dataset: 'hours_by_day',
        start: TODAY - 35 * DAY,
        end: TODAY - 34 * DAY,
        windows: 1,
        reason: 'provisional-beyond-look-back',
      },
    ]);
  });

  it('lists from an explicit start for a backfill', async () => {
    await writeWindows(days(-40, -30));
    const state = await readLakeState(local, 'lake', [daily], NOW, { from: TODAY - 35 * DAY + HOUR });
    const dataset = state.datasets.get('hours_by_day');
    expect(dataset?.listedFrom).toBe(TODAY - 35 * DAY);
    expect(dataset?.present.size).toBe(5);
  });
});
