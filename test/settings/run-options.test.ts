import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { parseSettings } from '../../lambdas/core/settings/parse.ts';
import { lakeRunOptionsOf, reportOptionsOf } from '../../lambdas/core/settings/run-options.ts';

const settings = parseSettings({
  sender: 'Peer5 Reports <reports@example.com>',
  recipients: ['ops@example.com', 'cto@example.com'],
  timeZone: 'Europe/Berlin',
  reportTopN: 7,
  settleHours: 6,
});

describe('lakeRunOptionsOf', () => {
  it('turns the settle hours into the milliseconds a lake run plans with', () => {
    expect(lakeRunOptionsOf(settings)).toEqual({ settleMs: 6 * TIME.HOUR });
  });

  it('gives the default settle time when the setting is left out', () => {
    const defaults = parseSettings({ sender: 'reports@example.com', recipients: ['ops@example.com'] });
    expect(lakeRunOptionsOf(defaults).settleMs).toBe(defaults.settleHours * TIME.HOUR);
  });
});

describe('reportOptionsOf', () => {
  it('names the sender, the recipients, the zone and the table size as runReport takes them', () => {
    expect(reportOptionsOf(settings)).toEqual({
      timeZone: 'Europe/Berlin',
      from: 'Peer5 Reports <reports@example.com>',
      to: ['ops@example.com', 'cto@example.com'],
      topN: 7,
      currency: 'USD',
      materiality: { offloadPts: 2, deliveredPercent: 10, rebufferPts: 0.25 },
    });
  });

  it('passes the price, the currency, the thresholds and the runbook on when they are set', () => {
    const priced = parseSettings({
      sender: 'reports@example.com',
      recipients: ['ops@example.com'],
      cdnPricePerGb: 0.02,
      currency: 'EUR',
      materialOffloadPts: 3,
      runbookUrl: 'https://example.com/runbook',
    });
    expect(reportOptionsOf(priced)).toMatchObject({
      price: [{ upToGb: null, pricePerGb: 0.02 }],
      currency: 'EUR',
      materiality: { offloadPts: 3 },
      runbookUrl: 'https://example.com/runbook',
    });
  });
});
