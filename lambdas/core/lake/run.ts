/**
 * The two runs of the lake, each in two steps: read what the lake holds and plan (`planScheduledRun`,
 * `planBackfillRun`), then execute the plan (`executePlan`, execute.ts). The Lambdas call
 * `runExport` and `runBackfill`, which take both steps; the CLI takes them one at a time, so that
 * it can show the plan before it runs it.
 */
import { type BackfillRange, checkBackfillRange } from './backfill-range.ts';
import { executePlan } from './execute.ts';
import { planBackfill, planRun, type RunPlan } from './plan.ts';
import type { RunPlanOptions } from './reach.ts';
import type { LakeToPlan, RunResult, RunSettings } from './run-types.ts';
import { readLakeState } from './state.ts';

export interface PlanScheduledRunInput extends LakeToPlan, RunPlanOptions {}

export interface PlanBackfillRunInput extends LakeToPlan, BackfillRange {
  readonly force?: boolean;
  readonly settleMs?: number;
  readonly lookBackMarginMs?: number;
}

export interface RunExportInput extends RunSettings, RunPlanOptions {}

export interface RunBackfillInput extends RunSettings, PlanBackfillRunInput {}

/**
 * The plan of a scheduled run: every complete window the lake lacks (as far back as the API
 * serves it), young and provisional windows again, and the gaps to report.
 */
export async function planScheduledRun(input: PlanScheduledRunInput): Promise<RunPlan> {
  const lake = await readLakeState(input.sink, input.prefix, input.datasets, input.now, input);
  return planRun({ ...input, lake });
}

/**
 * The plan of a backfill of [from, to): every window that is not final yet (all of them with
 * `force`). A bad range fails with BackfillRangeError before the lake is read.
 */
export async function planBackfillRun(input: PlanBackfillRunInput): Promise<RunPlan> {
  checkBackfillRange(input);
  const lake = await readLakeState(input.sink, input.prefix, input.datasets, input.now, {
    ...(input.settleMs === undefined ? {} : { settleMs: input.settleMs }),
    from: input.from,
  });
  return planBackfill({ ...input, lake });
}

/** A scheduled run: its plan, executed. */
export async function runExport(input: RunExportInput): Promise<RunResult> {
  return await executePlan(await planScheduledRun(input), input);
}

/** A backfill: its plan, executed. Resumable: a second run skips the windows the first finished. */
export async function runBackfill(input: RunBackfillInput): Promise<RunResult> {
  return await executePlan(await planBackfillRun(input), input);
}
