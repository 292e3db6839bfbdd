import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { admin, TOKEN } from './http.ts';

const { HOUR } = TIME;
const NOW = Date.UTC(2024, 4, 15, 12);
/** Six hours of minutes split by page and ISP over 50,000 segments: millions of rows. */
const HUGE = {
  from: NOW - 6 * HOUR,
  to: NOW,
  interval: '1m',
  metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
  dimensions: ['session.page', 'isp.name'],
};
const READ_BYTES = 2 * 1024 * 1024;

interface SimulatorState {
  activeExports: number;
  streamedBytes: number;
}

async function state(simulator: RunningSimulator): Promise<SimulatorState> {
  return (await admin(simulator, 'GET', 'state')).json as unknown as SimulatorState;
}

/** Polls the state until `done` holds, a bounded number of times. */
async function waitForState(
  simulator: RunningSimulator,
  done: (current: SimulatorState, previous: SimulatorState) => boolean,
): Promise<SimulatorState> {
  let previous = await state(simulator);
  for (let attempt = 0; attempt < 100; attempt++) {
    await sleep(100);
    const current = await state(simulator);
    if (done(current, previous)) return current;
    previous = current;
  }
  return previous;
}

describe('streaming a huge export', () => {
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW, segments: 50_000 });
  });
  afterAll(async () => {
    await simulator.close();
  });

  it.each(['csv', 'json'])(
    'sends the first rows at once, holds back while the client does not read, and stops when it leaves (%s)',
    async (format) => {
      const heapBefore = process.memoryUsage().heapUsed;
      const response = await fetch(`${simulator.url}/export?format=${format}`, {
        method: 'POST',
        headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json' },
        body: JSON.stringify(HUGE),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBeNull();
      const reader = response.body?.getReader();
      if (!reader) throw new Error('the response has no body');

      const decoder = new TextDecoder();
      let text = '';
      while (text.length < READ_BYTES) {
        const { done, value } = await reader.read();
        if (done) throw new Error('a multi-million-row export ended after a few megabytes');
        text += decoder.decode(value, { stream: true });
      }
      const firstRow = `${NOW - 6 * HOUR},`;
      if (format === 'csv') {
        expect(
          text.startsWith(
            '"timestamp","session.page","isp.name","http","p2p","played","rebuffered","sessions"\n',
          ),
        ).toBe(true);
        expect(text.split('\n')[1]?.startsWith(firstRow)).toBe(true);
      } else {
        expect(text.startsWith(`{"error":false,"data":[{"timestamp":${NOW - 6 * HOUR},"session.page":`)).toBe(
          true,
        );
      }

      // The client stops reading: the server must stop writing once the socket buffers are full,
      // with the export still running, instead of generating the rest into memory.
      const stalled = await waitForState(
        simulator,
        (current, previous) => current.streamedBytes === previous.streamedBytes,
      );
      expect(stalled.activeExports).toBe(1);
      expect(stalled.streamedBytes).toBeLessThan(64 * 1024 * 1024);
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);

      // The client goes away: the export stops.
      await reader.cancel();
      const after = await waitForState(simulator, (current) => current.activeExports === 0);
      expect(after.activeExports).toBe(0);
    },
  );
});
