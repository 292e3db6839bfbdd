/**
 * What an attempt keeps of a body while it reads it: nothing of a chunk once its rows are out.
 * The body is made chunk by chunk as the client pulls, each chunk watched through a WeakRef, and a
 * full collection in the middle of the request shows which chunks are still held.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ExportClient } from '../../../lambdas/adapters/peer5-api/index.ts';
import type { ExportRequest } from '../../../lambdas/core/contract.ts';
import { TIME } from '../../../lambdas/core/contract.ts';

const NOW = Date.UTC(2025, 5, 15, 12);
const FROM = Date.UTC(2025, 5, 15, 9);
const REQUEST: ExportRequest = {
  interval: '1h',
  from: FROM,
  to: FROM + TIME.HOUR,
  metrics: ['http', 'sessions'],
  dimensions: ['city.name'],
};
const CHUNKS = 400;
const ROWS_PER_CHUNK = 50;

setFlagsFromString('--expose-gc');
/** A full collection, from a context made after the flag is set. */
const collectGarbage = runInNewContext('gc') as () => void;

/** A fetch whose CSV body is made a chunk at a time as it is pulled; `made` watches each chunk. */
function madeOnPull(made: WeakRef<Uint8Array>[]): typeof fetch {
  const encoder = new TextEncoder();
  return async () =>
    new Response(
      new ReadableStream<Uint8Array>(
        {
          start(controller) {
            controller.enqueue(encoder.encode('"timestamp","city.name","http","sessions"\n'));
          },
          pull(controller) {
            let text = '';
            for (let row = 0; row < ROWS_PER_CHUNK; row++) {
              text += `${FROM},"City ${made.length}-${row}",${1000 + row},${row}\n`;
            }
            const chunk = encoder.encode(text);
            made.push(new WeakRef(chunk));
            controller.enqueue(chunk);
            if (made.length === CHUNKS) controller.close();
          },
        },
        { highWaterMark: 0 },
      ),
      { status: 200 },
    );
}

describe('an export attempt reading a body', () => {
  it('lets go of each chunk once its rows are out, while the request goes on', async () => {
    const made: WeakRef<Uint8Array>[] = [];
    const client = new ExportClient({
      baseUrl: 'http://127.0.0.1:9/v1',
      token: async () => 'unit-token',
      now: () => NOW,
      maxAttempts: 1,
      format: 'csv',
      holdBackBytes: 0,
      fetch: madeOnPull(made),
    });
    let rows = 0;
    let heldHalfway: number | undefined;
    for await (const batch of client.batches(REQUEST)) {
      rows += batch.length;
      if (heldHalfway === undefined && made.length >= CHUNKS / 2) {
        // A WeakRef keeps its target to the end of the current turn.
        await nextTurn();
        collectGarbage();
        heldHalfway = made.filter((chunk) => chunk.deref() !== undefined).length;
      }
    }
    expect(rows).toBe(CHUNKS * ROWS_PER_CHUNK);
    // The chunk being read, and perhaps the one before it: never the body read so far.
    expect(heldHalfway).toBeLessThanOrEqual(2);
  });
});
