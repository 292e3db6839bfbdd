import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExportRow } from '../../lambdas/core/contract.ts';
import { columnsOf, parseDatasets } from '../../lambdas/core/datasets.ts';
import {
  decodeLakeCsvLine,
  encodeTextField,
  LAKE_SERDE_PARAMETERS,
  LakeCsvEncoder,
  LakeCsvParseError,
  LakeRowError,
  NON_ASCII_SPACES,
} from '../../lambdas/core/lake/csv.ts';
import { readLakeCsv } from '../../lambdas/core/lake/read.ts';
import { parseOpenCsvLine } from '../support/opencsv.ts';

const [dataset] = parseDatasets([
  {
    name: 'by_city_page_1m',
    interval: '1m',
    metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
    dimensions: ['city.name', 'session.page'],
    cadence: 'hourly',
  },
]);
if (!dataset) throw new Error('test dataset missing');

const T = Date.UTC(2024, 2, 10, 14, 5);
const metrics = { http: 1000, p2p: 3000, played: 60000, rebuffered: 250, sessions: 12.345 };

function row(city: string | null, page: string | null, overrides: Partial<typeof metrics> = {}): ExportRow {
  return {
    timestamp: T,
    dimensions: { 'city.name': city, 'session.page': page },
    metrics: { ...metrics, ...overrides },
  };
}

const encoder = new LakeCsvEncoder(dataset);

describe('the lake CSV encoder', () => {
  it('writes the header from the dataset columns, in order', () => {
    expect(encoder.header).toBe('timestamp,city_name,session_page,http,p2p,played,rebuffered,sessions\n');
    expect(encoder.header.trimEnd().split(',')).toEqual(columnsOf(dataset).map((column) => column.name));
  });

  it('writes tricky dimension values as the golden lines say', () => {
    const golden: [string | null, string | null, string][] = [
      ['Zürich', '/live', `${T},Zürich,/live,1000,3000,60000,250,12.345\n`],
      ['São Paulo, SP', '/a', `${T},"São Paulo, SP",/a,1000,3000,60000,250,12.345\n`],
      ['say "hi"', '/a', `${T},"say ""hi""",/a,1000,3000,60000,250,12.345\n`],
      ['C:\\temp', '/a', `${T},"C:\\\\temp",/a,1000,3000,60000,250,12.345\n`],
      ['ends with \\', '/a', `${T},"ends with \\\\",/a,1000,3000,60000,250,12.345\n`],
      ['two\nlines', 'crlf\r\nhere', `${T},two lines,crlf here,1000,3000,60000,250,12.345\n`],
      [' padded ', '\tx', `${T}," padded ","\tx",1000,3000,60000,250,12.345\n`],
      [null, '', `${T},,"",1000,3000,60000,250,12.345\n`],
      ['=1+2', '@cmd', `${T},=1+2,@cmd,1000,3000,60000,250,12.345\n`],
      [
        '東京',
        '/v?a=1&b=<script>alert(1)</script>',
        `${T},東京,/v?a=1&b=<script>alert(1)</script>,1000,3000,60000,250,12.345\n`,
      ],
      [
        '-5',
        'https://x.example/watch?v=1,2',
        `${T},-5,"https://x.example/watch?v=1,2",1000,3000,60000,250,12.345\n`,
      ],
    ];
    for (const [city, page, line] of golden) expect(encoder.line(row(city, page))).toBe(line);
  });

  it('writes whole metrics bare and fractional sessions as they are', () => {
    expect(encoder.line(row('a', 'b', { http: 0, sessions: 0 }))).toBe(`${T},a,b,0,3000,60000,250,0\n`);
    expect(encoder.line(row('a', 'b', { http: 9007199254740991 }))).toContain(',9007199254740991,');
  });

  it('refuses a missing metric, naming the field, because Athena fails on empty numerics', () => {
    const broken: ExportRow = { timestamp: T, dimensions: {}, metrics: { http: 1 } };
    expect(() => encoder.line(broken)).toThrow(LakeRowError);
    expect(() => encoder.line(broken)).toThrow(/metric "p2p" must be a finite number/);
  });

  it('refuses a fractional value in a bigint column and a non-finite one anywhere', () => {
    expect(() => encoder.line(row('a', 'b', { http: 1.5 }))).toThrow(/"http" must be a whole number/);
    expect(() => encoder.line(row('a', 'b', { sessions: Number.NaN }))).toThrow(
      /"sessions" must be a finite number/,
    );
  });

  it('refuses a timestamp that is not integer milliseconds', () => {
    expect(() => encoder.line({ ...row('a', 'b'), timestamp: 1.5 })).toThrow(/timestamp must be an integer/);
  });
});

const nasty = fc.string({
  unit: fc.constantFrom(',', '"', '\\', ' ', '\t', '\n', '\r', 'a', 'é', '東', '=', '-', '@', '<', '😀'),
  maxLength: 12,
});
const anyText = fc.oneof(nasty, fc.string({ unit: 'grapheme', maxLength: 20 }));
const dimensionValue = fc.option(anyText, { nil: null });

function flattened(value: string | null): string | null {
  return value === null ? null : value.replace(/\r\n|[\r\n]/g, ' ');
}

describe('what the encoder writes reads back exactly', () => {
  it('through the OpenCSVSerDe parser Athena uses, with the SerDe parameters the lake declares', () => {
    fc.assert(
      fc.property(dimensionValue, dimensionValue, (city, page) => {
        const line = encoder.line(row(city, page)).slice(0, -1);
        const fields = parseOpenCsvLine(line, 8, LAKE_SERDE_PARAMETERS);
        // Athena cannot tell null from '' in a CSV string column; both read as ''.
        expect(fields[1]).toBe(flattened(city) ?? '');
        expect(fields[2]).toBe(flattened(page) ?? '');
        expect(fields.slice(3)).toEqual(['1000', '3000', '60000', '250', '12.345']);
      }),
      { numRuns: 2000 },
    );
  });

  it('through the lake reader, which also keeps null apart from the empty string', () => {
    fc.assert(
      fc.property(dimensionValue, dimensionValue, (city, page) => {
        const fields = decodeLakeCsvLine(encoder.line(row(city, page)).slice(0, -1));
        expect(fields).toEqual([
          String(T),
          flattened(city),
          flattened(page),
          '1000',
          '3000',
          '60000',
          '250',
          '12.345',
        ]);
      }),
      { numRuns: 2000 },
    );
  });

  it('never puts a line break inside a line', () => {
    fc.assert(
      fc.property(anyText, (value) => {
        expect(encodeTextField(value)).not.toMatch(/[\r\n]/);
      }),
    );
  });
});

describe('the lake reader', () => {
  it('refuses lines that are not the dialect, naming the column', () => {
    expect(() => decodeLakeCsvLine('1,"open')).toThrow(LakeCsvParseError);
    expect(() => decodeLakeCsvLine('1,"a\\b"')).toThrow(/lone backslash inside a quoted field at column 4/);
    expect(() => decodeLakeCsvLine('1,a"b')).toThrow(/unquoted field with a quote or backslash at column 2/);
    expect(() => decodeLakeCsvLine('1,"a"b')).toThrow(/expected "," at column 5/);
  });

  it('reads a gzip object back, header first, and fails on a corrupt one', async () => {
    const body = gzipSync(`${encoder.header}${encoder.line(row('São Paulo, SP', null))}`);
    const records: (string | null)[][] = [];
    for await (const record of readLakeCsv(Readable.from([body]))) records.push(record);
    expect(records).toEqual([
      columnsOf(dataset).map((column) => column.name),
      [String(T), 'São Paulo, SP', null, '1000', '3000', '60000', '250', '12.345'],
    ]);
    const corrupt = Buffer.concat([body.subarray(0, 12), Buffer.from('not gzip at all')]);
    await expect(async () => {
      for await (const _ of readLakeCsv(Readable.from([corrupt]))) {
        // drain
      }
    }).rejects.toThrow();
  });
});

describe('the non-ASCII spaces the row copy trims', () => {
  it("are exactly the code points beyond ASCII that the checker's \\s matches", () => {
    const matched: number[] = [];
    for (let codePoint = 0x80; codePoint <= 0x10ffff; codePoint++) {
      // Lone surrogates are no character a valid UTF-8 body can hold.
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
      if (/^\s$/u.test(String.fromCodePoint(codePoint))) matched.push(codePoint);
    }
    expect([...NON_ASCII_SPACES].sort((a, b) => a - b)).toEqual(matched);
  });
});
