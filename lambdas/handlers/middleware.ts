/**
 * What every handler shares: structured logs and metrics (Powertools), the API token from Secrets
 * Manager (through @middy/secrets-manager, cached, fetched again after a 401), the run deadline,
 * and turning the core's events and results into log lines and metrics.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import secretsManager from '@middy/secrets-manager';
import { clearCache, getInternal } from '@middy/util';
import type { Context } from 'aws-lambda';
import {
  ExportClient,
  type ExportClientEvent,
  type ExportClientStats,
  RequestPacer,
} from '../adapters/peer5-api/index.ts';
import { backfillBudgetOf, backfillBudgetProblem, scheduledPaceOf } from '../core/lake/backfill-budget.ts';
import type { CurationResult } from '../core/lake/curate.ts';
import type { LakeEvent, RunResult } from '../core/lake/run-types.ts';
import { SettingsError } from '../core/settings/errors.ts';
import { readLambdaEnvironment } from '../core/settings/lambda-environment.ts';
import type { TokenProvider } from '../core/source.ts';
import { ApiTokenError, tokenOfSecret } from '../core/token.ts';
import {
  BACKFILL_PACE_SETTINGS,
  DEADLINE_MARGIN_VARIABLE,
  type RunKind,
  SCHEDULED_PACE_SETTINGS,
} from './environment.ts';
import { METRIC, RUN_DIMENSION } from './telemetry.ts';
import { readWiredVariable } from './wired-environment.ts';

/** Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE. */
export const logger = new Logger();
export const metrics = new Metrics();

/** A rotated token is picked up within this long, or at once after a 401. */
export const TOKEN_CACHE_MS = 15 * 60_000;

const TOKEN_KEY = 'apiTokenSecret';

/** The handler context, with the API token provider the `apiToken` middleware adds. */
export interface ApiTokenContext extends Context {
  apiToken: TokenProvider;
}

function causeOf(error: unknown): string {
  // getInternal wraps the SDK errors as `cause.data`; their names say what is wrong.
  const data = (error as { cause?: { data?: unknown } })?.cause?.data;
  const first = Array.isArray(data) ? data[0] : error;
  return first instanceof Error ? `${first.name}: ${first.message}` : String(first);
}

/**
 * Adds `context.apiToken`, a TokenProvider backed by @middy/secrets-manager. The secret is read
 * on first use and cached for TOKEN_CACHE_MS across invocations; `{refresh: true}` (sent by the
 * client after a 401) drops the cache and reads the secret again, so a rotated token is used at
 * once and no redeploy is needed.
 */
export function apiToken(secretId: string): MiddlewareObj<unknown, unknown, Error, ApiTokenContext> {
  // One cache entry per secret, shared by the invocations of this function.
  const cacheKey = `peer5-api-token:${secretId}`;
  const secrets = secretsManager({
    fetchData: { [TOKEN_KEY]: secretId },
    cacheKey,
    cacheExpiry: TOKEN_CACHE_MS,
    // Read at first use, inside an invocation, so a failure surfaces as this run's error.
    disablePrefetch: true,
  });
  const load = secrets.before as (request: Request) => Promise<void>;
  return {
    name: 'apiToken',
    before: (request) => {
      let loaded: Promise<void> | undefined;
      request.context.apiToken = async ({ refresh }) => {
        if (refresh) {
          clearCache([cacheKey]);
          loaded = undefined;
        }
        loaded ??= load(request as Request);
        let value: unknown;
        try {
          await loaded;
          value = (await getInternal([TOKEN_KEY], request as Request))[TOKEN_KEY];
        } catch (error: unknown) {
          loaded = undefined;
          throw new ApiTokenError(
            `could not read the API token from Secrets Manager secret "${secretId}": ${causeOf(error)}`,
          );
        }
        return tokenOfSecret(value, secretId);
      };
    },
  };
}

/** The deadline margin in `environment`: DEFAULT_DEADLINE_MARGIN_MS when unset, else a whole number of ms. */
export function deadlineMarginOf(environment: Readonly<Record<string, string | undefined>>): number {
  return readWiredVariable(environment, DEADLINE_MARGIN_VARIABLE);
}

// Read once per cold start: a bad value fails the init with a message that names the variable.
const DEADLINE_MARGIN_MS = deadlineMarginOf(process.env);

/** Epoch ms by which a handler stops starting work: its timeout minus a margin for the wrap-up. */
export function deadlineOf(context: Pick<Context, 'getRemainingTimeInMillis'>, now = Date.now()): number {
  return now + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
}

/**
 * Wraps a handler that needs no API token: log lines carry the Lambda context and metrics are
 * flushed per invocation.
 */
export function observedHandler<TEvent, TResult>(run: (event: TEvent, context: Context) => Promise<TResult>) {
  return middy<TEvent, TResult, Error, Context>(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/**
 * Wraps a handler in what every function shares: log lines carry the Lambda context, metrics
 * are flushed per invocation, and `context.apiToken` reads the token from `secretName`.
 */
export function reporterHandler<TEvent, TResult>(
  secretName: string,
  run: (event: TEvent, context: ApiTokenContext) => Promise<TResult>,
) {
  return middy<TEvent, TResult, Error, ApiTokenContext>(run)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(apiToken(secretName));
}

/**
 * The pacer of a scheduled function (hourly and daily export, report), made once per cold start
 * so it outlives the invocation: its whole part of the budget in any minute, at once if the run
 * wants (core/lake/backfill-budget.ts). It does not drain: the next invocation of the function is
 * the next hour's or day's, or Lambda's retry a minute after a failure at the earliest.
 */
export function scheduledPacerOf(environment: Readonly<Record<string, string | undefined>>): RequestPacer {
  return new RequestPacer(scheduledPaceOf(readLambdaEnvironment(environment, SCHEDULED_PACE_SETTINGS)));
}

/**
 * The pacer of a backfill function, made once per cold start: one item's share of the budget, one
 * request per `itemSpacingMs`. The state machine's item function uses it, and so does the
 * on-demand `Backfill`, as one more item. The rule between the two settings is checked here, at
 * cold start as at synth. Each invocation drains it before returning (`pacer.drain()`), so the
 * next one cannot start early on another instance.
 */
export function backfillPacerOf(environment: Readonly<Record<string, string | undefined>>): RequestPacer {
  const settings = readLambdaEnvironment(environment, BACKFILL_PACE_SETTINGS);
  const problem = backfillBudgetProblem(settings);
  if (problem) throw new SettingsError([{ setting: 'backfillConcurrency', message: problem }]);
  return new RequestPacer(backfillBudgetOf(settings).itemPace);
}

/** The API client of one invocation: the middleware's token, the run's deadline, events as logs. */
export function apiClientFor(
  apiBaseUrl: string,
  context: ApiTokenContext,
  deadline: number,
  pacer?: RequestPacer,
): ExportClient {
  return new ExportClient({
    baseUrl: apiBaseUrl,
    token: context.apiToken,
    deadline,
    onEvent: logClientEvent,
    ...(pacer ? { pacer } : {}),
  });
}

/** Client events as log lines: retries and failures visible, routine requests at debug. */
export function logClientEvent(event: ExportClientEvent): void {
  const fields = { ...event, from: new Date(event.from).toISOString(), to: new Date(event.to).toISOString() };
  switch (event.type) {
    case 'retry':
      logger.warn('Peer5 API request will be retried', fields);
      return;
    case 'failed':
      logger.error('Peer5 API request failed', fields);
      return;
    case 'token-refresh':
      logger.info('Peer5 API answered 401; reading the token from Secrets Manager again', fields);
      return;
    default:
      logger.debug(`Peer5 API ${event.type}`, fields);
  }
}

/**
 * Lake events at the level the core gives them (gaps and failed windows: error), with their
 * `event` field, which is what alarm descriptions and the docs point at.
 */
export function logLakeEvent(event: LakeEvent): void {
  const { level, message, ...fields } = event;
  logger[level](message, fields);
}

/** What a run did, as returned to the caller (and visible in a synchronous invoke). */
export interface RunSummary {
  readonly windowsWritten: number;
  readonly windowsProvisional: number;
  readonly windowsFailed: number;
  readonly windowsDeferred: number;
  readonly gaps: number;
  readonly rows: number;
  readonly bytes: number;
  readonly apiRequests: number;
  readonly apiRetries: number;
  readonly stopReason: string | null;
  /** Curated days written after the run (lake/curate.ts). */
  readonly curatedDaysWritten: number;
  /** Curated days removed because a window of theirs is provisional again. */
  readonly curatedDaysRemoved: number;
  /** Curated days that failed; their mark stays for the next run. */
  readonly curatedDaysFailed: number;
  /** Marked days left for the next run by the deadline. */
  readonly curatedDaysDeferred: number;
}

/** Emits the run's metrics; the lake core has already logged its gaps, failures and summary. */
export function recordRun(
  result: RunResult,
  curation: CurationResult,
  stats: ExportClientStats,
  kind: RunKind,
): RunSummary {
  const gapWindows = result.gaps.reduce((sum, gap) => sum + gap.windows, 0);
  metrics.addMetric(METRIC.windowsWritten, MetricUnit.Count, result.windows.length);
  metrics.addMetric(METRIC.windowsFailed, MetricUnit.Count, result.failed.length);
  metrics.addMetric(METRIC.windowsDeferred, MetricUnit.Count, result.deferred);
  // Once more per kind of run, zero included, so an alarm can count scheduled runs in a row that
  // could not finish their plan.
  metrics
    .singleMetric()
    .addDimension(RUN_DIMENSION, kind)
    .addMetric(METRIC.windowsDeferred, MetricUnit.Count, result.deferred);
  metrics.addMetric(METRIC.gapsFound, MetricUnit.Count, gapWindows);
  metrics.addMetric(METRIC.rows, MetricUnit.Count, result.rows);
  metrics.addMetric(METRIC.bytes, MetricUnit.Bytes, result.bytes);
  metrics.addMetric(METRIC.apiRequests, MetricUnit.Count, stats.requests);
  metrics.addMetric(METRIC.apiRetries, MetricUnit.Count, stats.retries);
  metrics.addMetric(METRIC.curatedDaysWritten, MetricUnit.Count, curation.written.length);
  metrics.addMetric(METRIC.curatedDaysFailed, MetricUnit.Count, curation.failed.length);

  return {
    windowsWritten: result.windows.length,
    windowsProvisional: result.windows.filter((window) => !window.final).length,
    windowsFailed: result.failed.length,
    windowsDeferred: result.deferred,
    gaps: gapWindows,
    rows: result.rows,
    bytes: result.bytes,
    apiRequests: stats.requests,
    apiRetries: stats.retries,
    stopReason: result.stopReason,
    curatedDaysWritten: curation.written.length,
    curatedDaysRemoved: curation.removed.length,
    curatedDaysFailed: curation.failed.length,
    curatedDaysDeferred: curation.deferred,
  };
}

/** The `event` field of the log lines that name a failed window. */
const WINDOW_FAILED_EVENT: LakeEvent['event'] = 'window-failed';
/** The `event` field of the log lines that name a curated day that failed. */
const CURATED_DAY_FAILED_EVENT: LakeEvent['event'] = 'curated-day-failed';

/**
 * Windows or curated days failed in this run: the invocation fails so the error alarm and the
 * failure queue see it.
 */
export class RunFailedError extends Error {
  override readonly name = 'RunFailedError';
  constructor(readonly summary: RunSummary) {
    super(
      summary.windowsFailed > 0
        ? `${summary.windowsFailed} window(s) failed (${summary.windowsWritten} written, ${summary.windowsDeferred} deferred); they are fetched again by the next run. See the log lines with event "${WINDOW_FAILED_EVENT}".`
        : `${summary.curatedDaysFailed} curated day(s) failed (${summary.curatedDaysWritten} written); the next run curates them again. See the log lines with event "${CURATED_DAY_FAILED_EVENT}".`,
    );
  }
}
