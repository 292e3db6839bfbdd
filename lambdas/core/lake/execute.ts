/**
 * Runs a plan: one query per run of consecutive windows, its sorted row stream routed into one
 * window writer at a time as timestamps cross window boundaries, so memory stays flat however
 * long the run. Every window is written whole or not at all, and a window that fails is left as it
 * was (absent or provisional) for the next run to fetch again; provisional windows are marked as
 * markers.ts says. A window's upload completes behind the stream while the next window fills, up to
 * `uploadsInFlight` windows at once (in-flight.ts), and is counted in plan order. This file is the
 * execution policy: the deadline and its reserve, retries of a window, stopping after repeated
 * failures or on request, and the run's tally.
 */

import { timestampAt } from '../csv-lines.ts';
import { CADENCE_MS, type DatasetDefinition, exportRequestFor } from '../datasets.ts';
import { DeadlineExceededError } from '../export-errors.ts';
import { batchesOf, type ExportSource } from '../source.ts';
import { LakeCsvEncoder } from './csv.ts';
import { checkUploadsInFlight, WindowUploads } from './in-flight.ts';
import { beginWindow, commitWindow, DayMarks } from './markers.ts';
import type { PlannedFetch, PlannedWindow, RunPlan } from './plan.ts';
import {
  LakeDeadlineError,
  type LakeEvent,
  LakeSourceOrderError,
  LakeStoppedError,
  type RunResult,
  type RunSettings,
} from './run-types.ts';
import { iso, RunTally } from './tally.ts';
import { type WindowWriteResult, WindowWriter } from './writer.ts';

const STOPPED_ON_REQUEST = 'stopped on request; the rest is left for the next run';

function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}

function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
}

function requestCount(source: ExportSource): number | undefined {
  const stats = (source as { stats?: { requests?: unknown } }).stats;
  return typeof stats?.requests === 'number' ? stats.requests : undefined;
}

interface ActiveWindow {
  /** Its index in the fetch's windows. */
  readonly index: number;
  readonly dataset: DatasetDefinition;
  readonly window: PlannedWindow;
  readonly writer: WindowWriter;
  readonly startedAt: number;
}

interface StreamOutcome {
  /** Index of the first window not written. */
  readonly next: number;
  readonly failure?: { readonly index: number; readonly error: unknown };
}

class PlanExecution {
  private readonly clock: () => number;
  private readonly reserveMs: number;
  private readonly windowAttempts: number;
  private readonly maxConsecutiveFailures: number;
  private readonly uploadsInFlight: number;
  private readonly encoders = new Map<string, LakeCsvEncoder>();
  private readonly abort = new AbortController();
  private readonly dayMarks: DayMarks;
  private readonly tally: RunTally;
  private stopReason: string | null = null;
  private deadlinePassed = false;
  private consecutiveFailures = 0;
  private slowestWindowMs = 0;
  private queries = 0;

  constructor(
    private readonly plan: RunPlan,
    private readonly settings: RunSettings,
  ) {
    this.clock = settings.clock ?? Date.now;
    this.reserveMs = settings.reserveMs ?? 10_000;
    this.windowAttempts = Math.max(1, settings.windowAttempts ?? 2);
    this.maxConsecutiveFailures = Math.max(1, settings.maxConsecutiveFailures ?? 3);
    this.uploadsInFlight = checkUploadsInFlight(settings.uploadsInFlight);
    this.dayMarks = new DayMarks(settings.sink, plan.prefix);
    this.tally = new RunTally(plan, settings);
  }

  async execute(): Promise<RunResult> {
    const { plan } = this;
    const requestsBefore = requestCount(this.settings.source);
    this.log({
      level: 'info',
      event: 'run-planned',
      message: `planned ${plan.windows} windows in ${plan.fetches.length} queries (about ${plan.requests} API requests)`,
      windows: plan.windows,
      queries: plan.fetches.length,
      requests: plan.requests,
    });
    for (const gap of plan.gaps) {
      this.log({
        level: 'error',
        event: 'gap',
        message: `${gap.dataset}: ${gap.windows} window(s) from ${iso(gap.start)} to ${iso(gap.end)} are ${gap.reason} and will not be fetched`,
        ...gap,
      });
    }
    const timer = this.armDeadline();
    const { stopSignal } = this.settings;
    const onStop = () => this.abort.abort(new LakeStoppedError(STOPPED_ON_REQUEST));
    stopSignal?.addEventListener('abort', onStop, { once: true });
    if (stopSignal?.aborted) onStop();
    try {
      for (const fetch of plan.fetches) await this.runFetch(fetch);
      await this.dayMarks.flush();
    } finally {
      if (timer) clearTimeout(timer);
      stopSignal?.removeEventListener('abort', onStop);
    }
    const requestsAfter = requestCount(this.settings.source);
    const { tally } = this;
    const result: RunResult = {
      plan,
      windows: tally.written,
      gaps: plan.gaps,
      failed: tally.failed,
      deferred: tally.deferred.length,
      deferredWindows: tally.deferred,
      stopReason: this.stopReason,
      queries: this.queries,
      requests:
        requestsBefore !== undefined && requestsAfter !== undefined
          ? requestsAfter - requestsBefore
          : this.queries,
      rows: tally.rows,
      bytes: tally.bytes,
    };
    this.log({
      level: result.failed.length > 0 || result.gaps.length > 0 ? 'warn' : 'info',
      event: 'run-finished',
      message: `wrote ${result.windows.length} windows (${result.rows} rows, ${result.bytes} bytes); ${result.failed.length} failed, ${result.deferred} deferred, ${result.gaps.length} gaps`,
      written: result.windows.length,
      failed: result.failed.length,
      deferred: result.deferred,
      gaps: result.gaps.length,
      rows: result.rows,
      bytes: result.bytes,
      requests: result.requests,
    });
    return result;
  }

  private log(event: LakeEvent): void {
    this.settings.log?.(event);
  }

  /** A hard stop at the deadline, for a request or upload that hangs past it. */
  private armDeadline(): ReturnType<typeof setTimeout> | undefined {
    const { deadline } = this.settings;
    if (deadline === undefined) return undefined;
    const timer = setTimeout(
      () => {
        this.deadlinePassed = true;
        this.abort.abort(new LakeDeadlineError(`the run's deadline ${iso(deadline)} passed`));
      },
      Math.max(0, deadline - this.clock()),
    );
    timer.unref?.();
    return timer;
  }

  private timeIsShort(): boolean {
    const { deadline } = this.settings;
    if (this.deadlinePassed || this.settings.stopSignal?.aborted) return true;
    return (
      deadline !== undefined && this.clock() + Math.max(this.reserveMs, this.slowestWindowMs) >= deadline
    );
  }

  private stop(reason: string): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    this.log({ level: 'warn', event: 'run-stopped', message: reason });
  }

  private encoderOf(dataset: DatasetDefinition): LakeCsvEncoder {
    let encoder = this.encoders.get(dataset.name);
    if (!encoder) {
      encoder = new LakeCsvEncoder(dataset);
      this.encoders.set(dataset.name, encoder);
    }
    return encoder;
  }

  private async runFetch(fetch: PlannedFetch): Promise<void> {
    const attempts = new Map<number, number>();
    let index = 0;
    while (index < fetch.windows.length) {
      if (this.stopReason === null && this.settings.stopSignal?.aborted) this.stop(STOPPED_ON_REQUEST);
      if (this.stopReason === null && this.timeIsShort()) {
        this.stop(
          `stopped before the deadline ${iso(this.settings.deadline ?? 0)}; the rest is left for the next run`,
        );
      }
      if (this.stopReason !== null) {
        this.tally.defer(fetch, index);
        return;
      }
      const outcome = await this.streamFrom(fetch, index);
      index = outcome.next;
      if (!outcome.failure) continue;
      const { index: failedIndex, error } = outcome.failure;
      const window = fetch.windows[failedIndex] as PlannedWindow;
      // Running out of time, or being asked to stop, is not the window's fault: it is left for the
      // next run with the rest, like a window the run never reached.
      if (this.deadlinePassed) {
        this.stop(
          `the deadline ${iso(this.settings.deadline ?? 0)} passed while writing; the rest is left for the next run`,
        );
        continue;
      }
      if (this.settings.stopSignal?.aborted) {
        this.stop(STOPPED_ON_REQUEST);
        continue;
      }
      const described = describeError(error);
      if (error instanceof DeadlineExceededError) {
        this.stop(`stopped at the deadline: ${described.message}; the rest is left for the next run`);
        continue;
      }
      const tried = (attempts.get(failedIndex) ?? 0) + 1;
      attempts.set(failedIndex, tried);
      if (isRetryable(error) && tried < this.windowAttempts) {
        this.log({
          level: 'warn',
          event: 'window-retry',
          message: `${fetch.dataset.name} ${iso(window.start)}: ${described.name}: ${described.message}; fetching the window again`,
          dataset: fetch.dataset.name,
          start: window.start,
          error: described,
        });
        index = failedIndex;
        continue;
      }
      this.tally.failedWindow(fetch.dataset, window, described);
      this.consecutiveFailures += 1;
      if (this.consecutiveFailures >= this.maxConsecutiveFailures) {
        this.stop(
          `stopped after ${this.consecutiveFailures} windows in a row failed; the last error was ${described.name}: ${described.message}`,
        );
      }
      index = failedIndex + 1;
    }
  }

  /**
   * Queries the source from window `from` to the end of the fetch and writes windows as rows
   * arrive. A window whose rows are all in is handed to the uploads, which complete it while the
   * next window fills; the outcome waits for all of them, and names the first window in plan order
   * that failed, whether the stream or its upload failed it.
   */
  private async streamFrom(fetch: PlannedFetch, from: number): Promise<StreamOutcome> {
    const { dataset, windows } = fetch;
    const first = windows[from] as PlannedWindow;
    const cadenceMs = CADENCE_MS[dataset.cadence];
    const uploads = new WindowUploads<ActiveWindow, WindowWriteResult>(this.uploadsInFlight, {
      finish: (window) => this.finish(window),
      record: (window, stored) => this.record(window, stored),
      landedUncounted: (window) => this.dayMarks.afterWindow(window.dataset, window.window),
    });
    let current = from;
    let active: ActiveWindow | null = null;
    // The stream moves on to the next window; a failure seen meanwhile drops `window` unfinished.
    const handOver = async (window: ActiveWindow) => {
      uploads.throwIfFailed();
      active = null;
      current += 1;
      await uploads.add(window);
    };
    let streamFailure: StreamOutcome['failure'];
    this.queries += 1;
    try {
      active = await this.open(dataset, first, from);
      const batches = batchesOf(this.settings.source, exportRequestFor(dataset, first.start, fetch.to), {
        signal: AbortSignal.any([this.abort.signal, uploads.signal]),
      });
      let previous = Number.NEGATIVE_INFINITY;
      // One async hop per batch; the rows of a batch are checked and encoded in a plain loop.
      stream: for await (const batch of batches)
        for (let i = 0; i < batch.length; i++) {
          const timestamp = timestampAt(batch, i);
          if (timestamp < previous) {
            throw new LakeSourceOrderError(
              `${dataset.name}: the source sent a row at ${iso(timestamp)} after one at ${iso(previous)}; rows must be sorted by timestamp`,
            );
          }
          previous = timestamp;
          if (timestamp >= active.window.end) {
            const target = from + Math.floor((timestamp - first.start) / cadenceMs);
            if (target >= windows.length) {
              throw new LakeSourceOrderError(
                `${dataset.name}: the source sent a row at ${iso(timestamp)}, after the end of the query (${iso(fetch.to)})`,
              );
            }
            while (current < target) {
              await handOver(active);
              // Leaving the loop ends the source's iterator, which cancels its request.
              if (this.timeIsShort()) break stream;
              active = await this.open(dataset, windows[current] as PlannedWindow, current);
            }
          } else if (timestamp < first.start) {
            throw new LakeSourceOrderError(
              `${dataset.name}: the source sent a row at ${iso(timestamp)}, before the start of the query (${iso(first.start)})`,
            );
          }
          const pause = active.writer.write(batch, i);
          if (pause) await pause;
        }
      if (active !== null) {
        // The stream ended cleanly: the windows it sent nothing for had no traffic.
        await handOver(active);
        while (current < windows.length && !this.timeIsShort()) {
          active = await this.open(dataset, windows[current] as PlannedWindow, current);
          await handOver(active);
        }
      }
    } catch (error: unknown) {
      if (active) await active.writer.abort(error instanceof Error ? error : new Error(String(error)));
      streamFailure = { index: current, error };
    }
    const failed = await uploads.drain();
    if (failed)
      return { next: failed.window.index, failure: { index: failed.window.index, error: failed.error } };
    return streamFailure ? { next: current, failure: streamFailure } : { next: current };
  }

  private async open(
    dataset: DatasetDefinition,
    window: PlannedWindow,
    index: number,
  ): Promise<ActiveWindow> {
    await beginWindow(this.settings.sink, this.plan.prefix, dataset, window);
    return {
      index,
      dataset,
      window,
      writer: new WindowWriter(this.settings.sink, window.key, this.encoderOf(dataset), this.settings.writer),
      startedAt: this.clock(),
    };
  }

  /** A window's rows are all in: its object completes, then its markers (beside the next window). */
  private async finish(active: ActiveWindow): Promise<WindowWriteResult> {
    const { dataset, window, writer } = active;
    // Before the object appears (an upload completes in finish), and only once it has rows to show.
    await this.dayMarks.beforeWindow(dataset, window);
    const stored = await writer.finish();
    await commitWindow(this.settings.sink, this.plan.prefix, dataset, window, stored);
    return stored;
  }

  /** Counts a finished window, in plan order. */
  private async record(active: ActiveWindow, stored: WindowWriteResult): Promise<void> {
    const { dataset, window } = active;
    await this.dayMarks.afterWindow(dataset, window);
    this.slowestWindowMs = Math.max(this.slowestWindowMs, this.clock() - active.startedAt);
    this.consecutiveFailures = 0;
    this.tally.wrote(dataset, window, stored);
  }
}

/** Runs a plan made by planScheduledRun or planBackfillRun (the CLI shows the plan first, then runs it). */
export async function executePlan(plan: RunPlan, settings: RunSettings): Promise<RunResult> {
  return await new PlanExecution(plan, settings).execute();
}
