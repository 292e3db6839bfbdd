import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExportRequest, TIME } from '../../lambdas/core/contract.ts';
import { type RunningSimulator, SimulatorConfigError, startSimulator } from '../../simulator/index.ts';
import { admin, exportData, postExport } from './http.ts';

const { HOUR, MINUTE } = TIME;
const NOW = Date.UTC(2024, 4, 15, 12);
const LAST_HOUR: ExportRequest = { from: NOW - HOUR, to: NOW, interval: '1h', metrics: ['http'] };

describe('the simulator admin endpoints', () => {
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator({ now: NOW, segments: 300 });
  });
  afterAll(async () => {
    await simulator.close();
  });

  it('reports the live settings at GET /_sim/state', async () => {
    const { status, json } = await admin(simulator, 'GET', 'state');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      now: NOW,
      clockFrozen: true,
      seed: 1,
      segments: 300,
      lateDataDelayMs: 2 * HOUR,
      rateLimit: null,
      queuedFaults: [],
      activeExports: 0,
    });
  });

  it('freezes the clock with POST /_sim/clock, which moves the export window', async () => {
    const later = NOW + 2 * HOUR + 30 * MINUTE;
    const { status, json } = await admin(simulator, 'POST', 'clock', { now: later });
    try {
      expect(status).toBe(200);
      expect(json.now).toBe(later);
      expect(simulator.now()).toBe(later);
      const data = await exportData(simulator, { ...LAST_HOUR, to: NOW + 6 * HOUR });
      expect(data.map((row) => row.timestamp)).toEqual([NOW - HOUR, NOW, NOW + HOUR, NOW + 2 * HOUR]);
    } finally {
      simulator.setClock(NOW);
    }
  });

  it('queues faults with POST /_sim/faults and clears them with DELETE', async () => {
    await admin(simulator, 'POST', 'faults', { faults: [{ status: 503 }, { kind: 'delay', ms: 1 }] });
    expect((await admin(simulator, 'GET', 'state')).json.queuedFaults).toEqual([
      { status: 503 },
      { kind: 'delay', ms: 1 },
    ]);
    expect((await postExport(simulator, LAST_HOUR)).status).toBe(503);
    await admin(simulator, 'DELETE', 'faults');
    expect((await admin(simulator, 'GET', 'state')).json.queuedFaults).toEqual([]);
    expect((await postExport(simulator, LAST_HOUR)).status).toBe(200);
  });

  it('changes segments, rate limit and late-data delay with POST /_sim/config', async () => {
    const { status, json } = await admin(simulator, 'POST', 'config', {
      segments: 40,
      rateLimit: { requests: 1 },
      lateDataDelayMs: 0,
    });
    try {
      expect(status).toBe(200);
      expect(json).toMatchObject({
        segments: 40,
        rateLimit: { requests: 1, windowMs: 60_000 },
        lateDataDelayMs: 0,
      });
      const byPage = await exportData(simulator, { ...LAST_HOUR, dimensions: ['session.page'] });
      expect(byPage.length).toBeLessThanOrEqual(40);
      expect((await postExport(simulator, LAST_HOUR)).status).toBe(429);
    } finally {
      await admin(simulator, 'POST', 'config', { segments: 300, rateLimit: null, lateDataDelayMs: 2 * HOUR });
    }
  });

  it.each([
    ['clock', { now: 'noon' }, /"now" must be an integer/],
    ['clock', [], /body must be a JSON object \{"now"/],
    ['faults', { faults: {} }, /"faults" must be an array/],
    ['faults', { faults: [{ status: 404 }] }, /"faults\[0\]\.status" must be one of 429, 500, 502, 503/],
    ['faults', { faults: [{ kind: 'html' }, { kind: 'slow' }] }, /"faults\[1\]\.kind" must be one of/],
    ['faults', { faults: [{ kind: 'delay' }] }, /"faults\[0\]\.ms" must be an integer/],
    [
      'faults',
      { faults: [{ status: 429, retryAfter: 'soon\r\nX-Evil: 1' }] },
      /"faults\[0\]\.retryAfter" must be whole seconds .* or a header value/,
    ],
    ['faults', { faults: [{ status: 429, retryAfter: -1 }] }, /"faults\[0\]\.retryAfter" must be/],
    ['faults', { faults: [{ status: 503, after: 1 }] }, /unknown field "after"; allowed: status, retryAfter/],
    [
      'faults',
      { faults: [{ kind: 'drip', bytes: 0, everyMs: 10 }] },
      /"faults\[0\]\.bytes" must be an integer from 1/,
    ],
    ['faults', { faults: [{ kind: 'drip', bytes: 16 }] }, /"faults\[0\]\.everyMs" must be an integer/],
    ['config', { tokens: [] }, /"tokens" must be a non-empty array of strings/],
    ['config', { segments: 0 }, /"segments" must be an integer from 1 to 1000000/],
    ['config', { rateLimit: { requests: 0 } }, /"rateLimit\.requests" must be an integer from 1/],
    ['config', { rateLimit: 5 }, /"rateLimit" must be null \(no limit\) or an object/],
    ['config', { lateDataDelayMs: -1 }, /"lateDataDelayMs" must be an integer from 0/],
    ['config', { seed: 3 }, /unknown field "seed"; allowed: segments, rateLimit, lateDataDelayMs/],
    ['config', '{not json', /not valid JSON/],
  ])('answers 400 naming the field for bad input to /_sim/%s (%j)', async (path, body, pattern) => {
    const { status, json } = await admin(simulator, 'POST', path, body);
    expect(status).toBe(400);
    expect(json).toEqual({ error: true, message: expect.stringMatching(pattern) });
  });

  it('rotates the accepted tokens with POST /_sim/config, refusing the old ones from then on', async () => {
    expect((await postExport(simulator, LAST_HOUR)).status).toBe(200);
    const { status, json } = await admin(simulator, 'POST', 'config', { tokens: ['rotated-token'] });
    try {
      expect(status).toBe(200);
      expect(JSON.stringify(json)).not.toContain('rotated-token');
      expect((await postExport(simulator, LAST_HOUR)).status).toBe(401);
      expect((await postExport(simulator, LAST_HOUR, { token: 'rotated-token' })).status).toBe(200);
      simulator.setTokens(['demo-token']);
      expect((await postExport(simulator, LAST_HOUR, { token: 'rotated-token' })).status).toBe(401);
      expect((await postExport(simulator, LAST_HOUR)).status).toBe(200);
    } finally {
      simulator.setTokens(['demo-token']);
    }
  });

  it('answers 404 for an unknown admin path and 405 for a wrong method', async () => {
    expect((await admin(simulator, 'GET', 'nothing')).status).toBe(404);
    expect((await admin(simulator, 'GET', 'constructor')).status).toBe(404);
    expect((await admin(simulator, 'GET', 'toString')).status).toBe(404);
    expect((await admin(simulator, 'GET', 'clock')).status).toBe(405);
  });

  it('keeps admin calls out of the request stats', async () => {
    const requests = simulator.stats.requests;
    await admin(simulator, 'GET', 'state');
    await admin(simulator, 'POST', 'clock', { now: NOW });
    expect(simulator.stats.requests).toBe(requests);
  });
});

describe('the simulator library settings', () => {
  it('rejects bad start-up options with an error naming the option', async () => {
    await expect(startSimulator({ segments: 0 })).rejects.toThrow(/"segments" must be an integer/);
    await expect(startSimulator({ port: 70_000 })).rejects.toThrow(
      /"port" must be an integer from 0 to 65535/,
    );
    await expect(startSimulator({ tokens: [] })).rejects.toThrow(/"tokens" must be a non-empty array/);
    await expect(startSimulator({ rateLimit: { requests: 1, windowMs: 0 } })).rejects.toThrow(
      /"rateLimit.windowMs" must be an integer from 1/,
    );
    await expect(startSimulator({ seed: 1.5 })).rejects.toBeInstanceOf(SimulatorConfigError);
  });

  it('rejects bad live settings and faults with an error naming the field', async () => {
    const simulator = await startSimulator({ segments: 10 });
    try {
      expect(() => simulator.setSegments(-3)).toThrow(/"segments"/);
      expect(() => simulator.setLateDataDelay(Number.NaN)).toThrow(/"lateDataDelayMs"/);
      expect(() => simulator.setClock(-1)).toThrow(/"now"/);
      expect(() => simulator.setRateLimit({ requests: 0 })).toThrow(/"rateLimit.requests"/);
      expect(() => simulator.queueFaults([{ kind: 'delay', ms: -5 }])).toThrow(/"faults\[0\]\.ms"/);
    } finally {
      await simulator.close();
    }
  });

  it('follows real time when no clock is given, and accepts its own tokens only', async () => {
    const simulator = await startSimulator({ tokens: ['alpha', 'beta'] });
    try {
      const before = Date.now();
      expect(simulator.now()).toBeGreaterThanOrEqual(before);
      const hour = Math.floor(before / HOUR) * HOUR;
      const request = { from: hour - HOUR, to: hour, interval: '1h', metrics: ['p2p'] };
      expect((await postExport(simulator, request, { token: 'beta' })).status).toBe(200);
      expect((await postExport(simulator, request, { token: 'demo-token' })).status).toBe(401);
    } finally {
      await simulator.close();
    }
  });

  it('reports a port already in use as a start error', async () => {
    const first = await startSimulator({ segments: 5 });
    try {
      await expect(startSimulator({ port: first.port, segments: 5 })).rejects.toThrow(
        /could not listen on 127\.0\.0\.1/,
      );
    } finally {
      await first.close();
    }
  });
});
