/**
 * What a run or a plan covers, read from the command line: a scheduled run of one cadence or a
 * backfill of a range, over which datasets. Planning it is the core's own two steps
 * (`planScheduledRun`, `planBackfillRun`), exactly as a Lambda run or a backfill plans.
 */
import { CADENCES, type Cadence, type DatasetDefinition } from '../../../lambdas/core/datasets.ts';
import { type BackfillRange, backfillRangeProblems } from '../../../lambdas/core/lake/backfill-range.ts';
import type { RunPlan } from '../../../lambdas/core/lake/plan.ts';
import { planBackfillRun, planScheduledRun } from '../../../lambdas/core/lake/run.ts';
import { lakeRunOptionsOf } from '../../../lambdas/core/settings/run-options.ts';
import { type LakeConnection, selectDatasets } from '../connections.ts';
import {
  API_FLAGS,
  COMMON_FLAGS,
  type FlagTable,
  type FlagValues,
  LAKE_FLAGS,
  type ResolvedOptions,
  stringFlag,
  timeFlag,
  UsageError,
} from '../options.ts';
import { meantOf } from './command.ts';

export const BACKFILL_FLAGS = {
  from: { type: 'string', value: 'DATE', help: 'first day (or ISO moment) to fetch, inclusive' },
  to: { type: 'string', value: 'DATE', help: 'end of the range, exclusive' },
  force: { type: 'boolean', help: 'fetch windows that are already final, too' },
} as const satisfies FlagTable;

export const RUN_FLAGS = { ...COMMON_FLAGS, ...API_FLAGS, ...LAKE_FLAGS } satisfies FlagTable;

function requireTime(values: FlagValues, name: string): number {
  const value = timeFlag(values, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** --from and --to, checked by the backfill range's own rule; a problem names the flag. */
export function backfillRange(values: FlagValues): BackfillRange {
  const range = { from: requireTime(values, 'from'), to: requireTime(values, 'to') };
  const problems = backfillRangeProblems(range, (field) => `--${field}`);
  if (problems.length > 0) {
    throw new UsageError(problems.map((problem) => `--${problem.field} ${problem.rule}`).join('; '));
  }
  return range;
}

export function cadenceOf(positionals: readonly string[], command: string): Cadence {
  const [cadence, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`${command}: unexpected argument "${rest[0]}"`);
  if (cadence === undefined || !(CADENCES as readonly string[]).includes(cadence)) {
    throw new UsageError(
      `${command} needs what to run: ${CADENCES.join(' or ')}${meantOf(cadence, CADENCES)}`,
    );
  }
  return cadence as Cadence;
}

function datasetsOf(options: ResolvedOptions, values: FlagValues, cadence?: Cadence): DatasetDefinition[] {
  const named = stringFlag(values, 'datasets');
  const selected = selectDatasets(options.settings.datasets, named);
  if (cadence === undefined) return selected;
  const ofCadence = selected.filter((dataset) => dataset.cadence === cadence);
  // Naming only datasets of the other cadence would run nothing and still exit 0.
  if (named !== undefined && ofCadence.length === 0) {
    throw new UsageError(
      `--datasets: ${selected.map((dataset) => `${dataset.name} is ${dataset.cadence}`).join(', ')}; ${cadence === 'hourly' ? 'an' : 'a'} ${cadence} run exports only ${cadence} datasets`,
    );
  }
  return ofCadence;
}

/** What to plan: a scheduled run of one cadence, or a backfill of a range. */
export type Work =
  | { readonly kind: 'scheduled'; readonly cadence: Cadence }
  | ({ readonly kind: 'backfill'; readonly force: boolean } & BackfillRange);

export interface PlannedWork {
  readonly plan: RunPlan;
  readonly datasets: DatasetDefinition[];
}

/** Reads the lake and plans the work, with the same two core steps a Lambda run or a backfill takes. */
export async function planWork(
  work: Work,
  options: ResolvedOptions,
  values: FlagValues,
  lake: LakeConnection,
  now: number,
): Promise<PlannedWork> {
  const at = {
    sink: lake.sink,
    prefix: lake.prefix,
    now,
    ...lakeRunOptionsOf(options.settings),
  };
  if (work.kind === 'scheduled') {
    const datasets = datasetsOf(options, values, work.cadence);
    return { datasets, plan: await planScheduledRun({ ...at, datasets }) };
  }
  const datasets = datasetsOf(options, values);
  const { from, to, force } = work;
  return { datasets, plan: await planBackfillRun({ ...at, datasets, from, to, force }) };
}
