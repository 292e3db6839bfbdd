/**
 * Paces one client's requests to a `RequestPace`: at most `requests` start within any `windowMs`,
 * retries included. Up to `requests` start at once (a burst), then each waits for the one
 * `requests` before it to leave the window; with one request per window that is an even spacing.
 *
 * `drain` waits until the window holds none of this pacer's requests, so a caller that ends and is
 * followed at once by another with a fresh pacer (the next backfill item in the same concurrency
 * slot, on another Lambda instance) cannot pass the pace: it then holds across invocations, not
 * only within one.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { RequestPace } from '../../core/lake/backfill-budget.ts';

export class RequestPacer {
  /** Monotonic times (performance.now) of the last `requests` slots taken, oldest first. */
  private readonly slots: number[] = [];

  constructor(
    public readonly pace: RequestPace,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = (ms, signal) =>
      sleepFor(ms, undefined, signal ? { signal } : {}),
  ) {
    if (!Number.isSafeInteger(pace.requests) || pace.requests < 1) {
      throw new RangeError(`the requests per window must be a whole number from 1, not ${pace.requests}`);
    }
    if (!(pace.windowMs >= 0) || !Number.isFinite(pace.windowMs)) {
      throw new RangeError(`the window must be a finite number of ms, not ${pace.windowMs}`);
    }
  }

  /** Waits for the next free slot and takes it. */
  async take(signal?: AbortSignal): Promise<void> {
    const now = this.clock();
    // The slot `requests` back must have left the window; the slot is taken before the wait, so
    // requests that wait at once queue behind each other.
    const bound =
      this.slots.length < this.pace.requests ? now : (this.slots[0] as number) + this.pace.windowMs;
    const slot = Math.max(now, bound);
    this.slots.push(slot);
    if (this.slots.length > this.pace.requests) this.slots.shift();
    if (slot > now) await this.sleep(slot - now, signal);
  }

  /** Waits until the last request's slot has left the window. */
  async drain(signal?: AbortSignal): Promise<void> {
    const last = this.slots.at(-1);
    if (last === undefined) return;
    const wait = last + this.pace.windowMs - this.clock();
    if (wait > 0) await this.sleep(wait, signal);
  }
}
