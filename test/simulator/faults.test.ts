import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';
import { admin, errorMessage, postExport, TOKEN } from './http.ts';

const { HOUR } = TIME;
const NOW = Date.UTC(2024, 4, 15, 12);
const REQUEST = { from: NOW - 3 * HOUR, to: NOW, interval: '1h', metrics: ['http', 'p2p'] };

/** The reason a failed fetch gives, including its cause. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.name}: ${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}

describe('injected faults', () => {
  let simulator: RunningSimulator;
  let normal: string;
  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW });
    normal = (await postExport(simulator, REQUEST)).text;
  });
  afterAll(async () => {
    await simulator.close();
  });
  beforeEach(async () => {
    await admin(simulator, 'DELETE', 'faults');
  });

  it.each([429, 500, 502, 503] as const)(
    'answers a queued %i with that status and a JSON error body',
    async (status) => {
      simulator.queueFaults([{ status }]);
      const answer = await postExport(simulator, REQUEST, { format: 'csv' });
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(errorMessage(answer)).toMatch(/simulated/);
      expect(answer.headers.get('retry-after')).toBeNull();
    },
  );

  it('sends the Retry-After a status fault names, as whole seconds or as the exact header text', async () => {
    simulator.queueFaults([
      { status: 429, retryAfter: '9999999999' },
      { status: 503, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT' },
    ]);
    const huge = await postExport(simulator, REQUEST);
    expect(huge.status).toBe(429);
    expect(huge.headers.get('retry-after')).toBe('9999999999');
    const dated = await postExport(simulator, REQUEST);
    expect(dated.status).toBe(503);
    expect(dated.headers.get('retry-after')).toBe('Wed, 21 Oct 2026 07:28:00 GMT');
    await admin(simulator, 'POST', 'faults', { faults: [{ status: 429, retryAfter: 2 }] });
    expect((await postExport(simulator, REQUEST)).headers.get('retry-after')).toBe('2');
  });

  it('drips the normal answer a few bytes at a time, each piece after a pause', async () => {
    const bytes = Math.ceil(Buffer.byteLength(normal) / 4);
    simulator.queueFaults([{ kind: 'drip', bytes, everyMs: 100 }]);
    const started = performance.now();
    const response = await fetch(`${simulator.url}/export`, {
      method: 'POST',
      headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify(REQUEST),
    });
    expect(response.status).toBe(200);
    const pieces: number[] = [];
    const reader = response.body?.getReader();
    let text = '';
    for (;;) {
      const piece = await reader?.read();
      if (!piece || piece.done) break;
      pieces.push(piece.value.byteLength);
      text += Buffer.from(piece.value).toString();
    }
    expect(text).toBe(normal);
    expect(Math.max(...pieces)).toBeLessThanOrEqual(bytes);
    // Four pieces, each after a pause: a lower bound only, as the server cannot send sooner.
    expect(performance.now() - started).toBeGreaterThanOrEqual(4 * 100 - 5);
  });

  it('stops dripping when the client goes away', async () => {
    simulator.queueFaults([{ kind: 'drip', bytes: 1, everyMs: 50 }]);
    const controller = new AbortController();
    const response = await fetch(`${simulator.url}/export`, {
      method: 'POST',
      headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify(REQUEST),
      signal: controller.signal,
    });
    await response.body?.getReader().read();
    expect((await admin(simulator, 'GET', 'state')).json.activeExports).toBe(1);
    controller.abort();
    const deadline = Date.now() + 2_000;
    while ((await admin(simulator, 'GET', 'state')).json.activeExports !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await admin(simulator, 'GET', 'state')).json.activeExports).toBe(0);
    expect((await postExport(simulator, REQUEST)).text).toBe(normal);
  });

  it('delays the answer by the given time, then answers normally', async () => {
    simulator.queueFaults([{ kind: 'delay', ms: 300 }]);
    const started = performance.now();
    const answer = await postExport(simulator, REQUEST);
    // A lower bound only: the server cannot answer before its timer fires.
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(normal);
  });

  it('lets a client time out on a long delay, and keeps serving afterwards', async () => {
    simulator.queueFaults([{ kind: 'delay', ms: 60_000 }]);
    const failure = await postExport(simulator, REQUEST, { signal: AbortSignal.timeout(100) }).catch(
      (error: unknown) => error,
    );
    expect(describeFailure(failure)).toMatch(/TimeoutError|aborted/i);
    expect((await postExport(simulator, REQUEST)).text).toBe(normal);
  });

  it('truncates: starts a 200 answer and drops the connection mid-body', async () => {
    simulator.queueFaults([{ kind: 'truncate' }]);
    const response = await fetch(`${simulator.url}/export`, {
      method: 'POST',
      headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify(REQUEST),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBeNull();
    const failure = await response.text().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(describeFailure(failure)).toMatch(/terminated|closed|reset/i);
  });

  it('truncates a CSV answer under the CSV content type', async () => {
    simulator.queueFaults([{ kind: 'truncate' }]);
    const response = await fetch(`${simulator.url}/export?format=csv`, {
      method: 'POST',
      headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify(REQUEST),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await response.text().catch((error: unknown) => error)).toBeInstanceOf(Error);
  });

  it('resets the connection without answering', async () => {
    simulator.queueFaults([{ kind: 'reset' }]);
    const failure = await postExport(simulator, REQUEST).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(describeFailure(failure)).toMatch(/fetch failed|reset|closed|socket/i);
    expect(simulator.stats.byStatus[0]).toBeGreaterThanOrEqual(1);
  });

  it('answers 200 with {"error": true, "message": ...} for error-body', async () => {
    simulator.queueFaults([{ kind: 'error-body' }]);
    const answer = await postExport(simulator, REQUEST);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(answer.text)).toEqual({ error: true, message: expect.any(String) });
  });

  it('answers 200 with an HTML page for html', async () => {
    simulator.queueFaults([{ kind: 'html' }]);
    const answer = await postExport(simulator, REQUEST);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.text).toMatch(/^<!DOCTYPE html>/);
  });

  it('uses one queued fault per export request, in order, then answers normally', async () => {
    simulator.queueFaults([{ status: 503 }, { kind: 'error-body' }]);
    simulator.queueFaults([{ status: 500 }]);
    const statuses: number[] = [];
    const bodies: string[] = [];
    for (let index = 0; index < 4; index++) {
      const answer = await postExport(simulator, REQUEST);
      statuses.push(answer.status);
      bodies.push(answer.text);
    }
    expect(statuses).toEqual([503, 200, 500, 200]);
    expect(JSON.parse(bodies[1] ?? '')).toMatchObject({ error: true });
    expect(bodies[3]).toBe(normal);
  });

  it('applies faults only to export requests, not to other paths, methods or admin calls', async () => {
    simulator.queueFaults([{ status: 502 }]);
    const base = simulator.url.replace(/\/v1$/, '');
    expect((await fetch(`${base}/v1/other`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${simulator.url}/export`)).status).toBe(405);
    expect((await admin(simulator, 'GET', 'state')).json.queuedFaults).toEqual([{ status: 502 }]);
    expect((await postExport(simulator, REQUEST)).status).toBe(502);
    expect((await postExport(simulator, REQUEST)).status).toBe(200);
  });
});
