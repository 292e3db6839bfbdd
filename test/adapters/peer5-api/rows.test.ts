import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsvBody } from '../../../lambdas/adapters/peer5-api/csv-body.ts';
import { CsvLineRunReader } from '../../../lambdas/adapters/peer5-api/csv-lines-reader.ts';
import { CsvRecordParser } from '../../../lambdas/adapters/peer5-api/csv-records.ts';
import { RowChecker } from '../../../lambdas/adapters/peer5-api/rows.ts';
import type { ExportRequest, ExportRow } from '../../../lambdas/core/contract.ts';
import { CsvLines } from '../../../lambdas/core/csv-lines.ts';
import { parseDatasets } from '../../../lambdas/core/datasets.ts';
import { LakeCsvEncoder } from '../../../lambdas/core/lake/csv.ts';

const FROM = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const REQUEST: ExportRequest = {
  from: FROM,
  to: FROM + 60 * MINUTE,
  interval: '1m',
  dimensions: ['city.name'],
  metrics: ['http', 'sessions'],
};
const [DATASET] = parseDatasets([
  {
    name: 'by_city_1m',
    interval: '1m',
    metrics: ['http', 'sessions'],
    dimensions: ['city.name'],
    cadence: 'hourly',
  },
]);
const HEADER = '"timestamp","city.name","http","sessions"\n';

type Outcome = { lines: string[]; plain: ExportRow[] } | { error: string };

/**
 * Decodes a CSV body as the client does, with the line fast path or without it, then encodes it
 * for the lake: rows read in place are copied (`copyLine`) where the encoder can, as the writer does.
 */
async function decode(body: string, fast: boolean, cuts = [body.length]): Promise<Outcome> {
  const bytes = Buffer.from(body, 'utf8');
  const checker = new RowChecker(REQUEST);
  const encoder = new LakeCsvEncoder(DATASET as NonNullable<typeof DATASET>);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let last = 0;
    for (const cut of [...cuts, bytes.length]) {
      yield bytes.subarray(last, cut);
      last = cut;
    }
  }
  const reader = fast ? new CsvLineRunReader(REQUEST.dimensions ?? [], REQUEST.metrics) : undefined;
  const lines: string[] = [];
  const plain: ExportRow[] = [];
  const out = Buffer.alloc(4096);
  try {
    let header = true;
    for await (const pieces of parseCsvBody(chunks(), reader)) {
      for (const piece of pieces) {
        if (piece instanceof CsvLines) {
          checker.checkLines(piece);
          for (let i = 0; i < piece.length; i++) {
            const row = piece.rowAt(i);
            plain.push(row);
            const end = encoder.copyLine(piece, i, out, 0);
            lines.push(end >= 0 ? out.toString('utf8', 0, end) : encoder.line(row));
          }
        } else if (header) {
          checker.checkHeader(piece);
          header = false;
        } else {
          const row = checker.fromCsv(piece);
          plain.push(row);
          lines.push(encoder.line(row));
        }
      }
    }
  } catch (error) {
    return outcomeOfError(error);
  }
  return { lines, plain };
}

function outcomeOfError(error: unknown): Outcome {
  return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/**
 * What the body gives read as text, with no byte path at all: the whole body decoded at once (a
 * byte order mark dropped as a TextDecoder drops it), parsed as one string, each row checked by
 * `fromCsv` and encoded by `line`.
 */
function asText(body: string): Outcome {
  const checker = new RowChecker(REQUEST);
  const encoder = new LakeCsvEncoder(DATASET as NonNullable<typeof DATASET>);
  const lines: string[] = [];
  const plain: ExportRow[] = [];
  try {
    const parser = new CsvRecordParser();
    const [header, ...records] = parser.push(new TextDecoder().decode(Buffer.from(body, 'utf8')));
    parser.end();
    if (header !== undefined) checker.checkHeader(header);
    for (const record of records) {
      const row = checker.fromCsv(record);
      plain.push(row);
      lines.push(encoder.line(row));
    }
  } catch (error) {
    return outcomeOfError(error);
  }
  return { lines, plain };
}

/** Lines the fast path reads in place, of a body that holds only plain lines after its header. */
async function linesReadInPlace(body: string): Promise<number> {
  const reader = new CsvLineRunReader(REQUEST.dimensions ?? [], REQUEST.metrics);
  let read = 0;
  async function* whole(): AsyncGenerator<Uint8Array> {
    yield Buffer.from(body, 'utf8');
  }
  for await (const pieces of parseCsvBody(whole(), reader)) {
    for (const piece of pieces) if (piece instanceof CsvLines) read += piece.length;
  }
  return read;
}

async function sameBothWays(body: string): Promise<Outcome> {
  const general = await decode(body, false);
  expect(general).toEqual(asText(body));
  expect(await decode(body, true)).toEqual(general);
  // Wherever a chunk ends, even inside a character, the fast path gives the same.
  const length = Buffer.byteLength(body);
  for (let cut = 1; cut < length; cut += 7) expect(await decode(body, true, [cut])).toEqual(general);
  return general;
}

describe('the CSV line fast path of the row checker', () => {
  it('reads plain lines to the same rows and the same lake bytes as the general parser', async () => {
    const body = `${HEADER}${FROM},"Paris",12,3.5\n${FROM},,0,0.25\n${FROM + MINUTE},"",7,100\n${FROM + MINUTE},Lyon,1,0.000001\n`;
    const outcome = await sameBothWays(body);
    expect('lines' in outcome && outcome.lines.length).toBe(4);
    // And the fast path did read them: no line went to the general parser.
    expect(await linesReadInPlace(body)).toBe(4);
  });

  it('hands odd lines to the general parser with identical output: quotes, escapes, non-ASCII, CRLF, odd numbers', async () => {
    const lines = [
      `${FROM},"Tricky, ""quoted"" city",1,2`,
      `${FROM},"back\\slash",1,2`,
      `${FROM},"São Paulo 東京",1,2`,
      `${FROM},"x",1,2\r`,
      `${FROM},"x",01,2.50`,
      `${FROM},"x",1,0.0000001`,
      `${FROM},"x",1e3,2E-2`,
      `${FROM},"x",1234567890123456,2`,
      `${FROM},"multi\nline",1,2`,
    ];
    const outcome = await sameBothWays(`${HEADER}${lines.join('\n')}\n`);
    expect('lines' in outcome && outcome.lines.length).toBe(lines.length);
  });

  it('still refuses each bad line, with the same error as the general path', async () => {
    const bad: [string, RegExp][] = [
      [`${FROM},"x",abc,2`, /"http" must be a number/],
      [`${FROM},"x",-1,2`, /"http" must be >= 0/],
      [`${FROM},"x",,2`, /"http" is empty/],
      [`${FROM},"x",1`, /"row" has 3 fields, expected 4/],
      [`${FROM},"x",1,2,3`, /"row" has 5 fields, expected 4/],
      [`${FROM + 1},"x",1,2`, /not aligned to the 1m interval/],
      [`${FROM + 60 * MINUTE},"x",1,2`, /outside the requested range/],
      [`${FROM + MINUTE},"x",1,2\n${FROM},"x",1,2`, /goes back in time/],
      [`x${FROM},"x",1,2`, /integer in milliseconds/],
      [`${FROM},"x",1.5,2`, /whole number for its bigint column/],
    ];
    for (const [lines, rule] of bad) {
      const outcome = await sameBothWays(`${HEADER}${lines}\n`);
      expect('error' in outcome && outcome.error).toMatch(rule);
    }
  });

  it('reads values that need quotes or trimming rules in place, and writes them as the general path does', async () => {
    const lines = [
      `${FROM},"Tricky, ""quoted"" city",1,2`,
      `${FROM}, Paris ,1,2`,
      `${FROM},"\u00a0Lyon",1,2`,
      `${FROM},"Nice\u3000",1,2`,
      `${FROM},"\ufeffBOM",1,2`,
      `${FROM},"tab\tinside",1,2`,
      `${FROM},"東京",1,2.5`,
      `${FROM},"""",1,2`,
    ];
    const body = `${HEADER}${lines.join('\n')}\n`;
    const outcome = await sameBothWays(body);
    expect('lines' in outcome && outcome.lines.slice(0, 5)).toEqual([
      `${FROM},"Tricky, ""quoted"" city",1,2\n`,
      `${FROM}," Paris ",1,2\n`,
      `${FROM},"\u00a0Lyon",1,2\n`,
      `${FROM},"Nice\u3000",1,2\n`,
      `${FROM},"\ufeffBOM",1,2\n`,
    ]);
    expect(await linesReadInPlace(body)).toBe(lines.length);
  });

  it('gives the general path’s rows and lake lines for any body, cut anywhere', async () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.string({
        unit: fc.constantFrom(
          'a',
          'é',
          '東',
          ',',
          '"',
          '\\',
          ' ',
          '\t',
          '\r',
          '\n',
          '\u00a0',
          '\u2028',
          '😀',
        ),
      }),
      fc.string(),
    );
    const number = fc.oneof(
      fc.nat().map(String),
      fc.constantFrom(
        '0',
        '00',
        '07',
        '1.50',
        '0.000001',
        '0.0000001',
        '2.25',
        '1e3',
        '-1',
        '',
        'x',
        '123456789012345678',
      ),
    );
    const line = fc
      .tuple(fc.nat({ max: 59 }), value, number, number)
      .map(([minute, city, http, sessions]) => {
        const field = city === null ? '' : `"${city.replaceAll('"', '""')}"`;
        return { minute, text: `${field},${http},${sessions}` };
      });
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 6 }),
        fc.nat(),
        fc.boolean(),
        async (lines, cutSeed, bom) => {
          const sorted = [...lines].sort((a, b) => a.minute - b.minute);
          const rows = sorted.map(({ minute, text }) => `${FROM + minute * MINUTE},${text}\n`).join('');
          const body = `${bom ? '\ufeff' : ''}${HEADER}${rows}`;
          const general = await decode(body, false);
          expect(general).toEqual(asText(body));
          const length = Buffer.byteLength(body);
          expect(await decode(body, true)).toEqual(general);
          expect(await decode(body, true, [cutSeed % length])).toEqual(general);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('still checks the header, which it never reads itself', async () => {
    const outcome = await sameBothWays(`"timestamp","http","sessions"\n${FROM},1,2\n`);
    expect('error' in outcome && outcome.error).toMatch(/the CSV header is/);
  });
});
