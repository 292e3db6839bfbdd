/**
 * Fills a past range on demand: `aws lambda invoke` with `{"from": "2024-05-01", "to": "2024-05-08"}`
 * (optionally `"datasets": [...]`, and `"force": true` to fetch final windows again). Resumable:
 * finished windows are final in the lake, so when a run stops at its deadline (`invokeAgain` in
 * the result) the same event continues where it left off. With `force` it starts over instead.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { ExportClient } from '../core/client/index.ts';
import { TIME } from '../core/contract.ts';
import { runBackfill } from '../core/lake/run.ts';
import { parseBackfillEvent } from './events.ts';
import { config, sink } from './export-run.ts';
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

export interface BackfillResult extends RunSummary {
  /** True when windows were left for another invocation with the same event. */
  readonly invokeAgain: boolean;
}

export const handler = middy(async (event: unknown, context: ApiTokenContext): Promise<BackfillResult> => {
  const request = parseBackfillEvent(event, config.datasets);
  logger.info('Backfill requested', {
    from: new Date(request.from).toISOString(),
    to: new Date(request.to).toISOString(),
    datasets: request.datasets.map((dataset) => dataset.name),
    force: request.force,
  });
  const deadline = deadlineOf(context);
  const client = new ExportClient({
    baseUrl: config.apiBaseUrl,
    token: context.apiToken,
    deadline,
    onEvent: logClientEvent,
  });
  const result = await runBackfill({
    source: client,
    sink,
    prefix: config.prefix,
    datasets: request.datasets,
    from: request.from,
    to: request.to,
    force: request.force,
    now: Date.now(),
    settleMs: config.settleHours * TIME.HOUR,
    deadline,
    log: logLakeEvent,
  });
  const summary = recordRun(result, client.stats);
  if (summary.windowsFailed > 0) throw new RunFailedError(summary);
  return { ...summary, invokeAgain: summary.windowsDeferred > 0 };
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(apiToken(config.secretName));
