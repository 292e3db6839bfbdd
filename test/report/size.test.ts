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
    const data = fixtureData({
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
    });
    const summary = summarizeReport(data, { topN: MAX_TOP_N });
    // With the chart's ghost too, so its legend line counts.
    const markup = renderReportHtml(summary, {
      subject: reportSubject(summary),
      chartSrc: 'cid:chart',
      chart: { ghost: summary.hours },
    });
    expect(summary.segments.every((breakdown) => breakdown.top.length === MAX_TOP_N)).toBe(true);
    expect(Buffer.byteLength(markup)).toBeLessThan(GMAIL_CLIP_BYTES);
  });
});
