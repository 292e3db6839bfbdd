import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { reportSubject } from '../../lambdas/core/report/email.ts';
import { rebufferBandOf } from '../../lambdas/core/report/figures.ts';
import { bucketTotalsOf } from '../../lambdas/core/report/gather.ts';
import { renderReportHtml } from '../../lambdas/core/report/html.ts';
import { scopeReport } from '../../lambdas/core/report/scope.ts';
import { segmentBreakdown, summarizeReport } from '../../lambdas/core/report/summary.ts';
import { renderReportText } from '../../lambdas/core/report/text.ts';
import { fixtureData, nonFiniteNumbers, ZERO_BUCKET } from './support/fixtures.ts';

const NOW = Date.UTC(2026, 10, 26, 6, 0);

describe('the daily summary from known totals', () => {
  const data = fixtureData({
    date: '2026-11-25',
    timeZone: 'UTC',
    now: NOW,
    bucket: (timestamp, dayIndex) => {
      const hour = new Date(timestamp).getUTCHours();
      return dayIndex === 7
        ? { http: 1000, p2p: hour === 20 ? 9000 : 3000, played: 99_000, rebuffered: 1000, sessions: hour }
        : { http: 2000, p2p: 2000, played: 99_500, rebuffered: 500, sessions: 10 };
    },
  });
  const summary = summarizeReport(data);

  it('adds up the totals and the offload of the day', () => {
    expect(summary.day.http).toBe(24_000);
    expect(summary.day.p2p).toBe(23 * 3000 + 9000);
    expect(summary.day.delivered).toBe(24_000 + 78_000);
    expect(summary.day.offload).toBeCloseTo(78_000 / 102_000, 12);
    expect(summary.hasTraffic).toBe(true);
  });

  it('computes the rebuffer ratio and puts exactly 1% in the acceptable band', () => {
    expect(summary.day.rebufferRatio).toBeCloseTo(0.01, 12);
    expect(summary.rebufferBand).toBe('acceptable');
  });

  it('averages sessions over time instead of summing them', () => {
    // Sessions 0, 1, ..., 23 in the day's hours: the mean is 11.5, the (wrong) sum 276.
    expect(summary.day.averageSessions).toBeCloseTo(11.5, 12);
    expect(summary.previousDay?.averageSessions).toBeCloseTo(10, 12);
  });

  it('finds the peak hour in local time', () => {
    expect(summary.peakHour?.label).toBe('20:00');
    expect(summary.peakHour?.delivered).toBe(10_000);
    expect(summary.hours).toHaveLength(24);
  });

  it('compares ratios in points and volumes in percent', () => {
    const previousOffload = 0.5;
    expect(summary.vsPreviousDay?.offload.change).toBeCloseTo((78_000 / 102_000 - previousOffload) * 100, 10);
    expect(summary.vsPreviousDay?.offload.unit).toBe('pts');
    expect(summary.vsPreviousDay?.delivered.change).toBeCloseTo(((102_000 - 96_000) / 96_000) * 100, 10);
    expect(summary.vsPreviousDay?.delivered.unit).toBe('percent');
    expect(summary.vsPreviousDay?.rebufferRatio.change).toBeCloseTo((0.01 - 0.005) * 100, 10);
  });

  it('averages the seven days before for the trailing comparison', () => {
    expect(summary.trailing?.days).toBe(7);
    expect(summary.trailing?.firstDate).toBe('2026-11-18');
    expect(summary.trailing?.lastDate).toBe('2026-11-24');
    expect(summary.trailing?.delivered).toBe(96_000);
    expect(summary.vsTrailingAverage?.averageSessions.change).toBeCloseTo(15, 10);
  });

  it('writes the subject with the offload and its change since the same weekday last week', () => {
    const offload = ((78_000 / 102_000) * 100).toFixed(1);
    const change = ((78_000 / 102_000 - 0.5) * 100).toFixed(1);
    expect(summary.lastWeekDay?.date).toBe('2026-11-18');
    expect(reportSubject(summary)).toBe(`Peer5 2026-11-25: offload ${offload}% (+${change} pts vs last Wed)`);
  });
});

describe('sessions with half-hour buckets', () => {
  it('weights each bucket by its length', () => {
    const data = fixtureData({
      date: '2026-11-25',
      timeZone: 'Asia/Kolkata',
      now: NOW,
      bucket: (timestamp) => ({
        ...ZERO_BUCKET,
        http: 1,
        sessions: new Date(timestamp).getUTCMinutes() === 0 ? 10 : 20,
      }),
    });
    expect(data.scope.trendBucketMs).toBe(30 * TIME.MINUTE);
    const summary = summarizeReport(data);
    expect(summary.day.averageSessions).toBeCloseTo(15, 12);
    expect(summary.hours).toHaveLength(24);
    expect(summary.hours[0]?.label).toBe('00:00');
    expect(summary.hours[0]?.http).toBe(2);
  });
});

describe('a day without traffic', () => {
  const data = fixtureData({
    date: '2026-11-25',
    timeZone: 'Europe/Berlin',
    now: NOW,
    bucket: (_timestamp, dayIndex) => (dayIndex === 7 ? ZERO_BUCKET : { ...ZERO_BUCKET, http: 5, p2p: 5 }),
  });
  const summary = summarizeReport(data);

  it('reports no traffic with null ratios and no NaN anywhere', () => {
    expect(summary.hasTraffic).toBe(false);
    expect(summary.day.offload).toBeNull();
    expect(summary.day.rebufferRatio).toBeNull();
    expect(summary.rebufferBand).toBeNull();
    expect(summary.peakHour).toBeNull();
    expect(summary.vsPreviousDay?.offload.change).toBeNull();
    expect(summary.vsPreviousDay?.delivered.change).toBe(-100);
    expect(nonFiniteNumbers(summary)).toEqual([]);
  });

  it('says so in the subject, the text and the HTML without printing NaN', () => {
    expect(reportSubject(summary)).toBe('Peer5 2026-11-25: no traffic');
    const text = renderReportText(summary);
    const html = renderReportHtml(summary, { subject: reportSubject(summary), chartSrc: 'cid:x' });
    expect(text).toContain('No traffic');
    expect(html).toContain('No traffic.');
    for (const rendered of [text, html]) {
      expect(rendered).not.toMatch(/NaN|Infinity|undefined/);
    }
  });

  it('copes with an input that has no rows at all', () => {
    const empty = { ...data, buckets: [] };
    const emptySummary = summarizeReport(empty);
    expect(emptySummary.hasTraffic).toBe(false);
    expect(emptySummary.day.averageSessions).toBe(0);
    expect(emptySummary.vsPreviousDay?.delivered.change).toBeNull();
    expect(emptySummary.segments.every((breakdown) => breakdown.rows.length === 0)).toBe(true);
    expect(nonFiniteNumbers(emptySummary)).toEqual([]);
  });
});

describe('DST days', () => {
  it('has 25 hourly bars, with the repeated hour told apart by its offset', () => {
    const data = fixtureData({
      date: '2026-10-25',
      timeZone: 'Europe/Berlin',
      now: Date.UTC(2026, 9, 26, 12),
      bucket: () => ({ ...ZERO_BUCKET, http: 10, p2p: 30 }),
    });
    const summary = summarizeReport(data);
    expect(summary.hoursInDay).toBe(25);
    expect(summary.hours).toHaveLength(25);
    expect(summary.day.delivered).toBe(25 * 40);
    const twoOClock = summary.hours.filter((hour) => hour.label === '02:00');
    expect(twoOClock.map((hour) => hour.utcOffset)).toEqual(['+02:00', '+01:00']);
  });

  it('has 23 hourly bars on the spring-forward day', () => {
    const data = fixtureData({
      date: '2026-03-29',
      timeZone: 'Europe/Berlin',
      now: Date.UTC(2026, 2, 30, 12),
      bucket: () => ({ ...ZERO_BUCKET, http: 10, p2p: 30 }),
    });
    const summary = summarizeReport(data);
    expect(summary.hours.map((hour) => hour.label)).not.toContain('02:00');
    expect(summary.hours).toHaveLength(23);
    expect(summary.day.delivered).toBe(23 * 40);
  });
});

describe('segments', () => {
  const current = [
    { value: 'DE', http: 100, p2p: 300 },
    { value: 'FR', http: 500, p2p: 500 },
    { value: null, http: 50, p2p: 0 },
    { value: 'XS', http: 1, p2p: 0 },
    { value: 'NEW', http: 10, p2p: 10 },
  ];
  const previous = [
    { value: 'DE', http: 200, p2p: 200 },
    { value: 'FR', http: 300, p2p: 700 },
    { value: null, http: 25, p2p: 25 },
    { value: 'XS', http: 0, p2p: 1 },
  ];
  const breakdown = segmentBreakdown('country.code', current, previous, 3);

  it('ranks values by delivered bytes with their own offload and share', () => {
    expect(breakdown.top.map((row) => row.value)).toEqual(['FR', 'DE', null]);
    expect(breakdown.rows).toHaveLength(5);
    expect(breakdown.delivered).toBe(1471);
    expect(breakdown.top[1]?.offload).toBe(0.75);
    expect(breakdown.top[1]?.share).toBeCloseTo(400 / 1471, 12);
    expect(breakdown.top[1]?.offloadChange).toBeCloseTo(25, 12);
  });
});

describe('a trend row', () => {
  it('becomes a bucket with every metric, 0 for those the API left out', () => {
    const bucket = bucketTotalsOf({ timestamp: NOW, dimensions: {}, metrics: { p2p: 7, sessions: 2.5 } });
    expect(bucket).toEqual({ timestamp: NOW, http: 0, p2p: 7, played: 0, rebuffered: 0, sessions: 2.5 });
  });
});

describe('rebuffer bands', () => {
  it('follows the under 1%, 1-3%, over 3% rule', () => {
    expect(rebufferBandOf(0.0099)).toBe('good');
    expect(rebufferBandOf(0.01)).toBe('acceptable');
    expect(rebufferBandOf(0.03)).toBe('acceptable');
    expect(rebufferBandOf(0.0301)).toBe('concerning');
    expect(rebufferBandOf(null)).toBeNull();
  });
});

describe('a :45 zone', () => {
  it('labels the true local hours while cutting the data at rounded boundaries', () => {
    const data = fixtureData({
      date: '2026-11-25',
      timeZone: 'Asia/Kathmandu',
      now: NOW,
      bucket: () => ({ ...ZERO_BUCKET, http: 1, p2p: 1 }),
    });
    const summary = summarizeReport(data);
    const plan = scopeReport({ date: '2026-11-25', timeZone: 'Asia/Kathmandu', now: NOW });
    expect(summary.approximation).toEqual(plan.approximation);
    expect(summary.hours[0]?.label).toBe('00:00');
    expect(summary.day.delivered).toBe(24 * 6 * 2);
    expect(renderReportText(summary)).toContain('up to 5 minutes from local midnight');
  });
});
