/**
 * Whether a UTC day of a dataset is ready to curate, decided from what the lake holds for it. Pure:
 * no I/O, no clock. A day is final when every window of it has an object and none carries a
 * provisional marker (lake/markers.ts); only a final day is written, so a curated file never holds
 * numbers that are still moving:
 *
 *   a window is missing        -> wait (the runs fetch it; a gap past the API's reach waits for good);
 *   a window is provisional    -> remove the day's curated file if there is one (it is stale now), and
 *                                 wait until the window has been written settled;
 *   every window final         -> write the day from its windows (again, if it was curated before).
 */
import { TIME } from '../contract.ts';
import { CADENCE_MS, type DatasetDefinition } from '../datasets.ts';

/** What the lake holds for one day of a dataset. */
export interface CuratedDayState {
  /** Starts of the day's windows that have an object. */
  readonly present: ReadonlySet<number>;
  /** Starts of the day's windows that carry a provisional marker. */
  readonly provisional: ReadonlySet<number>;
  /** The day's curated file exists. */
  readonly curated: boolean;
}

export type CuratedDayPlan =
  | { readonly action: 'write'; readonly windows: readonly number[] }
  | { readonly action: 'remove'; readonly reason: string }
  | { readonly action: 'wait'; readonly reason: string };

/** Every window start of the UTC day that starts at `dayStart`, in order. */
export function windowStartsOfDay(dataset: DatasetDefinition, dayStart: number): number[] {
  const cadenceMs = CADENCE_MS[dataset.cadence];
  return Array.from({ length: TIME.DAY / cadenceMs }, (_, i) => dayStart + i * cadenceMs);
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** What to do with one day's curated file, given what the lake holds for the day. */
export function planCuratedDay(
  dataset: DatasetDefinition,
  dayStart: number,
  state: CuratedDayState,
): CuratedDayPlan {
  const windows = windowStartsOfDay(dataset, dayStart);
  const provisional = windows.filter((start) => state.provisional.has(start)).length;
  if (provisional > 0) {
    const reason = `${count(provisional, 'window')} of the day ${provisional === 1 ? 'is' : 'are'} provisional`;
    return state.curated ? { action: 'remove', reason } : { action: 'wait', reason };
  }
  const missing = windows.filter((start) => !state.present.has(start)).length;
  if (missing > 0) {
    return { action: 'wait', reason: `${count(missing, 'window')} of ${windows.length} not in the lake yet` };
  }
  return { action: 'write', windows };
}

/** A window a run plans to write, as far as its day's state after the run is concerned. */
export interface PlannedDayWindow {
  readonly start: number;
  /** Written settled (no marker) rather than provisional. */
  readonly final: boolean;
}

/**
 * The day's state once a run has written `planned` (each window present, and provisional unless it
 * is written settled): what `plan` shows as the curated days a run would write.
 */
export function stateAfterWrites(
  state: CuratedDayState,
  planned: readonly PlannedDayWindow[],
): CuratedDayState {
  const present = new Set(state.present);
  const provisional = new Set(state.provisional);
  for (const window of planned) {
    present.add(window.start);
    if (window.final) provisional.delete(window.start);
    else provisional.add(window.start);
  }
  return { present, provisional, curated: state.curated };
}
