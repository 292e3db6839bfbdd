/**
 * Run behaviour that needs no HTTP: deadlines, repeated failures, backfills, empty windows and the
 * marker race between overlapping runs. The simulator's model serves rows directly and the lake is
 * a local folder, so these stay fast.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import { DeadlineExceededError } from '../../lambdas/core/export-errors.ts';
import { provisionalMarkerKey } from '../../lambdas/core/lake/keys.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import { readLakeObject } from '../../lambdas/core/lake/read.ts';
import { runBackfill } from '../../lambdas/core/lake/run.ts';
import { LakeSourceOrderError } from '../../lambdas/core/lake/run-types.ts';
import type { LakeSink } from '../../lambdas/core/lake/sink.ts';
import type { ExportSource } from '../../lambdas/core/source.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { type ExportAt, makeExportAt } from '../support/export-at.ts';
import { directSource, finalRows, readTable, sinkWith, slice } from './support/lake.ts';

const { MINUTE, HOUR, DAY } = TIME;
const T0 = Date.UTC(2024, 6, 1);
const SETTLE = 3 * HOUR;

const [minutes, nobody] = parseDatasets([
  { name: 'minutes', interval: '1m', metrics: ['http', 'p2p', 'sessions'], cadence: 'hourly' },
  {
    name: 'nobody',
    interval: '5m',
    metrics: ['http'],
    dimensions: ['country.code'],
    filters: { 'country.code': ['ZZ'] },
    cadence: 'hourly',
  },
]) as [DatasetDefinition, DatasetDefinition];

let sim: RunningSimulator;
let root: string;
let sink: LocalLakeSink;
/** Runs of the minutes table from T0 into this test's lake, served by the simulator's model. */
let exportAt: ExportAt;

beforeAll(async () => {
  sim = await startSimulator({ now: T0, segments: 10, seed: 3 });
  exportAt = makeExportAt(sim, () => ({
    source: directSource(sim),
    sink,
    prefix: 'lake',
    datasets: [minutes],
    since: T0,
    settleMs: SETTLE,
  }));
});

afterAll(async () => {
  await sim?.close();
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lake-run-'));
  sink = new LocalLakeSink({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function at(now: number): number {
  sim.setClock(now);
  return now;
}

describe('a run with a deadline', () => {
  it('stops starting windows when time is short, reports the rest as deferred, and the next run finishes', async () => {
    let fakeClock = 0;
    const now = T0 + 10 * HOUR + 5 * MINUTE;
    const result = await exportAt(now, {
      clock: () => fakeClock,
      deadline: 35_000,
      reserveMs: 10_000,
      // Each written window takes ten seconds of the fake clock, one window at a time (with uploads
      // in flight, the windows handed over before the stop also count: in-flight.test.ts).
      uploadsInFlight: 1,
      onProgress: () => {
        fakeClock += 10_000;
      },
    });
    expect(result.windows).toHaveLength(3);
    expect(result.deferred).toBe(7);
    expect(result.deferredWindows[0]).toEqual({
      dataset: 'minutes',
      start: T0 + 3 * HOUR,
      end: T0 + 4 * HOUR,
    });
    expect(result.stopReason).toMatch(/stopped before the deadline/);
    expect(result.failed).toEqual([]);
    expect((await readTable(sink, 'lake', minutes)).windows.size).toBe(3);

    const next = await exportAt(now);
    expect(next.windows.map((window) => window.start)).toEqual(
      [3, 4, 5, 6, 7, 8, 9].map((h) => T0 + h * HOUR),
    );
    const table = await readTable(sink, 'lake', minutes);
    expect(table.windows.size).toBe(10);
    expect(slice(table.rows, T0, T0 + 7 * HOUR)).toEqual(finalRows(sim, minutes, T0, T0 + 7 * HOUR));
  });
});

describe('a run stopped on request', () => {
  it('starts no window after the request and defers the rest', async () => {
    const stop = new AbortController();
    const result = await exportAt(T0 + 10 * HOUR + 5 * MINUTE, {
      stopSignal: stop.signal,
      // One window at a time, so the second has not started when the first is counted.
      uploadsInFlight: 1,
      // Asked to stop as the first window is written, mid-stream of the query.
      onProgress: (progress) => {
        if (progress.windowsDone === 1) stop.abort();
      },
    });
    expect(result.windows).toHaveLength(1);
    expect(result.deferred).toBe(9);
    expect(result.stopReason).toBe('stopped on request; the rest is left for the next run');
    expect((await readTable(sink, 'lake', minutes)).windows.size).toBe(1);
  });
});

describe('a run stopped on request while a request is in flight', () => {
  it('cancels the request, drops the window it was writing, keeps the written ones and defers the rest', async () => {
    const stop = new AbortController();
    // The first window's rows and the second's first row, then a request that hangs (a long
    // Retry-After wait, a dripping body) until it is cancelled; one that is never cancelled gives
    // up after two seconds.
    const hanging: ExportSource = {
      async *rows(query, options) {
        for (const row of sim.rows(query, { asOf: 'final' })) {
          yield row;
          if (row.timestamp >= query.from + HOUR) break;
        }
        await new Promise<void>((_, reject) => {
          const timer = setTimeout(() => reject(new Error('the request was never cancelled')), 2_000);
          options?.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(options.signal?.reason);
          });
        });
      },
    };
    setTimeout(() => stop.abort(), 100);
    const started = Date.now();
    const result = await exportAt(T0 + 10 * HOUR + 5 * MINUTE, { source: hanging, stopSignal: stop.signal });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result.failed).toEqual([]);
    expect(result.windows.map((window) => window.start)).toEqual([T0]);
    expect(result.deferred).toBe(9);
    expect(result.deferredWindows[0]).toEqual({ dataset: 'minutes', start: T0 + HOUR, end: T0 + 2 * HOUR });
    expect(result.stopReason).toBe('stopped on request; the rest is left for the next run');
    const table = await readTable(sink, 'lake', minutes);
    expect([...table.windows.keys()]).toEqual([T0]);
    expect(table.rows).toEqual(finalRows(sim, minutes, T0, T0 + HOUR));
  });
});

describe('a run whose source runs out of time', () => {
  it('defers the window a deadline stopped, rather than failing it, and the next run writes it', async () => {
    const now = T0 + 10 * HOUR + 5 * MINUTE;
    const outOfTime: ExportSource = {
      // biome-ignore lint/correctness/useYield: a source that gives up before its first row
      async *rows() {
        throw new DeadlineExceededError(
          'the retry after "rate limited (429)" would wait 9999999999 s, past the deadline',
          Date.now(),
        );
      },
    };
    const result = await exportAt(now, { source: outOfTime });
    expect(result.failed).toEqual([]);
    expect(result.windows).toEqual([]);
    expect(result.deferred).toBe(10);
    expect(result.stopReason).toMatch(
      /^stopped at the deadline: the retry after "rate limited \(429\)" would wait 9999999999 s/,
    );
    const next = await exportAt(now);
    expect(next.windows).toHaveLength(10);
  });
});

describe('a run whose source keeps failing', () => {
  it('stops after three windows in a row failed and leaves every window for the next run', async () => {
    const failing: ExportSource = {
      // biome-ignore lint/correctness/useYield: a source that fails before its first row
      async *rows() {
        throw Object.assign(new Error('the API is down'), { name: 'ExportServerError', retryable: false });
      },
    };
    const now = T0 + 10 * HOUR + 5 * MINUTE;
    const result = await exportAt(now, { source: failing });
    expect(result.failed.map((window) => window.error)).toEqual(
      Array(3).fill({ name: 'ExportServerError', message: 'the API is down' }),
    );
    expect(result.deferred).toBe(7);
    expect(result.stopReason).toMatch(
      /after 3 windows in a row failed; the last error was ExportServerError/,
    );
    expect((await readTable(sink, 'lake', minutes)).windows.size).toBe(0);

    const next = await exportAt(now);
    expect(next.windows).toHaveLength(10);
  });

  it('reports rows that go back in time as a failed window, naming the rule', async () => {
    const backwards: ExportSource = {
      async *rows(query) {
        const rows = [...sim.rows(query, { asOf: 'final' })];
        yield* rows.reverse();
      },
    };
    const result = await exportAt(T0 + 10 * HOUR + 5 * MINUTE, { source: backwards, since: T0 + 9 * HOUR });
    expect(result.failed[0]?.error.name).toBe(new LakeSourceOrderError('').name);
    expect(result.failed[0]?.error.message).toMatch(/after one at .*; rows must be sorted by timestamp/);
    expect(await sink.head(objectKey('lake', windowAt(minutes, T0 + 9 * HOUR)))).toBeNull();
  });
});

describe('windows without traffic', () => {
  it('are written as header-only objects: fetched, no traffic', async () => {
    const result = await exportAt(T0 + 3 * HOUR + 5 * MINUTE, { datasets: [nobody] });
    expect(result.windows.map((window) => window.rows)).toEqual([0, 0, 0]);
    const records = await readLakeObject(sink, objectKey('lake', windowAt(nobody, T0)));
    const lines: unknown[] = [];
    for await (const record of records ?? []) lines.push(record);
    expect(lines).toEqual([['timestamp', 'country_code', 'http']]);
  });
});

describe('runBackfill', () => {
  it('fetches every window of the range once, skips final ones on a second pass, and refetches all with force', async () => {
    const now = at(T0 + 2 * DAY);
    const input = {
      source: directSource(sim),
      sink,
      prefix: 'lake',
      datasets: [minutes],
      now,
      from: T0 + HOUR,
      to: T0 + 5 * HOUR,
    };
    const first = await runBackfill(input);
    expect(first.windows.map((window) => window.start)).toEqual([1, 2, 3, 4].map((h) => T0 + h * HOUR));
    expect(first.windows.every((window) => window.final)).toBe(true);
    expect((await runBackfill(input)).windows).toEqual([]);
    expect((await runBackfill({ ...input, force: true })).windows).toHaveLength(4);
    const table = await readTable(sink, 'lake', minutes);
    expect(table.rows).toEqual(finalRows(sim, minutes, T0 + HOUR, T0 + 5 * HOUR));
  });

  it('reports the part of the range beyond the look-back as a gap', async () => {
    const now = at(T0 + 9 * DAY);
    const result = await runBackfill({
      source: directSource(sim),
      sink,
      prefix: 'lake',
      datasets: [minutes],
      now,
      from: T0,
      to: T0 + 2 * DAY + 6 * HOUR,
    });
    expect(result.gaps).toEqual([
      {
        dataset: 'minutes',
        start: T0,
        end: T0 + 2 * DAY + 1 * HOUR,
        windows: 49,
        reason: 'beyond-look-back',
      },
    ]);
    expect(result.windows).toHaveLength(5);
  });
});

/** Lets a test act between a run's steps: `beforeDelete` runs before the sink deletes a key. */
function interleavingSink(inner: LakeSink, beforeDelete: (key: string) => Promise<void>): LakeSink {
  return sinkWith(inner, {
    delete: async (key) => {
      await beforeDelete(key);
      await inner.delete(key);
    },
  });
}

describe('a settled rewrite racing an older, provisional writer', () => {
  it('keeps the window marked when the provisional numbers land between its write and its marker delete', async () => {
    const start = T0 + HOUR;
    const key = objectKey('lake', windowAt(minutes, start));
    const marker = provisionalMarkerKey('lake', minutes, start);
    // An earlier run wrote the window while it was young.
    await exportAt(start + HOUR + 5 * MINUTE, { since: start });
    expect(await sink.head(marker)).not.toBeNull();

    // Now a settled run rewrites it; just before it deletes the marker, an overlapping run that
    // started earlier lands its provisional copy (object, then marker).
    const racing = interleavingSink(sink, async (deleting) => {
      if (deleting !== marker) return;
      await sink.put(key, Buffer.from('provisional copy from an overlapping run'));
      await sink.put(marker, new Uint8Array(0));
    });
    const settled = start + HOUR + SETTLE + 5 * MINUTE;
    await exportAt(settled, { sink: racing, since: start });
    expect(await sink.head(marker)).not.toBeNull();

    // So the next run fetches it again and the lake ends final.
    const next = await exportAt(settled, { since: start });
    expect(next.windows.find((window) => window.start === start)).toMatchObject({ final: true });
    expect(await sink.head(marker)).toBeNull();
    const table = await readTable(sink, 'lake', minutes);
    expect(slice(table.rows, start, start + HOUR)).toEqual(finalRows(sim, minutes, start, start + HOUR));
  });

  it('removes the marker when nothing raced it, and leaves no temp files behind', async () => {
    const start = T0 + HOUR;
    await exportAt(start + HOUR + 5 * MINUTE, { since: start });
    await exportAt(start + HOUR + SETTLE + 5 * MINUTE, { since: start });
    expect(await sink.head(provisionalMarkerKey('lake', minutes, start))).toBeNull();
    const folder = join(root, 'lake', 'minutes', 'dt=2024-07-01', 'hour=01');
    expect(await readdir(folder)).toEqual(['minutes_2024-07-01T01.csv.gz']);
  });
});
