import { describe, expect, it } from 'vitest';
import { findContractViolation, INTERVAL_LIMITS, INTERVAL_MS, TIME } from '../../lambdas/core/contract.ts';
import { ReportWindowError, scopeReport } from '../../lambdas/core/report/scope.ts';
import type { ExportQuery } from '../../lambdas/core/source.ts';

const NOW = Date.UTC(2026, 10, 26, 6, 0);

/** The first API request a client would send for the query must be legal at `now`. */
function firstRequestViolation(query: ExportQuery, now: number) {
  const { maxRangeMs } = INTERVAL_LIMITS[query.interval];
  const to = maxRangeMs === null ? query.to : Math.min(query.to, query.from + maxRangeMs);
  return findContractViolation({ ...query, to }, now);
}

describe('planning the report queries', () => {
  it('uses one hourly query over eight days, daily breakdown pairs and a daily history in UTC', () => {
    const plan = scopeReport({ date: '2026-11-25', timeZone: 'UTC', now: NOW });
    expect(plan.days.map((day) => day.date)).toEqual([
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
      '2026-11-21',
      '2026-11-22',
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
    ]);
    expect(plan.trendQuery).toMatchObject({
      from: Date.UTC(2026, 10, 18),
      to: Date.UTC(2026, 10, 26),
      interval: '1h',
    });
    expect(plan.breakdownQueries[0]).toMatchObject({
      from: Date.UTC(2026, 10, 18),
      to: Date.UTC(2026, 10, 26),
      interval: '1d',
      dimensions: ['country.code', 'isp.name'],
      metrics: ['http', 'p2p'],
    });
    expect(plan.breakdownQueries[1]?.dimensions).toEqual(['browser.name', 'os.name']);
    // 30 days back (Oct 27) is before the 1st of the month; the trend gives the last eight.
    expect(plan.historyQuery).toMatchObject({
      from: Date.UTC(2026, 9, 27),
      to: Date.UTC(2026, 10, 18),
      interval: '1d',
    });
    expect(plan.historyInUtcDays).toBe(false);
    expect(plan.approximation).toBeNull();
  });

  it('keeps the local day boundaries in a whole-hour zone with hourly queries', () => {
    const plan = scopeReport({
      date: '2026-10-25',
      timeZone: 'Europe/Berlin',
      now: Date.UTC(2026, 9, 26, 6),
    });
    expect(plan.trendQuery.interval).toBe('1h');
    expect(plan.breakdownQueries[0]?.interval).toBe('1h');
    expect(plan.breakdownQueries[0]?.from).toBe(plan.trendQuery.from);
    expect(plan.breakdownQueries[0]?.to).toBe(Date.UTC(2026, 9, 25, 23));
    // Local days are not UTC days: the history before the trend counts UTC days, and says so.
    expect(plan.historyInUtcDays).toBe(true);
    expect(plan.historyQuery.to % TIME.DAY).toBe(0);
  });

  it('uses 30-minute buckets for a half-hour zone, still exact', () => {
    const plan = scopeReport({ date: '2026-11-25', timeZone: 'Asia/Kolkata', now: NOW });
    expect(plan.trendQuery.interval).toBe('30m');
    expect(plan.approximation).toBeNull();
    expect(plan.trendQuery.from).toBe(Date.UTC(2026, 10, 17, 18, 30));
  });

  it('rounds a :45 zone to the nearest 10 minutes and says by how much', () => {
    const plan = scopeReport({ date: '2026-11-25', timeZone: 'Asia/Kathmandu', now: NOW });
    expect(plan.trendQuery.interval).toBe('10m');
    expect(plan.approximation).toEqual({ interval: '10m', maxShiftMs: 5 * TIME.MINUTE });
    const day = plan.windows.at(-1);
    expect(day?.from).toBe(Date.UTC(2026, 10, 24, 18, 20));
  });

  it('plans only queries whose requests the API accepts at the time of the run', () => {
    for (const timeZone of [
      'UTC',
      'Europe/Berlin',
      'America/Los_Angeles',
      'Asia/Kolkata',
      'Asia/Kathmandu',
    ]) {
      const plan = scopeReport({ date: '2026-11-24', timeZone, now: NOW });
      for (const query of [plan.trendQuery, ...plan.breakdownQueries, plan.historyQuery]) {
        expect(firstRequestViolation(query, NOW), `${timeZone} ${query.interval}`).toBeNull();
        expect(query.from % INTERVAL_MS[query.interval]).toBe(0);
        expect(query.to % INTERVAL_MS[query.interval]).toBe(0);
      }
    }
  });

  it('passes filters on to every query', () => {
    const filters = { 'country.code': ['DE'] };
    const plan = scopeReport({ date: '2026-11-25', timeZone: 'UTC', now: NOW, filters });
    expect(plan.trendQuery.filters).toEqual(filters);
    expect(plan.breakdownQueries[1]?.filters).toEqual(filters);
    expect(plan.historyQuery.filters).toEqual(filters);
  });

  it('shortens the trailing average for a day more than a week old', () => {
    const plan = scopeReport({ date: '2026-11-15', timeZone: 'UTC', now: NOW });
    expect(plan.days.at(-1)?.date).toBe('2026-11-15');
    expect(plan.days.length).toBeLessThan(8);
    expect(plan.days[0]?.from).toBeGreaterThanOrEqual(NOW - 14 * TIME.DAY);
  });

  it('refuses a day beyond the hourly look-back, naming the date setting', () => {
    expect(() => scopeReport({ date: '2026-11-05', timeZone: 'UTC', now: NOW })).toThrow(ReportWindowError);
    expect(() => scopeReport({ date: '2026-11-05', timeZone: 'UTC', now: NOW })).toThrow(/^date: .*14 days/);
  });

  it('refuses a day that has not ended yet', () => {
    expect(() => scopeReport({ date: '2026-11-26', timeZone: 'UTC', now: NOW })).toThrow(/has not ended yet/);
  });
});
