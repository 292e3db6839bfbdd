import { describe, expect, it } from 'vitest';
import { RequestPacer } from '../../../lambdas/adapters/peer5-api/pacer.ts';

/** A pacer on a clock that only the sleeps move. */
function pacedClock(spacingMs: number) {
  let now = 1_000;
  const sleeps: number[] = [];
  const pacer = new RequestPacer(
    spacingMs,
    () => now,
    async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  );
  return { pacer, sleeps, advance: (ms: number) => (now += ms) };
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

  it('refuses a spacing that is no number of milliseconds', () => {
    expect(() => new RequestPacer(Number.NaN)).toThrow(RangeError);
  });
});
