/**
 * gzip compressed in blocks at once: one gzip member that reads back as the same bytes, about the
 * size of one zlib stream's, several blocks compressing while input goes on, a stream that waits
 * for its slots and for its reader, and slots given back when a stream is destroyed.
 */

import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { setImmediate, setTimeout } from 'node:timers/promises';
import { crc32, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  GZIP_INPUT_BYTES,
  GZIP_OUTPUT_BYTES,
  GzipBlockSlots,
  ParallelGzip,
} from '../../lambdas/core/lake/parallel-gzip.ts';

const BLOCK = 32 * 1024;

/** CSV-like text: repetitive enough to compress as the lake does, with multi-byte characters. */
function csv(bytes: number): Buffer {
  const lines: string[] = [];
  let length = 0;
  for (let row = 0; length < bytes; row++) {
    const line = `${1719792000000 + row * 60000},"São Paulo ${row % 97}",/watch/${(row * 7919) % 1013},${row % 5000}\n`;
    lines.push(line);
    length += Buffer.byteLength(line);
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

/** Writes `input` in chunks of `chunkBytes`, waiting on drain, and returns the whole output. */
async function compress(gzip: ParallelGzip, input: Buffer, chunkBytes: number): Promise<Buffer> {
  const output = buffer(gzip);
  for (let offset = 0; offset < input.length; offset += chunkBytes) {
    if (!gzip.write(input.subarray(offset, offset + chunkBytes))) {
      await new Promise((resolve) => gzip.once('drain', resolve));
    }
  }
  gzip.end();
  return output;
}

describe('parallel gzip', () => {
  it.each([
    ['nothing', 0],
    ['one byte', 1],
    ['less than a block', BLOCK - 5],
    ['exactly one block', BLOCK],
    ['many blocks', 10 * BLOCK + 123],
  ])('writes %s as one gzip member that reads back byte for byte', async (_, bytes) => {
    const input = csv(bytes);
    const output = await compress(
      new ParallelGzip({ level: 6, slots: new GzipBlockSlots(2, BLOCK) }),
      input,
      7001,
    );
    expect(gunzipSync(output).equals(input)).toBe(true);
    // One member: a gzip header, one deflate stream that ends where the 8-byte trailer starts.
    expect([...output.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08]);
    expect(inflateRawSync(output.subarray(10, -8)).equals(input)).toBe(true);
    expect(output.readUInt32LE(output.length - 8)).toBe(crc32(input));
    expect(output.readUInt32LE(output.length - 4)).toBe(input.length);
  });

  it('is within a tenth of a percent of the size of one zlib stream at the same level', async () => {
    const input = csv(3 * 1024 * 1024);
    const output = await compress(new ParallelGzip({ level: 6 }), input, 64 * 1024);
    const single = gzipSync(input, { level: 6 });
    expect(output.length / single.length).toBeLessThan(1.001);
    expect(gunzipSync(output).equals(input)).toBe(true);
  });

  it('takes the next blocks while earlier ones compress, until the shared slots are full', async () => {
    const slots = new GzipBlockSlots(2, BLOCK);
    const gzip = new ParallelGzip({ level: 6, slots });
    const output = buffer(gzip);
    const chunk = csv(BLOCK / 4);
    // Written without a turn of the event loop, so no block can have been handed back yet.
    let written = 0;
    while (gzip.write(chunk)) written += chunk.length;
    written += chunk.length;
    expect(slots.full).toBe(true);
    // A block in each slot, a third gathered whole while they compress, then a buffer's worth.
    expect(written).toBe(3 * BLOCK + GZIP_INPUT_BYTES);
    // Another stream on the same slots fills one block and then waits too.
    const other = new ParallelGzip({ level: 6, slots });
    const otherOutput = buffer(other);
    let otherWritten = 0;
    while (other.write(chunk)) otherWritten += chunk.length;
    expect(otherWritten).toBeLessThan(BLOCK + GZIP_INPUT_BYTES);
    gzip.end();
    other.end();
    const repeated = Buffer.concat(Array.from({ length: written / chunk.length }, () => chunk));
    expect(gunzipSync(await output).equals(repeated)).toBe(true);
    expect(gunzipSync(await otherOutput).length).toBe(otherWritten + chunk.length);
    expect(slots.full).toBe(false);
  });

  it('waits while its output is unread, and goes on when the reader reads', async () => {
    const gzip = new ParallelGzip({ level: 1, slots: new GzipBlockSlots(4, BLOCK) });
    // Random bytes do not compress, so output piles up as fast as input goes in.
    const chunk = randomBytes(BLOCK);
    let writes = 0;
    // Writes while it takes them; a wait that outlasts every block in flight is the stream's own.
    while (writes < 400) {
      if (gzip.writableNeedDrain) {
        await setTimeout(50);
        if (gzip.writableNeedDrain) break;
      }
      gzip.write(chunk);
      writes += 1;
      await setImmediate();
    }
    expect(gzip.writableNeedDrain).toBe(true);
    expect(writes).toBeLessThan(400);
    expect(gzip.readableLength).toBeGreaterThanOrEqual(GZIP_OUTPUT_BYTES);
    expect(gzip.readableLength).toBeLessThan(GZIP_OUTPUT_BYTES + 8 * BLOCK);
    const output = buffer(gzip);
    gzip.end();
    expect(gunzipSync(await output).length).toBe(writes * BLOCK);
  });

  it('gives its slot back once zlib is done with a block it was destroyed with', async () => {
    const slots = new GzipBlockSlots(1, BLOCK);
    const gzip = new ParallelGzip({ level: 9, slots });
    const failed = new Promise((resolve) => gzip.once('error', resolve));
    gzip.write(csv(BLOCK));
    expect(slots.full).toBe(true);
    const failure = new Error('the sink gave up');
    gzip.destroy(failure);
    await expect(failed).resolves.toBe(failure);
    // zlib finishes the block it was given, and the slot comes back then.
    for (let turn = 0; slots.full && turn < 100; turn++) await setTimeout(10);
    expect(slots.full).toBe(false);
  });

  it('refuses a level, a block size or a slot count out of range, naming it', () => {
    expect(() => new ParallelGzip({ level: 10 })).toThrow(
      'level must be a whole number from -1 to 9, not 10',
    );
    expect(() => new GzipBlockSlots(2, 1024)).toThrow(
      'a gzip block must be a whole number of bytes, at least 32768, not 1024',
    );
    expect(() => new GzipBlockSlots(0)).toThrow(
      'the gzip block slots must be a whole number of at least 1, not 0',
    );
  });
});
