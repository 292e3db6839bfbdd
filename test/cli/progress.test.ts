/** What a run prints on stderr while it works: the progress line, its ETA, notes and waits. */
import { describe, expect, it } from 'vitest';
import {
  createRunStatus,
  estimateRemainingMs,
  formatProgress,
  type ProgressSnapshot,
  retryLine,
} from '../../bin/cli/progress.ts';
import type { ExportClientEvent } from '../../lambdas/adapters/peer5-api/index.ts';

/** A stream that records what is written, a terminal or not. */
function recorder(isTTY: boolean) {
  const writes: string[] = [];
  return {
    isTTY,
    writes,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
  } as unknown as NodeJS.WriteStream & { writes: string[] };
}

const RETRY: Extract<ExportClientEvent, { type: 'retry' }> = {
  type: 'retry',
  interval: '1m',
  from: 0,
  to: 1,
  attempt: 1,
  delayMs: 1_000,
  requestedMs: 1_000,
  error: { name: 'ExportRateLimitError', message: 'rate limited (429)', status: 429, retryable: true },
};

describe('the ETA of a backfill', () => {
  // Four paced requests (30 a minute) bring 96 windows; the first window is written 1.4 s in,
  // while the first request is still streaming. The rest takes three more paced requests: ~6 s.
  const firstWindow: ProgressSnapshot = {
    windowsDone: 1,
    windowsTotal: 96,
    rows: 60,
    requestsDone: 0,
    requestsTotal: 4,
  };

  it('counts the API requests left at their pace, not the windows left', () => {
    const eta = estimateRemainingMs(firstWindow, 1_400, 2_000);
    expect(eta).toBe(8_000);
    // Counting windows said 95 more windows at 1.4 s each: over two minutes for a 7 s run.
    expect(eta).toBeLessThan((1_400 / firstWindow.windowsDone) * 95);
    expect(formatProgress(firstWindow, 1_400, 2_000)).toBe(
      '[------------------------] 1/96 windows, 0/4 requests, 60 rows, ETA 8s',
    );
  });

  it('uses the time requests really took when it is longer than the pacing', () => {
    const half = { ...firstWindow, windowsDone: 48, requestsDone: 2 };
    expect(estimateRemainingMs(half, 9_000, 2_000)).toBe(9_000);
  });

  it('knows nothing before the first answer of an unpaced run, and is done when the windows are', () => {
    expect(formatProgress(firstWindow, 500, 0)).toMatch(/ETA --$/);
    expect(estimateRemainingMs({ ...firstWindow, windowsDone: 96 }, 5_000, 2_000)).toBe(0);
  });
});

describe('the run status on stderr', () => {
  it('prints notes, one line per wait, and throttled progress lines when not on a terminal', () => {
    let now = 0;
    const stream = recorder(false);
    const status = createRunStatus(stream, { spacingMs: 2_000, clock: () => now });
    status.note('Using the simulator.');
    status.clientEvent(RETRY);
    status.progress({ windowsDone: 1, windowsTotal: 4, rows: 10, requestsTotal: 2 });
    now = 1_000;
    status.clientEvent({ ...RETRY, type: 'done', attempts: 2, rows: 10, bytes: 100, elapsedMs: 5 });
    status.progress({ windowsDone: 2, windowsTotal: 4, rows: 20, requestsTotal: 2 });
    status.finish();
    expect(stream.writes).toEqual([
      'Using the simulator.\n',
      'rate limited (429); waiting 1.0s before attempt 2\n',
      '[######------------------] 1/4 windows, 0/2 requests, 10 rows, ETA 4s\n',
      '[############------------] 2/4 windows, 1/2 requests, 20 rows, ETA 2s\n',
    ]);
  });

  it('says when a wait was capped below what the server asked for', () => {
    expect(retryLine({ ...RETRY, delayMs: 300_000, requestedMs: 9_999_999_999_000 })).toMatch(
      /waiting 5m00s \(asked for .*h\d\dm\) before attempt 2$/,
    );
  });

  it('prints only alerts with --quiet', () => {
    const stream = recorder(true);
    const status = createRunStatus(stream, { quiet: true });
    status.note('Using the simulator.');
    status.clientEvent(RETRY);
    status.progress({ windowsDone: 1, windowsTotal: 4, rows: 10, requestsTotal: 2 });
    status.finish();
    expect(stream.writes).toEqual([]);
    status.alert('Interrupted (SIGINT): stopping.');
    expect(stream.writes).toEqual(['Interrupted (SIGINT): stopping.\n']);
  });

  it('prints notes and waits but no progress line with --no-progress', () => {
    const stream = recorder(true);
    const status = createRunStatus(stream, { progress: false });
    status.progress({ windowsDone: 1, windowsTotal: 4, rows: 10, requestsTotal: 2 });
    status.clientEvent(RETRY);
    status.finish();
    expect(stream.writes).toEqual(['rate limited (429); waiting 1.0s before attempt 2\n']);
  });

  it('prints a note above the progress line on a terminal and draws the line again', () => {
    const stream = recorder(true);
    const status = createRunStatus(stream, { clock: () => 0 });
    status.progress({ windowsDone: 1, windowsTotal: 4, rows: 10, requestsTotal: 2 });
    status.clientEvent(RETRY);
    const line = '[######------------------] 1/4 windows, 0/2 requests, 10 rows, ETA --';
    expect(stream.writes).toEqual([
      `\r${line}\u001b[K`,
      `\r\u001b[Krate limited (429); waiting 1.0s before attempt 2\n${line}`,
    ]);
  });
});
