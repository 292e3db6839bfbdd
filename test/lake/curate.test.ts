/**
 * Curating a local lake written by the real pipeline from the simulator's model: every dataset's
 * day read back by DuckDB and by hyparquet, and the marks that say which days are due, waiting or
 * stale.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, DEFAULT_DATASETS, windowAt } from '../../lambdas/core/datasets.ts';
import { curateLake, markedDays } from '../../lambdas/core/lake/curate.ts';
import { curateClaimKey, curateMarkKey, provisionalMarkerKey } from '../../lambdas/core/lake/keys.ts';
import { CURATED_TABLES, objectKey, RAW_TABLES } from '../../lambdas/core/lake/layout.ts';
import { runBackfill } from '../../lambdas/core/lake/run.ts';
import type { LakeSink } from '../../lambdas/core/lake/sink.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import {
  type DuckDb,
  duckDbRows,
  expectedRows,
  hyparquetRows,
  openDuckDb,
  sortRows,
} from '../curated/support.ts';
import { directSource, listKeys, sinkWith } from './support/lake.ts';

const DAY_START = Date.UTC(2024, 6, 1);
const NOW = DAY_START + 2 * TIME.DAY;
const DATASETS: readonly DatasetDefinition[] = DEFAULT_DATASETS;

let sim: RunningSimulator;
let root: string;
let sink: LocalLakeSink;
let db: DuckDb;

beforeAll(async () => {
  sim = await startSimulator({ now: NOW, segments: 12, seed: 5 });
  root = await mkdtemp(path.join(tmpdir(), 'peer5-curate-'));
  sink = new LocalLakeSink({ root });
  db = await openDuckDb();
  const run = await runBackfill({
    source: directSource(sim),
    sink,
    prefix: '',
    datasets: DATASETS,
    now: NOW,
    from: DAY_START,
    to: DAY_START + TIME.DAY,
  });
  expect(run.failed).toEqual([]);
});

afterAll(async () => {
  db?.close();
  await sim?.close();
  await rm(root, { recursive: true, force: true });
});

async function windowKeysOf(lake: LakeSink, dataset: DatasetDefinition): Promise<string[]> {
  return await listKeys(lake, RAW_TABLES.dayFolder('', dataset, DAY_START));
}

describe('curating a day the pipeline wrote', () => {
  it("marks every dataset's day when its windows are written, and curates each once", async () => {
    for (const dataset of DATASETS) expect(await markedDays(sink, '', dataset)).toEqual([DAY_START]);
    const result = await curateLake({ sink, prefix: '', datasets: DATASETS });
    expect(result.failed).toEqual([]);
    expect(result.written.map((day) => [day.dataset, day.day])).toEqual(
      DATASETS.map((dataset) => [dataset.name, '2024-07-01']),
    );
    for (const dataset of DATASETS) expect(await markedDays(sink, '', dataset)).toEqual([]);
    expect((await curateLake({ sink, prefix: '', datasets: DATASETS })).written).toEqual([]);
  });

  describe.each(DATASETS.map((dataset) => [dataset.name, dataset] as const))('%s', (_name, dataset) => {
    const file = () => path.join(root, CURATED_TABLES.objectKeyAt('', dataset, DAY_START));

    it('equals the CSV windows row for row and cell for cell, read by DuckDB', async () => {
      const expected = sortRows(
        dataset,
        await expectedRows(root, dataset, await windowKeysOf(sink, dataset)),
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(await duckDbRows(db, file(), dataset)).toEqual(expected);
    });

    it('equals the CSV windows row for row and cell for cell, read by hyparquet', async () => {
      const expected = sortRows(
        dataset,
        await expectedRows(root, dataset, await windowKeysOf(sink, dataset)),
      );
      expect(await hyparquetRows(new Uint8Array(await readFile(file())), dataset)).toEqual(expected);
    });
  });
});

describe('a marked day that is not final', () => {
  const [dataset] = DATASETS as [DatasetDefinition];
  const curatedKey = CURATED_TABLES.objectKeyAt('', dataset, DAY_START);
  const mark = curateMarkKey('', dataset, DAY_START);
  const window = DAY_START + 5 * TIME.HOUR;

  it('has its curated file removed while a window is provisional, and waits with its mark', async () => {
    await sink.put(provisionalMarkerKey('', dataset, window), new Uint8Array(0));
    await sink.put(mark, new Uint8Array(0));
    const result = await curateLake({ sink, prefix: '', datasets: [dataset] });
    expect(result.removed.map((day) => day.key)).toEqual([curatedKey]);
    expect(await sink.head(curatedKey)).toBeNull();
    const again = await curateLake({ sink, prefix: '', datasets: [dataset] });
    expect(again.waiting.map((day) => day.key)).toEqual([curatedKey]);
    expect(await sink.head(mark)).not.toBeNull();
    await sink.delete(provisionalMarkerKey('', dataset, window));
  });

  it('waits with its mark while a window is missing, and is written once it is back', async () => {
    const key = objectKey('', windowAt(dataset, window));
    const body = await readFile(path.join(root, key));
    await sink.delete(key);
    const result = await curateLake({ sink, prefix: '', datasets: [dataset] });
    expect(result.waiting).toEqual([expect.objectContaining({ day: '2024-07-01' })]);
    expect(await sink.head(curatedKey)).toBeNull();
    await sink.put(key, body);
    expect((await curateLake({ sink, prefix: '', datasets: [dataset] })).written).toHaveLength(1);
    expect(await sink.head(mark)).toBeNull();
  });

  it('is marked again when one of its windows is rewritten while it is being read', async () => {
    const key = objectKey('', windowAt(dataset, window));
    const body = await readFile(path.join(root, key));
    const racing = sinkWith(sink, {
      async get(k) {
        // An overlapping run writes the window again just after this one read it, and marks its day
        // once the window is stored, as every run does (DayMarks.afterWindow).
        const read = await sink.get(k);
        if (k === key) {
          await sink.put(key, body);
          await sink.put(mark, new Uint8Array(0));
        }
        return read;
      },
    });
    await sink.put(mark, new Uint8Array(0));
    expect((await curateLake({ sink: racing, prefix: '', datasets: [dataset] })).written).toHaveLength(1);
    expect(await sink.head(mark)).not.toBeNull();
    await curateLake({ sink, prefix: '', datasets: [dataset] });
    expect(await sink.head(mark)).toBeNull();
  });

  it('is curated again by the next run when a run is killed after taking its mark', async () => {
    const curatedBefore = await readFile(path.join(root, curatedKey));
    await sink.delete(curatedKey);
    await sink.put(mark, new Uint8Array(0));
    // The run dies while it stores the day's file: the put never returns, and nothing after it runs.
    const killed = sinkWith(sink, {
      put: (k, b) => (k === curatedKey ? new Promise(() => undefined) : sink.put(k, b)),
    });
    void curateLake({ sink: killed, prefix: '', datasets: [dataset] });
    await expect.poll(async () => sink.head(mark)).toBeNull();
    expect(await sink.head(curatedKey)).toBeNull();
    // What the dead run left: the claim it put before taking the mark.
    expect(await markedDays(sink, '', dataset)).toEqual([DAY_START]);
    expect(await sink.head(curateClaimKey('', dataset, DAY_START))).not.toBeNull();
    const next = await curateLake({ sink, prefix: '', datasets: [dataset] });
    expect(next.written.map((day) => day.key)).toEqual([curatedKey]);
    expect(await readFile(path.join(root, curatedKey))).toEqual(curatedBefore);
    expect(await markedDays(sink, '', dataset)).toEqual([]);
    expect(await listKeys(sink, curateMarkKey('', dataset, DAY_START))).toEqual([]);
  });

  it('has its mark put back when a window cannot be read', async () => {
    await sink.put(mark, new Uint8Array(0));
    const key = objectKey('', windowAt(dataset, window));
    const body = await readFile(path.join(root, key));
    await sink.put(key, Buffer.from('not gzip'));
    const result = await curateLake({ sink, prefix: '', datasets: [dataset] });
    expect(result.failed).toEqual([expect.objectContaining({ day: '2024-07-01' })]);
    expect(await sink.head(mark)).not.toBeNull();
    await sink.put(key, body);
    expect((await curateLake({ sink, prefix: '', datasets: [dataset] })).written).toHaveLength(1);
  });

  it('is left marked for the next run when the deadline is near', async () => {
    await sink.put(mark, new Uint8Array(0));
    const result = await curateLake({ sink, prefix: '', datasets: [dataset], deadline: 0, clock: () => 0 });
    expect(result).toMatchObject({ written: [], deferred: 1 });
    expect(await sink.head(mark)).not.toBeNull();
    await curateLake({ sink, prefix: '', datasets: [dataset] });
  });
});

describe('curating the days of a range', () => {
  const [dataset] = DATASETS as [DatasetDefinition];
  const days = [DAY_START - TIME.DAY, DAY_START, DAY_START + TIME.DAY];

  it('looks only at the marked days the range overlaps, and leaves the others marked', async () => {
    // Days with a mark and no window wait, so each one looked at is listed as waiting.
    const folder = await mkdtemp(path.join(tmpdir(), 'peer5-curate-range-'));
    const lake = new LocalLakeSink({ root: folder });
    for (const day of days) await lake.put(curateMarkKey('', dataset, day), new Uint8Array(0));
    const waitingDays = async (range: { from: number; to: number }) =>
      (await curateLake({ sink: lake, prefix: '', datasets: [dataset], days: range })).waiting.map(
        (day) => day.day,
      );
    // A range inside one day, and one from the last hour of a day to the first of the next.
    expect(await waitingDays({ from: DAY_START + 6 * TIME.HOUR, to: DAY_START + 12 * TIME.HOUR })).toEqual([
      '2024-07-01',
    ]);
    expect(await waitingDays({ from: DAY_START - TIME.HOUR, to: DAY_START + TIME.HOUR })).toEqual([
      '2024-06-30',
      '2024-07-01',
    ]);
    // A range that starts where a day ends does not reach that day.
    expect(await waitingDays({ from: DAY_START + TIME.DAY, to: DAY_START + 2 * TIME.DAY })).toEqual([
      '2024-07-02',
    ]);
    expect(await markedDays(lake, '', dataset)).toEqual(days);
    await rm(folder, { recursive: true, force: true });
  });
});
