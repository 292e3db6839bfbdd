/**
 * One window's object through gzip into a sink: stored whole when the sink reads it, rows read in
 * place from CSV bytes written as the encoder's lines, blocks of
 * chunks handed to gzip before a write waits, and a writer that stops with the sink's error when
 * the sink fails while the writer waits on gzip.
 */

import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setImmediate } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CsvLineRunReader } from '../../lambdas/adapters/peer5-api/csv-lines-reader.ts';
import type { ExportRow } from '../../lambdas/core/contract.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import type { CsvLines } from '../../lambdas/core/csv-lines.ts';
import { type DatasetDefinition, DEFAULT_DATASETS, parseDatasets } from '../../lambdas/core/datasets.ts';
import { LakeCsvEncoder } from '../../lambdas/core/lake/csv.ts';
import {
  GZIP_BLOCK_BYTES,
  GZIP_BLOCKS_IN_FLIGHT,
  GZIP_INPUT_BYTES,
  type ParallelGzip,
} from '../../lambdas/core/lake/parallel-gzip.ts';
import type { LakeObjectInfo, LakeSink } from '../../lambdas/core/lake/sink.ts';
import { WindowWriter } from '../../lambdas/core/lake/writer.ts';

const TOTALS = DEFAULT_DATASETS.find((dataset) => dataset.name === 'totals_1m') as DatasetDefinition;
const START = Date.UTC(2024, 6, 1);
const KEY = 'totals_1m/dt=2024-07-01/hour=00/totals_1m_2024-07-01T00.csv.gz';

function row(minute: number): ExportRow {
  return {
    timestamp: START + minute * TIME.MINUTE,
    dimensions: {},
    metrics: { http: 1000 + minute, p2p: 2000 + minute, played: 30, rebuffered: 1, sessions: 7 },
  };
}

/** A sink whose `put` is `store`, for one object; the rest is never called. */
function sinkOf(store: (body: Readable) => Promise<LakeObjectInfo>): LakeSink {
  const unused = () => Promise.reject(new Error('not used by the writer'));
  return {
    location: 'test',
    put: (_key, body) => store(body as Readable),
    get: unused,
    head: unused,
    delete: unused,
    list: () => ({ [Symbol.asyncIterator]: () => ({ next: unused }) }),
  };
}

describe('a window writer', () => {
  it('stores the header and every line, gzipped, and counts the rows', async () => {
    let stored: Buffer | undefined;
    const sink = sinkOf(async (body) => {
      stored = await buffer(body);
      return { size: stored.length, version: 'v1' };
    });
    const encoder = new LakeCsvEncoder(TOTALS);
    const writer = new WindowWriter(sink, KEY, encoder, { chunkBytes: 256 });
    for (let minute = 0; minute < 60; minute++) await writer.write([row(minute)], 0);
    const result = await writer.finish();
    expect(result).toEqual({ rows: 60, bytes: stored?.length, version: 'v1' });
    const text = gunzipSync(stored as Buffer).toString('utf8');
    expect(text).toBe(
      encoder.header + Array.from({ length: 60 }, (_, minute) => encoder.line(row(minute))).join(''),
    );
  });

  it('copies rows read in place as the lines the encoder writes, while gzip still holds chunks', async () => {
    const [byCity] = parseDatasets([
      {
        name: 'by_city_1m',
        interval: '1m',
        metrics: ['http', 'sessions'],
        dimensions: ['city.name'],
        cadence: 'hourly',
      },
    ]) as [DatasetDefinition];
    const cities = [
      '"Paris"',
      '',
      '""',
      '"Tricky, ""quoted"""',
      '" spaced "',
      '"back\\slash"',
      '"東京"',
      'Lyon',
    ];
    const body = Buffer.from(
      Array.from(
        { length: 60_000 },
        (_, n) =>
          `${START + Math.floor(n / 1000) * TIME.MINUTE},${cities[n % cities.length]},${n},${n % 7}.5\n`,
      ).join(''),
    );
    const lines = new CsvLineRunReader(['city.name'], ['http', 'sessions']).read(
      body,
      0,
      body.length,
    ) as CsvLines;
    expect(lines.length).toBe(60_000);
    let stored: Buffer | undefined;
    // The sink starts reading late, so gzip's slots fill and it keeps chunks it has not taken in.
    const sink = sinkOf(async (stream) => {
      for (let turn = 0; turn < 20; turn++) await setImmediate();
      stored = await buffer(stream);
      return { size: stored.length, version: 'v1' };
    });
    const encoder = new LakeCsvEncoder(byCity);
    const writer = new WindowWriter(sink, KEY, encoder, { chunkBytes: 4096 });
    for (let i = 0; i < lines.length; i++) await writer.write(lines, i);
    await writer.finish();
    const expected = encoder.header + [...lines].map((row) => encoder.line(row)).join('');
    expect(gunzipSync(stored as Buffer).toString('utf8')).toBe(expected);
  });

  it('hands gzip whole blocks to compress at once, and more, before a write waits for it', async () => {
    let body!: ParallelGzip;
    let finish!: () => void;
    const sink = sinkOf(async (stream) => {
      body = stream as ParallelGzip;
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      stream.resume();
      return { size: 0, version: 'v1' };
    });
    const chunkBytes = 64 * 1024;
    const writer = new WindowWriter(sink, KEY, new LakeCsvEncoder(TOTALS), { chunkBytes });
    // Until a write has to wait, each flush settles in microtasks, which give zlib's threads no turn
    // to hand a block back: every chunk so far is still held by gzip, in its blocks and its buffer.
    let chunks = 0;
    let waiting: Promise<void> | undefined;
    for (let minute = 0; waiting === undefined; minute++) {
      const flushed = writer.write([row(minute % 60)], 0);
      if (flushed === undefined) continue;
      chunks += 1;
      if (body.writableNeedDrain) waiting = flushed;
      else await flushed;
    }
    // Every slot's block, and more buffered behind them: no write waited for a block to compress.
    expect(chunks * chunkBytes).toBeGreaterThan(
      GZIP_BLOCKS_IN_FLIGHT * GZIP_BLOCK_BYTES + GZIP_INPUT_BYTES / 2,
    );
    finish();
    await waiting;
    await writer.finish();
  });

  it('stops with the sink’s error when the sink fails while the writer waits on gzip', async () => {
    const failure = new Error('the sink gave up');
    let fail!: () => void;
    let body!: ParallelGzip;
    // The sink reads nothing, so gzip fills up and asks the writer to wait, then fails.
    const sink = sinkOf(
      (stream) =>
        new Promise<LakeObjectInfo>((_, reject) => {
          body = stream as ParallelGzip;
          fail = () => reject(failure);
        }),
    );
    const writer = new WindowWriter(sink, KEY, new LakeCsvEncoder(TOTALS), { chunkBytes: 64 * 1024 });
    // Gzip can take no more: its output is full, nobody reads it, and input is left over.
    const stuck = () => body.readableLength >= body.readableHighWaterMark && body.writableNeedDrain;
    let waiting: Promise<void> | undefined;
    for (let minute = 0; waiting === undefined; minute++) {
      const paused = writer.write([row(minute % 60)], 0);
      if (paused === undefined) continue;
      let drained = false;
      // Its rejection is the assertion below.
      paused.then(
        () => {
          drained = true;
        },
        () => undefined,
      );
      while (!drained && !stuck()) await setImmediate();
      if (!drained) waiting = paused;
    }
    fail();
    await expect(waiting).rejects.toBe(failure);
    await expect(writer.finish()).rejects.toBe(failure);
  });
});
