import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportClient } from '../../lambdas/adapters/peer5-api/index.ts';
import { gatherReportData } from '../../lambdas/core/report/gather.ts';
import { scopeReport } from '../../lambdas/core/report/scope.ts';
import { type ReportSummary, summarizeReport } from '../../lambdas/core/report/summary.ts';
import { renderReportText } from '../../lambdas/core/report/text.ts';
import type { ExportSource } from '../../lambdas/core/source.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { modelRows, sumRows } from './support/simulator-sums.ts';
import { StagedDropSource } from './support/staged-drop.ts';

const NOW = Date.UTC(2026, 10, 26, 6);
const DATE = '2026-11-25';
const DAY = { from: Date.UTC(2026, 10, 25), to: Date.UTC(2026, 10, 26) };

let sim: RunningSimulator;
let client: ExportClient;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, now: NOW });
  client = new ExportClient({ baseUrl: sim.url, token: async () => 'demo-token', now: () => sim.now() });
});

afterAll(async () => {
  await sim.close();
});

async function summaryOf(source: ExportSource, options: Parameters<typeof summarizeReport>[1] = {}) {
  const scope = scopeReport({ date: DATE, timeZone: 'UTC', now: NOW });
  return summarizeReport(await gatherReportData(source, scope), options);
}

describe('the report on a day with a staged offload drop', () => {
  let summary: ReportSummary;

  beforeAll(async () => {
    // The biggest ISP within a country, AT&T in the US, loses 70% of its P2P for the whole day.
    summary = await summaryOf(
      new StagedDropSource(client, {
        where: { 'country.code': 'US', 'isp.name': 'AT&T' },
        ...DAY,
        p2pFactor: 0.3,
      }),
    );
  });

  it('leads its subject with the drop and the segment that explains it', () => {
    expect(summary.insights.headline.lead).toBe('sameWeekdayLastWeek');
    expect(summary.insights.headline.leadChange?.metric).toBe('offload');
    expect(summary.insights.headline.subject).toMatch(
      /^Peer5 2026-11-25: offload \d+\.\d% \(−\d+\.\d pts vs last Wed\), ISP AT&T US explains \d+%$/,
    );
    expect(summary.insights.blames.offload?.shareExplained).toBeGreaterThanOrEqual(0.7);
  });

  it('names the segment first among the drivers of its breakdown, in the body too', () => {
    const pair = summary.insights.drivers.find((set) => set.key === 'country.code×isp.name');
    expect(pair?.offload?.drivers[0]?.segment?.values).toEqual(['US', 'AT&T']);
    // Its own offload fell; its share of the traffic did not move much.
    const top = pair?.offload?.drivers[0];
    expect(Math.abs(top?.rate ?? 0)).toBeGreaterThan(Math.abs(top?.mix ?? 0));
    expect(renderReportText(summary)).toContain('ISP AT&T in United States (US)');
  });
});

describe('the report on a normal day', () => {
  it('reads steady or names a material change, never a bare figure', async () => {
    const summary = await summaryOf(client);
    expect(summary.insights.headline.subject).toMatch(
      /^Peer5 2026-11-25: (offload \d+\.\d%, steady|.+ vs last Wed\))/,
    );
  });
});

/**
 * The report's money figures against bytes × price worked out here from the simulator's own rows
 * (which include any incident staged in it), tier by tier, to the cent.
 */
async function expectMoneyToTheCent(model: RunningSimulator, source: ExportSource): Promise<ReportSummary> {
  // Tiers placed from the month's own volume, so both sides of the saving cross a tier.
  const monthRange = { from: Date.UTC(2026, 10, 1), to: DAY.to };
  const month = sumRows(modelRows(model, monthRange, '1d'));
  const day = sumRows(modelRows(model, DAY, '1d'));
  const httpGb = month.http / 1e9;
  const tiers = [
    { upToGb: Math.floor(httpGb * 0.8), pricePerGb: 0.05 },
    { upToGb: Math.floor(httpGb * 1.6), pricePerGb: 0.03 },
    { upToGb: null, pricePerGb: 0.01 },
  ];
  // The CDN's bill for a month's volume, worked out here tier by tier.
  const bill = (bytes: number) => {
    const gb = bytes / 1e9;
    const [first, second, third] = tiers as [(typeof tiers)[0], (typeof tiers)[0], (typeof tiers)[0]];
    const upTo1 = first.upToGb as number;
    const upTo2 = second.upToGb as number;
    return (
      Math.min(gb, upTo1) * first.pricePerGb +
      Math.max(0, Math.min(gb, upTo2) - upTo1) * second.pricePerGb +
      Math.max(0, gb - upTo2) * third.pricePerGb
    );
  };
  const saved = (http: number, p2p: number) => bill(http + p2p) - bill(http);
  const monthToDate = saved(month.http, month.p2p);
  const onTheDay = monthToDate - saved(month.http - day.http, month.p2p - day.p2p);
  const projected = saved((month.http * 30) / 25, (month.p2p * 30) / 25);

  const summary = await summaryOf(source, { price: tiers, currency: 'USD' });
  const money = summary.insights.savings.money;
  const cents = (amount: number | null | undefined) => Math.round((amount ?? Number.NaN) * 100);
  expect(cents(money?.monthToDate)).toBe(cents(monthToDate));
  expect(cents(money?.day)).toBe(cents(onTheDay));
  expect(cents(money?.projectedMonth)).toBe(cents(projected));
  expect(summary.insights.savings.bytesAvoided.day).toBe(day.p2p);
  expect(summary.insights.savings.bytesAvoided.monthToDate).toBe(month.p2p);

  // With volume discounts a day's saving can be negative; the email writes it with a minus sign.
  const usd = (amount: number) =>
    new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(amount).replace(/^-/, '−');
  const text = renderReportText(summary);
  expect(text).toContain(`saved ${usd(onTheDay)}`);
  expect(text).toContain(`saved ${usd(monthToDate)}`);
  expect(text).toContain(`saved ${usd(projected)}`);
  return summary;
}

describe('the money figures', () => {
  it('equal bytes × price from the API’s own numbers, to the cent, with the tiers applied', async () => {
    await expectMoneyToTheCent(sim, client);
  });

  it('shows bytes only without a price, and how to set one', async () => {
    const summary = await summaryOf(client);
    expect(summary.insights.savings.money).toBeNull();
    expect(renderReportText(summary)).toContain('set cdnPricePerGb to your CDN');
  });
});

describe('the report on the day of an incident staged in the simulator', () => {
  let staged: RunningSimulator;
  let stagedClient: ExportClient;

  beforeAll(async () => {
    // The simulator's own incident (POST /_sim/incidents): AT&T in the US keeps 30% of its P2P all
    // day, its HTTP rising by what P2P lost, in every split and interval the API serves.
    staged = await startSimulator({
      seed: 7,
      now: NOW,
      incidents: [
        {
          dimension: 'isp.name',
          value: 'AT&T',
          where: { 'country.code': 'US' },
          ...DAY,
          p2pFactor: 0.3,
        },
      ],
    });
    stagedClient = new ExportClient({
      baseUrl: staged.url,
      token: async () => 'demo-token',
      now: () => staged.now(),
    });
  });

  afterAll(async () => {
    await staged.close();
  });

  it('leads its subject with the drop and the segment, and prices the day’s bytes to the cent, tiers applied', async () => {
    const summary = await expectMoneyToTheCent(staged, stagedClient);
    expect(summary.insights.headline.subject).toMatch(
      /^Peer5 2026-11-25: offload \d+\.\d% \(−\d+\.\d pts vs last Wed\), ISP AT&T US explains \d+%$/,
    );
    // The incident moved P2P bytes to HTTP: the day avoided fewer CDN bytes than the normal day.
    const normal = sumRows(modelRows(sim, DAY, '1d'));
    expect(summary.insights.savings.bytesAvoided.day).toBeLessThan(normal.p2p);
  });
});
