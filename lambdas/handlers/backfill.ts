/**
 * Fills a past range on demand: `aws lambda invoke` with `{"from": "2024-05-01", "to": "2024-05-08"}`
 * (optionally `"datasets": [...]`, and `"force": true` to fetch final windows again). Resumable:
 * finished windows are final in the lake, so when a run stops at its deadline (`invokeAgain` in
 * the result) the same event continues where it left off. With `force` it starts over instead.
 * One backfill runs at a time: an invoke while another is in flight does nothing and says to
 * invoke again (`skipped`, `invokeAgain`). Its requests keep to one backfill item's share of
 * `apiRequestsPerMinute` (`backfillPacerOf`), as if it were one more item of the state machine.
 */
import { runBackfill } from '../core/lake/run.ts';
import { RUN_KIND } from './environment.ts';
import { parseBackfillEvent } from './events.ts';
import { config, isSkippedRun, lakeRunOf, type SkippedRun, underRunLease } from './export-run.ts';
import { backfillPacerOf, logger, type RunSummary, reporterHandler } from './middleware.ts';

export type BackfillResult = (RunSummary | SkippedRun) & {
  /** True when windows (or days to curate) were left for another invocation with the same event. */
  readonly invokeAgain: boolean;
};

const pacer = backfillPacerOf(process.env);

export const handler = reporterHandler(
  config.secretName,
  async (event: unknown, context): Promise<BackfillResult> => {
    const request = parseBackfillEvent(event, config.datasets);
    logger.info('Backfill requested', {
      from: new Date(request.from).toISOString(),
      to: new Date(request.to).toISOString(),
      datasets: request.datasets.map((dataset) => dataset.name),
      force: request.force,
    });
    const result = await underRunLease(RUN_KIND.backfill, context, async () => {
      const run = lakeRunOf(context, RUN_KIND.backfill, pacer);
      try {
        return await run.finish(
          await runBackfill({
            ...run.settings,
            datasets: request.datasets,
            from: request.from,
            to: request.to,
            force: request.force,
          }),
        );
      } finally {
        // Under the lease, so the next invocation (with `invokeAgain`) cannot start early.
        await pacer.drain();
      }
    });
    if (isSkippedRun(result)) return { ...result, invokeAgain: true };
    return { ...result, invokeAgain: result.windowsDeferred > 0 || result.curatedDaysDeferred > 0 };
  },
);
