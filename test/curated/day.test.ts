import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_DATASET } from '../../bench/settings.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { CuratedDay, CuratedDayError, curatedParquet } from '../../lambdas/core/curated/index.ts';
import { columnsOf, DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { LakeCsvEncoder } from '../../lambdas/core/lake/csv.ts';
import { readLakeCsv } from '../../lambdas/core/lake/read.ts';
import {
  DAY,
  type DuckDb,
  duckDbRows,
  hyparquetMetadata,
  hyparquetRows,
  openDuckDb,
  sqlString,
  windowRecords,
  writeDay,
} from './support.ts';

const HEADER = columnsOf(BENCH_DATASET)
  .map((c) => c.name)
  .join(',');

/** A window's records, read by the real lake reader from gzip CSV text. */
function records(csv: string) {
  return readLakeCsv(Readable.from([gzipSync(csv)]));
}

let root: string;
let db: DuckDb;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'peer5-curated-day-'));
  db = await openDuckDb();
});

afterAll(async () => {
  db.close();
  await rm(root, { recursive: true, force: true });
});

async function save(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(root, `${name}.parquet`);
  await writeFile(file, bytes);
  return file;
}

describe('whole numbers in a curated day', () => {
  it('keep every digit up to the BIGINT limits, beyond what a JS number holds', async () => {
    const day = new CuratedDay(BENCH_DATASET, DAY);
    const lines = [
      `${DAY},a,p,9223372036854775807,9007199254740993,0,1,0.5`,
      `${DAY},b,p,-9223372036854775808,9007199254740991,0,1,0.5`,
      `${DAY + TIME.MINUTE},a,p,${Number.MAX_SAFE_INTEGER},18014398509481985,0,1,0.5`,
    ];
    await day.addWindow(records(`${HEADER}\n${lines.join('\n')}\n`), 'big.csv.gz');
    const bytes = curatedParquet(day);
    const expected = [
      [BigInt(DAY), 'a', 'p', 9223372036854775807n, 9007199254740993n, 0n, 1n, 0.5],
      [BigInt(DAY), 'b', 'p', -9223372036854775808n, 9007199254740991n, 0n, 1n, 0.5],
      [BigInt(DAY + TIME.MINUTE), 'a', 'p', 9007199254740991n, 18014398509481985n, 0n, 1n, 0.5],
    ];
    expect(await duckDbRows(db, await save('big', bytes), BENCH_DATASET)).toEqual(expected);
    expect(await hyparquetRows(bytes, BENCH_DATASET)).toEqual(expected);
  });

  it('refuses a value beyond BIGINT, naming the window, line and column', async () => {
    const day = new CuratedDay(BENCH_DATASET, DAY);
    await expect(
      day.addWindow(records(`${HEADER}\n${DAY},a,p,9223372036854775808,0,0,0,0\n`), 'w.csv.gz'),
    ).rejects.toThrow(/^w\.csv\.gz line 2: http "9223372036854775808" is not a BIGINT/);
  });
});

describe('a day without traffic', () => {
  it.each([...DEFAULT_DATASETS, BENCH_DATASET].map((d) => [d.name, d] as const))(
    'of %s is a Parquet file with the schema and no rows',
    async (_name, dataset) => {
      const lake = path.join(root, 'empty');
      const { keys } = await writeDay(lake, dataset, { empty: true });
      const day = new CuratedDay(dataset, DAY);
      for (const key of keys) expect(await day.addWindow(windowRecords(lake, key), key)).toBe(0);
      const bytes = curatedParquet(day);
      const file = await save(`empty-${dataset.name}`, bytes);
      expect(await db.all(`SELECT * FROM read_parquet(${sqlString(file)})`)).toEqual([]);
      const described = await db.all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
      expect(described.map((row) => row.column_name)).toEqual(columnsOf(dataset).map((c) => c.name));
      const metadata = hyparquetMetadata(bytes);
      expect(metadata.num_rows).toBe(0n);
      expect(metadata.row_groups).toEqual([]);
      expect(await hyparquetRows(bytes, dataset)).toEqual([]);
    },
  );
});

describe('windows a curated day refuses', () => {
  const line = (rest: string, at = DAY) => `${HEADER}\n${at},${rest}\n`;
  const cases: [string, string, RegExp][] = [
    [
      'a header of other columns',
      'timestamp,city_name,http\n',
      /header .* is not the columns of bench_city_page_1m/,
    ],
    ['no header at all', '', /the window is empty; it must start with a header/],
    ['a record of the wrong width', line('a,p,1,2,3'), /line 2: 6 fields where 8 were expected/],
    [
      'a timestamp on another day',
      line('a,p,1,2,3,4,5', DAY + TIME.DAY),
      /line 2: timestamp .* is outside the day 2026-11-24/,
    ],
    [
      'a timestamp off the bucket grid',
      line('a,p,1,2,3,4,5', DAY + 30_000),
      /line 2: timestamp .* is not the start of a 1m bucket/,
    ],
    [
      'a timestamp that is not a number',
      `${HEADER}\n2026-11-24,a,p,1,2,3,4,5\n`,
      /line 2: timestamp "2026-11-24" is not epoch milliseconds/,
    ],
    ['an empty metric', line('a,p,,2,3,4,5'), /line 2: http null is not a BIGINT/],
    ['a fractional BIGINT', line('a,p,1.5,2,3,4,5'), /line 2: http "1.5" is not a BIGINT/],
    [
      'a DOUBLE that is not a number',
      line('a,p,1,2,3,4,NaN'),
      /line 2: sessions "NaN" is not a finite number/,
    ],
  ];
  it.each(cases)('such as one with %s, naming the window and line', async (_what, csv, message) => {
    const day = new CuratedDay(BENCH_DATASET, DAY);
    const error = await day.addWindow(records(csv), 'lake/w.csv.gz').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CuratedDayError);
    expect((error as Error).message).toMatch(/^lake\/w\.csv\.gz/);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a row that appears twice, as when a window is added twice', async () => {
    const encoder = new LakeCsvEncoder(BENCH_DATASET);
    const csv =
      encoder.header +
      encoder.line({
        timestamp: DAY,
        dimensions: { 'city.name': null, 'session.page': '' },
        metrics: { http: 1, p2p: 2, played: 3, rebuffered: 4, sessions: 5 },
      });
    const day = new CuratedDay(BENCH_DATASET, DAY);
    await day.addWindow(records(csv), 'w');
    await day.addWindow(records(csv), 'w');
    expect(() => curatedParquet(day)).toThrow(
      /bench_city_page_1m 2026-11-24T00:00:00.000Z: the row \[null,""\] appears twice/,
    );
  });

  it('tells an unknown value from an empty string, so both may share a bucket', async () => {
    const encoder = new LakeCsvEncoder(BENCH_DATASET);
    const metrics = { http: 1, p2p: 2, played: 3, rebuffered: 4, sessions: 5 };
    const csv =
      encoder.header +
      encoder.line({ timestamp: DAY, dimensions: { 'city.name': '', 'session.page': null }, metrics }) +
      encoder.line({ timestamp: DAY, dimensions: { 'city.name': null, 'session.page': null }, metrics });
    const day = new CuratedDay(BENCH_DATASET, DAY);
    await day.addWindow(records(csv), 'w');
    const rows = await hyparquetRows(curatedParquet(day), BENCH_DATASET);
    expect(rows.map((row) => row.slice(1, 3))).toEqual([
      ['', null],
      [null, null],
    ]);
  });

  it('adds a refused window not at all, so the day stays as it was', async () => {
    const good = `${HEADER}\n${DAY},a,p,1,2,3,4,5\n`;
    const bad = `${HEADER}\n${DAY + TIME.MINUTE},a,p,1,2,3,4,5\n${DAY + TIME.MINUTE},b,p,1,x,3,4,5\n`;
    const day = new CuratedDay(BENCH_DATASET, DAY);
    await day.addWindow(records(good), 'good');
    await expect(day.addWindow(records(bad), 'bad')).rejects.toThrow(/^bad line 3: p2p "x"/);
    expect(day.rows).toBe(1);
    expect(await hyparquetRows(curatedParquet(day), BENCH_DATASET)).toEqual([
      [BigInt(DAY), 'a', 'p', 1n, 2n, 3n, 4n, 5],
    ]);
  });

  it('refuses rows once the day has been written', async () => {
    const day = new CuratedDay(BENCH_DATASET, DAY);
    curatedParquet(day);
    expect(() => day.add([String(DAY), 'a', 'p', '1', '2', '3', '4', '5'])).toThrow(/after it is written/);
  });

  it('refuses a day that does not start at midnight UTC', () => {
    expect(() => new CuratedDay(BENCH_DATASET, DAY + TIME.HOUR)).toThrow(RangeError);
  });
});
