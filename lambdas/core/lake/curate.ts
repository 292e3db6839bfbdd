/**
 * Curating the lake into the curated tables (lambdas/core/curated/): every day a run marked
 * (keys.ts `curateMarkKey`, by markers.ts `markDayToCurate`) is looked at once the run is over, and
 * its curated file written, rewritten, removed or left waiting as curated/plan.ts decides. The
 * objects are the sink's (S3 or a local folder).
 *
 * The mark is what makes this safe beside other runs and crashes:
 * - a window marks its day before its object is completed, so a run killed in between still leaves
 *   the day marked, and after, so a window that lands while its day is being curated marks it again;
 * - a day's mark is deleted just before its windows are read, so any window stored after that
 *   marks the day again and the next run rewrites the file; a day that fails has its mark put
 *   back, and a day that waits keeps it;
 * - before the mark is deleted, the run puts a claim beside it (keys.ts `curateClaimKey`), and it
 *   deletes the claim once the file is stored: a run killed in between leaves the claim, which
 *   later runs take for a mark, so the day is curated again. Curation also stops a reserve before
 *   the deadline, longer than the slowest day so far, so a Lambda is rarely killed mid-day.
 * The file is one put of the whole file (a single S3 PUT; a local temp file renamed into place), so a
 * reader sees the old day or the new one, never half of one.
 */

import { TIME } from '../contract.ts';
import { CuratedDay, CuratedDayError } from '../curated/day.ts';
import { planCuratedDay } from '../curated/plan.ts';
import { CURATED_CONTENT_TYPE } from '../curated/schema.ts';
import type { DatasetDefinition } from '../datasets.ts';
import { utcDateOf } from '../dates.ts';
import { errorText } from '../error-text.ts';
import {
  curateClaimKey,
  curateMarkKey,
  curateMarkPrefix,
  dayOfCurateMark,
  provisionalPrefix,
  windowStartOfMarker,
} from './keys.ts';
import { CURATED_TABLES, RAW_TABLES } from './layout.ts';
import { readLakeCsv } from './read.ts';
import type { LakeEvent, RunSettings } from './run-types.ts';
import type { LakeSink } from './sink.ts';

const EMPTY = new Uint8Array(0);

export interface CurateLakeInput {
  readonly sink: LakeSink;
  /** Lake prefix inside the sink ('' for the root). */
  readonly prefix: string;
  /** The datasets whose marked days are curated. */
  readonly datasets: readonly DatasetDefinition[];
  /**
   * Only the marked days that overlap this range are curated; the others keep their mark for a
   * later run. A backfill's items pass their own range, so that items running at once do not each
   * curate every day the others marked. @default every marked day
   */
  readonly days?: CurationRange;
  /** Wall-clock time (per `clock`) by which curation must have stopped; days left keep their mark. */
  readonly deadline?: number;
  /** Wall clock for the deadline. @default Date.now */
  readonly clock?: () => number;
  /** No new day starts when less than this (or the slowest day so far) is left. @default 10 s */
  readonly reserveMs?: number;
  readonly log?: (event: LakeEvent) => void;
}

/** A range of time, `[from, to)` in epoch ms, whose UTC days are curated. */
export interface CurationRange {
  readonly from: number;
  readonly to: number;
}

/** One day of one dataset, as curation left it. */
export interface CuratedDayOutcome {
  readonly dataset: string;
  /** The UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  /** The day's curated file. */
  readonly key: string;
}

export interface CuratedDayWritten extends CuratedDayOutcome {
  readonly rows: number;
  readonly bytes: number;
}

export interface CuratedDayFailed extends CuratedDayOutcome {
  readonly error: string;
}

export interface CurationResult {
  readonly written: readonly CuratedDayWritten[];
  /** Days whose file was deleted because a window of them is provisional again. */
  readonly removed: readonly CuratedDayOutcome[];
  /** Marked days that are not final yet (a window missing or provisional). */
  readonly waiting: readonly CuratedDayOutcome[];
  readonly failed: readonly CuratedDayFailed[];
  /** Marked days left for the next run by the deadline. */
  readonly deferred: number;
}

async function listed(sink: LakeSink, folder: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of sink.list(folder)) keys.push(key);
  return keys;
}

/** The UTC days of a dataset that carry a curation mark, oldest first. */
export async function markedDays(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
): Promise<number[]> {
  const days = new Set<number>();
  // A day's mark, its claim (a run curating it, or killed while it did), or both.
  for (const key of await listed(sink, curateMarkPrefix(prefix, dataset))) {
    const day = dayOfCurateMark(prefix, dataset, key);
    if (day !== null) days.add(day);
  }
  return [...days].sort((a, b) => a - b);
}

type DayFate =
  | { readonly kind: 'written'; readonly rows: number; readonly bytes: number }
  | { readonly kind: 'removed' | 'waiting'; readonly reason: string };

/** What the lake holds for one day of a dataset, with the key of each window it has. */
export interface ListedCuratedDay {
  /** The key of each window of the day that has an object, by window start. */
  readonly windowKeys: ReadonlyMap<number, string>;
  readonly provisional: ReadonlySet<number>;
  /** The day's curated file. */
  readonly key: string;
}

/** Lists one day of a dataset: its window objects and provisional markers (two listings). */
export async function listCuratedDay(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  dayStart: number,
): Promise<ListedCuratedDay> {
  const windowKeys = new Map<number, string>();
  for (const key of await listed(sink, RAW_TABLES.dayFolder(prefix, dataset, dayStart))) {
    const start = RAW_TABLES.startOfKey(prefix, dataset, key);
    if (start !== null) windowKeys.set(start, key);
  }
  // Marker keys end in the window's ISO time, so the day's markers share the day's date as a prefix.
  const markers = await listed(sink, `${provisionalPrefix(prefix, dataset)}${utcDateOf(dayStart)}`);
  const provisional = new Set(
    markers
      .map((key) => windowStartOfMarker(prefix, dataset, key))
      .filter((start): start is number => start !== null),
  );
  return { windowKeys, provisional, key: CURATED_TABLES.objectKeyAt(prefix, dataset, dayStart) };
}

/** Looks at one marked day and writes, removes or leaves its curated file. */
export async function curateDay(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  dayStart: number,
): Promise<DayFate> {
  const { windowKeys, provisional, key } = await listCuratedDay(sink, prefix, dataset, dayStart);
  // Whether a file exists only matters to a day that is provisional again.
  const curated = provisional.size > 0 && (await sink.head(key)) !== null;
  const plan = planCuratedDay(dataset, dayStart, {
    present: new Set(windowKeys.keys()),
    provisional,
    curated,
  });
  if (plan.action === 'wait') return { kind: 'waiting', reason: plan.reason };
  if (plan.action === 'remove') {
    await sink.delete(key);
    return { kind: 'removed', reason: plan.reason };
  }
  // The mark goes before the windows are read: a window written from here on marks the day again
  // (after its object is stored), so a file older than one of its windows is always curated again.
  // The claim put first outlives a run killed from here until the file is stored; should the day
  // fail, the mark is put back.
  const mark = curateMarkKey(prefix, dataset, dayStart);
  const claim = curateClaimKey(prefix, dataset, dayStart);
  await sink.put(claim, EMPTY);
  await sink.delete(mark);
  const day = new CuratedDay(dataset, dayStart);
  let bytes: Uint8Array;
  try {
    for (const start of plan.windows) {
      const windowKey = windowKeys.get(start) as string;
      const body = await sink.get(windowKey);
      if (body === null) throw new CuratedDayError(`${windowKey} went away while its day was read`);
      await day.addWindow(readLakeCsv(body), windowKey);
    }
    // Loaded on the first day curated, not at start-up: the Parquet writer alone adds 10 MB and
    // most of a hundred milliseconds to every command and function that only might curate.
    const { curatedParquet } = await import('../curated/write.ts');
    bytes = curatedParquet(day);
    await sink.put(key, bytes, { contentType: CURATED_CONTENT_TYPE });
  } catch (error: unknown) {
    await sink.put(mark, EMPTY);
    await sink.delete(claim);
    throw error;
  }
  await sink.delete(claim);
  return { kind: 'written', rows: day.rows, bytes: bytes.length };
}

/** Curates every marked day of the datasets, oldest first, until done or the deadline is near. */
export async function curateLake(input: CurateLakeInput): Promise<CurationResult> {
  const clock = input.clock ?? Date.now;
  const reserveMs = input.reserveMs ?? 10_000;
  const result = {
    written: [] as CuratedDayWritten[],
    removed: [] as CuratedDayOutcome[],
    waiting: [] as CuratedDayOutcome[],
    failed: [] as CuratedDayFailed[],
    deferred: 0,
  };
  let slowestMs = 0;
  const range = input.days;
  const inRange = (dayStart: number) =>
    range === undefined || (dayStart < range.to && dayStart + TIME.DAY > range.from);
  for (const dataset of input.datasets) {
    const days = (await markedDays(input.sink, input.prefix, dataset)).filter(inRange);
    for (const [index, dayStart] of days.entries()) {
      if (input.deadline !== undefined && clock() + Math.max(reserveMs, slowestMs) >= input.deadline) {
        result.deferred += days.length - index;
        continue;
      }
      const outcome: CuratedDayOutcome = {
        dataset: dataset.name,
        day: utcDateOf(dayStart),
        key: CURATED_TABLES.objectKeyAt(input.prefix, dataset, dayStart),
      };
      const began = clock();
      try {
        const fate = await curateDay(input.sink, input.prefix, dataset, dayStart);
        if (fate.kind === 'written') {
          result.written.push({ ...outcome, rows: fate.rows, bytes: fate.bytes });
          input.log?.({
            level: 'info',
            event: 'curated-day-written',
            message: `${outcome.dataset} ${outcome.day}: curated ${fate.rows} rows, ${fate.bytes} bytes`,
            ...outcome,
            rows: fate.rows,
            bytes: fate.bytes,
          });
        } else if (fate.kind === 'removed') {
          result.removed.push(outcome);
          input.log?.({
            level: 'info',
            event: 'curated-day-removed',
            message: `${outcome.dataset} ${outcome.day}: curated file removed, ${fate.reason}`,
            ...outcome,
          });
        } else result.waiting.push(outcome);
      } catch (error: unknown) {
        const text = errorText(error);
        result.failed.push({ ...outcome, error: text });
        input.log?.({
          level: 'error',
          event: 'curated-day-failed',
          message: `${outcome.dataset} ${outcome.day} was not curated (${text}); the next run tries again`,
          ...outcome,
          error: text,
        });
      }
      slowestMs = Math.max(slowestMs, clock() - began);
    }
  }
  input.log?.({
    level: result.failed.length > 0 ? 'warn' : 'info',
    event: 'curation-finished',
    message: `curated ${result.written.length} days; ${result.removed.length} removed, ${result.waiting.length} waiting, ${result.failed.length} failed, ${result.deferred} deferred`,
    written: result.written.length,
    removed: result.removed.length,
    waiting: result.waiting.length,
    failed: result.failed.length,
    deferred: result.deferred,
  });
  return result;
}

/**
 * Curation at the end of a lake run, under the run's own lake, datasets, deadline and log, of the
 * marked days in `days` (every marked day without it).
 */
export async function curateAfterRun(settings: RunSettings, days?: CurationRange): Promise<CurationResult> {
  return await curateLake({
    sink: settings.sink,
    prefix: settings.prefix,
    datasets: settings.datasets,
    ...(days === undefined ? {} : { days }),
    ...(settings.deadline === undefined ? {} : { deadline: settings.deadline }),
    ...(settings.clock === undefined ? {} : { clock: settings.clock }),
    ...(settings.reserveMs === undefined ? {} : { reserveMs: settings.reserveMs }),
    ...(settings.log === undefined ? {} : { log: settings.log }),
  });
}
