import { parseBackfillEvent } from './events.ts';
import { config, runPacedBackfill } from './export-run.ts';
import { backfillPacerOf, type RunSummary, reporterHandler } from './middleware.ts';

const pacer = backfillPacerOf(process.env);

export class WindowsDeferredError extends Error {
  override readonly name = 'WindowsDeferredError';
}

export const handler = reporterHandler(
  config.secretName,
  async (event: unknown, context): Promise<RunSummary> => {
    const request = parseBackfillEvent(event, config.datasets);
    const summary = await runPacedBackfill(context, request, pacer);
    if (summary.windowsDeferred > 0) {
      throw new WindowsDeferredError(
        `${summary.windowsDeferred} window(s) were left at the deadline (${summary.windowsWritten} written); the state machine runs the item again`,
      );
    }
    return summary;
  },
);
