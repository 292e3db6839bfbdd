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
 *
 * Overlapping runs: a run holds the lease of its kind (adapters/s3-run-lease.ts) while it works. A run that
 * starts while another of its kind is in flight (a manual invoke beside the scheduled run, an
 * async retry beside the next hour's run) does nothing and returns `skipped`: the run in flight
 * plans from the same lake, and whatever it leaves is picked up by the next run.
 */

import { S3Client } from '@aws-sdk/client-s3';
import type { RequestPacer } from '../adapters/peer5-api/index.ts';
import { S3LakeSink } from '../adapters/s3-lake-sink.ts';
import { RunLeaseError, S3RunLease } from '../adapters/s3-run-lease.ts';
import { type CurateLakeInput, curateAfterRun } from '../core/lake/curate.ts';
import { runLeaseKey } from '../core/lake/keys.ts';
import { planBackfillRun, runBackfill, runExport } from '../core/lake/run.ts';
import type { RunResult } from '../core/lake/run-types.ts';
import { readLambdaEnvironment } from '../core/settings/lambda-environment.ts';
import { lakeRunOptionsOf } from '../core/settings/run-options.ts';
import { EXPORT_SETTINGS, RUN_KIND, type RunKind } from './environment.ts';
import { type BackfillRequest, parseExportEvent } from './events.ts';
import {
  type ApiTokenContext,
  apiClientFor,
  deadlineOf,
  logger,
  logLakeEvent,
  RunFailedError,
  type RunSummary,
  recordRun,
  reporterHandler,
} from './middleware.ts';

// Read once per cold start: a bad variable fails the init with a message that names it.
export const config = readLambdaEnvironment(process.env, EXPORT_SETTINGS);
const s3 = new S3Client({});
export const sink = new S3LakeSink({ s3, bucket: config.bucketName });

/** Lambda hosts' clocks agree to well within this; a lease outlives its holder's timeout by it. */
const LEASE_CLOCK_MARGIN_MS = 30_000;

/** The result of a run that found another run of its kind in flight, and so did nothing. */
export interface SkippedRun {
  /** Why nothing was done, in words. */
  readonly skipped: string;
  /** The run in flight: its function and request id. */
  readonly heldBy: string;
  /** When its lease expires at the latest (its timeout). */
  readonly heldUntil: string;
}

export function isSkippedRun(result: RunSummary | SkippedRun): result is SkippedRun {
  return 'skipped' in result;
}

/**
 * Runs `work` while holding the lease of `kind`. When another run of that kind holds it, does
 * nothing (no token read, no API request, no write) and returns why. A lease left by a run that
 * was killed is taken over once its holder's timeout has passed.
 */
export async function underRunLease(
  kind: RunKind,
  context: ApiTokenContext,
  work: () => Promise<RunSummary>,
): Promise<RunSummary | SkippedRun> {
  const lease = new S3RunLease({ s3, bucket: config.bucketName, key: runLeaseKey(config.prefix, kind) });
  const holder = `${context.functionName} request ${context.awsRequestId}`;
  const outcome = await lease.acquire(
    holder,
    Date.now() + context.getRemainingTimeInMillis() + LEASE_CLOCK_MARGIN_MS,
  );
  if (!outcome.acquired) {
    const heldUntil = new Date(outcome.heldBy.expiresAt).toISOString();
    const skipped: SkippedRun = {
      skipped: `another ${kind} run (${outcome.heldBy.holder}, started ${new Date(outcome.heldBy.acquiredAt).toISOString()}) is in flight, so this one did nothing; the next run picks up whatever that one leaves`,
      heldBy: outcome.heldBy.holder,
      heldUntil,
    };
    logger.warn(`Run skipped: ${skipped.skipped}`, {
      event: 'run-skipped',
      kind,
      heldBy: skipped.heldBy,
      heldUntil,
    });
    return skipped;
  }
  if (outcome.tookOver) {
    logger.warn(
      `Took over the ${kind} lease of ${outcome.tookOver.holder}, which expired at ${new Date(outcome.tookOver.expiresAt).toISOString()} without being released (that run was stopped before it could)`,
      { event: 'lease-taken-over', kind },
    );
  }
  try {
    return await work();
  } finally {
    await releaseQuietly(outcome.release, kind);
  }
}

/**
 * Gives a lease up without failing the run over it: the run's own outcome matters more, and a
 * lease that could not be deleted expires by itself at the function's timeout.
 */
async function releaseQuietly(release: () => Promise<void>, kind: RunKind): Promise<void> {
  try {
    await release();
  } catch (error: unknown) {
    const reason = error instanceof RunLeaseError ? error.message : `${String(error)} (releasing the lease)`;
    logger.warn(`${reason}; it expires by itself at the function's timeout`, {
      event: 'lease-not-released',
      kind,
    });
  }
}

/** What `finish` curates: every dataset's marked days, unless a backfill names its own. */
type CurationScope = Pick<CurateLakeInput, 'datasets' | 'days'>;

/**
 * One invocation's lake run: the API client and the settings every run of this function shares.
 * `finish` curates the days the run (or an earlier one) marked, within the run's deadline, records
 * the metrics, and fails the invocation when a window or a curated day failed.
 */
export function lakeRunOf(context: ApiTokenContext, kind: RunKind, pacer?: RequestPacer) {
  const deadline = deadlineOf(context);
  const client = apiClientFor(config.apiBaseUrl, context, deadline, pacer);
  const settings = {
    source: client,
    sink,
    prefix: config.prefix,
    now: Date.now(),
    ...lakeRunOptionsOf(config),
    deadline,
    log: logLakeEvent,
  };
  return {
    settings,
    async finish(
      result: RunResult,
      scope: CurationScope = { datasets: config.datasets },
    ): Promise<RunSummary> {
      const curation = await curateAfterRun({ ...settings, datasets: scope.datasets }, scope.days);
      const summary = recordRun(result, curation, client.stats, kind);
      if (summary.windowsFailed > 0 || summary.curatedDaysFailed > 0) throw new RunFailedError(summary);
      return summary;
    },
  };
}

/**
 * A backfill request run to its summary by a backfill function (the on-demand `Backfill`, the
 * state machine's item), its requests kept to `pacer` (`backfillPacerOf`). The pacer is drained
 * before this returns, failed or not, so the next invocation cannot start early on another instance.
 */
export async function runPacedBackfill(
  context: ApiTokenContext,
  request: BackfillRequest,
  pacer: RequestPacer,
): Promise<RunSummary> {
  try {
    const run = lakeRunOf(context, RUN_KIND.backfill, pacer);
    return await run.finish(
      await runBackfill({
        ...run.settings,
        datasets: request.datasets,
        from: request.from,
        to: request.to,
        force: request.force,
      }),
      // Its own days only: the state machine's items run at once, and each curating every marked
      // day read each day's windows again in every item that ended while it was due. The scheduled
      // runs curate what any run left marked.
      { datasets: request.datasets, days: { from: request.from, to: request.to } },
    );
  } finally {
    await pacer.drain();
  }
}

/**
 * The middy handler of a scheduled export. The run works from the clock, so Scheduler's scheduled
 * time is not needed; the event is still checked, so a hand-made one with parameters this run does
 * not take fails instead of exporting everything. Its requests keep to `pacer` (`scheduledPacerOf`).
 */
export function exportHandler(kind: RunKind, pacer: RequestPacer) {
  return reporterHandler(
    config.secretName,
    async (event: unknown, context): Promise<RunSummary | SkippedRun> => {
      parseExportEvent(event);
      return await underRunLease(kind, context, async () => {
        const run = lakeRunOf(context, kind, pacer);
        return await run.finish(await runExport({ ...run.settings, datasets: config.datasets }));
      });
    },
  );
}

/**
 * What a backfill of the request's range would fetch now from this function's lake: the Plan step
 * asks with the request's force, the Summary step without, to see the windows still not written.
 */
export function planOfBackfillRequest(request: BackfillRequest, force: boolean) {
  return planBackfillRun({
    sink,
    prefix: config.prefix,
    datasets: request.datasets,
    now: Date.now(),
    from: request.from,
    to: request.to,
    force,
    ...lakeRunOptionsOf(config),
  });
}
