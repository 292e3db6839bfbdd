/**
 * Curated days on S3 (moto): a forced backfill of one window rewrites its day's Parquet file from
 * the windows, and leaves nothing stale behind: no mark, no marker, no second file, no upload part.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { columnsOf, type DatasetDefinition, DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { curateAfterRun } from '../../lambdas/core/lake/curate.ts';
import { CURATED_TABLES, RAW_TABLES } from '../../lambdas/core/lake/layout.ts';
import { readLakeObject } from '../../lambdas/core/lake/read.ts';
import { runBackfill } from '../../lambdas/core/lake/run.ts';
import type { LakeSink } from '../../lambdas/core/lake/sink.ts';
import type { ExportSource } from '../../lambdas/core/source.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import {
  type Cell,
  type DuckDb,
  duckDbRows,
  hyparquetRows,
  openDuckDb,
  sortRows,
} from '../curated/support.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';
import { freshS3Sink, listKeys } from './support/lake.ts';

const DAY_START = Date.UTC(2024, 6, 1);
const NOW = DAY_START + 2 * TIME.DAY;
const REWRITTEN = DAY_START + 13 * TIME.HOUR;
const dataset = DEFAULT_DATASETS.find((candidate) => candidate.name === 'by_country_1h') as DatasetDefinition;

let moto: RunningMoto;
let sim: RunningSimulator;
let db: DuckDb;
let work: string;
let lake: { sink: LakeSink; s3: S3Client; bucket: string };
/** Added to every `http` value of the rewritten window once the API "corrects" it. */
let correction = 0;

/** The simulator's numbers, with the rewritten window's `http` raised by `correction`. */
const source: ExportSource = {
  async *rows(query) {
    for (const row of sim.rows(query, { asOf: 'final' })) {
      const inWindow = row.timestamp >= REWRITTEN && row.timestamp < REWRITTEN + TIME.HOUR;
      yield inWindow
        ? { ...row, metrics: { ...row.metrics, http: (row.metrics.http ?? 0) + correction } }
        : row;
    }
  },
};

beforeAll(async () => {
  moto = await startMoto();
  sim = await startSimulator({ now: NOW, segments: 8, seed: 9 });
  db = await openDuckDb();
  work = await mkdtemp(path.join(tmpdir(), 'peer5-curate-s3-'));
  lake = await freshS3Sink(moto);
});

afterAll(async () => {
  lake?.s3.destroy();
  db?.close();
  await sim?.close();
  await moto?.stop();
  await rm(work, { recursive: true, force: true });
});

async function backfill(from: number, to: number, force: boolean) {
  const settings = { source, sink: lake.sink, prefix: 'peer5', datasets: [dataset], now: NOW };
  const run = await runBackfill({ ...settings, from, to, force });
  expect(run.failed).toEqual([]);
  return { run, curation: await curateAfterRun(settings) };
}

/** The day's rows as its CSV windows on S3 hold them, typed and in the curated order. */
async function windowRows(): Promise<Cell[][]> {
  const columns = columnsOf(dataset);
  const typed = (field: string | null, type: string | undefined): Cell =>
    type === 'string' ? field : type === 'bigint' ? BigInt(field ?? '') : Number(field);
  const rows: Cell[][] = [];
  for (const key of await listKeys(lake.sink, RAW_TABLES.dayFolder('peer5', dataset, DAY_START))) {
    let header = true;
    for await (const record of (await readLakeObject(lake.sink, key)) ?? []) {
      if (!header) rows.push(record.map((field, i) => typed(field, columns[i]?.type)));
      header = false;
    }
  }
  return sortRows(dataset, rows);
}

/** The day's curated file on S3, read by hyparquet and by DuckDB (from a copy on disk). */
async function curatedRows(): Promise<{ hyparquet: Cell[][]; duckdb: Cell[][] }> {
  const body = await lake.sink.get(CURATED_TABLES.objectKeyAt('peer5', dataset, DAY_START));
  if (body === null) throw new Error('the day was not curated');
  const bytes = new Uint8Array(await buffer(body));
  const file = path.join(work, `copy-${Date.now()}.parquet`);
  await writeFile(file, bytes);
  return { hyparquet: await hyparquetRows(bytes, dataset), duckdb: await duckDbRows(db, file, dataset) };
}

describe('a curated day on S3', () => {
  let before: Cell[][];

  it('is written once the backfilled day is final, and equals its windows', async () => {
    const { curation } = await backfill(DAY_START, DAY_START + TIME.DAY, false);
    expect(curation.written.map((day) => day.key)).toEqual([
      CURATED_TABLES.objectKeyAt('peer5', dataset, DAY_START),
    ]);
    before = await windowRows();
    expect(before.length).toBeGreaterThan(24);
    const read = await curatedRows();
    expect(read.hyparquet).toEqual(before);
    expect(read.duckdb).toEqual(before);
  });

  it('is rewritten to match after a forced backfill of one of its windows', async () => {
    correction = 1_000;
    const { run, curation } = await backfill(REWRITTEN, REWRITTEN + TIME.HOUR, true);
    expect(run.windows).toHaveLength(1);
    expect(curation.written).toHaveLength(1);
    const after = await windowRows();
    expect(after).not.toEqual(before);
    const read = await curatedRows();
    expect(read.hyparquet).toEqual(after);
    expect(read.duckdb).toEqual(after);
    const changed = read.hyparquet.filter(
      (row, i) =>
        JSON.stringify(row, (_k, v) => String(v)) !== JSON.stringify(before[i], (_k, v) => String(v)),
    );
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((row) => Number(row[0]) === REWRITTEN)).toBe(true);
  });

  it('leaves nothing stale: the windows and one file, no mark, no marker, no upload in progress', async () => {
    const keys = await listKeys(lake.sink, 'peer5/');
    const windows = await listKeys(lake.sink, RAW_TABLES.tablePrefix('peer5', dataset));
    expect(windows).toHaveLength(24);
    expect(keys).toEqual([...windows, CURATED_TABLES.objectKeyAt('peer5', dataset, DAY_START)].sort());
    const uploads = await lake.s3.send(new ListMultipartUploadsCommand({ Bucket: lake.bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
    expect(
      (await curateAfterRun({ source, sink: lake.sink, prefix: 'peer5', datasets: [dataset], now: NOW }))
        .written,
    ).toEqual([]);
  });
});
