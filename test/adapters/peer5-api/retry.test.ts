import { describe, expect, it } from 'vitest';
import type { Delivered } from '../../../lambdas/adapters/peer5-api/attempt.ts';
import type { ExportClientEvent } from '../../../lambdas/adapters/peer5-api/client-events.ts';
import { Redactor } from '../../../lambdas/adapters/peer5-api/redaction.ts';
import {
  withRetries as batchedRetries,
  RetryDelays,
  type RetrySettings,
} from '../../../lambdas/adapters/peer5-api/retry.ts';
import { type ExportRequest, type ExportRow, TIME } from '../../../lambdas/core/contract.ts';
import {
  DeadlineExceededError,
  ExportAuthError,
  ExportRateLimitError,
  ExportServerError,
  ExportTruncatedError,
} from '../../../lambdas/core/export-errors.ts';
import { collect, failure } from './helpers.ts';

/** The top of every draw: the delay is the ceiling minus one. */
const POLICY = { baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0.99999 };
const FROM = Date.UTC(2025, 5, 15, 9);
const REQUEST: ExportRequest = { interval: '1h', from: FROM, to: FROM + TIME.HOUR, metrics: ['http'] };
const ROW: ExportRow = { timestamp: FROM, dimensions: {}, metrics: { http: 1 } };

describe('RetryDelays', () => {
  it('backs off by the number of failures of the request', () => {
    const delays = new RetryDelays(POLICY);
    const error = new ExportServerError('down', undefined);
    expect([0, 1, 2].map((failures) => delays.delayFor(error, failures))).toEqual([99, 199, 399]);
  });

  it("never waits less than a 5xx's Retry-After, and jitters above it", () => {
    const delays = new RetryDelays(POLICY);
    expect(delays.delayFor(new ExportServerError('down', 5_000), 0)).toBe(5_000);
    expect(delays.delayFor(new ExportServerError('down', 50), 3)).toBe(799);
  });

  it("waits exactly what a 429's Retry-After asks, however often the request was refused", () => {
    const delays = new RetryDelays(POLICY);
    expect(
      [0, 3, 6].map((failures) => delays.delayFor(new ExportRateLimitError('slow', 50), failures)),
    ).toEqual([50, 50, 50]);
    // Nor does it raise the level a later 429 without Retry-After starts from.
    expect(delays.delayFor(new ExportRateLimitError('slow', undefined), 0)).toBe(99);
  });

  it('carries the rate-limit level over to the next throttled request, decaying per answer', () => {
    const delays = new RetryDelays(POLICY);
    const limited = new ExportRateLimitError('slow', undefined);
    expect(delays.delayFor(limited, 0)).toBe(99);
    expect(delays.delayFor(limited, 1)).toBe(199);
    // A new request's first 429 starts where the last one got to.
    expect(delays.delayFor(limited, 0)).toBe(399);
    delays.answered(429);
    expect(delays.delayFor(limited, 0)).toBe(799);
    delays.answered(200);
    delays.answered(200);
    expect(delays.delayFor(limited, 0)).toBe(399);
    // Other errors do not read the level.
    expect(delays.delayFor(new ExportServerError('down', undefined), 0)).toBe(99);
  });
});

/** The retry loop's batches, one row each here, as rows. */
async function* withRetries(...args: Parameters<typeof batchedRetries>): AsyncGenerator<ExportRow> {
  for await (const batch of batchedRetries(...args)) yield* batch;
}

/** A job whose attempts play out `outcomes` in turn: rows then the end, or rows then a throw. */
function job(outcomes: { rows: number; error?: Error }[], tokens: boolean[] = []) {
  let next = 0;
  return {
    request: REQUEST,
    signal: undefined,
    token: async (refresh: boolean) => {
      tokens.push(refresh);
      return refresh ? 'fresh' : 'stale';
    },
    async *attempt(_token: string, _attempt: number, delivered: Delivered): AsyncGenerator<ExportRow[]> {
      const outcome = outcomes[next++] ?? { rows: 0 };
      delivered.bytes += 10;
      for (let i = 0; i < outcome.rows; i++) yield [ROW];
      if (outcome.error) throw outcome.error;
    },
  };
}

function settings(events: ExportClientEvent[], extra: Partial<RetrySettings> = {}): RetrySettings {
  return {
    maxAttempts: 4,
    maxWaitMs: 60_000,
    deadline: undefined,
    sleep: async () => {},
    delays: new RetryDelays(POLICY),
    redactor: new Redactor(),
    emit: (event) => events.push(event),
    tally: { retries: 0, rows: 0 },
    ...extra,
  };
}

describe('withRetries', () => {
  it('retries a retryable failure before any row, and counts retries and rows', async () => {
    const events: ExportClientEvent[] = [];
    const run = settings(events);
    const truncated = new ExportTruncatedError('cut');
    const rows = await collect(withRetries(job([{ rows: 0, error: truncated }, { rows: 3 }]), run));
    expect(rows).toHaveLength(3);
    expect(run.tally).toEqual({ retries: 1, rows: 3 });
    expect(events.map((event) => event.type)).toEqual(['retry', 'done']);
  });

  it('does not retry once a row reached the consumer', async () => {
    const events: ExportClientEvent[] = [];
    const error = await failure(
      withRetries(job([{ rows: 2, error: new ExportTruncatedError('cut') }, { rows: 3 }]), settings(events)),
    );
    expect(error).toBeInstanceOf(ExportTruncatedError);
    expect(events.map((event) => event.type)).toEqual(['failed']);
  });

  it('answers a 401 once with a fresh token, without a backoff', async () => {
    const events: ExportClientEvent[] = [];
    const tokens: boolean[] = [];
    const refused = () => new ExportAuthError('refused', { status: 401 });
    const error = await failure(
      withRetries(
        job(
          [
            { rows: 0, error: refused() },
            { rows: 0, error: refused() },
          ],
          tokens,
        ),
        settings(events),
      ),
    );
    expect(error).toBeInstanceOf(ExportAuthError);
    expect(tokens).toEqual([false, true]);
    expect(events.map((event) => event.type)).toEqual(['token-refresh', 'failed']);
  });

  it('gives up at once when the wait would end past the deadline', async () => {
    const events: ExportClientEvent[] = [];
    let slept = false;
    const run = settings(events, {
      deadline: Date.now() + 1_000,
      sleep: async () => {
        slept = true;
      },
    });
    const error = await failure(
      withRetries(job([{ rows: 0, error: new ExportServerError('busy', 60_000) }]), run),
    );
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.message).toContain('would wait 60 s, past the deadline');
    expect(slept).toBe(false);
  });
});
