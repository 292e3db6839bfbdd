/**
 * Window uploads that complete behind the stream. When a window's last row has arrived, its gzip
 * tail, upload and markers (`finish`) run on while the stream fills the next window, so the next
 * window is fetched while the last one uploads. At most `limit` windows are open at once, counting
 * the one the stream is writing: each holds at most the sink's own part buffers, so memory stays
 * bounded by the limit, not by the run.
 *
 * Uploads may complete in any order, but what a run counts is settled in plan order: a window is
 * recorded (`record`) only once it and every window before it have finished, so the run's written
 * windows, logs and progress come out as they did one window at a time. Once a window fails, the
 * windows after it are not counted even if their uploads complete (`landedUncounted`): the run
 * fetches them again from the failed window on, and a window is never counted twice.
 */

/** The windows a run may have open at once when the caller does not say. */
export const DEFAULT_UPLOADS_IN_FLIGHT = 3;

/** More than this holds too many part buffers at once for a Lambda's memory. */
export const MAX_UPLOADS_IN_FLIGHT = 8;

/** `uploadsInFlight` is not a whole number from 1 to MAX_UPLOADS_IN_FLIGHT. */
export class UploadsInFlightError extends Error {
  override readonly name = 'UploadsInFlightError';
}

/** The setting, checked: a whole number from 1 (each upload completes before the next window) up. */
export function checkUploadsInFlight(value: number | undefined): number {
  const limit = value ?? DEFAULT_UPLOADS_IN_FLIGHT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_UPLOADS_IN_FLIGHT) {
    throw new UploadsInFlightError(
      `uploadsInFlight must be a whole number from 1 to ${MAX_UPLOADS_IN_FLIGHT}; it is ${value}`,
    );
  }
  return limit;
}

export interface WindowUploadSteps<W, R> {
  /** Completes the window's object and its markers; runs beside the other windows' uploads. */
  readonly finish: (window: W) => Promise<R>;
  /** In plan order, once the window and every window before it have finished, none failed. */
  readonly record: (window: W, finished: R) => Promise<void>;
  /** In plan order, for a window whose upload completed after an earlier window failed. */
  readonly landedUncounted: (window: W) => Promise<void>;
}

export interface UploadFailure<W> {
  /** The first window, in plan order, that failed to finish or to be recorded. */
  readonly window: W;
  readonly error: unknown;
}

type Finished<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export class WindowUploads<W, R> {
  /** One entry per window not yet settled, oldest first; each settles after the one before. */
  private readonly settling: Promise<void>[] = [];
  private last: Promise<void> = Promise.resolve();
  private failure: UploadFailure<W> | undefined;
  private readonly failed = new AbortController();

  constructor(
    private readonly limit: number,
    private readonly steps: WindowUploadSteps<W, R>,
  ) {}

  /** Aborts as soon as any window fails, so the stream can stop without reaching its next window. */
  get signal(): AbortSignal {
    return this.failed.signal;
  }

  /** Throws the first failure seen, so the stream drops the window it is writing instead of finishing it. */
  throwIfFailed(): void {
    if (this.failed.signal.aborted) throw this.failed.signal.reason;
  }

  /**
   * Hands over a window whose rows are all written, and returns once the stream may open the next
   * one: when fewer than `limit - 1` windows are still settling. With a limit of 1 that is when
   * this window is recorded.
   */
  async add(window: W): Promise<void> {
    const finished: Promise<Finished<R>> = this.steps.finish(window).then(
      (value) => ({ ok: true, value }),
      (error: unknown) => {
        this.fail(error);
        return { ok: false, error };
      },
    );
    const before = this.last;
    this.last = before.then(() => this.settle(window, finished));
    this.settling.push(this.last);
    while (this.settling.length >= this.limit) await this.settling.shift();
  }

  /** Waits for every window handed over; returns the first that failed, if any. */
  async drain(): Promise<UploadFailure<W> | undefined> {
    await this.last;
    this.settling.length = 0;
    return this.failure;
  }

  private fail(error: unknown): void {
    if (!this.failed.signal.aborted) this.failed.abort(error);
  }

  private async settle(window: W, finished: Promise<Finished<R>>): Promise<void> {
    const outcome = await finished;
    if (!outcome.ok) {
      this.failure ??= { window, error: outcome.error };
      return;
    }
    try {
      if (this.failure === undefined) await this.steps.record(window, outcome.value);
      else await this.steps.landedUncounted(window);
    } catch (error: unknown) {
      this.fail(error);
      this.failure ??= { window, error };
    }
  }
}
