import { describe, expect, it } from 'vitest';
import { RequestPacer } from '../../../lambdas/adapters/peer5-api/pacer.ts';

/** A pacer on a clock that only the sleeps and `advance` move. */
function pacedClock(spacingMs: number, requests = 1) {
  let now = 1_000;
  const sleeps: number[] = [];
  const starts: number[] = [];
  const pacer = new RequestPacer(
    { requests, windowMs: spacingMs },
    () => now,
    async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  );
  const take = async () => {
    await pacer.take();
    starts.push(now);
  };
  return { pacer, sleeps, starts, take, advance: (ms: number) => (now += ms) };
}

describe('RequestPacer', () => {
  it('starts the first request at once and spaces the next ones evenly', async () => {
    const { pacer, sleeps } = pacedClock(2_500);
    for (let i = 0; i < 4; i++) await pacer.take();
    expect(sleeps).toEqual([2_500, 2_500, 2_500]);
  });

  it('does not wait when the caller was slower than the pace', async () => {
    const { pacer, sleeps, advance } = pacedClock(2_500);
    await pacer.take();
    advance(4_000);
    await pacer.take();
    expect(sleeps).toEqual([]);
  });

  it('drains the last slot, so a following caller cannot start early', async () => {
    const { pacer, sleeps, advance } = pacedClock(2_500);
    await pacer.take();
    advance(1_000);
    await pacer.drain();
    expect(sleeps).toEqual([1_500]);
    await pacer.drain();
    expect(sleeps).toEqual([1_500]);
  });

  it('starts a burst of its requests per window at once, then each when the one that many before leaves the window', async () => {
    const { take, starts, advance } = pacedClock(60_000, 3);
    for (let i = 0; i < 3; i++) await take();
    expect(starts).toEqual([1_000, 1_000, 1_000]);
    advance(10_000);
    await take();
    await take();
    await take();
    await take();
    expect(starts.slice(3)).toEqual([61_000, 61_000, 61_000, 121_000]);
  });

  it('lets a slow caller burst again once its window has emptied', async () => {
    const { take, starts, advance } = pacedClock(60_000, 2);
    await take();
    advance(30_000);
    await take();
    advance(40_000);
    // The first left the window at 61 000, the second leaves it at 91 000.
    await take();
    await take();
    expect(starts).toEqual([1_000, 31_000, 71_000, 91_000]);
  });

  it('queues requests that wait at once behind each other', async () => {
    const now = 0;
    const wakes: number[] = [];
    const pacer = new RequestPacer(
      { requests: 1, windowMs: 1_000 },
      () => now,
      async (ms) => {
        wakes.push(now + ms);
      },
    );
    await Promise.all([pacer.take(), pacer.take(), pacer.take()]);
    expect(wakes).toEqual([1_000, 2_000]);
  });

  it('drains a burst until its last request has left the window', async () => {
    const { take, pacer, sleeps, advance } = pacedClock(60_000, 4);
    await take();
    advance(5_000);
    await take();
    advance(1_000);
    await pacer.drain();
    expect(sleeps).toEqual([59_000]);
  });

  it('refuses a pace that is no whole number of requests per number of milliseconds', () => {
    expect(() => new RequestPacer({ requests: 1, windowMs: Number.NaN })).toThrow(RangeError);
    expect(() => new RequestPacer({ requests: 0, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => new RequestPacer({ requests: 1.5, windowMs: 1_000 })).toThrow(RangeError);
  });
});
