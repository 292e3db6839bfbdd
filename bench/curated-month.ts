/**
 * What the curated tables save a query over a month: 30 days of every default dataset written into
 * a local lake by the real pipeline (the simulator's model as the source), curated, and then, per
 * dataset and overall, two ratios, curated ÷ raw:
 *
 *   objects a whole-month query opens: Athena opens every object of the partitions it reads, so
 *     720 windows of an hourly table against 30 curated files;
 *   bytes a two-column query reads (`timestamp` and `p2p`, as a daily offload sum does): a gzip
 *     CSV cannot be split or read by column, so every byte of every window; of a Parquet file, the
 *     footer and those two columns' chunks (their compressed sizes, from the file's own metadata).
 *
 * `npx tsx bench/curated-month.ts` (`--quick`: 7 days). Part of `npm run bench`.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { LocalLakeSink } from '../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../lambdas/core/contract.ts';
import { type DatasetDefinition, DEFAULT_DATASETS } from '../lambdas/core/datasets.ts';
import { curateLake } from '../lambdas/core/lake/curate.ts';
import { CURATED_TABLES, RAW_TABLES } from '../lambdas/core/lake/layout.ts';
import { runBackfill } from '../lambdas/core/lake/run.ts';
import { startSimulator } from '../simulator/index.ts';

const FIRST_DAY = Date.UTC(2024, 2, 1);
/** The two columns the bytes ratio reads. */
const TWO_COLUMNS = ['timestamp', 'p2p'] as const;
/** A Parquet file ends in its footer, then the footer's length (4 bytes) and `PAR1` (4 bytes). */
const FOOTER_TAIL_BYTES = 8;

interface Tally {
  rawObjects: number;
  curatedObjects: number;
  rawBytes: number;
  curatedBytesRead: number;
  curatedBytes: number;
}

async function keysOf(sink: LocalLakeSink, folder: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of sink.list(folder)) keys.push(key);
  return keys;
}

/** Bytes a reader of `columns` fetches from a Parquet file: the footer and those columns' chunks. */
async function bytesReadOf(file: string, columns: readonly string[]): Promise<number> {
  const bytes = await readFile(file);
  const footer = bytes.readUInt32LE(bytes.length - FOOTER_TAIL_BYTES);
  const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  let read = footer + FOOTER_TAIL_BYTES;
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      if (columns.includes(chunk.meta_data?.path_in_schema[0] ?? '')) {
        read += Number(chunk.meta_data?.total_compressed_size ?? 0);
      }
    }
  }
  return read;
}

async function tallyOf(sink: LocalLakeSink, root: string, dataset: DatasetDefinition): Promise<Tally> {
  const tally: Tally = {
    rawObjects: 0,
    curatedObjects: 0,
    rawBytes: 0,
    curatedBytesRead: 0,
    curatedBytes: 0,
  };
  for (const key of await keysOf(sink, RAW_TABLES.tablePrefix('', dataset))) {
    tally.rawObjects += 1;
    tally.rawBytes += (await stat(join(root, key))).size;
  }
  for (const key of await keysOf(sink, CURATED_TABLES.tablePrefix('', dataset))) {
    tally.curatedObjects += 1;
    tally.curatedBytes += (await stat(join(root, key))).size;
    tally.curatedBytesRead += await bytesReadOf(join(root, key), TWO_COLUMNS);
  }
  return tally;
}

function ratio(a: number, b: number): string {
  return b === 0 ? '-' : (a / b).toFixed(4);
}

async function benchCuratedMonth(options: { readonly days: number; readonly segments: number }) {
  const root = await mkdtemp(join(tmpdir(), 'peer5-curated-month-'));
  const lastDay = FIRST_DAY + options.days * TIME.DAY;
  const sim = await startSimulator({ now: lastDay + 2 * TIME.DAY, segments: options.segments, seed: 1 });
  const sink = new LocalLakeSink({ root });
  const source = {
    async *rows(query: Parameters<typeof sim.rows>[0]) {
      yield* sim.rows(query, { asOf: 'final' });
    },
  };
  try {
    process.stderr.write(`writing ${options.days} days of ${DEFAULT_DATASETS.length} datasets... `);
    // A day at a time, each as of two days later: inside every interval's look-back, and settled.
    for (let day = FIRST_DAY; day < lastDay; day += TIME.DAY) {
      const run = await runBackfill({
        source,
        sink,
        prefix: '',
        datasets: DEFAULT_DATASETS,
        from: day,
        to: day + TIME.DAY,
        now: day + 2 * TIME.DAY,
      });
      if (run.failed.length > 0 || run.gaps.length > 0)
        throw new Error(`the backfill of ${new Date(day).toISOString()} was incomplete`);
    }
    process.stderr.write('curating...\n');
    const curation = await curateLake({ sink, prefix: '', datasets: DEFAULT_DATASETS });
    if (curation.written.length !== options.days * DEFAULT_DATASETS.length) {
      throw new Error(
        `curated ${curation.written.length} days, expected ${options.days * DEFAULT_DATASETS.length}`,
      );
    }
    const header = [
      'dataset',
      'cadence',
      'raw objects',
      'curated',
      'objects ratio',
      'raw MB',
      'curated MB',
      '2-col MB read',
      'bytes ratio',
    ];
    const rows: string[][] = [];
    const total: Tally = {
      rawObjects: 0,
      curatedObjects: 0,
      rawBytes: 0,
      curatedBytesRead: 0,
      curatedBytes: 0,
    };
    const byCadence = new Map<string, Tally>();
    for (const dataset of DEFAULT_DATASETS) {
      const tally = await tallyOf(sink, root, dataset);
      const cadence = byCadence.get(dataset.cadence) ?? {
        rawObjects: 0,
        curatedObjects: 0,
        rawBytes: 0,
        curatedBytesRead: 0,
        curatedBytes: 0,
      };
      for (const sum of [total, cadence]) {
        for (const field of Object.keys(tally) as (keyof Tally)[]) sum[field] += tally[field];
      }
      byCadence.set(dataset.cadence, cadence);
      rows.push(line(dataset.name, dataset.cadence, tally));
    }
    for (const [cadence, tally] of byCadence) rows.push(line(`all ${cadence}`, cadence, tally));
    rows.push(line('all datasets', '', total));
    const widths = header.map((title, i) =>
      Math.max(title.length, ...rows.map((cells) => (cells[i] ?? '').length)),
    );
    const format = (cells: readonly string[]) =>
      cells
        .map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ');
    console.log(
      `\ncurated tables bench: ${options.days} days of every default dataset (${options.segments} segments)\n`,
    );
    console.log([format(header), format(widths.map((w) => '-'.repeat(w))), ...rows.map(format)].join('\n'));
    console.log(
      [
        '',
        `Objects opened by a whole-month query, curated ÷ raw: ${ratio(total.curatedObjects, total.rawObjects)} overall, ${ratio(byCadence.get('hourly')?.curatedObjects ?? 0, byCadence.get('hourly')?.rawObjects ?? 0)} for the hourly datasets.`,
        `Bytes read by a two-column query (${TWO_COLUMNS.join(', ')}), curated ÷ raw: ${ratio(total.curatedBytesRead, total.rawBytes)} overall.`,
      ].join('\n'),
    );
  } finally {
    await sim.close();
    await rm(root, { recursive: true, force: true });
  }
}

function line(name: string, cadence: string, tally: Tally): string[] {
  return [
    name,
    cadence,
    tally.rawObjects.toLocaleString('en-US'),
    tally.curatedObjects.toLocaleString('en-US'),
    ratio(tally.curatedObjects, tally.rawObjects),
    (tally.rawBytes / 1e6).toFixed(2),
    (tally.curatedBytes / 1e6).toFixed(2),
    (tally.curatedBytesRead / 1e6).toFixed(2),
    ratio(tally.curatedBytesRead, tally.rawBytes),
  ];
}

const quick = process.argv.includes('--quick');
const segmentsArg = process.argv.find((arg) => arg.startsWith('--segments='));
await benchCuratedMonth({
  days: quick ? 7 : 30,
  segments: segmentsArg ? Number(segmentsArg.slice('--segments='.length)) : 500,
});
