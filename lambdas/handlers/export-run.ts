/**
 * The scheduled export: catch up every complete window the lake lacks, fetch young and
 * provisional windows again, report gaps. Hourly and daily exports are the same handler over
 * different datasets (the stack gives each function only its own cadence's datasets).
 *
 * When the invocation fails:
 * - a window failed (the API kept failing, the token was refused, S3 refused a write): the run
 *   writes everything else first, then throws RunFailedError, so the Errors alarm fires and,
 *   after Lambda's async retry, the event lands in the failure queue. The failed windows are
 *   fetched again by the retry and by every later run.
 * - the run hit its deadline: not a failure. The rest is deferred to the next run (logged, and
 *   the WindowsDeferred metric).
 * - gaps (windows the API no longer serves): logged at error level and counted in GapsFound,
 *   which has its own alarm. They do not fail the invocation: no retry can fill them, and a
 *   failing run every hour for as long as the gap is reported would only bury other errors.
 */

import { S3Client } from '@aws-sdk/client-s3';
import { readLambdaEnvironment } from '../core/config.ts';
import { TIME } from '../core/contract.ts';
import { type RunResult, runExport } from '../core/lake/run.ts';
import { S3LakeSink } from '../core/lake/s3-sink.ts';
import { EXPORT_SETTINGS } from './environment.ts';
import { parseExportEvent } from './events.ts';
import {
  type ApiTokenContext,
  apiClientFor,
  deadlineOf,
  logLakeEvent,
  RunFailedError,
  type RunSummary,
  recordRun,
  reporterHandler,
} from './runtime.ts';

// Read once per cold start: a bad variable fails the init with a message that names it.
export const config = readLambdaEnvironment(process.env, EXPORT_SETTINGS);
const s3 = new S3Client({});
export const sink = new S3LakeSink({ s3, bucket: config.bucketName });

/**
 * One invocation's lake run: the API client and the settings every run of this function shares.
 * `finish` records the result's metrics and fails the invocation when a window failed.
 */
export function lakeRunOf(context: ApiTokenContext) {
  const deadline = deadlineOf(context);
  const client = apiClientFor(config.apiBaseUrl, context, deadline);
  return {
    settings: {
      source: client,
      sink,
      prefix: config.prefix,
      now: Date.now(),
      settleMs: config.settleHours * TIME.HOUR,
      deadline,
      log: logLakeEvent,
    },
    finish(result: RunResult): RunSummary {
      const summary = recordRun(result, client.stats);
      if (summary.windowsFailed > 0) throw new RunFailedError(summary);
      return summary;
    },
  };
}

/**
 * The middy handler of a scheduled export. The run works from the clock, so Scheduler's scheduled
 * time is not needed; the event is still checked, so a hand-made one with parameters this run does
 * not take fails instead of exporting everything.
 */
export function exportHandler() {
  return reporterHandler(config.secretName, async (event: unknown, context): Promise<RunSummary> => {
    parseExportEvent(event);
    const run = lakeRunOf(context);
    return run.finish(await runExport({ ...run.settings, datasets: config.datasets }));
  });
}
