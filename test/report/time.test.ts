import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { parseCalendarDate } from '../../lambdas/core/dates.ts';
import {
  addDays,
  canonicalTimeZone,
  localClock,
  localDateOf,
  localDayWindow,
  localIsoMinute,
  windowIndexOf,
  zoneOffsetMs,
} from '../../lambdas/core/report/time.ts';

describe('local days in a time zone', () => {
  it('is 24 hours starting at midnight UTC in UTC', () => {
    const day = localDayWindow('2026-11-25', 'UTC');
    expect(day.from).toBe(Date.UTC(2026, 10, 25));
    expect(day.to).toBe(Date.UTC(2026, 10, 26));
  });

  it('lasts 23 hours on the March day Berlin springs forward', () => {
    const day = localDayWindow('2026-03-29', 'Europe/Berlin');
    expect(day.from).toBe(Date.UTC(2026, 2, 28, 23));
    expect(day.to).toBe(Date.UTC(2026, 2, 29, 22));
    expect((day.to - day.from) / TIME.HOUR).toBe(23);
  });

  it('lasts 25 hours on the October day Berlin falls back', () => {
    const day = localDayWindow('2026-10-25', 'Europe/Berlin');
    expect(day.from).toBe(Date.UTC(2026, 9, 24, 22));
    expect(day.to).toBe(Date.UTC(2026, 9, 25, 23));
  });

  it('starts when the clocks jump on a day whose midnight does not exist', () => {
    // Chile springs forward at 24:00 on Saturday 5 September 2026: 00:00 on the 6th never happens.
    const day = localDayWindow('2026-09-06', 'America/Santiago');
    expect(localIsoMinute(day.from, 'America/Santiago')).toBe('2026-09-06T01:00-03:00');
    expect(localDateOf(day.from - 1000, 'America/Santiago')).toBe('2026-09-05');
    expect((day.to - day.from) / TIME.HOUR).toBe(23);
  });

  it('starts at the first of two midnights when the clocks go back at 01:00 to 00:00', () => {
    const day = localDayWindow('2026-11-01', 'America/Havana');
    expect(localIsoMinute(day.from, 'America/Havana')).toBe('2026-11-01T00:00-04:00');
    expect((day.to - day.from) / TIME.HOUR).toBe(25);
  });

  it('starts at a quarter past the UTC hour in a :45 zone', () => {
    const day = localDayWindow('2026-11-25', 'Asia/Kathmandu');
    expect(day.from).toBe(Date.UTC(2026, 10, 24, 18, 15));
    expect(zoneOffsetMs(day.from, 'Asia/Kathmandu')).toBe(5 * TIME.HOUR + 45 * TIME.MINUTE);
  });
});

describe('the day an instant falls in', () => {
  it("counts a day's first instant in and its end out", () => {
    const days = [localDayWindow('2026-11-24', 'UTC'), localDayWindow('2026-11-25', 'UTC')];
    expect(windowIndexOf(days, Date.UTC(2026, 10, 24))).toBe(0);
    expect(windowIndexOf(days, Date.UTC(2026, 10, 25) - 1)).toBe(0);
    expect(windowIndexOf(days, Date.UTC(2026, 10, 25))).toBe(1);
    expect(windowIndexOf(days, Date.UTC(2026, 10, 26))).toBe(-1);
    expect(windowIndexOf(days, Date.UTC(2026, 10, 24) - 1)).toBe(-1);
  });
});

describe('calendar helpers', () => {
  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-11-25', -7)).toBe('2026-11-18');
  });

  it('accepts only real calendar dates', () => {
    expect(parseCalendarDate('2026-11-25')).toEqual({ year: 2026, month: 11, day: 25 });
    expect(parseCalendarDate('2026-02-30')).toBeNull();
    expect(parseCalendarDate('2026-1-5')).toBeNull();
    expect(parseCalendarDate('25.11.2026')).toBeNull();
  });

  it('gives the local date and clock of an instant', () => {
    const instant = Date.UTC(2026, 10, 25, 23, 30);
    expect(localDateOf(instant, 'Europe/Berlin')).toBe('2026-11-26');
    expect(localDateOf(instant, 'America/New_York')).toBe('2026-11-25');
    expect(localClock(instant, 'Asia/Kolkata')).toBe('05:00');
  });

  it('knows IANA zones and rejects made-up ones', () => {
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeNull();
  });
});
