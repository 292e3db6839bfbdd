import { describe, expect, it } from 'vitest';
import { CHART_COLORS } from '../../lambdas/core/report/chart.ts';
import { reportSubject } from '../../lambdas/core/report/email.ts';
import { escapeHtml, ghostDayLabel, html, renderReportHtml } from '../../lambdas/core/report/html.ts';
import { REBUFFER_BANDS_TEXT, segmentLabel } from '../../lambdas/core/report/labels.ts';
import { summarizeReport } from '../../lambdas/core/report/summary.ts';
import { renderReportText } from '../../lambdas/core/report/text.ts';
import { fixtureData, ZERO_BUCKET } from './support/fixtures.ts';

const SCRIPT = '<script>alert("p2p")</script>';

const data = fixtureData({
  date: '2026-11-25',
  timeZone: 'Europe/Berlin',
  now: Date.UTC(2026, 10, 26, 6),
  bucket: (_timestamp, dayIndex) =>
    dayIndex === 7
      ? { http: 3 * 2 ** 30, p2p: 5 * 2 ** 30, played: 9_950_000, rebuffered: 50_000, sessions: 1200 }
      : { http: 4 * 2 ** 30, p2p: 4 * 2 ** 30, played: 9_900_000, rebuffered: 100_000, sessions: 1100 },
  segments: {
    'isp.name': {
      current: [
        { value: SCRIPT, http: 2 ** 40, p2p: 2 ** 40 },
        { value: 'Line\r\nBcc: victim@example.com', http: 2 ** 30, p2p: 0 },
        { value: null, http: 2 ** 20, p2p: 2 ** 20 },
      ],
      previous: [{ value: SCRIPT, http: 2 ** 40, p2p: 3 * 2 ** 40 }],
    },
    'country.code': {
      current: [
        { value: 'BR', http: 2 ** 40, p2p: 2 ** 40 },
        { value: "'><img src=x onerror=alert(1)>", http: 2 ** 30, p2p: 0 },
      ],
      previous: [],
    },
  },
});
const summary = summarizeReport(data);
const subject = reportSubject(summary);
const markup = renderReportHtml(summary, { subject, chartSrc: 'cid:offload-chart@peer5-reporter' });
const text = renderReportText(summary);

describe('the HTML part', () => {
  it('escapes every value that came from the API', () => {
    expect(markup).not.toMatch(/<script/i);
    expect(markup).not.toContain('<img src=x');
    expect(markup).toContain('&lt;script&gt;alert(&quot;p2p&quot;)&lt;/script&gt;');
  });

  it('escapes interpolations in the template tag but keeps its own markup', () => {
    const value = '<b>&"\'';
    expect(html`<td title="${value}">${value}</td>`.markup).toBe(
      '<td title="&lt;b&gt;&amp;&quot;&#39;">&lt;b&gt;&amp;&quot;&#39;</td>',
    );
    expect(html`<p>${html`<b>safe</b>`}</p>`.markup).toBe('<p><b>safe</b></p>');
    expect(escapeHtml('a & b')).toBe('a &amp; b');
  });

  it('uses tables and inline styles only, with no external assets', () => {
    expect(markup).not.toMatch(/<style|<link|<script|<svg/i);
    expect(markup).not.toMatch(/src="https?:|url\(/i);
    expect(markup).toContain('max-width:600px');
    expect(markup).toContain('role="presentation"');
    expect(markup).toContain('src="cid:offload-chart@peer5-reporter"');
  });

  it('shows the headline: offload, delivered and rebuffer ratio with its band', () => {
    expect(markup).toContain('62.5%');
    expect(markup).toContain('192.0 GiB');
    expect(markup).toContain('0.50%');
    expect(markup).toContain('Good');
    expect(markup).toContain('+12.5 pts');
    expect(markup).toContain('Brazil (BR)');
    expect(markup).toContain('Unknown');
  });
});

describe('the chart legend', () => {
  it('names the series of the day and no ghost when the chart has none', () => {
    expect(markup).toContain('Offload (right axis)');
    expect(markup).not.toContain('Last Wednesday');
    expect(markup).not.toContain(CHART_COLORS.ghostOffload);
  });

  it('adds last week’s day and the ghost series the chart draws', () => {
    const both = renderReportHtml(summary, {
      subject,
      chartSrc: 'cid:x',
      chart: {
        ghost: summary.hours.map((hour) => ({ label: hour.label, delivered: hour.delivered, offload: 0.5 })),
      },
    });
    expect(both).toContain('Last Wednesday (18 Nov):');
    expect(both).toContain(`border-top:2px dashed ${CHART_COLORS.ghostOffload}`);
    expect(both).toContain(`border:1px solid ${CHART_COLORS.ghostDelivered}`);
    expect(both).toContain('the same hours a week earlier as a ghost');
    const offloadOnly = renderReportHtml(summary, {
      subject,
      chartSrc: 'cid:x',
      chart: { ghost: summary.hours.map((hour) => ({ label: hour.label, offload: 0.5 })) },
    });
    expect(offloadOnly).toContain(`border-top:2px dashed ${CHART_COLORS.ghostOffload}`);
    expect(offloadOnly).not.toContain(CHART_COLORS.ghostDelivered);
  });

  it('dates the ghost a week before the report day, across a month end', () => {
    expect(ghostDayLabel('2026-11-25')).toBe('Last Wednesday (18 Nov)');
    expect(ghostDayLabel('2026-03-03')).toBe('Last Tuesday (24 Feb)');
  });
});

describe('the plain-text part', () => {
  it('carries the same figures', () => {
    expect(text).toContain(
      'Offload           62.5%   ▲ +12.5 pts vs last Wed, ▲ +12.5 pts vs 7-day avg, ▲ +12.5 pts vs Tue',
    );
    // Delivered bytes did not move: steady, marked ■, whatever the sign.
    expect(text).toContain('Delivered         192.0 GiB   ■ ±0.0% vs last Wed');
    expect(text).toContain('Delivered         192.0 GiB');
    expect(text).toContain('Rebuffer ratio    0.50% (good)');
    expect(text).toContain('Average sessions  1,200.0');
  });

  it('keeps a value with line breaks on one line', () => {
    expect(text).toContain('Line Bcc: victim@example.com');
    expect(text).not.toMatch(/\r/);
    expect(segmentLabel('isp.name', 'a\nb').text).toBe('a b');
  });

  it('shows each segment’s offload change since the previous day', () => {
    expect(text).toMatch(/<script>alert\("p2p"\)<\/script>\s+2\.0 TiB\s+[\d.]+%\s+50\.0%\s+-25\.0 pts/);
  });
});

describe('the rebuffer bands', () => {
  it('are explained in the same words in both parts, written from the bands themselves', () => {
    expect(REBUFFER_BANDS_TEXT).toBe('under 1% is good, 1–3% acceptable, over 3% concerning');
    expect(markup).toContain(`rebuffered / (played + rebuffered): ${REBUFFER_BANDS_TEXT}.`);
    expect(text).toContain(`rebuffered / (played + rebuffered): ${REBUFFER_BANDS_TEXT}.`);
  });
});

describe('the subject', () => {
  it('leads with the biggest material change against the same weekday last week', () => {
    expect(subject).toBe('Peer5 2026-11-25: offload 62.5% (+12.5 pts vs last Wed)');
  });

  it('reads steady on a day whose changes are all below their thresholds', () => {
    const steady = summarizeReport(
      fixtureData({
        date: '2026-11-25',
        timeZone: 'UTC',
        now: Date.UTC(2026, 10, 26, 6),
        bucket: (_timestamp, dayIndex) => ({
          ...ZERO_BUCKET,
          http: 1000,
          p2p: dayIndex === 7 ? 1010 : 1000,
          played: 1000,
        }),
      }),
    );
    // Offload moved 0.2 pts: under the 2-point threshold, so it is grey with ■, not red or green.
    expect(reportSubject(steady)).toBe('Peer5 2026-11-25: offload 50.2%, steady');
    expect(renderReportText(steady)).toContain('■ +0.2 pts vs last Wed');
  });

  it('says no traffic on a day without any', () => {
    const quiet = summarizeReport(
      fixtureData({
        date: '2026-11-25',
        timeZone: 'UTC',
        now: Date.UTC(2026, 10, 26, 6),
        bucket: () => ZERO_BUCKET,
      }),
    );
    expect(reportSubject(quiet)).toBe('Peer5 2026-11-25: no traffic');
  });
});
