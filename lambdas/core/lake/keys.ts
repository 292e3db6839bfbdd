/**
 * Keys the lake writes beside its tables (whose keys are lake/layout.ts's): the provisional
 * markers, the curation marks and the run leases, and the way back from a listed marker (or mark)
 * to the window (or day) it names.
 */
import { CADENCE_MS, type DatasetDefinition } from '../datasets.ts';
import { parseInstant, utcDateOf } from '../dates.ts';
import { lakeKey } from './layout.ts';

/**
 * Folder of the "written while still young" markers. It sits beside the tables, never inside one,
 * so Athena never reads a marker as data.
 */
export function provisionalPrefix(prefix: string, dataset: DatasetDefinition): string {
  return `${lakeKey(prefix, `_provisional/${dataset.name}`)}/`;
}

/** Zero-byte marker that says "this window's object holds provisional numbers: fetch it again". */
export function provisionalMarkerKey(prefix: string, dataset: DatasetDefinition, start: number): string {
  return `${provisionalPrefix(prefix, dataset)}${new Date(start).toISOString()}`;
}

/** The window start a marker key names, or null when the key is not a marker of this dataset. */
export function windowStartOfMarker(prefix: string, dataset: DatasetDefinition, key: string): number | null {
  const folder = provisionalPrefix(prefix, dataset);
  if (!key.startsWith(folder)) return null;
  const start = Date.parse(key.slice(folder.length));
  if (!Number.isSafeInteger(start) || start % CADENCE_MS[dataset.cadence] !== 0) return null;
  return provisionalMarkerKey(prefix, dataset, start) === key ? start : null;
}

/**
 * The lease object that one kind of run (`hourly-export`, `backfill`, ...) holds while it runs, so
 * that a second run of that kind does not start beside it (see adapters/s3-run-lease.ts). Beside the tables,
 * like the markers, so Athena never reads it.
 */
export function runLeaseKey(prefix: string, kind: string): string {
  return lakeKey(prefix, `_leases/${kind}`);
}

/**
 * The offload watch's incident state (insights/incident.ts): one JSON object beside the tables,
 * like the leases, so Athena never reads it and no table's lifecycle or layout touches it.
 */
export function watchStateKey(prefix: string): string {
  return lakeKey(prefix, '_watch/offload-watch.json');
}

/**
 * Folder of a dataset's curation marks: one zero-byte object per UTC day that a run wrote a window
 * of, which tells later runs the day's curated file (lambdas/core/curated/) may be due or stale.
 * Beside the tables, like the markers, so Athena never reads one.
 */
export function curateMarkPrefix(prefix: string, dataset: DatasetDefinition): string {
  return `${lakeKey(prefix, `_curate/${dataset.name}`)}/`;
}

/** The mark that says "a window of this UTC day was written: curate the day again". */
export function curateMarkKey(prefix: string, dataset: DatasetDefinition, dayStart: number): string {
  return `${curateMarkPrefix(prefix, dataset)}${utcDateOf(dayStart)}`;
}

/** What ends a curation claim's key, after the day's date. */
const CURATE_CLAIM_SUFFIX = '.curating';

/**
 * The claim a run puts beside a day's mark before it deletes the mark to curate the day, and
 * deletes once the day's file is stored: a run killed in between leaves the claim, and the next
 * run curates the day again, as if it were marked.
 */
export function curateClaimKey(prefix: string, dataset: DatasetDefinition, dayStart: number): string {
  return `${curateMarkKey(prefix, dataset, dayStart)}${CURATE_CLAIM_SUFFIX}`;
}

/**
 * The midnight a curation mark or claim names, or null when the key is neither, for this dataset.
 */
export function dayOfCurateMark(prefix: string, dataset: DatasetDefinition, key: string): number | null {
  const folder = curateMarkPrefix(prefix, dataset);
  if (!key.startsWith(folder)) return null;
  // A claim is its day's mark key and the suffix.
  const mark = key.endsWith(CURATE_CLAIM_SUFFIX) ? key.slice(0, -CURATE_CLAIM_SUFFIX.length) : key;
  const day = parseInstant(mark.slice(folder.length));
  return day !== null && curateMarkKey(prefix, dataset, day) === mark ? day : null;
}

/** Hex digits of the id that names one execution's item list (a `?` each in the IAM pattern). */
export const BACKFILL_ITEM_LIST_ID_LENGTH = 32;

/**
 * The item list of one backfill execution, read by its Distributed Map: beside the tables, like
 * the leases. `id` is BACKFILL_ITEM_LIST_ID_LENGTH hex digits (a hash of the execution's id).
 */
export function backfillItemListKey(prefix: string, id: string): string {
  return lakeKey(prefix, `_backfill/items/${id}.json`);
}

/** Where the Distributed Map writes its results (Step Functions names the objects below it). */
export function backfillResultsPrefix(prefix: string): string {
  return lakeKey(prefix, '_backfill/results');
}
