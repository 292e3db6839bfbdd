import { describe, expect, it } from 'vitest';
import {
  breakdownOfSegmentTotals,
  refines,
  rollUp,
  SegmentInputError,
  segmentDescription,
  segmentName,
} from '../../lambdas/core/insights/segments.ts';

describe('segment names', () => {
  it('writes an ISP within a country the way the issue does, and single values with their noun', () => {
    expect(segmentName({ dimensions: ['country.code', 'isp.name'], values: ['DE', 'Acme'] })).toBe(
      'ISP Acme DE',
    );
    expect(segmentName({ dimensions: ['isp.name', 'country.code'], values: ['Acme', 'DE'] })).toBe(
      'ISP Acme DE',
    );
    expect(segmentName({ dimensions: ['country.code'], values: ['DE'] })).toBe('Country DE');
    expect(segmentName({ dimensions: ['isp.name'], values: ['Acme'] })).toBe('ISP Acme');
    expect(segmentName({ dimensions: ['browser.name', 'os.name'], values: ['Chrome', 'Android'] })).toBe(
      'Browser Chrome, OS Android',
    );
  });

  it('says Unknown for a value the API could not tell, and keeps a name on one short line', () => {
    expect(segmentName({ dimensions: ['country.code', 'isp.name'], values: [null, 'Acme'] })).toBe(
      'ISP Acme (unknown country)',
    );
    expect(segmentName({ dimensions: ['isp.name'], values: [null] })).toBe('ISP Unknown');
    expect(segmentName({ dimensions: ['isp.name'], values: ['Evil\r\nSubject: x'] })).toBe(
      'ISP Evil Subject: x',
    );
    expect(segmentName({ dimensions: ['isp.name'], values: ['x'.repeat(100)] }).length).toBeLessThanOrEqual(
      52,
    );
  });

  it('writes the longer description with country names for the email body', () => {
    expect(segmentDescription({ dimensions: ['country.code', 'isp.name'], values: ['DE', 'Acme'] })).toBe(
      'ISP Acme in Germany (DE)',
    );
    expect(segmentDescription({ dimensions: ['country.code'], values: ['FR'] })).toBe('Country France (FR)');
  });
});

describe('breakdowns', () => {
  const pairs = {
    dimensions: ['country.code', 'isp.name'] as const,
    rows: [
      { values: ['DE', 'X'], http: 1, p2p: 2 },
      { values: ['FR', 'X'], http: 10, p2p: 20 },
      { values: ['DE', 'Y'], http: 100, p2p: 200 },
    ],
  };

  it('rolls a pair up to either of its dimensions by summing', () => {
    expect(rollUp(pairs, ['isp.name']).rows).toEqual([
      { values: ['X'], http: 11, p2p: 22 },
      { values: ['Y'], http: 100, p2p: 200 },
    ]);
    expect(rollUp(pairs, ['country.code']).rows).toEqual([
      { values: ['DE'], http: 101, p2p: 202 },
      { values: ['FR'], http: 10, p2p: 20 },
    ]);
    expect(() => rollUp(pairs, ['os.name'])).toThrow(SegmentInputError);
  });

  it('knows a pair refines each of its parts and nothing else', () => {
    const pair = { dimensions: ['country.code', 'isp.name'] as const, values: ['DE', 'X'] };
    expect(refines(pair, { dimensions: ['isp.name'], values: ['X'] })).toBe(true);
    expect(refines(pair, { dimensions: ['country.code'], values: ['DE'] })).toBe(true);
    expect(refines(pair, { dimensions: ['country.code'], values: ['FR'] })).toBe(false);
    expect(refines(pair, { dimensions: ['browser.name'], values: ['X'] })).toBe(false);
    expect(refines({ dimensions: ['isp.name'], values: ['X'] }, pair)).toBe(false);
  });

  it('reads the report’s per-value totals as a breakdown', () => {
    expect(breakdownOfSegmentTotals('isp.name', [{ value: null, http: 1, p2p: 2 }])).toEqual({
      dimensions: ['isp.name'],
      rows: [{ values: [null], http: 1, p2p: 2 }],
    });
  });

  it('refuses a row with the wrong number of values', () => {
    expect(() =>
      rollUp({ dimensions: ['country.code', 'isp.name'], rows: [{ values: ['DE'], http: 1, p2p: 1 }] }, [
        'isp.name',
      ]),
    ).toThrow(/1 values for the 2 dimensions/);
  });
});
