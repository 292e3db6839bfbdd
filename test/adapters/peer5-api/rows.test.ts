import { describe, expect, it } from 'vitest';
import { parseCsvBody } from '../../../lambdas/adapters/peer5-api/csv-body.ts';
import { RowChecker } from '../../../lambdas/adapters/peer5-api/rows.ts';
import type { ExportRequest, ExportRow } from '../../../lambdas/core/contract.ts';
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

/** Decodes a CSV body as the client does, with the line fast path or without it, then encodes it. */
async function decode(body: string, fast: boolean, cuts = [body.length]): Promise<Outcome> {
  const checker = new RowChecker(REQUEST);
  const encoder = new LakeCsvEncoder(DATASET as NonNullable<typeof DATASET>);
  async function* chunks(): AsyncGenerator<string> {
    let last = 0;
    for (const cut of [...cuts, body.length]) {
      yield body.slice(last, cut);
      last = cut;
    }
  }
  const readLine = fast
    ? (text: string, start: number, end: number) => checker.readCsvLine(text, start, end)
    : undefined;
  const lines: string[] = [];
  const plain: ExportRow[] = [];
  try {
    let header = true;
    for await (const records of parseCsvBody(chunks(), readLine)) {
      for (const record of records) {
        if (header && Array.isArray(record)) {
          checker.checkHeader(record);
          header = false;
          continue;
        }
        const row = Array.isArray(record) ? checker.fromCsv(record) : checker.checkRead(record as ExportRow);
        plain.push({ ...row });
        lines.push(encoder.line(row));
      }
    }
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  return { lines, plain };
}

async function sameBothWays(body: string): Promise<Outcome> {
  const general = await decode(body, false);
  expect(await decode(body, true)).toEqual(general);
  // Wherever a chunk ends, the fast path gives the same.
  for (let cut = 1; cut < body.length; cut += 7) expect(await decode(body, true, [cut])).toEqual(general);
  return general;
}

describe('the CSV line fast path of the row checker', () => {
  it('reads plain lines to the same rows and the same lake bytes as the general parser', async () => {
    const body = `${HEADER}${FROM},"Paris",12,3.5\n${FROM},,0,0.25\n${FROM + MINUTE},"",7,100\n${FROM + MINUTE},Lyon,1,0.000001\n`;
    const outcome = await sameBothWays(body);
    expect('lines' in outcome && outcome.lines.length).toBe(4);
    // And the fast path did read them: no line went to the general parser.
    const checker = new RowChecker(REQUEST);
    const lines = body.split('\n').slice(1, -1);
    for (const line of lines) expect(checker.readCsvLine(`${line}\n`, 0, line.length)).toBeDefined();
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

  it('still checks the header, which it never reads itself', async () => {
    const outcome = await sameBothWays(`"timestamp","http","sessions"\n${FROM},1,2\n`);
    expect('error' in outcome && outcome.error).toMatch(/the CSV header is/);
  });
});
