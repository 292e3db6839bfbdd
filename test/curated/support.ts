/**
 * Helpers for curated-table tests: a day of lake windows written by the real CSV encoder into a
 * local lake folder, the same windows read back by the real reader, and the curated file read back
 * by two independent Parquet readers (DuckDB and hyparquet).
 */
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { INTERVAL_MS, TIME } from '../../lambdas/core/contract.ts';
import { CADENCE_MS, columnsOf, type DatasetDefinition, windowAt } from '../../lambdas/core/datasets.ts';
import { LakeCsvEncoder } from '../../lambdas/core/lake/csv.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import { readLakeCsv } from '../../lambdas/core/lake/read.ts';

export const DAY = Date.UTC(2026, 10, 24);

/** Dimension values that break naive writers and readers, NULL (unknown) and '' included. */
export const TRICKY_TEXT: readonly (string | null)[] = [
  null,
  '',
  ' leading space',
  'trailing space ',
  'São Paulo',
  'Zürich',
  '東京',
  // Astral vs. U+FFFF: UTF-16 order and code point (UTF-8) order disagree on these two.
  '😀 smile',
  '\uffff',
  '\ue000 private',
  'say "hi"',
  'a,b,c',
  'C:\\temp\\video',
  '\\',
  '\\"',
  '"',
  '=HYPERLINK("http://x")',
  '<script>alert(1)</script>',
  'https://example.com/watch?v=1&t=2,3',
  'line\nbreak',
];

/** Whole-number metric values, up to the largest the encoder (and so the API path) can write. */
export const BIG_VALUES = [0, 1, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 2, Number.MAX_SAFE_INTEGER];
/** Double values at the edges: tiny, huge, denormal, and decimals with no exact binary form. */
export const DOUBLE_VALUES = [0, 0.1, 123.456, 1e-7, 5e-324, 1.7976931348623157e308, 2 / 3];

/** A deterministic PRNG (mulberry32), so a failing test fails the same way every run. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DayWindows {
  /** The lake key of each window, in key order. */
  readonly keys: string[];
  /** Each window's gzip CSV bytes, by key. */
  readonly bodies: Map<string, Buffer>;
}

/**
 * One UTC day of windows of `dataset`, rows made up from TRICKY_TEXT, BIG_VALUES and DOUBLE_VALUES,
 * encoded by LakeCsvEncoder, and written under `root` as the local lake does (for DuckDB's view).
 * `rowsPerBucket` rows per bucket for split datasets; unsplit ones have one row per bucket.
 */
export async function writeDay(
  root: string,
  dataset: DatasetDefinition,
  options: { readonly seed?: number; readonly rowsPerBucket?: number; readonly empty?: boolean } = {},
): Promise<DayWindows> {
  const next = random(options.seed ?? 1);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const encoder = new LakeCsvEncoder(dataset);
  const bucketMs = INTERVAL_MS[dataset.interval];
  const windowMs = CADENCE_MS[dataset.cadence];
  const keys: string[] = [];
  const bodies = new Map<string, Buffer>();
  let counter = 0;
  const row = (bucket: number, dimensions: Record<string, string | null>): string => {
    counter += 1;
    // Every edge value in turn, with made-up ones between them.
    const metrics = Object.fromEntries(
      dataset.metrics.map((m, j) => {
        const values = m === 'sessions' ? DOUBLE_VALUES : BIG_VALUES;
        const madeUp = m === 'sessions' ? Math.round(next() * 1e6) / 1000 : Math.floor(next() * 1e12);
        return [m, counter % 3 === 2 ? madeUp : values[(counter + j) % values.length]];
      }),
    );
    return encoder.line({ timestamp: bucket, dimensions, metrics });
  };
  for (let start = DAY; start < DAY + TIME.DAY; start += windowMs) {
    let csv = encoder.header;
    for (let bucket = start; bucket < start + windowMs && !options.empty; bucket += bucketMs) {
      if (dataset.dimensions.length === 0) {
        csv += row(bucket, {});
        continue;
      }
      // The day's first bucket holds every tricky value; later ones a random pick of them.
      const combinations =
        bucket === DAY
          ? TRICKY_TEXT.map((value) => dataset.dimensions.map(() => value))
          : Array.from({ length: options.rowsPerBucket ?? 4 }, () =>
              dataset.dimensions.map(() => pick(TRICKY_TEXT)),
            );
      const seen = new Set<string>();
      for (const values of combinations) {
        // The encoder flattens line breaks, so compare the values as they will be stored.
        const identity = JSON.stringify(values.map((value) => value?.replace(/\n/g, ' ')));
        if (seen.has(identity)) continue;
        seen.add(identity);
        csv += row(bucket, Object.fromEntries(dataset.dimensions.map((d, i) => [d, values[i] ?? null])));
      }
    }
    const key = objectKey('', windowAt(dataset, start));
    const body = gzipSync(csv);
    keys.push(key);
    bodies.set(key, body);
    const file = path.join(root, key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, body);
  }
  return { keys, bodies };
}

/** A window's records as the lake reader yields them (header first), from the file under `root`. */
export function windowRecords(root: string, key: string): AsyncIterable<(string | null)[]> {
  return readLakeCsv(createReadStream(path.join(root, key)));
}

/** One cell of the curated table as a reader returns it: bigint, number, string or null. */
export type Cell = bigint | number | string | null;

/** The expected curated rows: every window's records typed as the Glue table types them. */
export async function expectedRows(
  root: string,
  dataset: DatasetDefinition,
  keys: readonly string[],
): Promise<Cell[][]> {
  const columns = columnsOf(dataset);
  const rows: Cell[][] = [];
  for (const key of keys) {
    let header = true;
    for await (const record of windowRecords(root, key)) {
      if (header) {
        header = false;
        continue;
      }
      rows.push(
        record.map((field, i) => {
          const type = columns[i]?.type;
          if (type === 'string') return field;
          if (field === null) throw new Error(`${key}: empty ${columns[i]?.name}`);
          return type === 'bigint' ? BigInt(field) : Number(field);
        }),
      );
    }
  }
  return rows;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** The documented order, written independently of the module: timestamp, then dimensions, bytes, NULL last. */
export function sortRows(dataset: DatasetDefinition, rows: Cell[][]): Cell[][] {
  const dimensionCount = dataset.dimensions.length;
  return [...rows].sort((a, b) => {
    const ta = a[0] as bigint;
    const tb = b[0] as bigint;
    if (ta !== tb) return ta < tb ? -1 : 1;
    for (let i = 1; i <= dimensionCount; i++) {
      const x = a[i] as string | null;
      const y = b[i] as string | null;
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return Buffer.compare(utf8(x), utf8(y));
    }
    return 0;
  });
}

export interface DuckDb {
  all(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

export async function openDuckDb(): Promise<DuckDb> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    async all(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The file's rows in file order, read by DuckDB, one array of cells per row in column order. */
export async function duckDbRows(db: DuckDb, file: string, dataset: DatasetDefinition): Promise<Cell[][]> {
  const names = columnsOf(dataset).map((c) => c.name);
  const rows = await db.all(`SELECT * FROM read_parquet(${sqlString(file)})`);
  return rows.map((row) => names.map((name) => row[name] as Cell));
}

/** The file's rows in file order, read by hyparquet (pure JS, no code shared with DuckDB). */
export async function hyparquetRows(bytes: Uint8Array, dataset: DatasetDefinition): Promise<Cell[][]> {
  const names = columnsOf(dataset).map((c) => c.name);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  return rows.map((row) => names.map((name) => (row[name] === undefined ? null : (row[name] as Cell))));
}

export function hyparquetMetadata(bytes: Uint8Array) {
  return parquetMetadata(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  );
}
