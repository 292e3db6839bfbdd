import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alignDown,
  DIMENSIONS,
  type Dimension,
  type ExportRequest,
  type ExportRow,
  INTERVAL_MS,
  type Interval,
  METRICS,
  type Metric,
  TIME,
} from '../../lambdas/core/contract.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { exportData } from './http.ts';

const { MINUTE, HOUR, DAY } = TIME;
const NOW = Date.UTC(2024, 4, 15, 12, 17, 23);
const SUMMED: readonly Metric[] = ['http', 'p2p', 'played', 'rebuffered'];
const ALL = METRICS;

function rowsOf(simulator: RunningSimulator, request: ExportRequest, asOf?: number | 'final'): ExportRow[] {
  return [...simulator.rows(request, asOf === undefined ? undefined : { asOf })];
}

function metric(row: ExportRow | undefined, name: Metric): number {
  const value = row?.metrics[name];
  if (value === undefined) throw new Error(`row has no ${name}`);
  return value;
}

function keyOf(row: ExportRow, dimensions: readonly Dimension[]): string {
  return JSON.stringify(dimensions.map((d) => row.dimensions[d] ?? null));
}

/** Sums rows into buckets of `interval` (and by `dimensions`), sessions time-weighted. */
function rollUp(
  rows: readonly ExportRow[],
  fineMs: number,
  interval: Interval,
  dimensions: readonly Dimension[],
): Map<string, Record<Metric, number>> {
  const coarseMs = INTERVAL_MS[interval];
  const sums = new Map<string, Record<Metric, number>>();
  for (const row of rows) {
    const key = `${alignDown(row.timestamp, interval)}|${keyOf(row, dimensions)}`;
    const sum = sums.get(key) ?? { http: 0, p2p: 0, played: 0, rebuffered: 0, sessions: 0 };
    for (const name of SUMMED) sum[name] += metric(row, name);
    sum.sessions += (metric(row, 'sessions') * fineMs) / coarseMs;
    sums.set(key, sum);
  }
  return sums;
}

function expectRolledUp(
  fine: readonly ExportRow[],
  coarse: readonly ExportRow[],
  fineMs: number,
  interval: Interval,
  dimensions: readonly Dimension[] = [],
) {
  const rolled = rollUp(fine, fineMs, interval, dimensions);
  expect(coarse.length).toBe(rolled.size);
  for (const row of coarse) {
    const sum = rolled.get(`${row.timestamp}|${keyOf(row, dimensions)}`);
    expect(sum).toBeDefined();
    for (const name of SUMMED) expect(metric(row, name)).toBe(sum?.[name]);
    // Each fine value is rounded to 3 decimals and so is the coarse one.
    expect(Math.abs(metric(row, 'sessions') - (sum?.sessions ?? Number.NaN))).toBeLessThanOrEqual(
      0.001 + 1e-9,
    );
  }
}

function request(
  interval: Interval,
  from: number,
  to: number,
  extra: Partial<ExportRequest> = {},
): ExportRequest {
  return { from, to, interval, metrics: ALL, ...extra };
}

/** Every total equals the sum of its split, bucket by bucket; sessions within their rounding. */
function expectSplitAddsUp(totals: readonly ExportRow[], split: readonly ExportRow[], buckets: number) {
  expect(totals.length).toBe(buckets);
  for (const total of totals) {
    const parts = split.filter((row) => row.timestamp === total.timestamp);
    expect(parts.length).toBeGreaterThan(0);
    for (const name of SUMMED) {
      expect(parts.reduce((sum, row) => sum + metric(row, name), 0)).toBe(metric(total, name));
    }
    const sessions = parts.reduce((sum, row) => sum + metric(row, 'sessions'), 0);
    expect(Math.abs(sessions - metric(total, 'sessions'))).toBeLessThanOrEqual(0.0005 * (parts.length + 1));
  }
}

describe('the simulator model', () => {
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW });
  });
  afterAll(async () => {
    await simulator.close();
  });

  describe('totals equal the sum over any split', () => {
    const window = request('1h', alignDown(NOW, '1h') - 5 * HOUR, alignDown(NOW, '1h') + HOUR);

    it.each(DIMENSIONS)('for a split by %s, recent partial hours included', (dimension) => {
      expectSplitAddsUp(
        rowsOf(simulator, window),
        rowsOf(simulator, { ...window, dimensions: [dimension] }),
        6,
      );
    });

    it('for a two-dimension split', () => {
      expectSplitAddsUp(
        rowsOf(simulator, window),
        rowsOf(simulator, { ...window, dimensions: ['country.code', 'isp.name'] }),
        6,
      );
    });

    it('with filters, for one- and two-dimension splits', () => {
      const filters = { 'browser.name': ['Chrome', 'Safari'], 'country.code': ['US', 'BR', 'JP'] };
      const totals = rowsOf(simulator, { ...window, filters });
      expectSplitAddsUp(totals, rowsOf(simulator, { ...window, filters, dimensions: ['city.name'] }), 6);
      expectSplitAddsUp(
        totals,
        rowsOf(simulator, { ...window, filters, dimensions: ['os.name', 'browser.name'] }),
        6,
      );
    });

    it('over HTTP as well as from the model', async () => {
      const body: ExportRequest = { ...window, dimensions: ['browser.name'] };
      const data = await exportData(simulator, body);
      const model = rowsOf(simulator, body);
      expect(data).toEqual(
        model.map((row) => ({ timestamp: row.timestamp, ...row.dimensions, ...row.metrics })),
      );
    });
  });

  describe('a coarse bucket equals its fine buckets', () => {
    const hourStart = alignDown(NOW, '1h');
    const chains: [Interval, Interval][] = [
      ['1m', '5m'],
      ['5m', '10m'],
      ['10m', '30m'],
      ['30m', '1h'],
      ['1m', '1h'],
    ];
    it.each(chains)(
      'sums %s into %s exactly (sessions within rounding), at a moment with late data',
      (fine, coarse) => {
        const from = hourStart - 5 * HOUR;
        const to = hourStart + HOUR;
        const fineRows = rowsOf(simulator, request(fine, from, to));
        expectRolledUp(fineRows, rowsOf(simulator, request(coarse, from, to)), INTERVAL_MS[fine], coarse);
      },
    );

    it('sums 5m into 1h with two dimensions', () => {
      const from = hourStart - 3 * HOUR;
      const dimensions: Dimension[] = ['browser.name', 'country.code'];
      const fine = rowsOf(simulator, request('5m', from, hourStart + HOUR, { dimensions }));
      const coarse = rowsOf(simulator, request('1h', from, hourStart + HOUR, { dimensions }));
      expectRolledUp(fine, coarse, INTERVAL_MS['5m'], '1h', dimensions);
    });

    it.each([
      ['1h', '3h'],
      ['3h', '12h'],
      ['12h', '1d'],
      ['1h', '1d'],
    ] as [Interval, Interval][])(
      'sums %s into %s over three days, including the running day',
      (fine, coarse) => {
        const from = alignDown(NOW, '1d') - 2 * DAY;
        const to = alignDown(NOW, '1d') + DAY;
        expectRolledUp(
          rowsOf(simulator, request(fine, from, to)),
          rowsOf(simulator, request(coarse, from, to)),
          INTERVAL_MS[fine],
          coarse,
        );
      },
    );

    it.each([
      ['1d', '7d'],
      ['7d', '14d'],
    ] as [Interval, Interval][])(
      'sums %s into %s over four weeks counted from the epoch',
      async (fine, coarse) => {
        // A smaller population keeps four weeks of hours quick; the arithmetic is the same.
        const small = await startSimulator({ now: NOW, segments: 300 });
        try {
          const to = alignDown(NOW, '14d');
          const from = to - 28 * DAY;
          expectRolledUp(
            rowsOf(small, request(fine, from, to)),
            rowsOf(small, request(coarse, from, to)),
            INTERVAL_MS[fine],
            coarse,
          );
        } finally {
          await small.close();
        }
      },
    );
  });

  describe('late data', () => {
    const hourStart = alignDown(NOW, '1h');
    const recent = request('5m', hourStart - 3 * HOUR, hourStart + HOUR, { metrics: SUMMED });

    it('grows on later asks and never shrinks, bucket by bucket', () => {
      let previous = new Map(rowsOf(simulator, recent, NOW).map((row) => [row.timestamp, row]));
      for (let asOf = NOW + 7 * MINUTE; asOf <= NOW + 3 * HOUR; asOf += 7 * MINUTE) {
        const current = new Map(rowsOf(simulator, recent, asOf).map((row) => [row.timestamp, row]));
        for (const [timestamp, row] of previous) {
          for (const name of SUMMED)
            expect(metric(current.get(timestamp), name)).toBeGreaterThanOrEqual(metric(row, name));
        }
        previous = current;
      }
    });

    it('is partial for recent buckets and settles to the final numbers once the delay has passed', () => {
      const hourly = request('1h', hourStart - 4 * HOUR, hourStart, { metrics: SUMMED });
      const final = rowsOf(simulator, hourly, 'final');
      const atNow = rowsOf(simulator, hourly, NOW);
      // Hours that ended more than the 2-hour delay ago are complete; the last one is not.
      expect(atNow.slice(0, 2)).toEqual(final.slice(0, 2));
      expect(metric(atNow[3], 'http')).toBeLessThan(metric(final[3], 'http'));
      expect(rowsOf(simulator, hourly, hourStart + 2 * HOUR)).toEqual(final);
    });

    it('shows over HTTP as numbers that grow when the clock moves on', async () => {
      const body = request('1h', hourStart - HOUR, hourStart, { metrics: ['http', 'p2p', 'played'] });
      try {
        const [early] = await exportData(simulator, body);
        simulator.setClock(hourStart + 3 * HOUR);
        const [late] = await exportData(simulator, body);
        const [final] = rowsOf(simulator, body, 'final');
        expect(Number(early?.http)).toBeLessThan(Number(late?.http));
        expect(late).toEqual({ timestamp: body.from, ...final?.metrics });
      } finally {
        simulator.setClock(NOW);
      }
    });

    it('returns final numbers at once with a late-data delay of zero', async () => {
      const running = request('1h', hourStart, hourStart + HOUR, { metrics: SUMMED });
      const other = await startSimulator({ now: hourStart + HOUR + 1, lateDataDelayMs: 0 });
      try {
        expect(rowsOf(other, running)).toEqual(rowsOf(other, running, 'final'));
      } finally {
        await other.close();
      }
    });
  });

  describe('determinism', () => {
    const day = request('1h', alignDown(NOW, '1d') - DAY, alignDown(NOW, '1d'), { dimensions: ['isp.name'] });

    it('gives the same numbers for the same seed, in another instance', async () => {
      const twin = await startSimulator({ now: NOW, seed: 1 });
      try {
        expect(rowsOf(twin, day)).toEqual(rowsOf(simulator, day));
      } finally {
        await twin.close();
      }
    });

    it('gives other numbers for another seed', async () => {
      const other = await startSimulator({ now: NOW, seed: 2 });
      try {
        expect(rowsOf(other, day)).not.toEqual(rowsOf(simulator, day));
      } finally {
        await other.close();
      }
    });
  });

  describe('shape', () => {
    const dayStart = alignDown(NOW, '1d') - DAY;
    const hours = request('1h', dayStart, dayStart + DAY, { metrics: ALL });

    it('looks like a mid-size platform: tens of TB a day, offload 40-80%, rebuffering 0.5-3%', () => {
      const [total] = rowsOf(simulator, request('1d', dayStart, dayStart + DAY), 'final');
      const bytes = metric(total, 'http') + metric(total, 'p2p');
      expect(bytes / 1e12).toBeGreaterThan(10);
      expect(bytes / 1e12).toBeLessThan(100);
      const offload = metric(total, 'p2p') / bytes;
      expect(offload).toBeGreaterThan(0.4);
      expect(offload).toBeLessThan(0.8);
      const rebufferRatio =
        metric(total, 'rebuffered') / (metric(total, 'rebuffered') + metric(total, 'played'));
      expect(rebufferRatio).toBeGreaterThan(0.005);
      expect(rebufferRatio).toBeLessThan(0.03);
    });

    it('has a daily cycle, and offload that changes with the time of day', () => {
      const rows = rowsOf(simulator, hours, 'final');
      const bytes = rows.map((row) => metric(row, 'http') + metric(row, 'p2p'));
      expect(Math.max(...bytes) / Math.min(...bytes)).toBeGreaterThan(1.5);
      const offloads = rows.map((row) => metric(row, 'p2p') / (metric(row, 'http') + metric(row, 'p2p')));
      expect(Math.max(...offloads) - Math.min(...offloads)).toBeGreaterThan(0.03);
    });

    it('has offload that differs by browser and by ISP', () => {
      const offloadBy = (dimension: Dimension, value: string) => {
        const [row] = rowsOf(
          simulator,
          request('1d', dayStart, dayStart + DAY, { filters: { [dimension]: [value] } }),
          'final',
        );
        return metric(row, 'p2p') / (metric(row, 'http') + metric(row, 'p2p'));
      };
      expect(offloadBy('browser.name', 'Chrome') - offloadBy('browser.name', 'Safari')).toBeGreaterThan(0.15);
      expect(offloadBy('isp.name', 'Verizon Fios') - offloadBy('isp.name', 'Corporate VPN')).toBeGreaterThan(
        0.2,
      );
    });

    it('has segments with no traffic in some buckets', () => {
      const dimensions: Dimension[] = ['session.page', 'isp.name'];
      const rows = rowsOf(simulator, { ...hours, dimensions }, 'final');
      const hoursSeen = new Map<string, number>();
      for (const row of rows)
        hoursSeen.set(keyOf(row, dimensions), (hoursSeen.get(keyOf(row, dimensions)) ?? 0) + 1);
      const sometimesQuiet = [...hoursSeen.values()].filter((count) => count < 24);
      expect(sometimesQuiet.length).toBeGreaterThan(10);
      expect([...hoursSeen.values()].some((count) => count === 24)).toBe(true);
    });

    it.each([1, 7, 12345])(
      'includes the awkward values in the default catalogue for seed %i',
      async (seed) => {
        const other = await startSimulator({ now: NOW, seed });
        try {
          const hour = request('1h', dayStart, dayStart + HOUR, { metrics: ['http'] });
          const values = (dimension: Dimension) =>
            rowsOf(other, { ...hour, dimensions: [dimension] }).map(
              (row) => row.dimensions[dimension] ?? null,
            );
          const cities = values('city.name');
          expect(cities).toEqual(
            expect.arrayContaining([null, 'São Paulo', 'Zürich', '東京', 'Washington, D.C.']),
          );
          const isps = values('isp.name');
          expect(isps).toEqual(
            expect.arrayContaining([
              'Kabel "Plus" GmbH, Wien',
              '=Net Telecom',
              '+Plus Mobile',
              '-Dash Networks',
              '@Home Fiber',
            ]),
          );
          const pages = values('session.page').filter((page): page is string => page !== null);
          expect(pages.some((page) => page.includes('<script>'))).toBe(true);
          expect(pages.some((page) => page.length > 200 && page.includes('?'))).toBe(true);
          expect(values('country.code')).toContain(null);
        } finally {
          await other.close();
        }
      },
    );

    it('has as many distinct pages as the segment count allows', async () => {
      const other = await startSimulator({ now: NOW, segments: 200 });
      try {
        const hour = request('1d', dayStart, dayStart + DAY, {
          metrics: ['http'],
          dimensions: ['session.page'],
        });
        const few = rowsOf(other, hour, 'final').length;
        other.setSegments(5_000);
        const many = rowsOf(other, hour, 'final').length;
        expect(many).toBeGreaterThan(few * 5);
      } finally {
        await other.close();
      }
    });
  });
});

describe('the simulator model during a staged incident', () => {
  const hourStart = alignDown(NOW, '1h');
  // From the middle of one hour to the middle of another, so partly covered hours are checked too,
  // and ending in the still-growing recent hours, where late data has not all arrived.
  const incident = {
    dimension: 'isp.name',
    value: 'Comcast',
    from: hourStart - 4 * HOUR + 20 * MINUTE,
    to: hourStart - 20 * MINUTE,
    p2pFactor: 0.2,
  } as const;
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW, segments: 400, incidents: [incident] });
  });
  afterAll(async () => {
    await simulator.close();
  });

  const window = request('1h', hourStart - 5 * HOUR, hourStart + HOUR);

  it.each([
    [['isp.name']],
    [['country.code']],
    [['country.code', 'isp.name']],
    [['browser.name', 'os.name']],
  ] as Dimension[][][])('keeps the totals equal to the sum of the split by %j', (dimensions) => {
    expectSplitAddsUp(rowsOf(simulator, window), rowsOf(simulator, { ...window, dimensions }), 6);
  });

  it('keeps the totals equal to the sum of a filtered split, at a moment with late data', () => {
    const filters = { 'country.code': ['US', 'DE'] };
    const later = NOW + 40 * MINUTE;
    expectSplitAddsUp(
      rowsOf(simulator, { ...window, filters }, later),
      rowsOf(simulator, { ...window, filters, dimensions: ['isp.name'] }, later),
      6,
    );
  });

  it.each([
    ['1m', '1h'],
    ['5m', '30m'],
    ['10m', '1h'],
  ] as [Interval, Interval][])('sums %s into %s exactly across the incident', (fine, coarse) => {
    const from = hourStart - 5 * HOUR;
    const to = hourStart + HOUR;
    const dimensions: Dimension[] = ['isp.name'];
    expectRolledUp(
      rowsOf(simulator, request(fine, from, to, { dimensions })),
      rowsOf(simulator, request(coarse, from, to, { dimensions })),
      INTERVAL_MS[fine],
      coarse,
      dimensions,
    );
  });

  it('sums 1h into 1d over the incident’s day', () => {
    const from = alignDown(NOW, '1d') - DAY;
    const to = alignDown(NOW, '1d') + DAY;
    expectRolledUp(
      rowsOf(simulator, request('1h', from, to)),
      rowsOf(simulator, request('1d', from, to)),
      HOUR,
      '1d',
    );
  });

  it('changes no delivered bytes, played time or sessions: only how the bytes were delivered', async () => {
    const calm = await startSimulator({ now: NOW, segments: 400 });
    try {
      const hit = rowsOf(simulator, window, 'final');
      const usual = rowsOf(calm, window, 'final');
      for (const [index, row] of hit.entries()) {
        const before = usual[index];
        expect(metric(row, 'http') + metric(row, 'p2p')).toBe(metric(before, 'http') + metric(before, 'p2p'));
        for (const name of ['played', 'rebuffered', 'sessions'] as const) {
          expect(metric(row, name)).toBe(metric(before, name));
        }
      }
      const offload = (rows: ExportRow[], at: number) => {
        const row = rows.find((entry) => entry.timestamp === at);
        return metric(row, 'p2p') / (metric(row, 'http') + metric(row, 'p2p'));
      };
      expect(offload(hit, hourStart - 2 * HOUR)).toBeLessThan(offload(usual, hourStart - 2 * HOUR));
      expect(offload(hit, hourStart)).toBe(offload(usual, hourStart));
    } finally {
      await calm.close();
    }
  });
});
