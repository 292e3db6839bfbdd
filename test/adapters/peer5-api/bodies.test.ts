import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyParseError } from '../../../lambdas/adapters/peer5-api/body-error.ts';
import { parseCsvBody } from '../../../lambdas/adapters/peer5-api/csv-body.ts';
import type { CsvField } from '../../../lambdas/adapters/peer5-api/csv-records.ts';
import { JsonExportParser } from '../../../lambdas/adapters/peer5-api/json-body.ts';

const TRICKY = [
  'São Paulo',
  'Zürich',
  '東京',
  'Tricky, "quoted" city',
  '=cmd|/C calc',
  '+1',
  '-1',
  '@at',
  'https://example.com/watch?v=1&t=2#x',
  '<script>alert(1)</script>',
  'back\\slash',
  '{ [ not structure ] }',
  '',
];

const rowArbitrary = fc.record({
  timestamp: fc.integer({ min: 1e12, max: 2e12 }),
  'city.name': fc.oneof(fc.constantFrom(...TRICKY), fc.string(), fc.constant(null)),
  http: fc.nat(),
  sessions: fc.double({ min: 0, max: 1e6, noNaN: true }).map((v) => Math.round(v * 1000) / 1000),
});

/** Cuts text at the given (sorted, deduplicated) positions. */
function split(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let last = 0;
  for (const point of points) {
    pieces.push(text.slice(last, point));
    last = point;
  }
  pieces.push(text.slice(last));
  return pieces;
}

function parseJson(pieces: string[]): Record<string, unknown>[] {
  const parser = new JsonExportParser();
  const rows = pieces.flatMap((piece) => parser.push(piece));
  parser.end();
  return rows;
}

/** The pieces as the body's bytes, one chunk each. */
async function* chunks(pieces: string[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield Buffer.from(piece, 'utf8');
}

async function parseCsv(pieces: string[]): Promise<CsvField[][]> {
  const records: CsvField[][] = [];
  for await (const batch of parseCsvBody(chunks(pieces))) records.push(...batch);
  return records;
}

async function problemOf(action: () => unknown): Promise<[string, string]> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(BodyParseError);
    return [(error as BodyParseError).problem, (error as Error).message];
  }
  return expect.unreachable('expected a BodyParseError');
}

function toCsv(
  rows: { timestamp: number; 'city.name': string | null; http: number; sessions: number }[],
): string {
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  const lines = ['"timestamp","city.name","http","sessions"'];
  for (const row of rows) {
    const city = row['city.name'] === null ? '' : quote(row['city.name']);
    lines.push(`${row.timestamp},${city},${row.http},${row.sessions}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('the incremental JSON body parser', () => {
  it('returns the same rows as JSON.parse wherever the chunks are cut', () => {
    fc.assert(
      fc.property(
        fc.array(rowArbitrary, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.boolean(),
        (rows, cuts, pretty) => {
          const body = JSON.stringify({ error: false, data: rows }, null, pretty ? 2 : undefined);
          expect(parseJson(split(body, cuts))).toEqual(JSON.parse(body).data);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts the keys in any order and ignores unknown top-level keys', () => {
    const body = '{"meta": {"a": [1, {"b": "]}"}]}, "data": [{"timestamp": 1}], "error": false}';
    expect(parseJson([body])).toEqual([{ timestamp: 1 }]);
  });

  it('reports {"error": true} as the API error with its message, even with status 200', async () => {
    const [problem, message] = await problemOf(() =>
      parseJson(['{"error": true, "message": "\\"from\\" must be aligned"}']),
    );
    expect(problem).toBe('api-error');
    expect(message).toContain('"from" must be aligned');
  });

  it('reports a body cut off anywhere before its end as truncated', () => {
    const body = JSON.stringify({
      error: false,
      data: [
        { timestamp: 1, http: 2 },
        { timestamp: 3, http: 4 },
      ],
    });
    for (let cut = 0; cut < body.length; cut++) {
      const parser = new JsonExportParser();
      parser.push(body.slice(0, cut));
      expect(() => parser.end(), `cut at ${cut}`).toThrow(expect.objectContaining({ problem: 'truncated' }));
    }
  });

  it('reports HTML, trailing text, a missing data array and a non-object row as malformed', async () => {
    const cases = [
      '<html><body>Bad gateway</body></html>',
      '{"error": false, "data": []} extra',
      '{"error": false}',
      '{"error": false, "data": {"timestamp": 1}}',
      '{"error": false, "data": [1, 2]}',
      '{"error": false, "data": [{"timestamp": 1,}]}',
      '[]',
    ];
    for (const body of cases) {
      const [problem] = await problemOf(() => parseJson([body]));
      expect(problem, body).toBe('malformed');
    }
  });
});

describe('the streaming CSV body parser', () => {
  it('returns quoted values, nulls and empty strings as sent, wherever the chunks are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArbitrary, { maxLength: 15 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (rows, cuts) => {
          const records = await parseCsv(split(toCsv(rows), cuts));
          expect(records[0]).toEqual(['timestamp', 'city.name', 'http', 'sessions']);
          expect(records.slice(1)).toEqual(
            rows.map((row) => [
              String(row.timestamp),
              row['city.name'],
              String(row.http),
              String(row.sessions),
            ]),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never delivers a last line that has no "\\n", however it was cut', async () => {
    const body = toCsv([
      { timestamp: 1e12, 'city.name': 'Zürich', http: 123456, sessions: 1.5 },
      { timestamp: 1e12, 'city.name': null, http: 789, sessions: 2 },
    ]);
    const complete = await parseCsv([body]);
    for (let cut = 1; cut < body.length; cut++) {
      const text = body.slice(0, cut);
      if (text.endsWith('\n')) continue; // a cut exactly at a line end looks complete
      const delivered: CsvField[][] = [];
      const [problem] = await problemOf(async () => {
        for await (const batch of parseCsvBody(chunks([text]))) delivered.push(...batch);
      });
      expect(problem, `cut at ${cut}`).toBe('truncated');
      // Only whole lines came out, each exactly as in the complete body.
      expect(delivered.length).toBeLessThan(complete.length);
      expect(delivered).toEqual(complete.slice(0, delivered.length));
    }
  });

  it('reads an {"error": true} body as the API error, whatever format was asked for', async () => {
    const [problem, message] = await problemOf(() =>
      parseCsv(['  {"error": true, ', '"message": "\\"interval\\" must be one of 1m"}']),
    );
    expect(problem).toBe('api-error');
    expect(message).toContain('"interval" must be one of 1m');
  });

  it('reports an HTML page, and an empty body, by name', async () => {
    expect(await problemOf(() => parseCsv(['<!DOCTYPE html><html>oops</html>']))).toEqual([
      'malformed',
      expect.stringContaining('HTML'),
    ]);
    expect(await problemOf(() => parseCsv([]))).toEqual(['truncated', expect.stringContaining('empty')]);
  });

  it('reads a line longer than it holds back, with the body cut anywhere, even inside a character', async () => {
    // 1.25 MB of UTF-8 in one field: past what a line may hold before it goes to the record parser.
    const long = 'é東'.repeat(250_000);
    const bytes = Buffer.from(`"timestamp","city.name"\n1,"${long}"\n2,"x"\n`, 'utf8');
    const expected = [
      ['timestamp', 'city.name'],
      ['1', long],
      ['2', 'x'],
    ];
    for (const cuts of [[], [30], [30 + 600_001, 30 + 1_000_003], [bytes.length - 9]]) {
      const pieces = [0, ...cuts].map((start, k) => bytes.subarray(start, cuts[k] ?? bytes.length));
      const records: CsvField[][] = [];
      for await (const batch of parseCsvBody(byteChunks(pieces))) records.push(...batch);
      expect(records, `cut at ${cuts.join(', ')}`).toEqual(expected);
    }
  });

  it('drops a byte order mark only at the start of the body, not at the start of a later line', async () => {
    // The second line is long enough to reach the record parser through the text decoder.
    const long = 'é東'.repeat(250_000);
    const bytes = Buffer.from(`\uFEFF"timestamp","city.name"\n\uFEFF1,"${long}"\n\uFEFF2,"x"\n`, 'utf8');
    for (const cuts of [[], [40], [40 + 1_100_000]]) {
      const pieces = [0, ...cuts].map((start, k) => bytes.subarray(start, cuts[k] ?? bytes.length));
      expect(await parseBytes(pieces), `cut at ${cuts.join(', ')}`).toEqual([
        ['timestamp', 'city.name'],
        ['\uFEFF1', long],
        ['\uFEFF2', 'x'],
      ]);
    }
  });

  it('refuses bytes that are not UTF-8, and a body that ends inside a character', async () => {
    const header = Buffer.from('"timestamp","city.name"\n1,"ok"\n', 'utf8');
    const invalid = Buffer.concat([header, Buffer.from([0x32, 0x2c, 0xff, 0x0a])]);
    expect(await problemOf(() => parseBytes([invalid]))).toEqual([
      'malformed',
      'the body is not valid UTF-8',
    ]);
    // An error body is text too: the bytes after its first chunk are checked as the CSV's are.
    const errorStart = Buffer.from('{"error": true, "message": "', 'utf8');
    expect(await problemOf(() => parseBytes([errorStart, Buffer.from([0xff, 0x22, 0x7d])]))).toEqual([
      'malformed',
      'the body is not valid UTF-8',
    ]);
    const cutInside = Buffer.concat([header, Buffer.from('2,"é', 'utf8').subarray(0, -1)]);
    expect(await problemOf(() => parseBytes([cutInside]))).toEqual([
      'truncated',
      'the body ended in the middle of a UTF-8 character',
    ]);
  });
});

async function* byteChunks(pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield piece;
}

async function parseBytes(pieces: Uint8Array[]): Promise<CsvField[][]> {
  const records: CsvField[][] = [];
  for await (const batch of parseCsvBody(byteChunks(pieces))) records.push(...batch);
  return records;
}
