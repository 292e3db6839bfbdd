/**
 * A progress line for long work (backfill): windows done/total, rows and an ETA. On a terminal it
 * redraws one line; elsewhere (CI, pipes) it prints a line at most every few seconds, so logs stay
 * readable.
 */
export interface ProgressSnapshot {
  readonly windowsDone: number;
  readonly windowsTotal: number;
  readonly rows: number;
}

export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void;
  finish(): void;
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

export function formatProgress(snapshot: ProgressSnapshot, elapsedMs: number): string {
  const { windowsDone, windowsTotal, rows } = snapshot;
  const fraction = windowsTotal === 0 ? 1 : Math.min(1, windowsDone / windowsTotal);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
  const eta = windowsDone === 0 ? Number.NaN : (elapsedMs / windowsDone) * (windowsTotal - windowsDone);
  return `[${bar}] ${windowsDone}/${windowsTotal} windows, ${rows.toLocaleString('en-US')} rows, ETA ${formatDuration(eta)}`;
}

export function createProgress(
  stream: NodeJS.WriteStream = process.stderr,
  clock: () => number = Date.now,
): ProgressReporter {
  const startedAt = clock();
  let lastPlainAt = Number.NEGATIVE_INFINITY;
  let last: ProgressSnapshot | null = null;
  const interactive = stream.isTTY === true;
  return {
    update(snapshot) {
      last = snapshot;
      const line = formatProgress(snapshot, clock() - startedAt);
      if (interactive) {
        stream.write(`\r${line}\u001b[K`);
      } else if (clock() - lastPlainAt >= PLAIN_INTERVAL_MS) {
        lastPlainAt = clock();
        stream.write(`${line}\n`);
      }
    },
    finish() {
      if (last === null) return;
      const line = formatProgress(last, clock() - startedAt);
      stream.write(interactive ? `\r${line}\u001b[K\n` : `${line}\n`);
    },
  };
}
