/**
 * The shapes of a lake run: what it is given (LakeToPlan, RunSettings), what it tells as it goes (LakeEvent,
 * RunProgress), what it gives back (RunResult), and the errors it names a window's fate with.
 * execute.ts runs a plan with them; run.ts plans and runs the scheduled export and the backfill.
 */
import type { DatasetDefinition } from '../datasets.ts';
import type { ExportSource } from '../source.ts';
import type { Gap, RunPlan } from './plan.ts';
import type { LakeSink } from './sink.ts';
import type { WindowWriterOptions } from './writer.ts';

export interface LakeEvent {
  readonly level: 'info' | 'warn' | 'error';
  readonly event:
    | 'run-planned'
    | 'gap'
    | 'window-written'
    | 'window-retry'
    | 'window-failed'
    | 'run-stopped'
    | 'run-finished'
    | 'curated-day-written'
    | 'curated-day-removed'
    | 'curated-day-failed'
    | 'curation-finished';
  readonly message: string;
  readonly [field: string]: unknown;
}

export interface RunProgress {
  readonly dataset: string;
  readonly start: number;
  readonly end: number;
  readonly final: boolean;
  readonly rows: number;
  readonly windowsDone: number;
  readonly windowsPlanned: number;
  readonly rowsTotal: number;
  readonly bytesTotal: number;
}

/** Where the lake is, which of its tables a run covers, and when: what planning reads. */
export interface LakeToPlan {
  readonly sink: LakeSink;
  /** Lake prefix inside the sink ('' for the root). */
  readonly prefix: string;
  readonly datasets: readonly DatasetDefinition[];
  /** The time the run plans for: which windows are complete and which have settled. */
  readonly now: number;
}

export interface RunSettings extends LakeToPlan {
  readonly source: ExportSource;
  /** Wall-clock time (per `clock`) by which the run must have stopped. */
  readonly deadline?: number;
  /** Wall clock for the deadline; Date.now by default. */
  readonly clock?: () => number;
  /**
   * Stops the run early on request (Ctrl-C in a terminal): the request in flight (or its backoff
   * sleep) is cancelled, the window in progress is dropped, and it and the rest are deferred as at
   * a deadline. Windows already written stay.
   */
  readonly stopSignal?: AbortSignal;
  /**
   * No new window starts when less than this (or the slowest window so far, if longer) is left
   * before the deadline. 10 s by default.
   */
  readonly reserveMs?: number;
  /** Attempts per window when the failure is retryable (a cut-off body, say). 2 by default. */
  readonly windowAttempts?: number;
  /** After this many windows in a row have failed, the run stops and defers the rest. 3 by default. */
  readonly maxConsecutiveFailures?: number;
  /**
   * Windows whose uploads may be open at once, counting the one being written: the next window is
   * fetched while the ones before it complete, and each holds at most the sink's part buffers
   * (about partSize × queueSize in S3). A whole number from 1 (each window completes before the
   * next one starts) to MAX_UPLOADS_IN_FLIGHT (in-flight.ts); DEFAULT_UPLOADS_IN_FLIGHT, 3, by default.
   */
  readonly uploadsInFlight?: number;
  readonly writer?: WindowWriterOptions;
  readonly onProgress?: (progress: RunProgress) => void;
  readonly log?: (event: LakeEvent) => void;
}

export interface WrittenWindow {
  readonly dataset: string;
  readonly start: number;
  readonly end: number;
  readonly key: string;
  readonly rows: number;
  readonly bytes: number;
  /** Written settled; false means provisional (marked, and fetched again by later runs). */
  readonly final: boolean;
}

export interface FailedWindow {
  readonly dataset: string;
  readonly start: number;
  readonly end: number;
  readonly key: string;
  readonly error: { readonly name: string; readonly message: string };
}

export interface DeferredWindow {
  readonly dataset: string;
  readonly start: number;
  readonly end: number;
}

export interface RunResult {
  readonly plan: RunPlan;
  readonly windows: readonly WrittenWindow[];
  /** Windows the lake lacks and this run could not fetch: callers must log these loudly. */
  readonly gaps: readonly Gap[];
  readonly failed: readonly FailedWindow[];
  /** Planned windows left for the next run (deadline, or the run stopped after repeated failures). */
  readonly deferred: number;
  readonly deferredWindows: readonly DeferredWindow[];
  /** Why the run stopped before the end of its plan, or null. */
  readonly stopReason: string | null;
  /** Queries sent to the source (one per run of consecutive windows, plus retries). */
  readonly queries: number;
  /** API requests, as counted by the source's `stats.requests` when it has one; else `queries`. */
  readonly requests: number;
  readonly rows: number;
  /** Bytes stored (compressed). */
  readonly bytes: number;
}

/** The source sent a row the lake cannot place: out of order or outside the query. */
export class LakeSourceOrderError extends Error {
  override readonly name = 'LakeSourceOrderError';
}

/** The run's deadline passed while a window was being written; the window is deferred, not failed. */
export class LakeDeadlineError extends Error {
  override readonly name = 'LakeDeadlineError';
}

/** The run was asked to stop while a window was being written; the window is deferred, not failed. */
export class LakeStoppedError extends Error {
  override readonly name = 'LakeStoppedError';
}
