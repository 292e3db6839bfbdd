import { describe, expect, it } from 'vitest';
import { MAX_TOP_N } from '../../lambdas/core/report/config.ts';
import { reportSubject } from '../../lambdas/core/report/email.ts';
import { renderReportHtml } from '../../lambdas/core/report/html.ts';
import { SEGMENT_DIMENSIONS } from '../../lambdas/core/report/scope.ts';
import { summarizeReport } from '../../lambdas/core/report/summary.ts';
import { fixtureData } from './support/fixtures.ts';

/** Gmail hides everything after the first ~102 KB of a message's HTML behind "[Message clipped]". */
const GMAIL_CLIP_BYTES = 102 * 1024;

describe('the report at its largest', () => {
  it('stays under the size at which Gmail clips the HTML', () => {
    // Long, escape-heavy labels in every table, and every segment's offload falling.
    const segment = (index: number, factor: number) => ({
      value: `https://videos.example.com/watch?id=${index}&utm_source="newsletter"&utm_medium=<email>&x=${'y'.repeat(60)}`,
      http: (40 - index) * 2 ** 34 * factor,
      p2p: (40 - index) * 2 ** 34,
    });
    const segments = Object.fromEntries(
      SEGMENT_DIMENSIONS.map((dimension) => [
        dimension,
        {
          current: Array.from({ length: 40 }, (_, index) => segment(index, 2)),
          previous: Array.from({ length: 40 }, (_, index) => segment(index, 1)),
        },
      ]),
    );
    // Last week's segments too, so every driver table is full, and a month of history.
    const lastWeek = Array.from({ length: 40 }, (_, index) => segment(index, 0.5));
    const fixture = fixtureData({
      date: '2026-10-25',
      timeZone: 'Europe/Berlin',
      now: Date.UTC(2026, 9, 26, 6),
      bucket: () => ({
        http: 3 * 2 ** 30,
        p2p: 5 * 2 ** 30,
        played: 9_950_000,
        rebuffered: 50_000,
        sessions: 1200,
      }),
      segments,
      history: Array.from({ length: 17 }, (_, index) => ({
        date: `2026-10-${String(index + 1).padStart(2, '0')}`,
        http: 3 * 2 ** 36,
        p2p: 5 * 2 ** 36,
      })),
    });
    const data = {
      ...fixture,
      breakdowns: fixture.breakdowns.map((breakdown) => ({
        ...breakdown,
        days: breakdown.days.map((rows, index) =>
          index === 0
            ? lastWeek.map((entry) => ({ values: [entry.value], http: entry.http, p2p: entry.p2p }))
            : rows,
        ),
      })),
    };
    const summary = summarizeReport(data, {
      topN: MAX_TOP_N,
      price: [
        { upToGb: 1000, pricePerGb: 0.05 },
        { upToGb: null, pricePerGb: 0.02 },
      ],
      currency: 'EUR',
      ops: {
        lake: {
          location: 's3://a-long-lake-bucket-name-for-the-test',
          datasets: ['totals_1m', 'by_country_1h', 'by_browser_os_1h', 'by_country_isp_1h', 'by_page_1d'].map(
            (dataset) => ({ dataset, expected: 24, written: 20, provisional: 4, missing: [1, 2, 3, 4] }),
          ),
        },
        athena: {
          url: 'https://eu-west-1.console.aws.amazon.com/athena/home',
          workGroup: 'w',
          database: 'd',
          sql: 'SELECT 1\nFROM x',
        },
        runbookUrl: 'https://example.com/runbook',
        apiRequests: 4,
      },
      incidents: Array.from({ length: 5 }, (_, index) => ({
        id: `i${index}`,
        startHour: Date.UTC(2026, 9, 25, index),
        offload: 0.4,
        baselineOffload: 0.6,
        worstDropPts: 20,
        blame: {
          dimensions: ['isp.name'],
          values: ['x'.repeat(60)],
          name: 'x'.repeat(60),
          shareExplained: 0.9,
        },
        recoveredAt: null,
      })),
    });
    // With the chart's ghost too, so its legend line counts.
    const markup = renderReportHtml(summary, {
      subject: reportSubject(summary),
      chartSrc: 'cid:chart',
      chart: { ghost: summary.hours },
    });
    expect(summary.segments.every((breakdown) => breakdown.top.length === MAX_TOP_N)).toBe(true);
    expect(summary.insights.drivers.length).toBeGreaterThan(0);
    expect(summary.insights.history).toHaveLength(25);
    expect(Buffer.byteLength(markup)).toBeLessThan(GMAIL_CLIP_BYTES);
  });
});
