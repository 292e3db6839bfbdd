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
 * The curation marks of one run (curate.ts): a window's UTC day is marked to be curated again once
 * before the run completes its first object of that day (an upload becomes visible only when it
 * completes), so a run killed after that still leaves the day marked; and once after the run has
 * stored the day's last window it writes, so a window that lands while its day is being curated
 * marks the day again. Twice per day and run, rather than per window: an hourly day's 24 windows
 * cost two puts. A window that fails before its end marks nothing.
 */
export class DayMarks {
  /** The day marks put (or being put) before a window's object completes, by key. */
  private readonly before = new Map<string, Promise<void>>();
  private readonly owed = new Map<string, () => Promise<void>>();

  constructor(
    private readonly sink: LakeSink,
    private readonly prefix: string,
  ) {}

  private keyOf(dataset: DatasetDefinition, start: number): string {
    return curateMarkKey(this.prefix, dataset, start - (start % TIME.DAY));
  }

  /**
   * Before the window's object completes. Windows of one day finishing at once share one put; a
   * put that fails is forgotten, so the next window of the day tries again.
   */
  async beforeWindow(dataset: DatasetDefinition, window: Pick<MarkedWindow, 'start'>): Promise<void> {
    const key = this.keyOf(dataset, window.start);
    const pending = this.before.get(key);
    if (pending !== undefined) return await pending;
    const mark = this.sink.put(key, EMPTY).then(() => undefined);
    this.before.set(key, mark);
    mark.catch(() => {
      if (this.before.get(key) === mark) this.before.delete(key);
    });
    await mark;
  }

  /**
   * After the window is committed, in plan order (so after every earlier window of the day has
   * completed or failed): the day is marked now if this is its last window, else at `flush`.
   */
  async afterWindow(dataset: DatasetDefinition, window: Pick<PlannedWindow, 'start' | 'end'>): Promise<void> {
    const key = this.keyOf(dataset, window.start);
    const mark = () => this.sink.put(key, EMPTY).then(() => undefined);
    if (window.end % TIME.DAY !== 0) {
      this.owed.set(key, mark);
      return;
    }
    this.owed.delete(key);
    await mark();
  }

  /** At the end of the run: the days whose last written window was not the end of the day. */
  async flush(): Promise<void> {
    for (const [key, mark] of this.owed) {
      await mark();
      this.owed.delete(key);
    }
  }
}
