/**
 * Keys the lake writes besides the window objects (which are `objectKey()` from datasets.ts), and
 * the way back from a listed key to the window it holds.
 */
import {
  CADENCE_MS,
  type DatasetDefinition,
  lakeKey,
  objectKey,
  tablePrefix,
  windowAt,
} from '../datasets.ts';

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

const PARTITION_PATH = /^dt=(\d{4}-\d{2}-\d{2})\/(?:hour=(\d{2})\/)?[^/]+$/;

/**
 * The window start an object key holds, or null when the key is not exactly `objectKey()` of a
 * window of this dataset (stray files, temp files, other tables sharing a prefix).
 */
export function windowStartOfKey(prefix: string, dataset: DatasetDefinition, key: string): number | null {
  const table = tablePrefix(prefix, dataset);
  if (!key.startsWith(table)) return null;
  const match = PARTITION_PATH.exec(key.slice(table.length));
  if (!match) return null;
  const start = Date.parse(`${match[1]}T${match[2] ?? '00'}:00:00.000Z`);
  if (!Number.isSafeInteger(start) || start % CADENCE_MS[dataset.cadence] !== 0) return null;
  return objectKey(prefix, windowAt(dataset, start)) === key ? start : null;
}
