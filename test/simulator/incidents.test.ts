import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ExportRequest, type ExportRow, TIME } from '../../lambdas/core/contract.ts';
import { type RunningSimulator, type SimulatorIncident, startSimulator } from '../../simulator/index.ts';
import { admin, exportData } from './http.ts';

const { HOUR } = TIME;
const NOW = Date.UTC(2024, 4, 15, 12);
const FROM = NOW - 6 * HOUR;
const INCIDENT: SimulatorIncident = {
  dimension: 'isp.name',
  value: 'Deutsche Telekom',
  from: NOW - 4 * HOUR,
  to: NOW - 2 * HOUR,
  p2pFactor: 0.3,
  where: { 'country.code': 'DE' },
};

function hourly(extra: Partial<ExportRequest> = {}): ExportRequest {
  return { from: FROM, to: NOW, interval: '1h', metrics: ['http', 'p2p'], ...extra };
}

function rowsOf(simulator: RunningSimulator, request: ExportRequest): ExportRow[] {
  return [...simulator.rows(request, { asOf: 'final' })];
}

function bytes(row: ExportRow | undefined): { http: number; p2p: number } {
  return { http: row?.metrics.http ?? Number.NaN, p2p: row?.metrics.p2p ?? Number.NaN };
}

describe('a staged incident', () => {
  let simulator: RunningSimulator;
  let calm: RunningSimulator;
  beforeAll(async () => {
    [simulator, calm] = await Promise.all([
      startSimulator({ now: NOW, segments: 300 }),
      startSimulator({ now: NOW, segments: 300 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([simulator.close(), calm.close()]);
  });
  afterEach(() => {
    simulator.clearIncidents();
  });

  it('scales the segment’s P2P bytes and raises its HTTP bytes by as much, in its hours only', () => {
    simulator.addIncidents([INCIDENT]);
    const only = hourly({ filters: { 'isp.name': ['Deutsche Telekom'], 'country.code': ['DE'] } });
    const hit = rowsOf(simulator, only);
    const usual = rowsOf(calm, only);
    expect(hit.map((row) => row.timestamp)).toEqual(usual.map((row) => row.timestamp));
    for (const [index, row] of hit.entries()) {
      const before = bytes(usual[index]);
      const after = bytes(row);
      expect(after.http + after.p2p).toBe(before.http + before.p2p);
      const inside = row.timestamp >= INCIDENT.from && row.timestamp < INCIDENT.to;
      if (inside) expect(after.p2p / before.p2p).toBeCloseTo(0.3, 2);
      else expect(after).toEqual(before);
    }
  });

  it('leaves every other segment as it was: the same ISP elsewhere, other ISPs in the country', () => {
    simulator.addIncidents([{ ...INCIDENT, value: 'BT', where: { 'country.code': 'DE' } }]);
    // BT is a British ISP: no German segment has it, so nothing changes at all.
    expect(rowsOf(simulator, hourly({ dimensions: ['country.code', 'isp.name'] }))).toEqual(
      rowsOf(calm, hourly({ dimensions: ['country.code', 'isp.name'] })),
    );
    simulator.clearIncidents();
    simulator.addIncidents([INCIDENT]);
    const others = hourly({ dimensions: ['isp.name'], filters: { 'country.code': ['DE', 'FR', 'US'] } });
    const hit = rowsOf(simulator, others).filter((row) => row.dimensions['isp.name'] !== 'Deutsche Telekom');
    const usual = rowsOf(calm, others).filter((row) => row.dimensions['isp.name'] !== 'Deutsche Telekom');
    expect(hit).toEqual(usual);
  });

  it('scales an hour it covers in part by the part covered', () => {
    const quarter = { ...INCIDENT, from: NOW - 4 * HOUR + 45 * 60_000, to: NOW - 3 * HOUR, p2pFactor: 0 };
    simulator.addIncidents([quarter]);
    const only = hourly({ filters: { 'isp.name': ['Deutsche Telekom'], 'country.code': ['DE'] } });
    const hit = rowsOf(simulator, only).find((row) => row.timestamp === NOW - 4 * HOUR);
    const usual = rowsOf(calm, only).find((row) => row.timestamp === NOW - 4 * HOUR);
    expect(bytes(hit).p2p / bytes(usual).p2p).toBeCloseTo(0.75, 2);
  });

  it('is added with POST /_sim/incidents, listed with GET and cleared with DELETE', async () => {
    const posted = await admin(simulator, 'POST', 'incidents', { incidents: [INCIDENT] });
    expect(posted).toMatchObject({ status: 200, json: { incidents: [INCIDENT] } });
    expect((await admin(simulator, 'GET', 'incidents')).json).toEqual({ incidents: [INCIDENT] });
    expect((await admin(simulator, 'GET', 'state')).json.incidents).toEqual([INCIDENT]);
    const body = hourly({ filters: { 'country.code': ['DE'] } });
    const during = await exportData(simulator, body);
    expect(during).not.toEqual(await exportData(calm, body));
    expect((await admin(simulator, 'DELETE', 'incidents')).json).toEqual({ incidents: [] });
    expect(await exportData(simulator, body)).toEqual(await exportData(calm, body));
  });

  it.each([
    [[], /body must be a JSON object \{"incidents"/],
    [{}, /"incidents" must be an array of incidents/],
    [{ incidents: {} }, /"incidents" must be an array of incidents/],
    [{ incidents: [{ ...INCIDENT, dimension: 'isp' }] }, /"incidents\[0\]\.dimension" must be one of/],
    [{ incidents: [{ ...INCIDENT, value: '' }] }, /"incidents\[0\]\.value" must be a non-empty string/],
    [{ incidents: [{ ...INCIDENT, to: INCIDENT.from }] }, /"incidents\[0\]\.to" must be after/],
    [{ incidents: [{ ...INCIDENT, p2pFactor: -0.1 }] }, /"incidents\[0\]\.p2pFactor" must be a number/],
    [
      { incidents: [{ ...INCIDENT, where: { 'isp.name': 'x' } }] },
      /must not repeat the incident's dimension/,
    ],
    [{ incidents: [{ ...INCIDENT, where: { country: 'DE' } }] }, /"incidents\[0\]\.where key" must be one/],
    [{ incidents: [{ ...INCIDENT, factor: 1 }] }, /unknown field "factor"; allowed: dimension, value/],
  ])('answers 400 naming the field for %j', async (body, pattern) => {
    const { status, json } = await admin(simulator, 'POST', 'incidents', body);
    expect(status).toBe(400);
    expect(json).toEqual({ error: true, message: expect.stringMatching(pattern) });
    expect(simulator.incidents).toEqual([]);
  });

  it('is taken from the start-up options, checked by the same rules', async () => {
    const other = await startSimulator({ now: NOW, segments: 300, incidents: [INCIDENT] });
    try {
      expect(other.incidents).toEqual([INCIDENT]);
      expect(rowsOf(other, hourly())).not.toEqual(rowsOf(calm, hourly()));
    } finally {
      await other.close();
    }
    await expect(startSimulator({ incidents: [{ ...INCIDENT, from: -1 }] })).rejects.toThrow(
      /"incidents\[0\]\.from" must be an integer/,
    );
  });
});
