/**
 * The lake writer end to end: simulator over HTTP -> ExportClient -> runExport -> S3 (moto), read
 * back and compared with the simulator's final numbers.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import type { LakeEvent, RunResult } from '../../lambdas/core/lake/run-types.ts';
import type { LakeSink } from '../../lambdas/core/lake/sink.ts';
import type { ExportSource } from '../../lambdas/core/source.ts';
import { makeExportAt } from '../support/export-at.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';
import { FAST_RETRIES, simulatorClientForTest } from '../support/simulator.ts';
import { expectLakeWindows, finalRows, freshS3Sink, RUN_DATASETS, readTable, slice } from './support/lake.ts';

const { MINUTE, HOUR, DAY } = TIME;

const datasets = RUN_DATASETS;
const [minutes, daily] = datasets;

const T0 = Date.UTC(2024, 2, 1);
const SETTLE = 3 * HOUR;

let moto: RunningMoto;
const clients: S3Client[] = [];

beforeAll(async () => {
  moto = await startMoto();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await moto?.stop();
});

/**
 * A simulator at T0 with a client of it, stopped when the test ends, a fresh S3 lake, and the
 * runs of the minutes table from T0 into it.
 */
async function setup() {
  const { sim, client } = await simulatorClientForTest({ now: T0, segments: 12, seed: 7 }, FAST_RETRIES);
  const { sink, s3 } = await freshS3Sink(moto);
  clients.push(s3);
  const input = { source: client, sink, prefix: 'lake', datasets: [minutes], since: T0, settleMs: SETTLE };
  return { sim, sink, client, exportAt: makeExportAt(sim, input) };
}

/** Every complete window of [from, to) is in the lake exactly once, and nothing else is. */
async function expectWindowsExactly(sink: LakeSink, dataset: DatasetDefinition, from: number, to: number) {
  return await expectLakeWindows(sink, 'lake', dataset, from, to);
}

describe('runExport, hour by hour for 48 hours', () => {
  it('ends with every window present once and the lake equal to the final numbers, late data included', async () => {
    const { sim, sink, exportAt } = await setup();
    const results: RunResult[] = [];
    // Hourly runs a few minutes past the hour, until the last of the 48 hours has settled.
    for (let hour = 1; hour <= 48 + 4; hour++)
      results.push(await exportAt(T0 + hour * HOUR + 5 * MINUTE, { datasets }));

    expect(results.flatMap((result) => result.failed)).toEqual([]);
    expect(results.flatMap((result) => result.gaps)).toEqual([]);
    const end = T0 + 48 * HOUR;
    const last = T0 + 52 * HOUR;
    const minuteTable = await expectWindowsExactly(sink, minutes, T0, last);
    expect(slice(minuteTable.rows, T0, end)).toEqual(finalRows(sim, minutes, T0, end));
    const dailyTable = await expectWindowsExactly(sink, daily, T0, end);
    expect(dailyTable.rows).toEqual(finalRows(sim, daily, T0, end));

    // Only windows younger than the settle period still carry a marker.
    const young = [...minuteTable.markers].sort((a, b) => a - b);
    expect(young).toEqual([last - 3 * HOUR, last - 2 * HOUR, last - HOUR]);
    expect(dailyTable.markers.size).toBe(0);

    // A steady run fetches the young windows again plus the one that just settled (written
    // final), all in one query.
    const steady = results[30] as RunResult;
    const steadyMinutes = steady.windows.filter((window) => window.dataset === 'minutes');
    expect(steadyMinutes.map((window) => window.final)).toEqual([true, false, false, false]);
    expect(steady.queries).toBe(1);
  });
});

describe('runExport after an outage', () => {
  it('catches up a 10-hour outage in the next run', async () => {
    const { sim, sink, exportAt } = await setup();
    for (let hour = 1; hour <= 5; hour++) await exportAt(T0 + hour * HOUR + 5 * MINUTE);
    // Runs at 06:05 .. 15:05 never happen.
    const next = await exportAt(T0 + 16 * HOUR + 5 * MINUTE);
    expect(next.failed).toEqual([]);
    expect(next.gaps).toEqual([]);
    // 02:00 .. 04:00 were provisional when runs stopped, 05:00 .. 12:00 were never fetched, and
    // 13:00 .. 15:00 are young: all in one query, split by the client into 6-hour requests.
    expect(next.windows.map((window) => window.start)).toEqual(
      Array.from({ length: 14 }, (_, i) => T0 + (2 + i) * HOUR),
    );
    expect(next.windows.map((window) => window.final)).toEqual([
      ...Array(11).fill(true),
      false,
      false,
      false,
    ]);
    expect(next.queries).toBe(1);
    expect(next.requests).toBe(3);
    const table = await expectWindowsExactly(sink, minutes, T0, T0 + 16 * HOUR);
    expect([...table.markers].sort((a, b) => a - b)).toEqual([13, 14, 15].map((h) => T0 + h * HOUR));
    expect(slice(table.rows, T0, T0 + 13 * HOUR)).toEqual(finalRows(sim, minutes, T0, T0 + 13 * HOUR));
  });

  it('reports windows older than the API look-back as a gap and catches up the rest', async () => {
    const [hoursDaily] = parseDatasets([
      { name: 'hours_by_day', interval: '1h', metrics: ['http', 'p2p'], cadence: 'daily' },
    ]);
    if (!hoursDaily) throw new Error('dataset missing');
    const { sim, sink, client } = await setup();
    const events: LakeEvent[] = [];
    const exportAt = makeExportAt(sim, {
      source: client,
      sink,
      prefix: 'lake',
      datasets: [hoursDaily],
      settleMs: SETTLE,
      log: (e: LakeEvent) => events.push(e),
    });
    await exportAt(T0 + DAY + 4 * HOUR, { since: T0 });
    // Twenty days without a run: the 1h interval only reaches back 14 days.
    const now = T0 + 21 * DAY + 4 * HOUR;
    const result = await exportAt(now);
    const reach = T0 + 7 * DAY + DAY; // first whole day inside (now - 14 days + margin)
    expect(result.gaps).toEqual([
      { dataset: 'hours_by_day', start: T0 + DAY, end: reach, windows: 7, reason: 'beyond-look-back' },
    ]);
    expect(events.filter((event) => event.event === 'gap' && event.level === 'error')).toHaveLength(1);
    expect(result.windows.map((window) => window.start)).toEqual(
      Array.from({ length: 13 }, (_, i) => reach + i * DAY),
    );
    const table = await readTable(sink, 'lake', hoursDaily);
    expect(table.windows.size).toBe(14);
    expect(slice(table.rows, reach, T0 + 21 * DAY)).toEqual(finalRows(sim, hoursDaily, reach, T0 + 21 * DAY));
  });
});

/** Passes rows through until `afterRows` have gone by, then fails like a crash mid-window. */
function crashingSource(inner: ExportSource, afterRows: number): ExportSource {
  let seen = 0;
  return {
    async *rows(query, options) {
      for await (const row of inner.rows(query, options)) {
        seen += 1;
        if (seen === afterRows + 1) throw new Error(`simulated crash after ${afterRows} rows`);
        yield row;
      }
    },
  };
}

describe('runExport when a fetch fails mid-window', () => {
  it('leaves no partial object, carries on with the other windows, and the next run completes it', async () => {
    const { sim, sink, client, exportAt } = await setup();
    const now = T0 + 12 * HOUR + 5 * MINUTE;
    // 60 one-minute rows per window: the crash lands inside the 02:00 window.
    const crashed = await exportAt(now, { source: crashingSource(client, 150) });
    const broken = objectKey('lake', windowAt(minutes, T0 + 2 * HOUR));
    expect(crashed.failed).toEqual([
      {
        dataset: 'minutes',
        start: T0 + 2 * HOUR,
        end: T0 + 3 * HOUR,
        key: broken,
        error: { name: 'Error', message: 'simulated crash after 150 rows' },
      },
    ]);
    expect(await sink.head(broken)).toBeNull();
    expect(crashed.windows.map((window) => window.start)).toEqual(
      [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((h) => T0 + h * HOUR),
    );

    const rerun = await exportAt(now);
    expect(rerun.windows.map((window) => window.start)).toEqual([2, 9, 10, 11].map((h) => T0 + h * HOUR));
    const table = await expectWindowsExactly(sink, minutes, T0, T0 + 12 * HOUR);
    expect(slice(table.rows, T0, T0 + 9 * HOUR)).toEqual(finalRows(sim, minutes, T0, T0 + 9 * HOUR));
  });
});
