/**
 * `exportAt(t)`: one test's scheduled runs, each `runExport` of the same input at time t, with the
 * simulator's clock set to t first so the API and the run agree on the time.
 */
import { type RunExportInput, runExport } from '../../lambdas/core/lake/run.ts';
import type { RunResult } from '../../lambdas/core/lake/run-types.ts';
import type { RunningSimulator } from '../../simulator/index.ts';

export type ExportAtInput = Omit<RunExportInput, 'now'>;

/** A scheduled run at `now`; `changes` replace parts of the input for this run only. */
export type ExportAt = (now: number, changes?: Partial<ExportAtInput>) => Promise<RunResult>;

/** The runs of `input`, a value or a function read at each run (for a lake made per test). */
export function makeExportAt(sim: RunningSimulator, input: ExportAtInput | (() => ExportAtInput)): ExportAt {
  return async (now, changes = {}) => {
    sim.setClock(now);
    const base = typeof input === 'function' ? input() : input;
    return await runExport({ ...base, ...changes, now });
  };
}
