/**
 * Reads what the lake holds, listing only the part of each table a run could touch: S3 keys sort
 * by date (`dt=YYYY-MM-DD/hour=HH/`), so `StartAfter` skips everything older.
 */
import { CADENCE_MS, type DatasetDefinition, windowAt } from '../datasets.ts';
import { provisionalMarkerKey, provisionalPrefix, windowStartOfMarker } from './keys.ts';
import { objectKey, tablePrefix, windowStartOfKey } from './layout.ts';
import type { DatasetLakeState, LakeState } from './plan.ts';
import {
  listingStartOf,
  markerListingStartOf,
  type ResolvedRunPlanOptions,
  type RunPlanOptions,
  resolveRunPlanOptions,
} from './reach.ts';
import type { LakeSink } from './sink.ts';

export interface ReadLakeStateOptions extends RunPlanOptions {
  /**
   * List windows from here instead of the range a scheduled run needs (a backfill passes its own
   * start).
   */
  readonly from?: number;
}

/** How many stray keys to skip at the head of a table while looking for its first window. */
const FIRST_WINDOW_SCAN_LIMIT = 1000;

function firstWindowStart(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
): Promise<number | null> {
  return firstWindowIn(sink, prefix, dataset, {
    from: Number.NEGATIVE_INFINITY,
    until: Number.POSITIVE_INFINITY,
    strayKeyLimit: FIRST_WINDOW_SCAN_LIMIT,
  });
}

/** Window starts with an object from `from` on. */
async function listWindows(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  from: number,
): Promise<Set<number>> {
  const present = new Set<number>();
  const cadenceMs = CADENCE_MS[dataset.cadence];
  const startAfter = Number.isFinite(from)
    ? objectKey(prefix, windowAt(dataset, from - cadenceMs))
    : undefined;
  for await (const key of sink.list(
    tablePrefix(prefix, dataset),
    startAfter === undefined ? {} : { startAfter },
  )) {
    const start = windowStartOfKey(prefix, dataset, key);
    if (start !== null && start >= from) present.add(start);
  }
  return present;
}

/**
 * Window starts with a provisional marker from `from` on. Marker keys end in the window's ISO
 * time, which sorts by time, so `StartAfter` skips the older ones (stuck markers stay forever).
 */
async function listMarkers(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  from: number,
): Promise<Set<number>> {
  const markers = new Set<number>();
  const startAfter = Number.isFinite(from)
    ? provisionalMarkerKey(prefix, dataset, from - CADENCE_MS[dataset.cadence])
    : undefined;
  for await (const key of sink.list(
    provisionalPrefix(prefix, dataset),
    startAfter === undefined ? {} : { startAfter },
  )) {
    const start = windowStartOfMarker(prefix, dataset, key);
    if (start !== null && start >= from) markers.add(start);
  }
  return markers;
}

/**
 * The first window in [from, until), or null. The first key is nearly always a window: one list
 * request for one key from `from`'s key on (keys sort by time), and more only when a stray key
 * comes first, at most `strayKeyLimit` of them when set.
 */
async function firstWindowIn(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  range: { readonly from: number; readonly until: number; readonly strayKeyLimit?: number },
): Promise<number | null> {
  const { from, until, strayKeyLimit } = range;
  const table = tablePrefix(prefix, dataset);
  const startAfter = Number.isFinite(from)
    ? objectKey(prefix, windowAt(dataset, from - CADENCE_MS[dataset.cadence]))
    : undefined;
  // Every window before `until` has a key before this one, so a key from here on ends the search.
  const untilKey = Number.isFinite(until) ? objectKey(prefix, windowAt(dataset, until)) : undefined;
  for (const limit of [1, strayKeyLimit]) {
    let keys = 0;
    for await (const key of sink.list(table, {
      ...(startAfter === undefined ? {} : { startAfter }),
      ...(limit === undefined ? {} : { limit }),
    })) {
      keys += 1;
      if (untilKey !== undefined && key >= untilKey) return null;
      const start = windowStartOfKey(prefix, dataset, key);
      if (start !== null) return start < until ? start : null;
    }
    if (limit === undefined || keys < limit) return null;
  }
  return null;
}

/**
 * The last window before `until` and from `floor` on, or null, in O(log n) list requests for a
 * last window n windows back, whatever the table holds before it: S3 lists only upwards, so it
 * probes backwards from `until` in doubling steps ([until - step, until)) until a probe finds a
 * window, then halves the range between that window and the last empty probe.
 */
async function lastWindowBefore(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  floor: number,
  until: number,
): Promise<number | null> {
  const cadenceMs = CADENCE_MS[dataset.cadence];
  // Invariant: no window in [empty, until).
  let empty = until;
  let found: number | null = null;
  for (let step = cadenceMs; found === null; step *= 2) {
    const probe = Math.max(floor, until - step);
    found = await firstWindowIn(sink, prefix, dataset, { from: probe, until: empty });
    if (found === null) {
      if (probe <= floor) return null;
      empty = probe;
    }
  }
  // Invariant: `found` is a window; none in [empty, until). Both are aligned to the cadence.
  while (empty - found > cadenceMs) {
    const middle = found + Math.floor((empty - found) / 2 / cadenceMs) * cadenceMs;
    const next = await firstWindowIn(sink, prefix, dataset, { from: middle, until: empty });
    if (next === null) empty = middle;
    else found = next;
  }
  return found;
}

async function readDatasetState(
  sink: LakeSink,
  prefix: string,
  dataset: DatasetDefinition,
  now: number,
  options: ResolvedRunPlanOptions,
  explicitFrom: number | undefined,
): Promise<DatasetLakeState> {
  const cadenceMs = CADENCE_MS[dataset.cadence];
  const explicitStart =
    explicitFrom === undefined ? undefined : Math.floor(explicitFrom / cadenceMs) * cadenceMs;
  const [first, provisional] = await Promise.all([
    firstWindowStart(sink, prefix, dataset),
    listMarkers(sink, prefix, dataset, explicitStart ?? markerListingStartOf(dataset, now, options)),
  ]);
  if (explicitStart !== undefined) {
    return {
      firstWindowStart: first,
      listedFrom: explicitStart,
      present: await listWindows(sink, prefix, dataset, explicitStart),
      provisional,
    };
  }
  const { from, floor } = listingStartOf(dataset, now, options, first);
  const present = await listWindows(sink, prefix, dataset, from);
  if (floor !== null && from > floor && !present.has(from)) {
    // A gap reaches past the listed range: start the listing at the window before it (or at the
    // floor when there is none), so the gap is reported whole. Older gaps, behind that window,
    // formed longer than `gapReportMs` ago and are no longer reported.
    const last = await lastWindowBefore(sink, prefix, dataset, floor, from);
    if (last !== null) present.add(last);
    return { firstWindowStart: first, listedFrom: last ?? floor, present, provisional };
  }
  return { firstWindowStart: first, listedFrom: from, present, provisional };
}

export async function readLakeState(
  sink: LakeSink,
  prefix: string,
  datasets: readonly DatasetDefinition[],
  now: number,
  options: ReadLakeStateOptions = {},
): Promise<LakeState> {
  const resolved = resolveRunPlanOptions(options);
  const states = await Promise.all(
    datasets.map(
      async (dataset) =>
        [dataset.name, await readDatasetState(sink, prefix, dataset, now, resolved, options.from)] as const,
    ),
  );
  return { prefix, datasets: new Map(states) };
}
