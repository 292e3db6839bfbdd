import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWatchState } from '../../lambdas/adapters/local-watch-state.ts';
import { ExportClient } from '../../lambdas/adapters/peer5-api/index.ts';
import {
  INITIAL_WATCH_STATE,
  serializeWatchState,
  type WatchState,
} from '../../lambdas/core/insights/incident.ts';
import { watchStateKey } from '../../lambdas/core/lake/keys.ts';
import type { ReportEmail } from '../../lambdas/core/report/email.ts';
import { type RunReportResult, runReport } from '../../lambdas/core/report/run.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/index.ts';

const NOW = Date.UTC(2026, 10, 26, 6);
const INCIDENT_HOUR = Date.UTC(2026, 10, 25, 14);

let sim: RunningSimulator;
let lake: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, now: NOW, segments: 8 });
  lake = await mkdtemp(join(tmpdir(), 'report-watch-'));
});

afterAll(async () => {
  await sim.close();
  await rm(lake, { recursive: true, force: true });
});

/** The report on the 25th with the watch state of `folder` (its text, or none); what it sent and warned. */
async function reportWith(folder: string, text: string | null) {
  const store = new LocalWatchState(join(lake, folder), watchStateKey('peer5'));
  if (text !== null) {
    await mkdir(dirname(store.location), { recursive: true });
    await writeFile(store.location, text);
  }
  const sent: ReportEmail[] = [];
  const warnings: string[] = [];
  const result: RunReportResult = await runReport({
    source: new ExportClient({ baseUrl: sim.url, token: async () => 'demo-token', now: () => sim.now() }),
    mailer: {
      send: async (email) => {
        sent.push(email);
        return {};
      },
    },
    now: NOW,
    from: 'reports@example.com',
    to: ['ops@example.com'],
    watch: { store, warn: (message) => warnings.push(message) },
  });
  return { result, text: sent[0]?.text ?? '', warnings };
}

const STATE_WITH_INCIDENT: WatchState = {
  ...INITIAL_WATCH_STATE,
  lastCheckedHour: INCIDENT_HOUR + 3 * 3_600_000,
  closed: [
    {
      id: 'offload-drop-2026-11-25T14:00Z',
      startHour: INCIDENT_HOUR,
      alertedAt: INCIDENT_HOUR + 75 * 60_000,
      offload: 0.4,
      baselineOffload: 0.55,
      dropPts: 15,
      worstDropPts: 16,
      lastDropPts: 1,
      blame: {
        dimensions: ['country.code', 'isp.name'],
        values: ['DE', 'Acme'],
        name: 'ISP Acme DE',
        shareExplained: 0.9,
      },
      unchecked: [],
      recoveredAt: INCIDENT_HOUR + 3 * 3_600_000 + 75 * 60_000,
    },
  ],
};

describe('the report reads the day’s alerts from the watch’s state', () => {
  it('lists the incidents of the report day that the state holds', async () => {
    const { result, text, warnings } = await reportWith(
      'with-incident',
      serializeWatchState(STATE_WITH_INCIDENT),
    );
    expect(warnings).toEqual([]);
    expect(result.summary.incidents?.map((incident) => incident.id)).toEqual([
      'offload-drop-2026-11-25T14:00Z',
    ]);
    expect(text).toContain(
      '14:00 (2026-11-25T14:00+00:00): offload down 16.0 pts at worst, ISP Acme DE explains 90%; recovered 18:15',
    );
  });

  it('reads no state yet (the watch has not run) as a day without alerts', async () => {
    const { result, text, warnings } = await reportWith('none', null);
    expect(warnings).toEqual([]);
    expect(result.summary.incidents).toEqual([]);
    expect(text).toContain('the hourly offload watch raised none on this day');
  });

  it('sends the report without the section, and warns, when the state is malformed', async () => {
    const { result, text, warnings } = await reportWith('malformed', '{"version": 7}');
    expect(result.subject).toMatch(/^Peer5 2026-11-25: /);
    expect(result.summary.incidents).toBeNull();
    expect(text).not.toContain('Offload alerts');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /offload watch's state .*offload-watch\.json could not be read, so the report leaves out the day's alerts: WatchStateError: watch state is malformed: version: must be 1 or 2; got 7/,
    );
  });
});
