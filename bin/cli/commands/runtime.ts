/**
 * What a command that talks to the API runs with: its options, the API connection, its clock, its
 * deadline and stop signal (Ctrl-C), and its status line on stderr. And running a plan with all
 * that, then curating the days it completed, as a Lambda would.
 */

import type { DatasetDefinition } from '../../../lambdas/core/datasets.ts';
import { wholeBudgetPaceOf } from '../../../lambdas/core/lake/backfill-budget.ts';
import { type CurationResult, curateLake } from '../../../lambdas/core/lake/curate.ts';
import { executePlan } from '../../../lambdas/core/lake/execute.ts';
import type { RunPlan } from '../../../lambdas/core/lake/plan.ts';
import type { RunProgress, RunResult } from '../../../lambdas/core/lake/run-types.ts';
import { type ApiConnection, connectApi, type LakeConnection } from '../connections.ts';
import {
  type FlagSpec,
  type FlagTable,
  type FlagValues,
  type ResolvedOptions,
  resolveOptions,
  stringFlag,
  timeFlag,
} from '../options.ts';
import { isoTime } from '../output.ts';
import { createRunStatus, type RunStatus } from '../progress.ts';
import { type DeadlineCommand, deadlineOf, type RunControl, startRunControl } from '../run-control.ts';
import type { CommandIo } from './command.ts';

export interface Runtime {
  readonly options: ResolvedOptions;
  readonly api: ApiConnection;
  readonly now: number;
  /** The deadline and the stop signal (Ctrl-C) of this run. */
  readonly control: RunControl;
  /** Notes, waits and progress on stderr. */
  readonly status: RunStatus;
}

export interface RuntimeExtra {
  readonly command: DeadlineCommand;
  readonly target: 'lake' | 'mail';
  readonly embedded?: boolean;
}

/** What a run prints on stderr, by --quiet, --no-progress and --json; notes under --json too. */
function runStatus(values: FlagValues, io: CommandIo, spacingMs = 0): RunStatus {
  return createRunStatus(io.stderr, {
    quiet: values.quiet === true,
    progress: !values.json && values['no-progress'] !== true,
    spacingMs,
  });
}

/** Runs `body` with the command's runtime, and closes the API connection and the deadline after. */
export async function withRuntime<T>(
  values: FlagValues,
  flags: FlagTable,
  io: CommandIo,
  extra: RuntimeExtra,
  body: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  // The embedded (local) run keeps everything on this machine whatever the config file says.
  const options = resolveOptions(values, flags, { cwd: io.cwd, local: extra.embedded === true });
  const durationMs = deadlineOf(values, extra.command);
  const nowFlag = timeFlag(values, 'now');
  const realTarget = extra.target === 'lake' ? options.lake.kind === 's3' : options.mail.kind === 'ses';
  // A run from here has the budget to itself (--max-requests-per-minute sets it for this run).
  const pace = wholeBudgetPaceOf({ apiRequestsPerMinute: options.requestsPerMinute });
  const status = runStatus(values, io, pace.windowMs / pace.requests);
  const control = startRunControl({ durationMs, alert: (line) => status.alert(line) });
  try {
    const api = await connectApi({
      settings: options.settings,
      tokenSecret: options.tokenSecret,
      apiUrlGiven: stringFlag(values, 'api-url') !== undefined,
      now: nowFlag,
      realTarget,
      deadline: control.deadline,
      signal: control.signal,
      onEvent: (event) => status.clientEvent(event),
      pace,
      ...(extra.embedded === undefined ? {} : { embedded: extra.embedded }),
    });
    status.note(`Using ${api.description}${nowFlag === undefined ? '' : `, as of ${isoTime(nowFlag)}`}.`);
    try {
      return await body({ options, api, now: nowFlag ?? Date.now(), control, status });
    } finally {
      await api.close();
    }
  } finally {
    control.dispose();
  }
}

/** Runs the plan as a Lambda would, stopping at the run's deadline or on Ctrl-C. */
export async function executeWithProgress(
  plan: RunPlan,
  runtime: Runtime,
  lake: LakeConnection,
  datasets: readonly DatasetDefinition[],
): Promise<RunResult> {
  const { control, status } = runtime;
  try {
    return await executePlan(plan, {
      source: runtime.api.client,
      sink: lake.sink,
      prefix: lake.prefix,
      datasets,
      now: runtime.now,
      deadline: control.deadline,
      reserveMs: control.reserveMs,
      stopSignal: control.signal,
      onProgress: (update: RunProgress) => {
        status.progress({
          windowsDone: update.windowsDone,
          windowsTotal: update.windowsPlanned,
          rows: update.rowsTotal,
          requestsTotal: plan.requests,
        });
      },
    });
  } finally {
    status.finish();
  }
}

/** --no-curate, for the commands that curate after their run. */
export const CURATE_FLAGS = {
  'no-curate': {
    type: 'boolean',
    help: 'write the raw tables only; the days stay marked, and the next run without it curates them',
  },
} as const satisfies Record<string, FlagSpec>;

/** Nothing curated: what a run that was stopped on request, or told not to curate, reports. */
const NOTHING_CURATED: CurationResult = { written: [], removed: [], waiting: [], failed: [], deferred: 0 };

/**
 * Curates the marked days of the run's datasets (their curated Parquet files), within the run's
 * deadline, as a Lambda does after its run. A run stopped on request (Ctrl-C) leaves the marks for
 * the next run.
 */
export async function curateAfterCommand(
  runtime: Runtime,
  lake: LakeConnection,
  datasets: readonly DatasetDefinition[],
  values: FlagValues,
): Promise<CurationResult> {
  const { control, status } = runtime;
  if (control.signal.aborted) return NOTHING_CURATED;
  if (values['no-curate'] === true) {
    status.note('Not curated (--no-curate): the marked days are curated by the next run without it.');
    return NOTHING_CURATED;
  }
  const curation = await curateLake({
    sink: lake.sink,
    prefix: lake.prefix,
    datasets,
    deadline: control.deadline,
    reserveMs: control.reserveMs,
  });
  if (curation.written.length > 0) status.note(`Curated ${curation.written.length} days into Parquet.`);
  return curation;
}
