/**
 * The Backfill state machine's Summary step: reads the lake back for the execution's range and
 * lists the windows still missing (their items failed) and the gaps (windows the API no longer
 * serves). The state machine ends failed (WindowsFailed) when a window is missing, so the alarm
 * fires and `backfill --redrive` fetches only what is missing.
 *
 * Event: `{"request": <the execution's input>}`.
 */
import * as z from 'zod';
import { type BackfillSummary, summarizeBackfill } from '../core/lake/backfill-items.ts';
import { EventError, parseBackfillEvent } from './events.ts';
import { config, planOfBackfillRequest } from './export-run.ts';
import { logger, reporterHandler } from './middleware.ts';

const stepEvent = z.strictObject({ request: z.unknown() });

// Reads the lake only: the token is never read.
export const handler = reporterHandler(
  config.secretName,
  async (event: unknown): Promise<BackfillSummary> => {
    const parsed = stepEvent.safeParse(event);
    if (!parsed.success) {
      throw new EventError('Invalid Summary step event: must be {"request": <backfill input>}');
    }
    const request = parseBackfillEvent(parsed.data.request, config.datasets);
    const plan = await planOfBackfillRequest(request, false);
    const summary = summarizeBackfill(plan);
    if (summary.windowsFailed > 0) {
      logger.error(summary.text, { event: 'backfill-windows-failed', failed: summary.failed });
    } else {
      logger.info(summary.text, { event: 'backfill-complete', gapWindows: summary.gapWindows });
    }
    return summary;
  },
);
