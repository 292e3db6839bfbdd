/**
 * `peer5-reporter plan`: which windows and API requests a run or backfill would make, and which
 * curated days it would write, without fetching.
 */
import { CADENCES } from '../../../lambdas/core/datasets.ts';
import { curatedDaysOfPlan, type ForecastDay } from '../../../lambdas/core/lake/curate-forecast.ts';
import type { RunPlan } from '../../../lambdas/core/lake/plan.ts';
import { connectLake } from '../connections.ts';
import {
  COMMON_FLAGS,
  EXIT,
  LAKE_FLAGS,
  parseFlags,
  resolveOptions,
  timeFlag,
  UsageError,
} from '../options.ts';
import { describeCuratedDays, describePlan, planJson } from '../output.ts';
import { deadlineFlag, deadlineOf, startRunControl } from '../run-control.ts';
import { type Command, meantOf, note, print } from './command.ts';
import { BACKFILL_FLAGS, backfillRange, planWork, type Work } from './work.ts';

export const plan: Command = {
  name: 'plan',
  summary: 'show which windows and API requests a run or backfill would make, without fetching',
  usage:
    'peer5-reporter plan hourly|daily|backfill [--from DATE --to DATE] [--now ISO] [--lake URL] [--json]',
  flags: {
    ...COMMON_FLAGS,
    ...LAKE_FLAGS,
    from: BACKFILL_FLAGS.from,
    to: BACKFILL_FLAGS.to,
    force: BACKFILL_FLAGS.force,
    deadline: deadlineFlag('plan'),
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    const [what, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`plan: unexpected argument "${rest[0]}"`);
    if (what !== 'backfill' && what !== 'hourly' && what !== 'daily') {
      const meant = meantOf(what, [...CADENCES, 'backfill']);
      throw new UsageError(`plan needs what to plan: hourly, daily or backfill${meant}`);
    }
    const options = resolveOptions(values, this.flags, { cwd: io.cwd });
    const durationMs = deadlineOf(values, 'plan');
    const now = timeFlag(values, 'now') ?? Date.now();
    const lake = await connectLake(options.lake);
    const work: Work =
      what === 'backfill'
        ? { kind: 'backfill', ...backfillRange(values), force: values.force === true }
        : { kind: 'scheduled', cadence: what };
    // Reading an S3 lake is the only slow part: the deadline bounds it.
    const control = startRunControl({ durationMs, alert: (line) => note(io, line) });
    let runPlan: RunPlan;
    let curatedDays: ForecastDay[];
    let uploadWarning: string | null = null;
    try {
      const planned = await planWork(work, options, values, lake, now);
      runPlan = planned.plan;
      curatedDays = await curatedDaysOfPlan(lake.sink, runPlan, planned.datasets);
      // A bucket given by name is the owner's: say when it would keep the parts of killed uploads.
      if (lake.s3) {
        const { incompleteUploadWarning } = await import('../../../lambdas/adapters/s3-lifecycle.ts');
        uploadWarning = await incompleteUploadWarning(lake.s3.client, lake.s3.bucket, lake.prefix);
      }
    } finally {
      control.dispose();
    }
    if (uploadWarning) note(io, `Warning: ${uploadWarning}`);
    const json = { ...planJson(runPlan, uploadWarning ? [uploadWarning] : []), curatedDays };
    print(io, values, json, () => [...describePlan(runPlan), ...describeCuratedDays(curatedDays)].join('\n'));
    return runPlan.gaps.length > 0 ? EXIT.gaps : EXIT.ok;
  },
};
