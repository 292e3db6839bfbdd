/**
 * Paces one client's requests: at most one starts per `spacingMs`, retries included. `drain` waits
 * out the slot of the last request, so a caller that ends and is followed at once by another (the
 * next backfill item in the same concurrency slot) cannot start before the pace allows: the pace
 * then holds across invocations, not only within one.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';

export class RequestPacer {
  /** Monotonic time (performance.now) before which the next request may not start. */
  private nextSlot = Number.NEGATIVE_INFINITY;

  constructor(
    public readonly spacingMs: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = (ms, signal) =>
      sleepFor(ms, undefined, signal ? { signal } : {}),
  ) {
    if (!(spacingMs >= 0) || !Number.isFinite(spacingMs)) {
      throw new RangeError(`the spacing between requests must be a finite number of ms, not ${spacingMs}`);
    }
  }

  /** Waits for the next free slot and takes it. */
  async take(signal?: AbortSignal): Promise<void> {
    const now = this.clock();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.spacingMs;
    if (slot > now) await this.sleep(slot - now, signal);
  }

  /** Waits until the last request's slot has passed. */
  async drain(signal?: AbortSignal): Promise<void> {
    const wait = this.nextSlot - this.clock();
    if (wait > 0) await this.sleep(wait, signal);
  }
}
