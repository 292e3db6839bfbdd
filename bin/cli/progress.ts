/**
 * What a run tells the person at the terminal while it works, all on stderr: notes, one line per
 * wait before a retry, and a progress line for long work (windows and API requests done, rows,
 * ETA). On a terminal the progress line redraws in place and notes print above it; elsewhere (CI,
 * pipes) it prints a line at most every few seconds, so logs stay readable. `--quiet` silences
 * notes, waits and progress; `--no-progress` only the progress line.
 *
 * The ETA counts API requests, not windows: one request brings many windows at once (a day of
 * hourly windows, say), and the time goes into the requests and the pacing between them.
 */
import type { ExportClientEvent } from '../../lambdas/adapters/peer5-api/index.ts';

export interface ProgressSnapshot {
  readonly windowsDone: number;
  readonly windowsTotal: number;
  readonly rows: number;
  /** API requests answered in full so far. */
  readonly requestsDone: number;
  /** API requests the plan needs, retries not counted. */
  readonly requestsTotal: number;
}

/** What a command prints while it runs. */
export interface RunStatus {
  /** A note (suppressed by --quiet). */
  note(line: string): void;
  /** Something the user must see (an interruption), printed even under --quiet. */
  alert(line: string): void;
  /** Feeds the client's events: waits before retries become notes, answers count for the ETA. */
  clientEvent(event: ExportClientEvent): void;
  progress(snapshot: Omit<ProgressSnapshot, 'requestsDone'>): void;
  /** Prints the last progress line for good. */
  finish(): void;
}

export interface RunStatusOptions {
  readonly quiet?: boolean;
  /** Show the progress line (false for --no-progress and --json). */
  readonly progress?: boolean;
  /** The pacing between requests, for the ETA (0 when not paced). */
  readonly spacingMs?: number;
  readonly clock?: () => number;
}

const BAR_WIDTH = 24;
const PLAIN_INTERVAL_MS = 5_000;

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** A wait in a retry line: tenths of a second when short, so "0.3s" does not read as "0s". */
function formatWait(ms: number): string {
  return ms < 10_000 ? `${(Math.round(ms / 100) / 10).toFixed(1)}s` : formatDuration(ms);
}

/**
 * Time left: the requests still to answer, each taking as long as they have so far, and never
 * less than the pacing allows. NaN (shown as "--") until there is anything to go on.
 */
export function estimateRemainingMs(snapshot: ProgressSnapshot, elapsedMs: number, spacingMs = 0): number {
  if (snapshot.windowsTotal > 0 && snapshot.windowsDone >= snapshot.windowsTotal) return 0;
  const remaining = Math.max(0, snapshot.requestsTotal - snapshot.requestsDone);
  if (remaining === 0) return snapshot.requestsTotal === 0 ? Number.NaN : 0;
  const observed = snapshot.requestsDone > 0 ? elapsedMs / snapshot.requestsDone : 0;
  const perRequest = Math.max(spacingMs, observed);
  return perRequest > 0 ? remaining * perRequest : Number.NaN;
}

export function formatProgress(snapshot: ProgressSnapshot, elapsedMs: number, spacingMs = 0): string {
  const { windowsDone, windowsTotal, rows, requestsDone, requestsTotal } = snapshot;
  const fraction = windowsTotal === 0 ? 1 : Math.min(1, windowsDone / windowsTotal);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
  const eta = estimateRemainingMs(snapshot, elapsedMs, spacingMs);
  const requests = `${Math.min(requestsDone, requestsTotal)}/${requestsTotal} requests`;
  return `[${bar}] ${windowsDone}/${windowsTotal} windows, ${requests}, ${rows.toLocaleString('en-US')} rows, ETA ${formatDuration(eta)}`;
}

/** The line for a wait before a retry: what failed, how long the wait is, and which attempt is next. */
export function retryLine(event: Extract<ExportClientEvent, { type: 'retry' }>): string {
  const capped = event.requestedMs > event.delayMs ? ` (asked for ${formatDuration(event.requestedMs)})` : '';
  return `${event.error.message}; waiting ${formatWait(event.delayMs)}${capped} before attempt ${event.attempt + 1}`;
}

export function createRunStatus(
  stream: NodeJS.WritableStream & { readonly isTTY?: boolean },
  options: RunStatusOptions = {},
): RunStatus {
  const clock = options.clock ?? Date.now;
  const quiet = options.quiet === true;
  const showProgress = options.progress !== false && !quiet;
  const spacingMs = options.spacingMs ?? 0;
  const interactive = stream.isTTY === true;
  const startedAt = clock();
  let requestsDone = 0;
  let lastPlainAt = Number.NEGATIVE_INFINITY;
  let last: ProgressSnapshot | null = null;
  /** A progress line is on screen without its newline (terminal only). */
  let drawn = false;

  const line = () => (last === null ? '' : formatProgress(last, clock() - startedAt, spacingMs));
  const print = (text: string) => {
    // Above the progress line: clear it, print, draw it again.
    if (drawn) stream.write(`\r\u001b[K${text}\n${line()}`);
    else stream.write(`${text}\n`);
  };

  return {
    note(text) {
      if (!quiet) print(text);
    },
    alert(text) {
      print(text);
    },
    clientEvent(event) {
      if (event.type === 'done') requestsDone += 1;
      else if (event.type === 'retry' && !quiet) print(retryLine(event));
    },
    progress(snapshot) {
      last = { ...snapshot, requestsDone };
      if (!showProgress) return;
      if (interactive) {
        stream.write(`\r${line()}\u001b[K`);
        drawn = true;
      } else if (clock() - lastPlainAt >= PLAIN_INTERVAL_MS) {
        lastPlainAt = clock();
        stream.write(`${line()}\n`);
      }
    },
    finish() {
      if (last === null || !showProgress) return;
      last = { ...last, requestsDone };
      stream.write(interactive ? `\r${line()}\u001b[K\n` : `${line()}\n`);
      drawn = false;
    },
  };
}
