import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../../lambdas/adapters/peer5-api/index.ts';

describe('backoffDelay', () => {
  it('draws uniformly below a ceiling that doubles per retry up to the maximum (full jitter)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, baseDelayMs, maxDelayMs, draw) => {
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
          const delay = backoffDelay(retry, { baseDelayMs, maxDelayMs, random: () => draw });
          expect(delay).toBe(Math.floor(draw * ceiling));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.max(1, ceiling));
        },
      ),
    );
  });

  it('reaches the maximum delay at the top of the draw once the ceiling has grown', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 5_000, random: () => 0.999999 };
    expect([0, 1, 2, 3, 10].map((retry) => backoffDelay(retry, policy))).toEqual([99, 199, 399, 799, 4999]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 5, 15, 12);

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });

  it('reads an HTTP date relative to now, and a past date as no wait', () => {
    expect(parseRetryAfter(new Date(now + 7000).toUTCString(), now)).toBe(7000);
    expect(parseRetryAfter(new Date(now - 7000).toUTCString(), now)).toBe(0);
  });

  it('ignores an absent or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});
