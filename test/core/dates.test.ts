import { describe, expect, it } from 'vitest';
import { parseCalendarDate, parseInstant } from '../../lambdas/core/dates.ts';

describe('reading typed dates and instants', () => {
  it('reads a calendar date, and refuses one that does not exist', () => {
    expect(parseCalendarDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseCalendarDate('2026-02-29')).toBeNull();
    expect(parseCalendarDate('2026-13-01')).toBeNull();
    expect(parseCalendarDate('2026-11-25T00:00:00Z')).toBeNull();
    expect(parseCalendarDate('25.11.2026')).toBeNull();
  });

  it('reads a date as its midnight UTC and a date-time with its zone', () => {
    expect(parseInstant('2026-11-25')).toBe(Date.UTC(2026, 10, 25));
    expect(parseInstant('2026-11-25T08:00Z')).toBe(Date.UTC(2026, 10, 25, 8));
    expect(parseInstant('2026-11-25T08:00:00.250Z')).toBe(Date.UTC(2026, 10, 25, 8, 0, 0, 250));
    expect(parseInstant('2026-11-25T08:00:00+01:00')).toBe(Date.UTC(2026, 10, 25, 7));
    expect(parseInstant('2026-11-25T08:00:00-0530')).toBe(Date.UTC(2026, 10, 25, 13, 30));
  });

  it('refuses a time without a zone, which each machine would read in its own', () => {
    expect(parseInstant('2026-11-25T08:00:00')).toBeNull();
  });

  it('refuses moments that do not exist and text that is not a date', () => {
    for (const text of [
      '2026-02-30',
      '2026-11-25T24:00Z',
      '2026-11-25T08:60Z',
      '2026-11-25T08:00+25:00',
      'yesterday',
      '',
    ]) {
      expect(parseInstant(text), text).toBeNull();
    }
  });
});
