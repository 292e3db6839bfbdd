import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import {
  checkOffload,
  median,
  type WatchCheck,
  WatchInputError,
  watchHoursOf,
} from '../../lambdas/core/insights/watch.ts';
import { watchInput } from './support/hourly-world.ts';

const HOUR = Date.UTC(2026, 10, 30, 14);
/** Days differ a little: ±0.4 points of offload. */
const wobble = (daysBack: number) => ((daysBack % 3) - 1) * 0.004;

function expectStatus<S extends WatchCheck['status']>(
  check: WatchCheck,
  status: S,
): Extract<WatchCheck, { status: S }> {
  expect(check.status).toBe(status);
  return check as Extract<WatchCheck, { status: S }>;
}

describe('the offload watch check', () => {
  it('is steady on a normal hour', () => {
    const check = expectStatus(
      checkOffload(watchInput(HOUR, (daysBack) => ({ wobble: wobble(daysBack) }))),
      'steady',
    );
    expect(check.hour).toEqual({ start: HOUR, end: HOUR + TIME.HOUR });
    expect(Math.abs(check.figures.dropPts ?? 99)).toBeLessThan(1);
    expect(check.figures.trafficShare).toBeCloseTo(1, 12);
    expect(check.figures.thresholdPts).toBe(5);
  });

  it('alerts on an ISP in one country and names the pair, explaining most of the drop', () => {
    const input = watchInput(HOUR, (daysBack) => ({
      wobble: wobble(daysBack),
      ...(daysBack === 0 ? { incident: { where: { country: 'DE', isp: 'Telekom' }, p2pFactor: 0.1 } } : {}),
    }));
    const check = expectStatus(checkOffload(input), 'drop');
    expect(check.figures.dropPts).toBeGreaterThanOrEqual(5);
    expect(check.blame?.name).toBe('ISP Telekom DE');
    expect(check.blame?.shareExplained).toBeGreaterThanOrEqual(0.7);
    expect(check.unchecked).toEqual([]);
    // Country, browser, OS, browser×OS, ISP and country×ISP were each decomposed.
    expect(check.decompositions.map((d) => d.dimensions.join('×')).sort()).toEqual([
      'browser.name',
      'browser.name×os.name',
      'country.code',
      'country.code×isp.name',
      'isp.name',
      'os.name',
    ]);
  });

  it('names an ISP alone when it dropped in every country', () => {
    const input = watchInput(HOUR, (daysBack) =>
      daysBack === 0 ? { incident: { where: { isp: 'Cloud VPN' }, p2pFactor: 0 } } : {},
    );
    const check = expectStatus(checkOffload(input), 'drop');
    expect(check.blame?.name).toBe('ISP Cloud VPN');
    expect(check.blame?.shareExplained).toBeCloseTo(1, 6);
  });

  it('uses the median, so one odd baseline day does not move the baseline', () => {
    const usual = expectStatus(checkOffload(watchInput(HOUR)), 'steady').figures.baselineOffload;
    const withIncidentLastWeek = watchInput(HOUR, (daysBack) =>
      daysBack === 3 ? { incident: { where: { country: 'US' }, p2pFactor: 0 } } : {},
    );
    expect(expectStatus(checkOffload(withIncidentLastWeek), 'steady').figures.baselineOffload).toBe(usual);
  });

  it('does not judge an hour with a fraction of its usual traffic', () => {
    const input = watchInput(HOUR, (daysBack) =>
      daysBack === 0 ? { scale: 0.1, incident: { where: { country: 'DE' }, p2pFactor: 0 } } : {},
    );
    const check = expectStatus(checkOffload(input), 'too-quiet');
    expect(check.reason).toBe('the hour delivered 10% of its usual bytes, under the 25% needed to judge it');
    expect(check.figures.trafficShare).toBeCloseTo(0.1, 12);
    // A lower floor lets the same hour be judged.
    expect(checkOffload({ ...input, settings: { dropPts: 5, minTrafficShare: 0.05 } }).status).toBe('drop');
  });

  it('does not judge an hour without traffic, nor against a baseline that mostly had none', () => {
    expect(
      expectStatus(checkOffload(watchInput(HOUR, (d) => (d === 0 ? { scale: 0 } : {}))), 'too-quiet').reason,
    ).toBe('the hour had no traffic');
    expect(
      expectStatus(checkOffload(watchInput(HOUR, (d) => (d >= 4 ? { scale: 0 } : {}))), 'too-quiet').reason,
    ).toMatch(/fewer than 4 of the 7 baseline hours/);
  });

  it('says which windows are missing, and does not guess, when an hour has none', () => {
    const input = watchInput(HOUR, (daysBack) =>
      daysBack === 2
        ? { missing: ['totals_1m', 'by_country_1h', 'by_browser_os_1h', 'by_country_isp_1h'] }
        : {},
    );
    const check = expectStatus(checkOffload(input), 'missing-data');
    expect(check.missing).toEqual(
      ['totals_1m', 'by_country_1h', 'by_browser_os_1h', 'by_country_isp_1h'].map((dataset) => ({
        dataset,
        hour: HOUR - 2 * TIME.DAY,
      })),
    );
  });

  it('takes an hour’s totals from a breakdown when the totals window is missing', () => {
    const input = watchInput(HOUR, (daysBack) => (daysBack === 0 ? { missing: ['totals_1m'] } : {}));
    expect(checkOffload(input).status).toBe('steady');
  });

  it('blames from the breakdowns it has and lists those it could not check', () => {
    const input = watchInput(HOUR, (daysBack) =>
      daysBack === 0
        ? { incident: { where: { country: 'FR', isp: 'Orange' }, p2pFactor: 0 } }
        : daysBack === 5
          ? { missing: ['by_browser_os_1h'] }
          : {},
    );
    const check = expectStatus(checkOffload(input), 'drop');
    expect(check.unchecked).toEqual([{ dataset: 'by_browser_os_1h', hour: HOUR - 5 * TIME.DAY }]);
    expect(check.decompositions.some((d) => d.dimensions.includes('browser.name'))).toBe(false);
    expect(check.blame?.name).toBe('ISP Orange FR');
  });

  it('alerts at the configured threshold', () => {
    const input = watchInput(HOUR, (daysBack) =>
      daysBack === 0 ? { incident: { where: { browser: 'Safari' }, p2pFactor: 0.85 } } : {},
    );
    const drop = (checkOffload(input) as { figures: { dropPts: number } }).figures.dropPts;
    expect(drop).toBeGreaterThan(2);
    expect(drop).toBeLessThan(5);
    expect(checkOffload(input).status).toBe('steady');
    expect(checkOffload({ ...input, settings: { dropPts: 2, minTrafficShare: 0.25 } }).status).toBe('drop');
  });

  it('refuses a baseline that is not the same hour on the previous 7 days', () => {
    const input = watchInput(HOUR);
    expect(() => checkOffload({ ...input, baseline: input.baseline.slice(1) })).toThrow(WatchInputError);
  });
});

describe('the watch’s hours', () => {
  it('checks the last complete UTC hour against the same hour of the previous 7 days', () => {
    const hours = watchHoursOf(Date.UTC(2026, 10, 30, 15, 20));
    expect(hours.current).toBe(HOUR);
    expect(hours.baseline).toHaveLength(7);
    expect(hours.baseline[6]).toBe(HOUR - 7 * TIME.DAY);
  });

  it('takes the median of an odd or even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
