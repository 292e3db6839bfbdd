import { RUN_KIND } from './environment.ts';
import { parseBackfillEvent } from './events.ts';
import { config, isSkippedRun, runPacedBackfill, type SkippedRun, underRunLease } from './export-run.ts';
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
    // Under the lease, so the next invocation (with `invokeAgain`) cannot start early.
    const result = await underRunLease(RUN_KIND.backfill, context, () =>
      runPacedBackfill(context, request, pacer),
    );
    if (isSkippedRun(result)) return { ...result, invokeAgain: true };
    return { ...result, invokeAgain: result.windowsDeferred > 0 || result.curatedDaysDeferred > 0 };
  },
);
