/** Helpers for lake tests: read a table back and compare it with the simulator's final numbers. */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { S3LakeSink } from '../../../lambdas/adapters/s3-lake-sink.ts';
import type { ExportRow } from '../../../lambdas/core/contract.ts';
import {
  CADENCE_MS,
  columnsOf,
  type DatasetDefinition,
  exportRequestFor,
  parseDatasets,
  windowAt,
} from '../../../lambdas/core/datasets.ts';
import { provisionalPrefix, windowStartOfMarker } from '../../../lambdas/core/lake/keys.ts';
import { objectKey, tablePrefix, windowStartOfKey } from '../../../lambdas/core/lake/layout.ts';
import { readLakeObject } from '../../../lambdas/core/lake/read.ts';
import type { LakeSink } from '../../../lambdas/core/lake/sink.ts';
import type { ExportSource } from '../../../lambdas/core/source.ts';
import type { RunningSimulator } from '../../../simulator/index.ts';
import type { RunningMoto } from '../../support/moto.ts';

/**
 * `inner` with some of its operations replaced: the rest pass straight through, so a test writes
 * only the step it watches or changes.
 */
export function sinkWith(inner: LakeSink, replaced: Partial<Omit<LakeSink, 'location'>>): LakeSink {
  return {
    location: inner.location,
    list: (prefix, options) => inner.list(prefix, options),
    put: (key, body, options) => inner.put(key, body, options),
    get: (key) => inner.get(key),
    head: (key) => inner.head(key),
    delete: (key) => inner.delete(key),
    ...replaced,
  };
}

/**
 * The datasets of the end-to-end run tests: every metric by the minute, written hourly, and a
 * daily table split by browser and city.
 */
export const RUN_DATASETS = parseDatasets([
  {
    name: 'minutes',
    interval: '1m',
    metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
    cadence: 'hourly',
  },
  {
    name: 'by_browser_daily',
    interval: '1d',
    metrics: ['http', 'p2p', 'sessions'],
    dimensions: ['browser.name', 'city.name'],
    cadence: 'daily',
  },
]) as [DatasetDefinition, DatasetDefinition];

let bucketCount = 0;

/** A fresh bucket on moto and a sink writing to it. */
export async function freshS3Sink(
  moto: RunningMoto,
): Promise<{ sink: S3LakeSink; s3: S3Client; bucket: string }> {
  const s3 = new S3Client(moto.clientConfig);
  bucketCount += 1;
  const bucket = `lake-${process.pid}-${bucketCount}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { sink: new S3LakeSink({ s3, bucket }), s3, bucket };
}

export async function listKeys(sink: LakeSink, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of sink.list(prefix)) keys.push(key);
  return keys;
}

/** Row identity (timestamp and dimension values) -> metric values, in column order. */
export type RowTable = Map<string, number[]>;

function identity(timestamp: number, dimensions: readonly (string | null)[]): string {
  return JSON.stringify([timestamp, ...dimensions]);
}

export function tableOfRows(dataset: DatasetDefinition, rows: Iterable<ExportRow>): RowTable {
  const table: RowTable = new Map();
  for (const row of rows) {
    const key = identity(
      row.timestamp,
      dataset.dimensions.map((dimension) => row.dimensions[dimension] ?? null),
    );
    if (table.has(key)) throw new Error(`row ${key} appears twice in the source`);
    table.set(
      key,
      dataset.metrics.map((metric) => row.metrics[metric] ?? Number.NaN),
    );
  }
  return table;
}

export interface LakeTable {
  /** Window start -> its object key, for every object of the table. */
  readonly windows: Map<number, string>;
  readonly rows: RowTable;
  /** Window starts with a provisional marker. */
  readonly markers: Set<number>;
  /** Keys in the table folder that are not a window object. */
  readonly strays: string[];
}

/** Reads a whole table back: every object, gunzipped and parsed, checked against its window. */
export async function readTable(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
): Promise<LakeTable> {
  const windows = new Map<number, string>();
  const rows: RowTable = new Map();
  const strays: string[] = [];
  const columns = columnsOf(dataset).map((column) => column.name);
  const dimensionCount = dataset.dimensions.length;
  for (const key of await listKeys(sink, tablePrefix(prefix, dataset))) {
    const start = windowStartOfKey(prefix, dataset, key);
    if (start === null) {
      strays.push(key);
      continue;
    }
    windows.set(start, key);
    const records = await readLakeObject(sink, key);
    if (!records) throw new Error(`${key} vanished while reading`);
    let header = true;
    for await (const record of records) {
      if (header) {
        if (JSON.stringify(record) !== JSON.stringify(columns))
          throw new Error(`${key} has header ${record}`);
        header = false;
        continue;
      }
      const timestamp = Number(record[0]);
      const end = start + (dataset.cadence === 'hourly' ? 3_600_000 : 86_400_000);
      if (timestamp < start || timestamp >= end)
        throw new Error(`${key} holds a row at ${timestamp}, outside its window`);
      const id = identity(timestamp, record.slice(1, 1 + dimensionCount));
      if (rows.has(id)) throw new Error(`row ${id} appears twice in the lake`);
      rows.set(
        id,
        record.slice(1 + dimensionCount).map((value) => Number(value)),
      );
    }
    if (header) throw new Error(`${key} has no header`);
  }
  const markers = new Set<number>();
  for (const key of await listKeys(sink, provisionalPrefix(prefix, dataset))) {
    const start = windowStartOfMarker(prefix, dataset, key);
    if (start !== null) markers.add(start);
  }
  return { windows, rows, markers, strays };
}

/** Every window of [from, to) is in the table exactly once, under its own key, and nothing else is. */
export async function expectLakeWindows(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  from: number,
  to: number,
): Promise<LakeTable> {
  const table = await readTable(sink, prefix, dataset);
  const expected = new Map<number, string>();
  for (let start = from; start < to; start += CADENCE_MS[dataset.cadence])
    expected.set(start, objectKey(prefix, windowAt(dataset, start)));
  expect(table.windows).toEqual(expected);
  expect(table.strays).toEqual([]);
  return table;
}

/** The simulator's final rows of [from, to), as a table. */
export function finalRows(
  sim: RunningSimulator,
  dataset: DatasetDefinition,
  from: number,
  to: number,
): RowTable {
  return tableOfRows(dataset, sim.rows(exportRequestFor(dataset, from, to), { asOf: 'final' }));
}

/** Only the rows of a table whose timestamp is in [from, to). */
export function slice(table: RowTable, from: number, to: number): RowTable {
  const out: RowTable = new Map();
  for (const [key, values] of table) {
    const timestamp = (JSON.parse(key) as number[])[0] ?? Number.NaN;
    if (timestamp >= from && timestamp < to) out.set(key, values);
  }
  return out;
}

/** A source that serves the simulator's numbers as of its clock, without HTTP (for fast tests). */
export function directSource(sim: RunningSimulator): ExportSource {
  return {
    async *rows(query) {
      yield* sim.rows(query, { asOf: sim.now() });
    },
  };
}
