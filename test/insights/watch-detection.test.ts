/**
 * The offload watch end to end on a simulated platform, as deployed: every hour the hourly export
 * writes the simulator's windows into a lake folder, and the watch checks the hour it wrote from
 * that lake alone. Over 14 normal days it raises nothing; an incident staged on one ISP in one
 * country is alerted in its first complete hour, blamed on that ISP and country, once, and its
 * recovery is sent in the first complete hour after it ends.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-lake-sink.ts';
import { LocalWatchState } from '../../lambdas/adapters/local-watch-state.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { DEFAULT_WATCH_SETTINGS } from '../../lambdas/core/insights/watch.ts';
import { watchDatasetsOf } from '../../lambdas/core/insights/watch-lake.ts';
import type { WatchEvent } from '../../lambdas/core/insights/watch-message.ts';
import { runWatch, type WatchRunResult } from '../../lambdas/core/insights/watch-run.ts';
import { watchStateKey } from '../../lambdas/core/lake/keys.ts';
import type { SimulatorIncident } from '../../simulator/index.ts';
import { makeExportAt } from '../support/export-at.ts';
import { type SimulatorClient, startSimulatorClient } from '../support/simulator.ts';

const { HOUR, DAY, MINUTE } = TIME;
/** Wednesday, 1 May 2024: the first scheduled export catches up the 7 days before. */
const START = Date.UTC(2024, 4, 1);
const NORMAL_DAYS = 14;
const EXPORT_MINUTE = 15 * MINUTE;
const PREFIX = 'peer5';
/** Country with ISP, and browser with OS: the blame's pairs, and the totals (splits add up). */
const HOURLY = DEFAULT_DATASETS.filter((dataset) =>
  ['by_country_isp_1h', 'by_browser_os_1h'].includes(dataset.name),
);

let simulator: SimulatorClient;
let root: string;
let incident: SimulatorIncident;
/** Every run's result by the hour it checked, and everything sent, in order. */
const runs = new Map<number, WatchRunResult>();
const sent: WatchEvent[] = [];

/** The (country, ISP) pair with the most P2P bytes in the incident's hours, and those hours. */
function incidentOn(sim: SimulatorClient['sim'], day: number): SimulatorIncident {
  const rows = [
    ...sim.rows(
      {
        from: day,
        to: day + DAY,
        interval: '1h',
        metrics: ['p2p'],
        dimensions: ['country.code', 'isp.name'],
      },
      { asOf: 'final' },
    ),
  ];
  const top = rows.reduce((best, row) => ((row.metrics.p2p ?? 0) > (best.metrics.p2p ?? 0) ? row : best));
  const start = Math.max(day + 2 * HOUR, top.timestamp - HOUR);
  return {
    dimension: 'isp.name',
    value: top.dimensions['isp.name'] ?? null,
    where: { 'country.code': top.dimensions['country.code'] ?? null },
    // From 20 minutes into an hour to 20 minutes into another: partly covered hours at both ends.
    from: start + 20 * MINUTE,
    to: start + 3 * HOUR + 20 * MINUTE,
    p2pFactor: 0.3,
  };
}

beforeAll(async () => {
  simulator = await startSimulatorClient({ now: START, segments: 60, lateDataDelayMs: 30 * MINUTE });
  // Every lake write is fsynced: a memory-backed folder, where there is one, keeps 360 runs quick.
  root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'peer5-watch-'));
  const sink = new LocalLakeSink({ root });
  const exportAt = makeExportAt(simulator.sim, {
    source: simulator.client,
    sink,
    prefix: PREFIX,
    datasets: HOURLY,
    settleMs: HOUR,
    // The 7 days of baseline before the first hour checked, not the API's whole look-back.
    since: START - 8 * DAY,
  });
  incident = incidentOn(simulator.sim, START + NORMAL_DAYS * DAY);
  simulator.sim.addIncidents([incident]);
  const store = new LocalWatchState(root, watchStateKey(PREFIX));
  const channels = [{ name: 'test', send: async (event: WatchEvent) => void sent.push(event) }];
  const datasets = watchDatasetsOf(HOURLY).usable;
  for (let hour = START; hour < START + (NORMAL_DAYS + 1) * DAY; hour += HOUR) {
    const now = hour + EXPORT_MINUTE;
    await exportAt(now);
    const result = await runWatch({
      sink,
      prefix: PREFIX,
      datasets,
      store,
      channels,
      now,
      settings: DEFAULT_WATCH_SETTINGS,
      timeZone: 'Europe/Berlin',
    });
    runs.set(result.check.hour.start, result);
  }
}, 600_000);

afterAll(async () => {
  await simulator?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the offload watch on a simulated platform', () => {
  it('judges every hour of 14 normal days and raises no alert', () => {
    const normal = [...runs.values()].filter((run) => run.check.hour.start < incident.from - HOUR);
    expect(normal.length).toBeGreaterThanOrEqual(NORMAL_DAYS * 24 - 2);
    expect(normal.filter((run) => run.check.status !== 'steady')).toEqual([]);
    expect(normal.every((run) => !run.alerting && run.events.length === 0)).toBe(true);
    // Offload moved with the time of day, the weekend and the noise, never by the threshold.
    const drops = normal.map((run) => (run.check.status === 'steady' ? (run.check.figures.dropPts ?? 0) : 0));
    expect(Math.max(...drops)).toBeLessThan(DEFAULT_WATCH_SETTINGS.dropPts);
  });

  it('alerts in the first complete hour of the incident, naming the ISP and the country', () => {
    const firstComplete = Math.ceil(incident.from / HOUR) * HOUR;
    const alerts = sent.filter((event) => event.kind === 'alert');
    expect(alerts).toHaveLength(1);
    const [alert] = alerts as [WatchEvent];
    expect(Date.parse(alert.hour.start)).toBeLessThanOrEqual(firstComplete);
    expect(alert.blame?.dimensions).toEqual(['country.code', 'isp.name']);
    expect(alert.blame?.values).toEqual([incident.where?.['country.code'], incident.value]);
    expect(alert.blame?.shareExplained).toBeGreaterThanOrEqual(0.7);
    expect(alert.dropPts).toBeGreaterThanOrEqual(DEFAULT_WATCH_SETTINGS.dropPts);
  });

  it('sends nothing while the incident goes on, then one recovered message in the first complete hour after it', () => {
    const [alert, recovered, ...rest] = sent;
    expect(rest).toEqual([]);
    expect(recovered?.kind).toBe('recovered');
    expect(recovered?.incidentId).toBe(alert?.incidentId);
    const firstClean = Math.ceil(incident.to / HOUR) * HOUR;
    expect(Date.parse(recovered?.hour.start ?? '')).toBe(firstClean);
    for (let hour = Date.parse(alert?.hour.start ?? ''); hour < firstClean; hour += HOUR) {
      expect(runs.get(hour)?.alerting).toBe(true);
    }
    expect(runs.get(firstClean)?.alerting).toBe(false);
  });
});
