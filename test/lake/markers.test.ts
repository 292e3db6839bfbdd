import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import { executePlan } from '../../lambdas/core/lake/execute.ts';
import { curateMarkKey, provisionalMarkerKey } from '../../lambdas/core/lake/keys.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import { beginWindow, commitWindow, type MarkedWindow } from '../../lambdas/core/lake/markers.ts';
import { EMPTY_DATASET_STATE, planRun } from '../../lambdas/core/lake/plan.ts';
import type { LakeSink } from '../../lambdas/core/lake/sink.ts';
import type { ExportSource } from '../../lambdas/core/source.ts';
import { sinkWith } from './support/lake.ts';

const { HOUR, DAY } = TIME;
const [hours] = parseDatasets([{ name: 'hours', interval: '1h', metrics: ['http'], cadence: 'hourly' }]) as [
  DatasetDefinition,
];
const START = Date.UTC(2024, 6, 1, 5);
const KEY = objectKey('lake', windowAt(hours, START));
const MARKER = provisionalMarkerKey('lake', hours, START);

/** A real folder sink that records every write, delete and head, in order. */
function recording(inner: LakeSink): { sink: LakeSink; calls: string[] } {
  const calls: string[] = [];
  const sink = sinkWith(inner, {
    put: async (key, body, options) => {
      calls.push(`put ${key}`);
      return await inner.put(key, body, options);
    },
    head: async (key) => {
      calls.push(`head ${key}`);
      return await inner.head(key);
    },
    delete: async (key) => {
      calls.push(`delete ${key}`);
      await inner.delete(key);
    },
  });
  return { sink, calls };
}

function windowOf(final: boolean, hadMarker: boolean): MarkedWindow {
  return { start: START, key: KEY, final, hadMarker };
}

let root: string;
let folder: LakeSink;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lake-markers-'));
  folder = new LocalLakeSink({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a provisional window', () => {
  it('is marked before its object is written and marked again after', async () => {
    const { sink, calls } = recording(folder);
    const window = windowOf(false, false);
    await beginWindow(sink, 'lake', hours, window);
    const stored = await sink.put(KEY, Buffer.from('provisional numbers'));
    await commitWindow(sink, 'lake', hours, window, stored);
    expect(calls).toEqual([`put ${MARKER}`, `put ${KEY}`, `put ${MARKER}`]);
    expect(await folder.head(MARKER)).not.toBeNull();
  });

  it('stays marked when a settled writer deleted the marker while it was writing', async () => {
    const window = windowOf(false, true);
    await beginWindow(folder, 'lake', hours, window);
    const stored = await folder.put(KEY, Buffer.from('provisional numbers'));
    await folder.delete(MARKER);
    await commitWindow(folder, 'lake', hours, window, stored);
    expect(await folder.head(MARKER)).not.toBeNull();
  });
});

describe('a settled window', () => {
  it('writes no marker when it had none', async () => {
    const { sink, calls } = recording(folder);
    const window = windowOf(true, false);
    await beginWindow(sink, 'lake', hours, window);
    const stored = await sink.put(KEY, Buffer.from('final numbers'));
    await commitWindow(sink, 'lake', hours, window, stored);
    expect(calls).toEqual([`put ${KEY}`]);
  });

  it('removes its marker after the final object replaced the marked one, then checks the object is still its own', async () => {
    await folder.put(MARKER, new Uint8Array(0));
    await folder.put(KEY, Buffer.from('provisional numbers'));
    const { sink, calls } = recording(folder);
    const window = windowOf(true, true);
    await beginWindow(sink, 'lake', hours, window);
    const stored = await sink.put(KEY, Buffer.from('final numbers'));
    await commitWindow(sink, 'lake', hours, window, stored);
    expect(calls).toEqual([`put ${KEY}`, `delete ${MARKER}`, `head ${KEY}`]);
    expect(await folder.head(MARKER)).toBeNull();
  });

  it('puts the marker back when another run replaced the object in between', async () => {
    await folder.put(MARKER, new Uint8Array(0));
    const { sink, calls } = recording(folder);
    const window = windowOf(true, true);
    const stored = await sink.put(KEY, Buffer.from('final numbers'));
    // An overlapping run that started earlier lands its provisional copy after ours.
    await folder.put(KEY, Buffer.from('a provisional copy from an overlapping run'));
    await commitWindow(sink, 'lake', hours, window, stored);
    expect(calls).toEqual([`put ${KEY}`, `delete ${MARKER}`, `head ${KEY}`, `put ${MARKER}`]);
    expect(await folder.head(MARKER)).not.toBeNull();
  });

  it('puts the marker back when the object is gone', async () => {
    await folder.put(MARKER, new Uint8Array(0));
    const window = windowOf(true, true);
    const stored = await folder.put(KEY, Buffer.from('final numbers'));
    await folder.delete(KEY);
    await commitWindow(folder, 'lake', hours, window, stored);
    expect(await folder.head(MARKER)).not.toBeNull();
  });
});

describe('a run', () => {
  const nothing: ExportSource = {
    async *rows() {
      // An hour without traffic.
    },
  };

  it('writes a young window as marker, object, marker, with its day marked to curate before and after', async () => {
    const now = START + HOUR + 5 * 60_000;
    const lake = { prefix: 'lake', datasets: new Map([['hours', EMPTY_DATASET_STATE]]) };
    const plan = planRun({ datasets: [hours], now, lake, since: START, settleMs: 3 * HOUR });
    expect(plan.windows).toBe(1);
    const { sink, calls } = recording(folder);
    const result = await executePlan(plan, { source: nothing, sink, prefix: 'lake', datasets: [hours], now });
    expect(result.windows).toMatchObject([{ start: START, final: false }]);
    const day = curateMarkKey('lake', hours, START - (START % DAY));
    // The object's put starts at the window's first row and completes after the first day mark.
    expect(calls).toEqual([`put ${MARKER}`, `put ${KEY}`, `put ${day}`, `put ${MARKER}`, `put ${day}`]);
  });

  it('marks a day to curate twice per run however many of its windows the run writes', async () => {
    // Three settled hours, the last of them the day's last hour.
    const since = START - (START % DAY) + 21 * HOUR;
    const now = since + 3 * HOUR + 4 * HOUR;
    const lake = { prefix: 'lake', datasets: new Map([['hours', EMPTY_DATASET_STATE]]) };
    const plan = planRun({ datasets: [hours], now, lake, since, settleMs: 3 * HOUR });
    const { sink, calls } = recording(folder);
    await executePlan(plan, { source: nothing, sink, prefix: 'lake', datasets: [hours], now });
    const day = curateMarkKey('lake', hours, since - (since % DAY));
    const keys = [21, 22, 23].map((hour) => objectKey('lake', windowAt(hours, since + (hour - 21) * HOUR)));
    const ofDay = calls.filter((call) => call.endsWith(day) || keys.some((key) => call.endsWith(key)));
    // Each object's put starts at its window's first row; the day mark goes before the first completes.
    expect(ofDay).toEqual([`put ${keys[0]}`, `put ${day}`, `put ${keys[1]}`, `put ${keys[2]}`, `put ${day}`]);
  });

  it('rewrites a marked window once it has settled and removes the marker after the object', async () => {
    await folder.put(MARKER, new Uint8Array(0));
    await folder.put(KEY, Buffer.from('provisional numbers'));
    const now = START + 4 * HOUR + 5 * 60_000;
    const state = { ...EMPTY_DATASET_STATE, present: new Set([START]), provisional: new Set([START]) };
    const lake = { prefix: 'lake', datasets: new Map([['hours', state]]) };
    const plan = planRun({ datasets: [hours], now, lake, since: START, settleMs: 3 * HOUR });
    const marked = plan.fetches.flatMap((fetch) => fetch.windows).filter((window) => window.hadMarker);
    expect(marked).toMatchObject([{ start: START, final: true }]);
    const { sink, calls } = recording(folder);
    await executePlan(plan, { source: nothing, sink, prefix: 'lake', datasets: [hours], now });
    const ofWindow = calls.filter((call) => call.endsWith(KEY) || call.endsWith(MARKER));
    expect(ofWindow).toEqual([`put ${KEY}`, `delete ${MARKER}`, `head ${KEY}`]);
    expect(await folder.head(MARKER)).toBeNull();
  });
});
