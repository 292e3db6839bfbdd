/**
 * The retry loop of one request, and the delays between its attempts. A request is retried here
 * only while none of its rows has reached the consumer (see the client's module comment); a 401 is
 * answered once with a fresh token, without backing off.
 */
import type { ExportRequest } from '../../core/contract.ts';
import type { ExportBatch } from '../../core/csv-lines.ts';
import { isoTime } from '../../core/dates.ts';
import {
  DeadlineExceededError,
  ExportAbortedError,
  ExportApiError,
  ExportAuthError,
  ExportBodyError,
  ExportRateLimitError,
  ExportServerError,
} from '../../core/export-errors.ts';
import type { Delivered } from './attempt.ts';
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import { type EmitEvent, summarizeError, summarizeRequest } from './client-events.ts';
import type { Redactor } from './redaction.ts';
import { describeRequest } from './request-plan.ts';

/**
 * The wait before each retry: full-jitter backoff, never earlier than the server's Retry-After.
 * A 429 that says when to come back is retried then, neither earlier nor later: the server knows
 * when its window frees a slot, and a longer wait only leaves the budget unused. A 429 without
 * Retry-After backs off, and since a rate limit outlives one request, the level it required
 * carries over to the next throttled request, and decays by one with every answered request.
 */
export class RetryDelays {
  private rateLimitLevel = 0;

  constructor(private readonly policy: BackoffPolicy) {}

  /** Every status the API answers with, before its body is read. */
  answered(status: number): void {
    if (status !== 429) this.rateLimitLevel = Math.max(0, this.rateLimitLevel - 1);
  }

  /** The wait asked for before retrying after `error`, the request's `failures`-th failure (from 0). */
  delayFor(error: ExportApiError, failures: number): number {
    if (error instanceof ExportRateLimitError && error.retryAfterMs !== undefined) return error.retryAfterMs;
    let level = failures;
    if (error instanceof ExportRateLimitError) {
      // The limit outlives one request: start where the last throttled request had to get to.
      level = Math.max(failures, this.rateLimitLevel);
      this.rateLimitLevel = level + 1;
    }
    const jittered = backoffDelay(level, this.policy);
    const retryAfter =
      error instanceof ExportRateLimitError || error instanceof ExportServerError
        ? error.retryAfterMs
        : undefined;
    // Never earlier than the server asked; the jitter still spreads clients that were told the same.
    return retryAfter === undefined ? jittered : Math.max(retryAfter, jittered);
  }
}

export interface RetrySettings {
  /** Attempts per request, the first included. */
  readonly maxAttempts: number;
  /** The longest single wait before a retry. */
  readonly maxWaitMs: number;
  /** Wall-clock epoch ms: no retry whose wait ends past it is made. */
  readonly deadline: number | undefined;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly delays: RetryDelays;
  readonly redactor: Redactor;
  readonly emit: EmitEvent;
  /** The client's running totals: retries made, rows delivered. */
  readonly tally: { retries: number; rows: number };
}

/** One request, as the loop needs it: how to get a token and how to make one attempt. */
export interface RetryJob {
  readonly request: ExportRequest;
  readonly signal: AbortSignal | undefined;
  token(refresh: boolean): Promise<string>;
  /**
   * One attempt's rows, in batches (one per piece of the body), as they may reach the consumer; it
   * counts `delivered.bytes` as they arrive.
   */
  attempt(token: string, attempt: number, delivered: Delivered): AsyncIterable<ExportBatch>;
}

/**
 * Streams the rows of one request in batches, retrying what can be retried before any row was
 * delivered. One hop per batch, not per row: the loop costs nothing per row.
 */
export async function* withRetries(job: RetryJob, settings: RetrySettings): AsyncGenerator<ExportBatch> {
  const { request, signal } = job;
  const { deadline, emit, tally } = settings;
  const started = Date.now();
  const summary = summarizeRequest(request);
  let token = await job.token(false);
  let refreshed = false;
  let failures = 0;
  let attempts = 0;
  const delivered: Delivered = { rows: 0, bytes: 0 };
  for (;;) {
    try {
      throwIfStopped(request, signal, deadline);
      attempts++;
      delivered.bytes = 0;
      for await (const batch of job.attempt(token, attempts, delivered)) {
        if (batch.length === 0) continue;
        delivered.rows += batch.length;
        tally.rows += batch.length;
        yield batch;
      }
      emit({
        ...summary,
        type: 'done',
        attempts,
        rows: delivered.rows,
        bytes: delivered.bytes,
        elapsedMs: Date.now() - started,
      });
      return;
    } catch (caught) {
      const error = settings.redactor.scrub(
        caught instanceof ExportApiError
          ? caught
          : unexpectedError(caught, request, delivered.rows, settings),
      );
      if (error instanceof ExportAuthError && error.status === 401 && !refreshed) {
        // A rotated secret: ask for a fresh token and try once more, without backing off.
        refreshed = true;
        emit({ ...summary, type: 'token-refresh' });
        token = await job.token(true);
        continue;
      }
      const retry = error.retryable && delivered.rows === 0 && failures + 1 < settings.maxAttempts;
      if (!retry) {
        emit({ ...summary, type: 'failed', attempts, error: summarizeError(error) });
        throw error;
      }
      const requestedMs = settings.delays.delayFor(error, failures);
      failures++;
      // Waiting part of what was asked and retrying early would only be refused again: a wait
      // that ends past the deadline leaves the request for the next run, now.
      if (deadline !== undefined && Date.now() + requestedMs >= deadline) {
        const deadlineError = new DeadlineExceededError(
          `${describeRequest(request)}: the retry after "${error.message}" would wait ${waitText(requestedMs)}, past the deadline ${isoTime(deadline)}`,
          deadline,
          { request, cause: error, status: error.status },
        );
        emit({ ...summary, type: 'failed', attempts, error: summarizeError(deadlineError) });
        throw deadlineError;
      }
      const delayMs = Math.min(requestedMs, settings.maxWaitMs);
      tally.retries++;
      emit({
        ...summary,
        type: 'retry',
        attempt: attempts,
        delayMs,
        requestedMs,
        error: summarizeError(error),
      });
      try {
        await settings.sleep(delayMs, signal);
      } catch (sleepError) {
        throw new ExportAbortedError(`${describeRequest(request)}: aborted while waiting to retry`, {
          request,
          cause: signal?.reason ?? sleepError,
        });
      }
    }
  }
}

function throwIfStopped(
  request: ExportRequest,
  signal: AbortSignal | undefined,
  deadline: number | undefined,
): void {
  if (signal?.aborted) {
    throw new ExportAbortedError(`${describeRequest(request)}: aborted by the caller`, {
      request,
      cause: signal.reason,
    });
  }
  if (deadline !== undefined && Date.now() >= deadline) {
    throw new DeadlineExceededError(
      `${describeRequest(request)}: the deadline ${isoTime(deadline)} has passed`,
      deadline,
      { request },
    );
  }
}

/** Anything else that went wrong (a bug, a consumer's throw), as a public error. */
function unexpectedError(
  error: unknown,
  request: ExportRequest,
  rowsYielded: number,
  settings: RetrySettings,
): ExportApiError {
  return new ExportBodyError(
    `${describeRequest(request)}: unexpected failure: ${settings.redactor.detail(error)}`,
    { request, rowsYielded },
  );
}

/** A wait for a message: milliseconds when short, else whole seconds (a Retry-After can be huge). */
function waitText(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${Math.ceil(ms / 1000)} s`;
}
