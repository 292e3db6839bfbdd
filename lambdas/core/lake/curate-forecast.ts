/**
 * The curated days a run plan would write: for every day the plan writes a window of, or that is
 * marked already, what plan.ts decides once the planned windows are in the lake. Reads the lake
 * (the marks and each such day's listings) and writes nothing, for the CLI's `plan`.
 */
import { TIME } from '../contract.ts';
import { type PlannedDayWindow, planCuratedDay, stateAfterWrites } from '../curated/plan.ts';
import type { DatasetDefinition } from '../datasets.ts';
import { utcDateOf } from '../dates.ts';
import { listCuratedDay, markedDays } from './curate.ts';
import type { RunPlan } from './plan.ts';
import type { LakeSink } from './sink.ts';

export interface ForecastDay {
  readonly dataset: string;
  /** The UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  /** The day's curated file. */
  readonly key: string;
}

export async function curatedDaysOfPlan(
  sink: LakeSink,
  plan: RunPlan,
  datasets: readonly DatasetDefinition[],
): Promise<ForecastDay[]> {
  const days: ForecastDay[] = [];
  for (const dataset of datasets) {
    const planned = new Map<number, PlannedDayWindow[]>();
    for (const fetch of plan.fetches.filter((f) => f.dataset.name === dataset.name)) {
      for (const window of fetch.windows) {
        const day = window.start - (window.start % TIME.DAY);
        planned.set(day, [...(planned.get(day) ?? []), window]);
      }
    }
    const candidates = new Set([...(await markedDays(sink, plan.prefix, dataset)), ...planned.keys()]);
    for (const day of [...candidates].sort((a, b) => a - b)) {
      const listing = await listCuratedDay(sink, plan.prefix, dataset, day);
      const now = {
        present: new Set(listing.windowKeys.keys()),
        provisional: listing.provisional,
        curated: false,
      };
      const after = stateAfterWrites(now, planned.get(day) ?? []);
      if (planCuratedDay(dataset, day, after).action === 'write') {
        days.push({ dataset: dataset.name, day: utcDateOf(day), key: listing.key });
      }
    }
  }
  return days;
}
