import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BYTES_PER_GB,
  type CdnPrice,
  cdnCostOf,
  cdnPriceSchema,
  formatMoney,
  minorUnitsOf,
} from '../../lambdas/core/insights/pricing.ts';
import {
  type DayTraffic,
  priceHint,
  SavingsInputError,
  savingsOf,
} from '../../lambdas/core/insights/savings.ts';
import { INSIGHT_SETTING_FIELDS } from '../../lambdas/core/insights/settings.ts';

const GB = BYTES_PER_GB;
const settings = z.object(INSIGHT_SETTING_FIELDS);

function issuesOf(input: unknown): string[] {
  const result = settings.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const TIERS = [
  { upToGb: 10_000, pricePerGb: 0.085 },
  { upToGb: 50_000, pricePerGb: 0.08 },
  { pricePerGb: 0.06 },
];
const tiers = cdnPriceSchema.parse(TIERS);

describe('the price settings', () => {
  it('defaults to USD and no price, and takes a single price as one open tier', () => {
    const parsed = settings.parse({});
    expect(parsed.currency).toBe('USD');
    expect(parsed.cdnPricePerGb).toBeUndefined();
    expect(settings.parse({ cdnPricePerGb: 0.02 }).cdnPricePerGb).toEqual([
      { upToGb: null, pricePerGb: 0.02 },
    ]);
    expect(tiers).toEqual([
      { upToGb: 10_000, pricePerGb: 0.085 },
      { upToGb: 50_000, pricePerGb: 0.08 },
      { upToGb: null, pricePerGb: 0.06 },
    ]);
  });

  it('names the tier and the field of each mistake', () => {
    expect(
      issuesOf({
        cdnPricePerGb: [
          { upToGb: 100, pricePerGb: 1 },
          { upToGb: 100, pricePerGb: 1 },
        ],
      }),
    ).toEqual(["cdnPricePerGb.1.upToGb: must be more than the previous tier's upToGb (100): tiers ascend"]);
    expect(issuesOf({ cdnPricePerGb: [{ pricePerGb: 1 }, { pricePerGb: 0.5 }] })).toEqual([
      'cdnPricePerGb.0.upToGb: is required on every tier but the last: only the last tier may omit upToGb to be open-ended',
    ]);
    expect(issuesOf({ cdnPricePerGb: [{ upToGb: 10, pricePerGb: -1 }] })).toEqual([
      'cdnPricePerGb.0.pricePerGb: must be a price per GB of at least 0',
    ]);
    expect(issuesOf({ cdnPricePerGb: [{ upToGb: 10 }] })).toEqual([
      'cdnPricePerGb.0.pricePerGb: is required: the price of a GB in this tier',
    ]);
    expect(issuesOf({ cdnPricePerGb: [{ upToGb: 0, pricePerGb: 1 }] })).toEqual([
      'cdnPricePerGb.0.upToGb: must be more than 0 GB',
    ]);
    expect(issuesOf({ cdnPricePerGb: [{ upTo: 10, pricePerGb: 1 }] })[0]).toMatch(
      /^cdnPricePerGb\.0: .*upTo/,
    );
    expect(issuesOf({ cdnPricePerGb: [] })).toEqual(['cdnPricePerGb: must list at least one tier']);
    expect(issuesOf({ cdnPricePerGb: -0.01 })).toEqual([
      'cdnPricePerGb: must be a price per GB of at least 0',
    ]);
    expect(issuesOf({ cdnPricePerGb: '0.02' })[0]).toMatch(
      /^cdnPricePerGb: must be a price per GB \(a number such as 0.02\) or a list/,
    );
  });

  it('checks the currency against Intl and suggests the capitalised code', () => {
    expect(settings.parse({ currency: 'EUR' }).currency).toBe('EUR');
    expect(issuesOf({ currency: 'eur' })).toEqual([
      'currency: must be an ISO 4217 currency code in capitals; did you mean "EUR"?',
    ]);
    expect(issuesOf({ currency: 'XYZ' })).toEqual([
      'currency: must be an ISO 4217 currency code such as "USD" or "EUR"',
    ]);
    expect(issuesOf({ currency: 978 })).toEqual([
      'currency: must be an ISO 4217 currency code such as "USD" or "EUR"',
    ]);
  });

  it('checks the materiality and watch thresholds', () => {
    expect(settings.parse({})).toMatchObject({
      materialOffloadPts: 2,
      materialDeliveredPercent: 10,
      materialRebufferPts: 0.25,
      watchDropPts: 5,
      watchMinTrafficShare: 0.25,
    });
    expect(issuesOf({ materialOffloadPts: 0 })).toEqual([
      'materialOffloadPts: must be more than 0 percentage points, e.g. 2',
    ]);
    expect(issuesOf({ materialDeliveredPercent: 'ten' })).toEqual([
      'materialDeliveredPercent: must be a number of percent, e.g. 10',
    ]);
    expect(issuesOf({ watchMinTrafficShare: 1.5 })).toEqual([
      'watchMinTrafficShare: must be a share from 0 to 1, e.g. 0.25',
    ]);
    expect(issuesOf({ watchDropPts: -5 })).toEqual([
      'watchDropPts: must be more than 0 percentage points, e.g. 5',
    ]);
  });
});

describe('the CDN cost of a month’s volume', () => {
  it('prices each tier’s slice of the volume at the tier’s price', () => {
    expect(cdnCostOf(60_000 * GB, tiers)).toBeCloseTo(10_000 * 0.085 + 40_000 * 0.08 + 10_000 * 0.06, 9);
    expect(cdnCostOf(5_000 * GB, tiers)).toBeCloseTo(425, 9);
    expect(cdnCostOf(0, tiers)).toBe(0);
  });

  it('prices volume past a closed last tier at that tier’s price', () => {
    expect(cdnCostOf(200 * GB, cdnPriceSchema.parse([{ upToGb: 100, pricePerGb: 1 }]))).toBeCloseTo(200, 9);
  });

  it('counts a GB as 10^9 bytes', () => {
    expect(cdnCostOf(1e9, cdnPriceSchema.parse(1))).toBe(1);
  });
});

function month(days: number, http: number, p2p: number, year = 2026, monthIndex = 11): DayTraffic[] {
  return Array.from({ length: days }, (_, index) => ({
    date: `${year}-${String(monthIndex).padStart(2, '0')}-${String(index + 1).padStart(2, '0')}`,
    http,
    p2p,
  }));
}

describe('what P2P saved', () => {
  it('works out the day, month to date and projection on cumulative volumes, to the cent', () => {
    // 2,000 GB over HTTP and 3,000 GB over P2P every day; the report day is the 10th of 30.
    const result = savingsOf({
      date: '2026-11-10',
      days: month(10, 2000 * GB, 3000 * GB),
      price: tiers,
      currency: 'USD',
    });
    // Through the 10th: cost(50,000 GB) − cost(20,000 GB) = 4,050 − 1,650.
    expect(formatMoney(result.money?.monthToDate ?? Number.NaN, 'USD')).toBe('$2,400.00');
    // Through the 9th: cost(45,000) − cost(18,000) = 3,650 − 1,490 = 2,160, so the day saved 240.
    expect(formatMoney(result.money?.day ?? Number.NaN, 'USD')).toBe('$240.00');
    // Projected: 60,000 GB HTTP and 90,000 GB P2P: cost(150,000) − cost(60,000) = 10,050 − 4,650.
    expect(formatMoney(result.money?.projectedMonth ?? Number.NaN, 'USD')).toBe('$5,400.00');
    expect(result.bytesAvoided).toEqual({
      day: 3000 * GB,
      monthToDate: 30_000 * GB,
      projectedMonth: 90_000 * GB,
    });
    expect([result.daysElapsed, result.daysInMonth]).toEqual([10, 30]);
    expect(result.hint).toBeNull();
  });

  it('rounds to the cent only when shown', () => {
    const result = savingsOf({
      date: '2026-11-01',
      days: [{ date: '2026-11-01', http: 0, p2p: 1_234_567_890_123 }],
      price: cdnPriceSchema.parse(0.0123),
      currency: 'USD',
    });
    expect(result.money?.day).toBeCloseTo(1234.567890123 * 0.0123, 9);
    expect(formatMoney(result.money?.day ?? 0, 'USD')).toBe('$15.19');
  });

  it('projects exactly the month to date on the month’s last day', () => {
    const result = savingsOf({
      date: '2026-02-28',
      days: month(28, 1000 * GB, 1000 * GB, 2026, 2),
      price: tiers,
      currency: 'USD',
    });
    expect(result.money?.projectedMonth).toBe(result.money?.monthToDate);
  });

  it('can save less than nothing on a day, when earlier P2P pushed its HTTP into a dearer tier', () => {
    const price = cdnPriceSchema.parse([{ upToGb: 10_000, pricePerGb: 0.1 }, { pricePerGb: 0.05 }]);
    const result = savingsOf({
      date: '2026-11-02',
      days: [
        { date: '2026-11-01', http: 0, p2p: 10_000 * GB },
        { date: '2026-11-02', http: 10_000 * GB, p2p: 0 },
      ],
      price,
      currency: 'EUR',
    });
    expect(formatMoney(result.money?.day ?? 0, 'EUR')).toBe('−€500.00');
    expect(formatMoney(result.money?.monthToDate ?? 0, 'EUR')).toBe('€500.00');
  });

  it('rounds to each currency’s minor unit', () => {
    expect(minorUnitsOf('JPY')).toBe(0);
    expect(minorUnitsOf('BHD')).toBe(3);
    expect(formatMoney(3703.5, 'JPY')).toBe('¥3,704');
    expect(formatMoney(-0.001, 'USD')).toBe('$0.00');
  });

  it('shows bytes only, and how to set a price, without one', () => {
    const result = savingsOf({ date: '2026-11-02', days: month(2, GB, 2 * GB), currency: 'USD' });
    expect(result.money).toBeNull();
    expect(result.bytesAvoided.day).toBe(2 * GB);
    expect(result.hint).toBe(priceHint('USD'));
    expect(result.hint).toContain('cdnPricePerGb');
    expect(result.hint).not.toContain('\n');
  });

  it('does not guess month figures when a day is missing', () => {
    const days = month(5, GB, GB).filter((day) => day.date !== '2026-11-03');
    const result = savingsOf({ date: '2026-11-05', days, price: tiers, currency: 'USD' });
    expect(result.missingDates).toEqual(['2026-11-03']);
    expect(result.money).toEqual({ day: null, monthToDate: null, projectedMonth: null });
    expect(result.bytesAvoided).toEqual({ day: GB, monthToDate: null, projectedMonth: null });
  });

  it('refuses days outside the month, listed twice, or with bad bytes', () => {
    const price: CdnPrice = tiers;
    expect(() => savingsOf({ date: '2026-11-02', days: month(3, 1, 1), price, currency: 'USD' })).toThrow(
      SavingsInputError,
    );
    expect(() =>
      savingsOf({ date: '2026-11-01', days: [...month(1, 1, 1), ...month(1, 1, 1)], price, currency: 'USD' }),
    ).toThrow(/twice/);
    expect(() => savingsOf({ date: '2026-11-01', days: month(1, -1, 1), price, currency: 'USD' })).toThrow(
      /http/,
    );
    expect(() => savingsOf({ date: '2026-13-01', days: [], price, currency: 'USD' })).toThrow(/date/);
  });
});
