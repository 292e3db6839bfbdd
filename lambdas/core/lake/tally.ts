/**
 * A run's tally: the windows it wrote, failed and deferred, and its rows and bytes, each told as it
 * is counted (the `window-written` and `window-failed` logs, and the progress after each window).
 * execute.ts decides a window's fate; this counts it.
 */
import type { DatasetDefinition } from '../datasets.ts';
import type { PlannedFetch, PlannedWindow, RunPlan } from './plan.ts';
import type { DeferredWindow, FailedWindow, RunSettings, WrittenWindow } from './run-types.ts';
import type { WindowWriteResult } from './writer.ts';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class RunTally {
  readonly written: WrittenWindow[] = [];
  readonly failed: FailedWindow[] = [];
  readonly deferred: DeferredWindow[] = [];
  rows = 0;
  bytes = 0;

  constructor(
    private readonly plan: RunPlan,
    private readonly settings: Pick<RunSettings, 'log' | 'onProgress'>,
  ) {}

  wrote(dataset: DatasetDefinition, window: PlannedWindow, stored: WindowWriteResult): void {
    this.rows += stored.rows;
    this.bytes += stored.bytes;
    const written: WrittenWindow = {
      dataset: dataset.name,
      start: window.start,
      end: window.end,
      key: window.key,
      rows: stored.rows,
      bytes: stored.bytes,
      final: window.final,
    };
    this.written.push(written);
    this.settings.log?.({
      level: 'info',
      event: 'window-written',
      message: `${dataset.name} ${iso(window.start)}: ${stored.rows} rows, ${stored.bytes} bytes, ${window.final ? 'settled' : 'provisional'}`,
      ...written,
    });
    this.settings.onProgress?.({
      dataset: dataset.name,
      start: window.start,
      end: window.end,
      final: window.final,
      rows: stored.rows,
      windowsDone: this.written.length + this.failed.length,
      windowsPlanned: this.plan.windows,
      rowsTotal: this.rows,
      bytesTotal: this.bytes,
    });
  }

  failedWindow(
    dataset: DatasetDefinition,
    window: PlannedWindow,
    error: { readonly name: string; readonly message: string },
  ): void {
    this.failed.push({ dataset: dataset.name, start: window.start, end: window.end, key: window.key, error });
    this.settings.log?.({
      level: 'error',
      event: 'window-failed',
      message: `${dataset.name} ${iso(window.start)} was not written (${error.name}: ${error.message}); the next run fetches it again`,
      dataset: dataset.name,
      start: window.start,
      error,
    });
  }

  /** The fetch's windows from `from` on are left for the next run. */
  defer(fetch: PlannedFetch, from: number): void {
    for (const window of fetch.windows.slice(from)) {
      this.deferred.push({ dataset: fetch.dataset.name, start: window.start, end: window.end });
    }
  }
}
