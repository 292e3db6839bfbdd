/**
 * One work item of the Backfill state machine: a backfill event for one dataset and at most a day
 * (see core/lake/backfill-items.ts). It runs without the backfill's run lease, since the items of
 * one execution never share a window, and paces its requests to its share of the API's budget:
 * the instance's pacer outlives the invocation, and the invocation waits out its last slot, so the
 * next item in the same concurrency slot cannot start early.
 *
 * It fails, for the state machine to retry, when a window failed (RunFailedError) or was left for
 * later at the deadline (WindowsDeferredError). A retried item rewrites the same objects.
 */
import { runBackfill } from '../core/lake/run.ts';
import { RUN_KIND } from './environment.ts';
import { parseBackfillEvent } from './events.ts';
import { config, lakeRunOf } from './export-run.ts';
import { backfillPacerOf, type RunSummary, reporterHandler } from './middleware.ts';

const pacer = backfillPacerOf(process.env);

export class WindowsDeferredError extends Error {
  override readonly name = 'WindowsDeferredError';
}

export const handler = reporterHandler(
  config.secretName,
  async (event: unknown, context): Promise<RunSummary> => {
    const request = parseBackfillEvent(event, config.datasets);
    try {
      const run = lakeRunOf(context, RUN_KIND.backfill, pacer);
      const summary = await run.finish(
        await runBackfill({
          ...run.settings,
          datasets: request.datasets,
          from: request.from,
          to: request.to,
          force: request.force,
        }),
      );
      if (summary.windowsDeferred > 0) {
        throw new WindowsDeferredError(
          `${summary.windowsDeferred} window(s) were left at the deadline (${summary.windowsWritten} written); the state machine runs the item again`,
        );
      }
      return summary;
    } finally {
      await pacer.drain();
    }
  },
);
