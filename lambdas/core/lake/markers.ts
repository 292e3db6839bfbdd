/**
 * The provisional-marker protocol. A window written before it has settled carries a zero-byte
 * marker (see keys.ts) that tells later runs, and analysts, that its numbers are provisional.
 * The order of operations is chosen so that a crash or an overlapping run can only ever cause an
 * extra fetch, never a stale window that looks final:
 *   provisional write: put marker -> put object -> put marker again (a settled writer racing us
 *                      may have deleted the first one);
 *   settled rewrite:   put object -> delete marker -> check the object is still ours; if another
 *                      run replaced it meanwhile (perhaps with provisional numbers), put the marker
 *                      back.
 * A run calls `beginWindow` before it writes a window's object and `commitWindow` once the object
 * is stored; the object itself is written by the caller (writer.ts) in between.
 */

import { TIME } from '../contract.ts';
import type { DatasetDefinition } from '../datasets.ts';
import { curateMarkKey, provisionalMarkerKey } from './keys.ts';
import type { PlannedWindow } from './plan.ts';
import type { LakeObjectInfo, LakeSink } from './sink.ts';

/** A window as the protocol sees it: where it is, and whether it is written settled. */
export type MarkedWindow = Pick<PlannedWindow, 'start' | 'key' | 'final' | 'hadMarker'>;

const EMPTY = new Uint8Array(0);

/**
 * Before the window's object is written: a provisional window is marked first, so that a run that
 * dies mid-write, or whose object lands over a settled one, leaves the window marked for the next
 * run to fetch again.
 */
export async function beginWindow(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  window: MarkedWindow,
): Promise<void> {
  if (!window.final) await sink.put(provisionalMarkerKey(prefix, dataset, window.start), EMPTY);
}

/**
 * After the window's object is stored as `stored`: a provisional window is marked again; a settled
 * one that was marked has its marker removed, and put back if the object is no longer the one this
 * run wrote.
 */
export async function commitWindow(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  window: MarkedWindow,
  stored: Pick<LakeObjectInfo, 'version'>,
): Promise<void> {
  const marker = provisionalMarkerKey(prefix, dataset, window.start);
  if (!window.final) {
    await sink.put(marker, EMPTY);
  } else if (window.hadMarker) {
    await sink.delete(marker);
    const now = await sink.head(window.key);
    if (now?.version !== stored.version) await sink.put(marker, EMPTY);
  }
}

/**
 * Marks the window's UTC day to be curated again (curate.ts). A run calls it once the window's rows
 * are in, before its object is completed (the upload becomes visible only then), so a run killed
 * in between still leaves the day marked; and again after the window is committed, so a window
 * that lands while its day is being curated marks the day again. A window that fails before its
 * end marks nothing.
 */
export async function markDayToCurate(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  window: Pick<MarkedWindow, 'start'>,
): Promise<void> {
  const dayStart = window.start - (window.start % TIME.DAY);
  await sink.put(curateMarkKey(prefix, dataset, dayStart), EMPTY);
}
