import { describe, expect, it } from 'vitest';
import { lazily } from '../../lambdas/core/lazy.ts';

describe('lazily', () => {
  it('makes nothing until the value is first asked for', () => {
    let made = 0;
    lazily(() => {
      made += 1;
      return 'value';
    });
    expect(made).toBe(0);
  });

  it('makes the value once and hands the same one back every time', () => {
    let made = 0;
    const value = lazily(() => {
      made += 1;
      return { made };
    });
    expect(value()).toBe(value());
    expect(made).toBe(1);
  });

  it('keeps a value that is undefined instead of making it again', () => {
    let made = 0;
    const value = lazily(() => {
      made += 1;
      return undefined;
    });
    value();
    value();
    expect(made).toBe(1);
  });
});
