/**
 * `peer5-reporter watch` over a lake folder the simulator filled, one incident staged: exit 0 on a
 * normal hour, 4 (with the alert in --json and the email in the outbox) in the incident, 4 again
 * with nothing sent while it goes on, and 0 with the recovered message after it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { runBackfill } from '../../lambdas/core/lake/run.ts';
import { type SimulatorClient, stageTopPairIncident, startSimulatorClient } from '../support/simulator.ts';
import { runCli } from './run-cli.ts';

const { HOUR, DAY } = TIME;
const DAY0 = Date.UTC(2024, 4, 20);
const DATASET = DEFAULT_DATASETS.filter((dataset) => dataset.name === 'by_country_isp_1h');
/** Hours 18-21 UTC of the 8th day: US evening, when its big ISPs carry most of the traffic. */
const INCIDENT_FROM = DAY0 + 7 * DAY + 18 * HOUR;
const INCIDENT_TO = INCIDENT_FROM + 3 * HOUR;

let simulator: SimulatorClient;
let folder: string;

beforeAll(async () => {
  simulator = await startSimulatorClient({ now: DAY0 + 9 * DAY, segments: 12 });
  folder = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'peer5-watch-cli-'));
  stageTopPairIncident(simulator.sim, { from: INCIDENT_FROM, to: INCIDENT_TO, p2pFactor: 0.2 });
  await runBackfill({
    source: simulator.client,
    sink: new LocalLakeSink({ root: join(folder, 'lake') }),
    prefix: '',
    datasets: DATASET,
    from: DAY0,
    to: DAY0 + 9 * DAY,
    force: false,
    now: DAY0 + 9 * DAY,
  });
  writeFileSync(join(folder, 'peer5-reporter.config.json'), JSON.stringify({ datasets: DATASET }));
}, 300_000);

afterAll(async () => {
  await simulator?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

async function watchAt(hourEnd: number) {
  const result = await runCli(
    [
      'watch',
      '--now',
      new Date(hourEnd + 12 * 60_000).toISOString(),
      '--lake',
      'lake',
      '--outbox',
      'outbox',
      '--json',
    ],
    { cwd: folder },
  );
  return { ...result, json: JSON.parse(result.stdout) as Record<string, unknown> };
}

describe('peer5-reporter watch', () => {
  it('exits 0 on a normal hour, with nothing sent', async () => {
    const { code, json } = await watchAt(INCIDENT_FROM - 2 * HOUR);
    expect(code).toBe(0);
    expect(json).toMatchObject({ status: 'steady', alerting: false, alerts: [], sent: [] });
  });

  it('exits 4 in the incident, listing the alert with its dimensions, values, drop and share explained', async () => {
    const { code, json } = await watchAt(INCIDENT_FROM + HOUR);
    expect(code).toBe(4);
    expect(json.status).toBe('drop');
    const [alert] = json.alerts as Record<string, unknown>[];
    expect(alert).toMatchObject({ status: 'raised', dimensions: ['country.code', 'isp.name'] });
    expect(alert?.alertDropPts).toBeGreaterThanOrEqual(5);
    expect(alert?.shareExplained).toBeGreaterThanOrEqual(0.7);
    const files = json.files as string[];
    expect(files.map((file) => file.replace(/.*\//, ''))).toEqual([
      expect.stringMatching(/^offload-drop-.*-alert\.txt$/),
      expect.stringMatching(/^offload-drop-.*-alert\.json$/),
    ]);
    expect(readFileSync(files[0] as string, 'utf8')).toMatch(/^Subject: Peer5 offload alert /);
  });

  it('exits 4 again while it goes on, sending nothing, then 0 with the recovered message', async () => {
    const during = await watchAt(INCIDENT_FROM + 2 * HOUR);
    expect(during.code).toBe(4);
    expect(during.json).toMatchObject({ sent: [], alerts: [{ status: 'continued' }] });
    const after = await watchAt(INCIDENT_TO + HOUR);
    expect(after.code).toBe(0);
    expect(after.json).toMatchObject({ alerting: false, sent: [{ kind: 'recovered' }] });
  });
});
