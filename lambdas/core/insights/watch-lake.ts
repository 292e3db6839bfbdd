/**
 * What the offload watch reads: the lake's hourly windows of the hour it checks and of the same
 * hour on each of the previous 7 days, written by the hourly export minutes earlier. No API
 * request: a window that is not in the lake is reported missing (rows null), never fetched or
 * guessed.
 *
 * The datasets it can use are the hourly ones that carry `http` and `p2p` and cover all traffic
 * (no filters): their rows split the hour's whole traffic, so any one of them gives the totals and
 * each its own breakdown. The rest (daily datasets, filtered ones, those without bytes) are left
 * out, and `watchDatasetsOf` says why.
 */
import { TIME } from '../contract.ts';
import { columnName, columnsOf, type DatasetDefinition, windowAt } from '../datasets.ts';
import { objectKey } from '../lake/layout.ts';
import { readLakeObject } from '../lake/read.ts';
import type { LakeSink } from '../lake/sink.ts';
import type { SegmentTraffic } from './segments.ts';
import { type WatchHour, type WatchWindow, watchHoursOf } from './watch.ts';

/** The watch could not use the lake: no dataset it can read, or a window it cannot parse. */
export class WatchLakeError extends Error {
  override readonly name = 'WatchLakeError';
}

export interface WatchDatasets {
  readonly usable: readonly DatasetDefinition[];
  /** Each left-out dataset, with why. */
  readonly skipped: readonly { readonly dataset: string; readonly reason: string }[];
}

export function watchDatasetsOf(datasets: readonly DatasetDefinition[]): WatchDatasets {
  const usable: DatasetDefinition[] = [];
  const skipped: { dataset: string; reason: string }[] = [];
  for (const dataset of datasets) {
    const reason =
      dataset.cadence !== 'hourly'
        ? 'it is not hourly'
        : !dataset.metrics.includes('http') || !dataset.metrics.includes('p2p')
          ? 'it lacks the http or p2p metric'
          : dataset.filters !== undefined
            ? 'its filters leave part of the traffic out'
            : null;
    if (reason === null) usable.push(dataset);
    else skipped.push({ dataset: dataset.name, reason });
  }
  return { usable, skipped };
}

/** The rule a list of datasets must meet for the watch, as messages put it. */
export const WATCH_DATASET_RULE =
  'the offload watch needs at least one hourly dataset with the http and p2p metrics and no filters';

/** A cell of `column` at `line` of the window `where`; the message is built only for a bad one. */
function byteCount(text: string | null | undefined, where: string, line: number, column: string): number {
  const value = Number(text);
  if (text === null || text === undefined || text === '' || !Number.isFinite(value) || value < 0) {
    throw new WatchLakeError(`${where} line ${line}: ${column} is not a byte count: ${JSON.stringify(text)}`);
  }
  return value;
}

/** One window's rows, or null when the lake does not hold it. */
export async function readWatchWindow(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  start: number,
): Promise<WatchWindow> {
  const key = objectKey(prefix, windowAt(dataset, start));
  const records = await readLakeObject(sink, key);
  const base = { dataset: dataset.name, dimensions: dataset.dimensions };
  if (records === null) return { ...base, rows: null };
  const expected = columnsOf(dataset).map((column) => column.name);
  // The header is checked to be exactly `expected`, so each column's place is known up front.
  const dimensionColumns = dataset.dimensions.map((dimension) => expected.indexOf(columnName(dimension)));
  const httpColumn = expected.indexOf('http');
  const p2pColumn = expected.indexOf('p2p');
  const where = `${sink.location}/${key}`;
  const rows: SegmentTraffic[] = [];
  let header: (string | null)[] | null = null;
  for await (const record of records) {
    if (header === null) {
      header = record;
      if (header.join(',') !== expected.join(',')) {
        throw new WatchLakeError(
          `${where} has the columns ${header.join(',')}; its dataset ${dataset.name} writes ${expected.join(',')}`,
        );
      }
      continue;
    }
    const line = rows.length + 2;
    rows.push({
      values: dimensionColumns.map((column) => record[column] ?? null),
      http: byteCount(record[httpColumn], where, line, 'http'),
      p2p: byteCount(record[p2pColumn], where, line, 'p2p'),
    });
  }
  return { ...base, rows };
}

export interface ReadWatchHoursInput {
  readonly sink: LakeSink;
  readonly prefix: string;
  /** The watch's datasets (`watchDatasetsOf(...).usable`). */
  readonly datasets: readonly DatasetDefinition[];
  readonly now: number;
}

/** The hour `now` checks and its 7 baseline hours, each with a window per dataset. */
export async function readWatchHours(
  input: ReadWatchHoursInput,
): Promise<{ current: WatchHour; baseline: WatchHour[] }> {
  if (input.datasets.length === 0) throw new WatchLakeError(WATCH_DATASET_RULE);
  const hours = watchHoursOf(input.now);
  const readHour = async (start: number): Promise<WatchHour> => ({
    start,
    windows: await Promise.all(
      input.datasets.map((dataset) => readWatchWindow(input.sink, input.prefix, dataset, start)),
    ),
  });
  // One hour at a time, its datasets together: a few windows in flight keeps memory flat.
  const current = await readHour(hours.current);
  const baseline: WatchHour[] = [];
  for (const start of hours.baseline) baseline.push(await readHour(start));
  return { current, baseline };
}

/** Every hour of [from, to), each with its 7 baseline hours: what `replayWatch` judges. */
export async function readWatchDay(
  input: Omit<ReadWatchHoursInput, 'now'> & { readonly from: number; readonly to: number },
): Promise<{ current: WatchHour; baseline: WatchHour[] }[]> {
  const hours: { current: WatchHour; baseline: WatchHour[] }[] = [];
  // `now` one hour past an hour's start makes that hour the last complete one.
  for (let start = input.from; start < input.to; start += TIME.HOUR) {
    hours.push(await readWatchHours({ ...input, now: start + TIME.HOUR }));
  }
  return hours;
}
