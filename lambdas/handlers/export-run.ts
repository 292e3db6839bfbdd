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

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { ExportClient } from '../core/client/index.ts';
import { readLambdaEnvironment } from '../core/config.ts';
import { TIME } from '../core/contract.ts';
import { runExport } from '../core/lake/run.ts';
import { S3LakeSink } from '../core/lake/s3-sink.ts';
import { EXPORT_SETTINGS } from './environment.ts';
import {
  type ApiTokenContext,
  apiToken,
  deadlineOf,
  logClientEvent,
  logger,
  logLakeEvent,
  metrics,
  RunFailedError,
  type RunSummary,
  recordRun,
} from './runtime.ts';

// Read once per cold start: a bad variable fails the init with a message that names it.
export const config = readLambdaEnvironment(process.env, EXPORT_SETTINGS);
const s3 = new S3Client({});
export const sink = new S3LakeSink({ s3, bucket: config.bucketName });

/** The middy handler of a scheduled export; the event (Scheduler's scheduled time) is not needed. */
export function exportHandler() {
  return middy(async (_event: unknown, context: ApiTokenContext): Promise<RunSummary> => {
    const deadline = deadlineOf(context);
    const client = new ExportClient({
      baseUrl: config.apiBaseUrl,
      token: context.apiToken,
      deadline,
      onEvent: logClientEvent,
    });
    const result = await runExport({
      source: client,
      sink,
      prefix: config.prefix,
      datasets: config.datasets,
      now: Date.now(),
      settleMs: config.settleHours * TIME.HOUR,
      deadline,
      log: logLakeEvent,
    });
    const summary = recordRun(result, client.stats);
    if (summary.windowsFailed > 0) throw new RunFailedError(summary);
    return summary;
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(apiToken(config.secretName));
}
