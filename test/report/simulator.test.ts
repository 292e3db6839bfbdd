import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportClient } from '../../lambdas/adapters/peer5-api/index.ts';
import type { Filters } from '../../lambdas/core/contract.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { gatherReportData } from '../../lambdas/core/report/gather.ts';
import { scopeReport } from '../../lambdas/core/report/scope.ts';
import { type ReportSummary, summarizeReport } from '../../lambdas/core/report/summary.ts';
import { localDayWindow } from '../../lambdas/core/report/time.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { modelRows, sumRows, sumsByValue } from './support/simulator-sums.ts';

let sim: RunningSimulator;
let client: ExportClient;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, now: Date.UTC(2026, 10, 26, 6) });
  client = new ExportClient({ baseUrl: sim.url, token: async () => 'demo-token', now: () => sim.now() });
});

afterAll(async () => {
  await sim.close();
});

async function summaryFor(
  date: string,
  timeZone: string,
  now: number,
  filters?: Filters,
): Promise<ReportSummary> {
  sim.setClock(now);
  const plan = scopeReport({ date, timeZone, now, ...(filters ? { filters } : {}) });
  return summarizeReport(await gatherReportData(client, plan));
}

/** The day's totals and hourly series, summed here from the simulator's own hourly rows. */
function expectedDay(date: string, timeZone: string) {
  const window = localDayWindow(date, timeZone);
  const hourly = modelRows(sim, window, '1h');
  return { window, hourly, sums: sumRows(hourly) };
}

describe('the summary against the simulator', () => {
  it('matches the simulator to the byte on a UTC day, segments included', async () => {
    const summary = await summaryFor('2026-11-25', 'UTC', Date.UTC(2026, 10, 26, 6));
    const { window, hourly, sums } = expectedDay('2026-11-25', 'UTC');

    expect(summary.day.http).toBe(sums.http);
    expect(summary.day.p2p).toBe(sums.p2p);
    expect(summary.day.played).toBe(sums.played);
    expect(summary.day.rebuffered).toBe(sums.rebuffered);
    expect(summary.day.offload).toBe(sums.p2p / (sums.http + sums.p2p));
    expect(summary.day.rebufferRatio).toBe(sums.rebuffered / (sums.played + sums.rebuffered));
    expect(summary.hours.map((hour) => hour.delivered)).toEqual(
      hourly.map((row) => (row.metrics.http ?? 0) + (row.metrics.p2p ?? 0)),
    );

    // Sessions: the mean of the 48 half-hour averages equals the mean of the 24 hourly ones, up to
    // the API's rounding to 3 decimals; a sum would be 24 times larger.
    const halfHourly = modelRows(sim, window, '30m');
    const sessionsMean = sumRows(halfHourly).sessions / halfHourly.length;
    expect(summary.day.averageSessions).toBeCloseTo(sessionsMean, 2);
    expect(summary.day.averageSessions).toBeLessThan(sums.sessions / 2);

    const byCountry = sumsByValue(modelRows(sim, window, '1d', ['country.code']), 'country.code');
    const ranked = [...byCountry.entries()].sort((a, b) => b[1].http + b[1].p2p - (a[1].http + a[1].p2p));
    const top = summary.segments.find((breakdown) => breakdown.dimension === 'country.code')?.top ?? [];
    expect(top).toHaveLength(5);
    top.forEach((row, index) => {
      const [value, expected] = ranked[index] ?? [];
      expect(row.value).toBe(value);
      expect(row.http).toBe(expected?.http);
      expect(row.p2p).toBe(expected?.p2p);
    });
    const countryTotal = [...byCountry.values()].reduce((total, entry) => total + entry.http + entry.p2p, 0);
    expect(countryTotal).toBe(summary.day.delivered);
  });

  it('compares with the previous day and the average of the seven before', async () => {
    const summary = await summaryFor('2026-11-25', 'UTC', Date.UTC(2026, 10, 26, 6));
    const previous = sumRows(modelRows(sim, localDayWindow('2026-11-24', 'UTC'), '1h'));
    const week = sumRows(modelRows(sim, { from: Date.UTC(2026, 10, 18), to: Date.UTC(2026, 10, 25) }, '1d'));
    expect(summary.previousDay?.delivered).toBe(previous.http + previous.p2p);
    const weekMean = (week.http + week.p2p) / 7;
    expect(Math.abs((summary.trailing?.delivered ?? 0) - weekMean) / weekMean).toBeLessThan(1e-12);
    const previousOffload = previous.p2p / (previous.http + previous.p2p);
    expect(summary.vsPreviousDay?.offload.change).toBeCloseTo(
      ((summary.day.offload ?? 0) - previousOffload) * 100,
      10,
    );
  });

  it('covers 23 hours on the day Berlin springs forward', async () => {
    const summary = await summaryFor('2026-03-29', 'Europe/Berlin', Date.UTC(2026, 2, 30, 6));
    const { window, hourly, sums } = expectedDay('2026-03-29', 'Europe/Berlin');
    expect(window.to - window.from).toBe(23 * TIME.HOUR);
    expect(summary.hours).toHaveLength(23);
    expect(summary.day.http).toBe(sums.http);
    expect(summary.day.p2p).toBe(sums.p2p);
    const peak = hourly.reduce((best, row) =>
      (row.metrics.http ?? 0) + (row.metrics.p2p ?? 0) > (best.metrics.http ?? 0) + (best.metrics.p2p ?? 0)
        ? row
        : best,
    );
    expect(summary.peakHour?.start).toBe(peak.timestamp);
  });

  it('covers 25 hours on the day Berlin falls back', async () => {
    const summary = await summaryFor('2026-10-25', 'Europe/Berlin', Date.UTC(2026, 9, 26, 6));
    const { window, sums } = expectedDay('2026-10-25', 'Europe/Berlin');
    expect(window.to - window.from).toBe(25 * TIME.HOUR);
    expect(summary.hours).toHaveLength(25);
    expect(summary.day.delivered).toBe(sums.http + sums.p2p);
    expect(summary.day.rebuffered).toBe(sums.rebuffered);
  });

  it('cuts a :45 zone at the rounded boundaries it announces', async () => {
    const now = Date.UTC(2026, 10, 26, 6);
    const summary = await summaryFor('2026-11-25', 'Asia/Kathmandu', now);
    const window = scopeReport({ date: '2026-11-25', timeZone: 'Asia/Kathmandu', now }).windows.at(-1);
    if (window === undefined) throw new Error('the plan has no report day');
    const sums = sumRows(modelRows(sim, window, '10m'));
    expect(summary.approximation?.maxShiftMs).toBe(5 * TIME.MINUTE);
    expect(summary.day.delivered).toBe(sums.http + sums.p2p);
  });

  it('reports no traffic when the filter matches nothing', async () => {
    const summary = await summaryFor('2026-11-25', 'UTC', Date.UTC(2026, 10, 26, 6), {
      'country.code': ['ZZ'],
    });
    expect(summary.hasTraffic).toBe(false);
    expect(summary.day.offload).toBeNull();
    expect(summary.segments.every((breakdown) => breakdown.rows.length === 0)).toBe(true);
  });
});
