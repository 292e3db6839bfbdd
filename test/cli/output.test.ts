/** What the commands print: the plan description, moved here from the core with its tests. */
import { describe, expect, it } from 'vitest';
import { describePlan, table } from '../../bin/cli/output.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, parseDatasets } from '../../lambdas/core/datasets.ts';
import { type DatasetLakeState, type LakeState, planRun } from '../../lambdas/core/lake/plan.ts';

const { HOUR, DAY } = TIME;

const [hours, days] = parseDatasets([
  { name: 'hours', interval: '1h', metrics: ['http'], dimensions: ['country.code'], cadence: 'hourly' },
  { name: 'days', interval: '1d', metrics: ['http'], cadence: 'daily' },
]) as [DatasetDefinition, DatasetDefinition];

/** 2024-05-20 12:30 UTC: mid-hour, so the 12:00 window is still running. */
const NOW = Date.UTC(2024, 4, 20, 12, 30);
const THIS_HOUR = Date.UTC(2024, 4, 20, 12);
const TODAY = Date.UTC(2024, 4, 20);

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t += step) out.push(t);
  return out;
}

/** A lake whose datasets hold these windows, all listed. */
function lakeOf(present: Record<string, readonly number[]>): LakeState {
  const map = new Map<string, DatasetLakeState>();
  for (const [name, starts] of Object.entries(present)) {
    map.set(name, {
      firstWindowStart: starts.length > 0 ? Math.min(...starts) : null,
      listedFrom: Number.NEGATIVE_INFINITY,
      present: new Set(starts),
      provisional: new Set(),
    });
  }
  return { prefix: 'lake', datasets: map };
}

describe('describePlan', () => {
  it('prints the windows, the requests and every gap', () => {
    const plan = planRun({
      datasets: [hours],
      now: NOW,
      lake: lakeOf({ hours: [THIS_HOUR - 20 * DAY] }),
    });
    const lines = describePlan(plan);
    expect(lines[0]).toMatch(
      /^Plan at 2024-05-20T12:30Z: 335 windows in 1 query, about 1 API request; 1 gap\.$/,
    );
    expect(lines[1]).toContain(
      'hours [2024-05-06T13:00Z, 2024-05-20T12:00Z): 335 windows (335 missing; 329 settled), 1 request at 1h',
    );
    expect(lines[2]).toContain(
      'GAP hours [2024-04-30T13:00Z, 2024-05-06T13:00Z): 144 windows missing and older than the API look-back',
    );
  });

  it('is short when nothing is due', () => {
    const plan = planRun({
      datasets: [days],
      now: TODAY + 7 * HOUR,
      lake: lakeOf({ days: range(TODAY - 14 * DAY, TODAY, DAY) }),
    });
    expect(describePlan(plan)).toEqual([
      'Plan at 2024-05-20T07:00Z: 0 windows in 0 queries, about 0 API requests; 0 gaps.',
    ]);
  });
});

describe('table', () => {
  it('pads every column to its widest cell and trims the ends of lines', () => {
    expect(
      table(
        ['dataset', 'rows'],
        [
          ['by_country_1h', '12'],
          ['x', '1,024'],
        ],
      ),
    ).toBe(['dataset        rows', 'by_country_1h  12', 'x              1,024'].join('\n'));
  });
});
