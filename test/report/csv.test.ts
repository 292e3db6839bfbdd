import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  BREAKDOWN_CSV_HEADER,
  csvLine,
  neutralizeFormula,
  renderBreakdownCsv,
} from '../../lambdas/core/report/csv.ts';
import { summarizeReport } from '../../lambdas/core/report/summary.ts';
import { fixtureData, ZERO_BUCKET } from './support/fixtures.ts';

const TRICKY = [
  '=HYPERLINK("http://evil.example","click")',
  '+Plus Mobile',
  '-Dash Networks',
  '@Home Fiber',
  '\tTabbed',
  '\rCarriage',
  'Washington, D.C.',
  'He said "hi"',
  'São Paulo',
  '東京',
  'line\nbreak',
];

describe('spreadsheet-safe CSV cells', () => {
  it('prefixes text a spreadsheet would run as a formula', () => {
    expect(neutralizeFormula('=1+1')).toBe("'=1+1");
    expect(neutralizeFormula('+1')).toBe("'+1");
    expect(neutralizeFormula('-1')).toBe("'-1");
    expect(neutralizeFormula('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(neutralizeFormula('\t=1')).toBe("'\t=1");
    expect(neutralizeFormula('\r=1')).toBe("'\r=1");
    expect(neutralizeFormula('Comcast')).toBe('Comcast');
  });

  it('quotes fields with commas, quotes and line breaks as RFC 4180 says', () => {
    expect(csvLine(['a,b', 'say "x"', 'two\nlines', 42, null])).toBe('"a,b","say ""x""","two\nlines",42,');
  });
});

describe('the breakdown attachment', () => {
  const data = fixtureData({
    date: '2026-11-25',
    timeZone: 'Europe/Berlin',
    now: Date.UTC(2026, 10, 26, 6),
    bucket: () => ({ ...ZERO_BUCKET, http: 100, p2p: 300 }),
    segments: {
      'isp.name': {
        current: [
          ...TRICKY.map((value, index) => ({ value, http: 10 + index, p2p: 20 })),
          { value: null, http: 5, p2p: 5 },
        ],
        previous: [],
      },
      'country.code': { current: [{ value: 'DE', http: 2400, p2p: 7200 }], previous: [] },
    },
  });
  const csv = renderBreakdownCsv(summarizeReport(data));
  const records = parse(csv, { bom: true, relax_column_count: false }) as string[][];

  it('starts with a byte-order mark and ends every line with CRLF', () => {
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.split('\r\n')[0]).toBe(`\uFEFF${BREAKDOWN_CSV_HEADER.join(',')}`);
  });

  it('round-trips through a CSV parser with every cell neutralised', () => {
    expect(records[0]).toEqual([...BREAKDOWN_CSV_HEADER]);
    const ispValues = records.filter((record) => record[0] === 'isp').map((record) => record[1]);
    expect(ispValues).toHaveLength(TRICKY.length + 1);
    for (const value of TRICKY) {
      expect(ispValues).toContain(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
    }
    expect(ispValues).toContain('');
    for (const record of records) {
      for (const cell of record) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it('lists the hours in local time with their bytes and offload', () => {
    const hours = records.filter((record) => record[0] === 'hour');
    expect(hours).toHaveLength(24);
    expect(hours[0]).toEqual(['hour', '2026-11-25T00:00+01:00', '100', '300', '400', '4.17', '75', '']);
  });
});
