import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import {
  INITIAL_WATCH_STATE,
  nextWatchState,
  type WatchState,
} from '../../lambdas/core/insights/incident.ts';
import { incidentsOfDay } from '../../lambdas/core/insights/incident-days.ts';
import type { WatchCheck } from '../../lambdas/core/insights/watch.ts';
import { dropCheck, hourAt, steadyCheck } from './support/checks.ts';

function run(checks: readonly WatchCheck[]): WatchState {
  let state = INITIAL_WATCH_STATE;
  for (const check of checks) state = nextWatchState(state, check, check.hour.end + 10 * TIME.MINUTE).state;
  return state;
}

/** The UTC day that holds hour `index` of the checks' clock. */
function dayOf(index: number) {
  const from = Math.floor(hourAt(index) / TIME.DAY) * TIME.DAY;
  return { from, to: from + TIME.DAY };
}

describe('the watch’s incidents on one day', () => {
  it('lists the incidents that closed on the day and the one still open, oldest first', () => {
    const state = run([dropCheck(0, 9), steadyCheck(2, 0.5), dropCheck(4, 7)]);
    const incidents = incidentsOfDay(state, dayOf(0));
    expect(incidents.map((incident) => [incident.startHour, incident.worstDropPts])).toEqual([
      [hourAt(0), 9],
      [hourAt(4), 7],
    ]);
    expect(incidents[0]?.recoveredAt).toBe(hourAt(2) + TIME.HOUR + 10 * TIME.MINUTE);
    expect(incidents[1]?.recoveredAt).toBeNull();
    expect(incidents[0]?.blame?.name).toBe('ISP Acme DE');
  });

  it('leaves out incidents that recovered before the day began or started after it ended', () => {
    const state = run([dropCheck(0, 9), steadyCheck(1, 0.5)]);
    const day = dayOf(0);
    expect(incidentsOfDay(state, { from: day.to, to: day.to + TIME.DAY })).toEqual([]);
    expect(incidentsOfDay(state, { from: day.from - TIME.DAY, to: day.from })).toEqual([]);
  });

  it('lists an incident that spans midnight on both days', () => {
    const state = run([dropCheck(0, 9)]);
    const day = dayOf(0);
    expect(incidentsOfDay(state, day)).toHaveLength(1);
    expect(incidentsOfDay(state, { from: day.to, to: day.to + TIME.DAY })).toHaveLength(1);
  });

  it('finds nothing in a state that has never alerted', () => {
    expect(incidentsOfDay(INITIAL_WATCH_STATE, dayOf(0))).toEqual([]);
  });
});
