/**
 * Window uploads in flight (in-flight.ts, as execute.ts runs them): the stream fills the next
 * window while the last ones upload, at most `uploadsInFlight` at once, and the run still counts
 * every window once, in plan order, with each window's markers in the protocol's order.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalLakeSink, STAGING_FOLDER } from '../../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import {
  checkUploadsInFlight,
  DEFAULT_UPLOADS_IN_FLIGHT,
  MAX_UPLOADS_IN_FLIGHT,
  UploadsInFlightError,
} from '../../lambdas/core/lake/in-flight.ts';
import { curateMarkKey, provisionalMarkerKey } from '../../lambdas/core/lake/keys.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import type { LakeEvent, RunProgress, RunResult } from '../../lambdas/core/lake/run-types.ts';
import type { LakeSink } from '../../lambdas/core/lake/sink.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { type ExportAt, makeExportAt } from '../support/export-at.ts';
import { directSource, finalRows, readTable, sinkWith, slice } from './support/lake.ts';

const { MINUTE, HOUR, DAY } = TIME;
const T0 = Date.UTC(2024, 6, 1);
const SETTLE = 3 * HOUR;
/** Ten windows: seven settled, the last three still young (provisional). */
const NOW = T0 + 10 * HOUR + 5 * MINUTE;
const HOURS = Array.from({ length: 10 }, (_, hour) => T0 + hour * HOUR);

const [minutes] = parseDatasets([
  { name: 'minutes', interval: '1m', metrics: ['http', 'p2p', 'sessions'], cadence: 'hourly' },
]) as [DatasetDefinition];
const keyOf = (start: number) => objectKey('lake', windowAt(minutes, start));
const markerOf = (start: number) => provisionalMarkerKey('lake', minutes, start);
const DAY_MARK = curateMarkKey('lake', minutes, T0 - (T0 % DAY));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function bytesOf(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface SlowSinkOptions {
  /** How long a window's object takes to upload once its body has ended. */
  readonly uploadMs: number;
  /**
   * Fails this upload instead of storing it, so nothing appears: after its whole body was sent and
   * three times `uploadMs`, so the stream has moved on by then.
   */
  readonly fail?: (key: string) => Error | undefined;
}

/**
 * A real folder sink whose window objects (streamed bodies) take `uploadMs` to complete after their
 * body ends, as an upload's last part and Complete do, and that records every operation in order
 * and the most objects it ever had open at once.
 */
function slowSink(inner: LakeSink, options: SlowSinkOptions) {
  const log: string[] = [];
  let open = 0;
  let mostOpen = 0;
  const sink = sinkWith(inner, {
    put: async (key, body, putOptions) => {
      log.push(`put ${key}`);
      if (body instanceof Uint8Array) {
        const info = await inner.put(key, body, putOptions);
        log.push(`done ${key}`);
        return info;
      }
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      try {
        const bytes = await bytesOf(body);
        const failure = options.fail?.(key);
        await sleep(failure ? 3 * options.uploadMs : options.uploadMs);
        if (failure) {
          log.push(`failed ${key}`);
          throw failure;
        }
        const info = await inner.put(key, bytes, putOptions);
        log.push(`done ${key}`);
        return info;
      } finally {
        open -= 1;
      }
    },
    head: async (key) => {
      log.push(`head ${key}`);
      return await inner.head(key);
    },
    delete: async (key) => {
      log.push(`delete ${key}`);
      await inner.delete(key);
    },
  });
  return { sink, log, mostOpen: () => mostOpen };
}

let sim: RunningSimulator;
let root: string;
let folder: LocalLakeSink;
let lake: LakeSink;
let exportAt: ExportAt;

beforeAll(async () => {
  sim = await startSimulator({ now: T0, segments: 10, seed: 3 });
  exportAt = makeExportAt(sim, () => ({
    source: directSource(sim),
    sink: lake,
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
  root = await mkdtemp(join(tmpdir(), 'lake-in-flight-'));
  folder = new LocalLakeSink({ root });
  lake = folder;
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A run into a fresh folder, with what it logged and reported as it went. */
async function runInto(
  uploadsInFlight: number,
  options: SlowSinkOptions,
): Promise<{
  result: RunResult;
  log: string[];
  mostOpen: number;
  events: LakeEvent[];
  progress: RunProgress[];
}> {
  const recorded = slowSink(folder, options);
  lake = recorded.sink;
  const events: LakeEvent[] = [];
  const progress: RunProgress[] = [];
  const result = await exportAt(NOW, {
    uploadsInFlight,
    log: (event) => events.push(event),
    onProgress: (step) => progress.push(step),
  });
  lake = folder;
  return { result, log: recorded.log, mostOpen: recorded.mostOpen(), events, progress };
}

function ofWindow(log: readonly string[], start: number): string[] {
  return log.filter((line) => line.endsWith(` ${keyOf(start)}`) || line.endsWith(` ${markerOf(start)}`));
}

describe('uploads in flight', () => {
  it('overlap, at most uploadsInFlight at once, and the run counts what one at a time counts, in plan order', async () => {
    const one = await runInto(1, { uploadMs: 40 });
    await rm(root, { recursive: true, force: true });
    const three = await runInto(3, { uploadMs: 40 });
    expect(one.mostOpen).toBe(1);
    expect(three.mostOpen).toBe(3);
    expect(three.result.windows.map((window) => window.start)).toEqual(HOURS);
    expect(three.result.windows).toEqual(one.result.windows);
    expect(three.result.rows).toBe(one.result.rows);
    expect(three.result.bytes).toBe(one.result.bytes);
    expect(three.progress).toEqual(one.progress);
    const written = (events: LakeEvent[]) => events.filter((event) => event.event === 'window-written');
    expect(written(three.events)).toEqual(written(one.events));
    const table = await readTable(folder, 'lake', minutes);
    expect(table.windows.size).toBe(10);
    // The settled hours hold the final numbers (the young ones, provisional numbers).
    expect(slice(table.rows, T0, T0 + 7 * HOUR)).toEqual(finalRows(sim, minutes, T0, T0 + 7 * HOUR));
  });

  it("keep each window's markers and object in the protocol's order, and the day's marks around its objects", async () => {
    const { log } = await runInto(3, { uploadMs: 40 });
    for (const start of HOURS.slice(0, 7))
      expect(ofWindow(log, start)).toEqual([`put ${keyOf(start)}`, `done ${keyOf(start)}`]);
    for (const start of HOURS.slice(7)) {
      const [marker, key] = [markerOf(start), keyOf(start)];
      expect(ofWindow(log, start)).toEqual([
        `put ${marker}`,
        `done ${marker}`,
        `put ${key}`,
        `done ${key}`,
        `put ${marker}`,
        `done ${marker}`,
      ]);
    }
    // The day is marked before its first object completes and again after its last one did.
    const objectsDone = HOURS.map((start) => log.indexOf(`done ${keyOf(start)}`));
    expect(log.indexOf(`done ${DAY_MARK}`)).toBeLessThan(Math.min(...objectsDone));
    expect(log.lastIndexOf(`put ${DAY_MARK}`)).toBeGreaterThan(Math.max(...objectsDone));
    // The stream did move on: a later window's object was started before an earlier one completed.
    expect(log.indexOf(`put ${keyOf(HOURS[1] as number)}`)).toBeLessThan(objectsDone[0] as number);

    // The next run rewrites the three settled windows: object, then the marker's delete, then the check.
    const recorded = slowSink(folder, { uploadMs: 40 });
    lake = recorded.sink;
    await exportAt(NOW + 3 * HOUR, { uploadsInFlight: 3 });
    for (const start of HOURS.slice(7)) {
      const [marker, key] = [markerOf(start), keyOf(start)];
      expect(ofWindow(recorded.log, start)).toEqual([
        `put ${key}`,
        `done ${key}`,
        `delete ${marker}`,
        `head ${key}`,
      ]);
    }
  });
});

describe('an upload that fails after the stream moved on', () => {
  const cut = () => Object.assign(new Error('the upload was cut off'), { retryable: true });

  it('has its window fetched again, and every window is counted once, in plan order', async () => {
    const failing = keyOf(HOURS[2] as number);
    let failures = 0;
    const { result, log, events } = await runInto(3, {
      uploadMs: 40,
      fail: (key) => (key === failing && failures++ === 0 ? cut() : undefined),
    });
    // The windows after it were under way when it failed.
    expect(log.indexOf(`put ${keyOf(HOURS[3] as number)}`)).toBeLessThan(log.indexOf(`failed ${failing}`));
    expect(events.filter((event) => event.event === 'window-retry')).toMatchObject([{ start: HOURS[2] }]);
    expect(result.failed).toEqual([]);
    expect(result.windows.map((window) => window.start)).toEqual(HOURS);
    const table = await readTable(folder, 'lake', minutes);
    expect(table.windows.size).toBe(10);
    // The settled hours hold the final numbers (the young ones, provisional numbers).
    expect(slice(table.rows, T0, T0 + 7 * HOUR)).toEqual(finalRows(sim, minutes, T0, T0 + 7 * HOUR));
  });

  it('fails its window when it cannot be tried again, and writes the windows after it once', async () => {
    const failing = keyOf(HOURS[2] as number);
    const { result } = await runInto(3, {
      uploadMs: 40,
      fail: (key) => (key === failing ? new Error('access denied') : undefined),
    });
    expect(result.failed).toMatchObject([{ start: HOURS[2], error: { message: 'access denied' } }]);
    const written = result.windows.map((window) => window.start);
    expect(written).toEqual(HOURS.filter((start) => start !== HOURS[2]));
    expect(result.rows).toBe(result.windows.reduce((sum, window) => sum + window.rows, 0));
    const table = await readTable(folder, 'lake', minutes);
    expect([...table.windows.keys()].sort()).toEqual(written);
    expect(result.stopReason).toBeNull();
  });
});

describe('a run stopped with uploads in flight', () => {
  it('counts the windows handed over before the stop, drops the one being written, and leaves nothing partial', async () => {
    const stop = new AbortController();
    lake = slowSink(folder, { uploadMs: 40 }).sink;
    const result = await exportAt(NOW, {
      uploadsInFlight: 3,
      stopSignal: stop.signal,
      onProgress: (progress) => {
        if (progress.windowsDone === 1) stop.abort();
      },
    });
    // The first three were handed over before the first was counted; nothing opened after that.
    expect(result.windows.map((window) => window.start)).toEqual(HOURS.slice(0, 3));
    expect(result.deferredWindows.map((window) => window.start)).toEqual(HOURS.slice(3));
    expect(result.stopReason).toBe('stopped on request; the rest is left for the next run');
    const table = await readTable(folder, 'lake', minutes);
    expect([...table.windows.keys()]).toEqual(HOURS.slice(0, 3));
    expect(await readdir(join(root, STAGING_FOLDER))).toEqual([]);

    lake = folder;
    const next = await exportAt(NOW);
    expect(next.windows.map((window) => window.start)).toEqual(HOURS.slice(3));
    const after = await readTable(folder, 'lake', minutes);
    expect([...after.windows.keys()]).toEqual(HOURS);
    // The settled hours hold the final numbers (the young ones, provisional numbers).
    expect(slice(after.rows, T0, T0 + 7 * HOUR)).toEqual(finalRows(sim, minutes, T0, T0 + 7 * HOUR));
  });

  it('at a hard deadline, counts the uploads that complete and defers the rest', async () => {
    const result = await exportAt(NOW, {
      uploadsInFlight: 3,
      sink: slowSink(folder, { uploadMs: 150 }).sink,
      // Passes while the first uploads are still under way; no reserve, so only the hard stop acts.
      deadline: Date.now() + 100,
      reserveMs: 0,
    });
    const counted = result.windows.map((window) => window.start);
    expect(counted).toEqual(HOURS.slice(0, counted.length));
    expect(result.deferredWindows.map((window) => window.start)).toEqual(HOURS.slice(counted.length));
    expect(result.failed).toEqual([]);
    const table = await readTable(folder, 'lake', minutes);
    expect([...table.windows.keys()]).toEqual(counted);
  });
});

describe('checkUploadsInFlight', () => {
  it('takes a whole number from 1 to the maximum, the default when unset', () => {
    expect(checkUploadsInFlight(undefined)).toBe(DEFAULT_UPLOADS_IN_FLIGHT);
    expect(checkUploadsInFlight(1)).toBe(1);
    expect(checkUploadsInFlight(MAX_UPLOADS_IN_FLIGHT)).toBe(MAX_UPLOADS_IN_FLIGHT);
  });

  it('refuses anything else, naming the setting and the rule', () => {
    for (const value of [0, 1.5, MAX_UPLOADS_IN_FLIGHT + 1, Number.NaN]) {
      expect(() => checkUploadsInFlight(value)).toThrow(UploadsInFlightError);
    }
    expect(() => checkUploadsInFlight(0)).toThrow(/uploadsInFlight must be a whole number from 1 to 8/);
  });
});
