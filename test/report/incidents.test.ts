import { describe, expect, it } from 'vitest';
import type { ReportIncident } from '../../lambdas/core/insights/incident-days.ts';
import { renderReportHtml } from '../../lambdas/core/report/html.ts';
import { summarizeReport } from '../../lambdas/core/report/summary.ts';
import { renderReportText } from '../../lambdas/core/report/text.ts';
import { fixtureData } from './support/fixtures.ts';

/** Two incidents of the hourly watch, as its state records them: one recovered, one still open. */
const INCIDENTS: readonly ReportIncident[] = [
  {
    id: 'offload-drop-2026-11-25T13:00Z',
    startHour: Date.UTC(2026, 10, 25, 13),
    offload: 0.5,
    baselineOffload: 0.58,
    worstDropPts: 11,
    blame: {
      dimensions: ['country.code', 'isp.name'],
      values: ['DE', 'Acme'],
      name: 'ISP Acme DE',
      shareExplained: 0.85,
    },
    recoveredAt: Date.UTC(2026, 10, 25, 16, 15),
  },
  {
    id: 'offload-drop-2026-11-25T21:00Z',
    startHour: Date.UTC(2026, 10, 25, 21),
    offload: 0.51,
    baselineOffload: 0.57,
    worstDropPts: 6,
    blame: null,
    recoveredAt: null,
  },
];

const data = fixtureData({
  date: '2026-11-25',
  timeZone: 'Europe/Berlin',
  now: Date.UTC(2026, 10, 26, 6),
  bucket: () => ({ http: 1000, p2p: 1000, played: 1000, rebuffered: 0, sessions: 10 }),
});

describe('yesterday’s incidents in the morning email', () => {
  it('lists each incident of the watch with its time, drop, segment and recovery', () => {
    const summary = summarizeReport(data, { incidents: INCIDENTS });
    const text = renderReportText(summary);
    expect(text).toContain('Offload alerts on this day');
    expect(text).toContain(
      '14:00 (2026-11-25T14:00+01:00): offload down 11.0 pts at worst, ISP Acme DE explains 85%; recovered 17:15',
    );
    expect(text).toContain('22:00 (2026-11-25T22:00+01:00): offload down 6.0 pts at worst; still open');
    const markup = renderReportHtml(summary, { subject: 's', chartSrc: 'cid:c' });
    expect(markup).toContain('Offload alerts');
    expect(markup).toContain('ISP Acme DE explains 85%; recovered 17:15');
  });

  it('says the watch found nothing when it ran and raised no alert', () => {
    const text = renderReportText(summarizeReport(data, { incidents: [] }));
    expect(text).toContain('the hourly offload watch raised none on this day');
  });

  it('leaves the section out when no watch ran', () => {
    const summary = summarizeReport(data);
    expect(summary.incidents).toBeNull();
    expect(renderReportText(summary)).not.toContain('Offload alerts');
    expect(renderReportHtml(summary, { subject: 's', chartSrc: 'cid:c' })).not.toContain('Offload alerts');
  });
});
