import { readFileSync } from 'node:fs';
import { doIUseEmail } from 'doiuse-email';
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../lambdas/core/report/html.ts';
import { summarizeReport } from '../../lambdas/core/report/summary.ts';
import { fixtureData } from './support/fixtures.ts';

/** The clients the report is written for. */
const CLIENTS = ['gmail.*', 'outlook.*', 'apple-mail.*', 'yahoo.*'];

/** Features the caniemail data flags, by the name doiuse-email quotes between backticks. */
function flaggedFeatures(markup: string): string[] {
  const result = doIUseEmail(markup, { emailClients: CLIENTS });
  const messages = 'errors' in result ? (result.errors as string[]) : [];
  return [...new Set(messages.map((message) => /`([^`]+)`/.exec(message)?.[1] ?? message))].sort();
}

const summary = summarizeReport(
  fixtureData({
    date: '2026-11-25',
    timeZone: 'Europe/Berlin',
    now: Date.UTC(2026, 10, 26, 6),
    bucket: (_timestamp, dayIndex) => ({
      http: 4 * 2 ** 30,
      p2p: (dayIndex === 7 ? 3 : 4) * 2 ** 30,
      played: 9_900_000,
      rebuffered: 100_000,
      sessions: 1100,
    }),
    segments: {
      'country.code': {
        current: [{ value: 'DE', http: 2 ** 40, p2p: 2 ** 40 }],
        previous: [{ value: 'DE', http: 2 ** 40, p2p: 3 * 2 ** 40 }],
      },
    },
  }),
  {
    ops: { lake: null, athena: null, runbookUrl: 'https://example.com/runbook', apiRequests: 4 },
    incidents: [],
  },
);
const markup = renderReportHtml(summary, { subject: 'subject', chartSrc: 'cid:chart' });

describe('the HTML in common email clients', () => {
  it('uses only features that are supported, or documented with how they degrade', () => {
    const documented = readFileSync(new URL('../../docs/report.md', import.meta.url), 'utf8');
    const flagged = flaggedFeatures(markup);
    const undocumented = flagged.filter((feature) => !documented.includes(`| ${feature} |`));
    expect(undocumented).toEqual([]);
  });
});
