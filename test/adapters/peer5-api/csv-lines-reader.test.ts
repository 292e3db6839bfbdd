import { describe, expect, it } from 'vitest';
import { CsvLineRunReader } from '../../../lambdas/adapters/peer5-api/csv-lines-reader.ts';
import type { CsvLines } from '../../../lambdas/core/csv-lines.ts';

const PLAIN = '1767225600000,"Paris",1,2.5\n';
/** Not a plain line (CRLF): the reader leaves it to the record parser. */
const NOT_PLAIN = Buffer.from('1767225600000,"Paris",1,2\r\n');

function reader(): CsvLineRunReader {
  return new CsvLineRunReader(['city.name'], ['http', 'sessions']);
}

/** The slab the reader carves its next batch's fields from: memory outside the heap, made rarely. */
function fieldSlabOf(lines: CsvLineRunReader): Int32Array {
  return (lines as unknown as { fieldSlab: Int32Array }).fieldSlab;
}

describe('the plain CSV line reader', () => {
  it('reads plain lines in place and stops at the first line that is not plain', () => {
    const bytes = Buffer.concat([Buffer.from(PLAIN.repeat(3)), NOT_PLAIN]);
    const lines = reader();
    const batch = lines.read(bytes, 0, bytes.length) as CsvLines;
    expect(batch.length).toBe(3);
    expect(lines.stoppedAt).toBe(3 * PLAIN.length);
    expect(batch.rowAt(2)).toEqual({
      timestamp: 1767225600000,
      dimensions: { 'city.name': 'Paris' },
      metrics: { http: 1, sessions: 2.5 },
    });
  });

  it('keeps the rows of earlier batches as they were while later batches fill new slabs', () => {
    const lines = reader();
    const kept: CsvLines[] = [];
    for (let turn = 0; turn < 40; turn++) {
      const bytes = Buffer.from(PLAIN.replace('1,', `${turn},`).repeat(1000));
      kept.push(lines.read(bytes, 0, bytes.length) as CsvLines);
    }
    kept.forEach((batch, turn) => {
      expect(batch.length).toBe(1000);
      expect(batch.rowAt(999).metrics.http).toBe(turn);
    });
  });

  it('makes no new slab for a line it does not take: the next batch fills the slab that read left', () => {
    const lines = reader();
    const line = Buffer.from(PLAIN);
    const slabsUsed = new Set<ArrayBufferLike>();
    let batchesElsewhere = 0;
    // One line a batch, each after a line it does not take, through several slabs filling up.
    for (let turn = 0; turn < 30_000; turn++) {
      expect(lines.read(NOT_PLAIN, 0, NOT_PLAIN.length)).toBeUndefined();
      const slab = fieldSlabOf(lines).buffer;
      const batch = lines.read(line, 0, line.length) as CsvLines;
      slabsUsed.add(batch.fields.buffer);
      if (batch.fields.buffer !== slab) batchesElsewhere++;
    }
    expect(slabsUsed.size).toBeGreaterThan(1);
    expect(batchesElsewhere).toBe(0);
  });
});
