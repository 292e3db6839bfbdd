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
    });
  });
});
