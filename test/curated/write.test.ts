import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_DATASET } from '../../bench/settings.ts';
import { viewSql } from '../../bin/cli/query.ts';
import {
  CURATED_ROW_GROUP_ROWS,
  CuratedDay,
  curatedParquet,
  curatedParquetChunks,
  glueColumnsOf,
} from '../../lambdas/core/curated/index.ts';
import { columnsOf, type DatasetDefinition, DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { parseOpenCsvLine } from '../support/opencsv.ts';
import {
  type Cell,
  DAY,
  DOUBLE_VALUES,
  type DuckDb,
  duckDbRows,
  expectedRows,
  hyparquetRows,
  openDuckDb,
  random,
  sortRows,
  sqlString,
  TRICKY_TEXT,
  windowRecords,
  writeDay,
} from './support.ts';

const DATASETS: readonly DatasetDefinition[] = [...DEFAULT_DATASETS, BENCH_DATASET];

let root: string;
let db: DuckDb;
const lake = () => path.join(root, 'lake');

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'peer5-curated-'));
  db = await openDuckDb();
});

afterAll(async () => {
  db.close();
  await rm(root, { recursive: true, force: true });
});

/** Curates the day from its windows, added in an order shuffled by `seed`, and saves the file. */
async function curate(
  dataset: DatasetDefinition,
  lake: string,
  keys: readonly string[],
  seed: number,
): Promise<{ bytes: Uint8Array; file: string }> {
  const shuffled = [...keys];
  const next = random(seed);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
  }
  const day = new CuratedDay(dataset, DAY);
  for (const key of shuffled) await day.addWindow(windowRecords(lake, key), key);
  const bytes = curatedParquet(day);
  const file = path.join(root, `${dataset.name}-${seed}.parquet`);
  await writeFile(file, bytes);
  return { bytes, file };
}

const glueToDuckDb = { bigint: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR' } as const;

describe.each(DATASETS.map((dataset) => [dataset.name, dataset] as const))(
  'the curated day of %s',
  (_name, dataset) => {
    let expected: Cell[][];
    let bytes: Uint8Array;
    let file: string;
    let keys: string[];

    beforeAll(async () => {
      ({ keys } = await writeDay(lake(), dataset, { seed: dataset.name.length }));
      expected = sortRows(dataset, await expectedRows(lake(), dataset, keys));
      ({ bytes, file } = await curate(dataset, lake(), keys, 1));
    });

    it('is tested with every tricky value: unknown, empty, unicode, quotes, commas, backslashes, big and tiny numbers', () => {
      const cells = new Set(expected.flat());
      if (dataset.dimensions.length > 0) {
        for (const text of TRICKY_TEXT) expect(cells).toContain(text?.replace(/\n/g, ' ') ?? null);
      }
      expect(cells).toContain(BigInt(Number.MAX_SAFE_INTEGER));
      expect(cells).toContain(0n);
      for (const value of DOUBLE_VALUES) expect(cells).toContain(value);
    });

    it('equals the CSV windows row for row and cell for cell, read by DuckDB, in the documented order', async () => {
      expect(await duckDbRows(db, file, dataset)).toEqual(expected);
    });

    it('equals the CSV windows row for row and cell for cell, read by hyparquet', async () => {
      expect(await hyparquetRows(bytes, dataset)).toEqual(expected);
    });

    it('is sorted as DuckDB sorts it by timestamp and then the dimensions', async () => {
      const names = columnsOf(dataset).map((c) => c.name);
      const order = names
        .slice(0, dataset.dimensions.length + 1)
        .map((name) => `"${name}" ASC NULLS LAST`)
        .join(', ');
      const rows = await db.all(
        `SELECT * FROM read_parquet(${sqlString(file)}) ORDER BY ${order}, "${names.at(-1)}"`,
      );
      expect(rows.map((row) => names.map((name) => row[name]))).toEqual(await duckDbRows(db, file, dataset));
    });

    it('has the Glue column names and types, read by DuckDB', async () => {
      const described = await db.all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
      expect(described.map((row) => [row.column_name, row.column_type])).toEqual(
        glueColumnsOf(dataset).map((column) => [column.name, glueToDuckDb[column.type]]),
      );
    });

    it('agrees with the raw table as the local query command reads it, NULLs and empty strings included', async () => {
      await db.all(viewSql('main', lake(), '', dataset));
      const list = columnsOf(dataset)
        .map((c) => `"${c.name}"`)
        .join(', ');
      const raw = `SELECT ${list} FROM main."${dataset.name}"`;
      const curated = `SELECT ${list} FROM read_parquet(${sqlString(file)})`;
      const [difference] = await db.all(
        `SELECT count(*) AS n FROM ((${raw} EXCEPT ALL ${curated}) UNION ALL (${curated} EXCEPT ALL ${raw}))`,
      );
      expect(difference?.n).toBe(0n);
    });

    it("reads as the raw table reads in Athena once an unknown value is shown as ''", async () => {
      // Athena's OpenCSVSerDe reads every field as text and has no NULL for it: COALESCE(dim, '').
      const columns = columnsOf(dataset);
      const athena: string[] = [];
      for (const key of keys) {
        const body = await readFile(path.join(lake(), key));
        const lines = gunzipSync(body).toString('utf8').split('\n').slice(1, -1);
        for (const line of lines) athena.push(JSON.stringify(parseOpenCsvLine(line, columns.length)));
      }
      const curated = (await hyparquetRows(bytes, dataset)).map((row) =>
        JSON.stringify(row.map((cell) => (cell === null ? '' : String(cell)))),
      );
      expect(curated.sort()).toEqual(athena.sort());
    });

    it('is one SNAPPY row group at this size, with statistics readers can use', async () => {
      const meta = await db.all(
        `SELECT row_group_id, row_group_num_rows, compression, path_in_schema, stats_min_value FROM parquet_metadata(${sqlString(file)})`,
      );
      expect(new Set(meta.map((m) => m.compression))).toEqual(new Set(['SNAPPY']));
      expect(new Set(meta.map((m) => m.row_group_id))).toEqual(new Set([0n]));
      expect(meta[0]?.row_group_num_rows).toBe(BigInt(expected.length));
      expect(expected.length).toBeLessThan(CURATED_ROW_GROUP_ROWS);
      const timestampMin = meta.find((m) => m.path_in_schema === 'timestamp')?.stats_min_value;
      expect(timestampMin).toBe(String(expected[0]?.[0]));
    });

    it('comes out the same, byte for byte, whatever order the windows were added in', async () => {
      const again = await curate(dataset, lake(), keys, 2);
      expect(Buffer.from(again.bytes).equals(Buffer.from(bytes))).toBe(true);
    });
  },
);

describe('row groups of a large day', () => {
  it('are CURATED_ROW_GROUP_ROWS-sized, in order across groups, and stream out as chunks', async () => {
    const lake = path.join(root, 'groups');
    const { keys } = await writeDay(lake, BENCH_DATASET, { seed: 3, rowsPerBucket: 5 });
    const expected = sortRows(BENCH_DATASET, await expectedRows(lake, BENCH_DATASET, keys));
    const day = new CuratedDay(BENCH_DATASET, DAY);
    for (const key of keys) await day.addWindow(windowRecords(lake, key), key);
    const groupRows = 1000;
    const chunks = [...curatedParquetChunks(day, { rowGroupRows: groupRows })];
    const bytes = Buffer.concat(chunks);
    expect(bytes.equals(Buffer.from(curatedParquet(day, { rowGroupRows: groupRows })))).toBe(true);
    const file = path.join(root, 'groups.parquet');
    await writeFile(file, bytes);

    const groups = await db.all(
      `SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${sqlString(file)}) ORDER BY 1`,
    );
    const sizes = groups.map((g) => Number(g.row_group_num_rows));
    expect(sizes.length).toBe(Math.ceil(expected.length / groupRows));
    expect(sizes.slice(0, -1).every((size) => size === groupRows)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(expected.length);
    // About one chunk per row group, so a caller can stream the upload.
    expect(chunks.length).toBeGreaterThanOrEqual(sizes.length);
    expect(await duckDbRows(db, file, BENCH_DATASET)).toEqual(expected);
    expect(await hyparquetRows(bytes, BENCH_DATASET)).toEqual(expected);
  });
});
