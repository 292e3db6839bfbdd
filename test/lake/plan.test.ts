import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, LAKE_EPOCH, parseDatasets, windowAt } from '../../lambdas/core/datasets.ts';
import { BackfillRangeError } from '../../lambdas/core/lake/backfill-range.ts';
import { objectKey } from '../../lambdas/core/lake/layout.ts';
import {
  type DatasetLakeState,
  type LakeState,
  planBackfill,
  planRun,
} from '../../lambdas/core/lake/plan.ts';
import {
  listingStartOf,
  markerListingStartOf,
  PlanOptionError,
  resolveRunPlanOptions,
} from '../../lambdas/core/lake/reach.ts';

const { HOUR, DAY } = TIME;

const datasets = parseDatasets([
  { name: 'minutes', interval: '1m', metrics: ['http', 'p2p'], cadence: 'hourly' },
  { name: 'hours', interval: '1h', metrics: ['http'], dimensions: ['country.code'], cadence: 'hourly' },
  { name: 'days', interval: '1d', metrics: ['http'], cadence: 'daily' },
]);
const [minutes, hours, days] = datasets as [DatasetDefinition, DatasetDefinition, DatasetDefinition];

/** 2024-05-20 12:30 UTC: mid-hour, so the 12:00 window is still running. */
const NOW = Date.UTC(2024, 4, 20, 12, 30);
const THIS_HOUR = Date.UTC(2024, 4, 20, 12);
const TODAY = Date.UTC(2024, 4, 20);

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t += step) out.push(t);
  return out;
}

interface StateSketch {
  readonly present?: readonly number[];
  readonly provisional?: readonly number[];
  readonly listedFrom?: number;
  readonly firstWindowStart?: number | null;
}

function lakeOf(states: Record<string, StateSketch>): LakeState {
  const map = new Map<string, DatasetLakeState>();
  for (const [name, state] of Object.entries(states)) {
    const present = [...(state.present ?? [])];
    map.set(name, {
      firstWindowStart: state.firstWindowStart ?? (present.length > 0 ? Math.min(...present) : null),
      listedFrom: state.listedFrom ?? Number.NEGATIVE_INFINITY,
      present: new Set(present),
      provisional: new Set(state.provisional ?? []),
    });
  }
  return { prefix: 'lake', datasets: map };
}

function windowsOf(plan: ReturnType<typeof planRun>, name: string) {
  return plan.fetches.filter((fetch) => fetch.dataset.name === name).flatMap((fetch) => fetch.windows);
}

describe('planRun on an empty lake', () => {
  const plan = planRun({ datasets, now: NOW, lake: lakeOf({}) });

  it('fetches every complete window the API still serves, in one query per dataset', () => {
    const minuteWindows = windowsOf(plan, 'minutes');
    // 1m reaches back 7 days; with the 15 min margin the oldest whole hour is 7 days ago + 1 h.
    expect(minuteWindows[0]?.start).toBe(THIS_HOUR - 7 * DAY + HOUR);
    expect(minuteWindows.at(-1)?.end).toBe(THIS_HOUR);
    expect(minuteWindows).toHaveLength(7 * 24 - 1);
    expect(windowsOf(plan, 'hours')[0]?.start).toBe(THIS_HOUR - 14 * DAY + HOUR);
    expect(plan.fetches.filter((fetch) => fetch.dataset.name === 'minutes')).toHaveLength(1);
    expect(plan.gaps).toEqual([]);
  });

  it('catches a dataset without look-back limit up as far as the horizon', () => {
    const dayWindows = windowsOf(plan, 'days');
    expect(dayWindows[0]?.start).toBe(TODAY - 14 * DAY);
    expect(dayWindows.at(-1)?.end).toBe(TODAY);
  });

  it('marks settled windows final and young ones provisional', () => {
    const minuteWindows = windowsOf(plan, 'minutes');
    const young = minuteWindows.filter((window) => !window.final).map((window) => window.start);
    // Settle is 6 h: windows ending after 06:30 are young: 06:00 .. 11:00.
    expect(young).toEqual(range(THIS_HOUR - 6 * HOUR, THIS_HOUR, HOUR));
    expect(minuteWindows.every((window) => window.reason === 'missing')).toBe(true);
  });

  it('uses the deterministic object key of each window', () => {
    const first = windowsOf(plan, 'hours')[0];
    expect(first?.key).toBe(objectKey('lake', windowAt(hours, first?.start ?? 0)));
  });

  it('counts the API requests the query takes at the interval range limit', () => {
    const minuteFetch = plan.fetches.find((fetch) => fetch.dataset.name === 'minutes');
    expect(minuteFetch?.requests).toBe(Math.ceil((7 * 24 - 1) / 6));
    expect(plan.fetches.find((fetch) => fetch.dataset.name === 'hours')?.requests).toBe(1);
    expect(plan.requests).toBe(plan.fetches.reduce((sum, fetch) => sum + fetch.requests, 0));
  });

  it('runs the queries closest to leaving the look-back first', () => {
    expect(plan.fetches.map((fetch) => fetch.dataset.name)).toEqual(['minutes', 'hours', 'days']);
  });
});

describe('planRun on a lake that is up to date', () => {
  const settledHours = range(THIS_HOUR - 3 * DAY, THIS_HOUR - 6 * HOUR, HOUR);
  const youngHours = range(THIS_HOUR - 6 * HOUR, THIS_HOUR, HOUR);

  it('fetches only the young windows again, as one query', () => {
    const plan = planRun({
      datasets: [hours],
      now: NOW,
      lake: lakeOf({ hours: { present: [...settledHours, ...youngHours], provisional: youngHours } }),
      since: THIS_HOUR - 3 * DAY,
    });
    expect(plan.fetches).toHaveLength(1);
    expect(windowsOf(plan, 'hours').map((window) => window.start)).toEqual(youngHours);
    expect(windowsOf(plan, 'hours').map((window) => window.reason)).toEqual(
      youngHours.map(() => 'provisional'),
    );
    expect(plan.gaps).toEqual([]);
  });

  it('fetches a young window again even when it has no marker', () => {
    const plan = planRun({
      datasets: [hours],
      now: NOW,
      lake: lakeOf({ hours: { present: [...settledHours, ...youngHours] } }),
      since: THIS_HOUR - 3 * DAY,
    });
    expect(windowsOf(plan, 'hours').map((window) => window.reason)).toEqual(youngHours.map(() => 'young'));
  });

  it('writes a provisional window final once it has settled, even after runs stopped for days', () => {
    const staleYoung = THIS_HOUR - 2 * DAY;
    const present = settledHours;
    const plan = planRun({
      datasets: [hours],
      now: NOW,
      lake: lakeOf({ hours: { present, provisional: [staleYoung] } }),
      since: THIS_HOUR - 3 * DAY,
    });
    const window = windowsOf(plan, 'hours').find((w) => w.start === staleYoung);
    expect(window).toMatchObject({ reason: 'provisional', final: true, hadMarker: true });
  });
});

describe('planRun after an outage', () => {
  it('catches up a 10-hour outage and the young windows in one query', () => {
    const lastWritten = THIS_HOUR - 11 * HOUR;
    const present = range(THIS_HOUR - 2 * DAY, lastWritten, HOUR);
    const plan = planRun({
      datasets: [hours],
      now: NOW,
      lake: lakeOf({ hours: { present } }),
      since: THIS_HOUR - 2 * DAY,
    });
    expect(plan.fetches).toHaveLength(1);
    const windows = windowsOf(plan, 'hours');
    expect(windows.map((window) => window.start)).toEqual(range(lastWritten, THIS_HOUR, HOUR));
    expect(windows.filter((window) => window.final)).toHaveLength(5);
  });

  it('reports windows older than the look-back as a gap, from the first window of the lake', () => {
    const first = THIS_HOUR - 20 * DAY;
    const resumeAt = THIS_HOUR - 14 * DAY + HOUR;
    const plan = planRun({
      datasets: [hours],
      now: NOW,
      lake: lakeOf({ hours: { present: [first], listedFrom: first } }),
    });
    expect(plan.gaps).toEqual([
      {
        dataset: 'hours',
        start: first + HOUR,
        end: resumeAt,
        windows: (resumeAt - first - HOUR) / HOUR,
        reason: 'beyond-look-back',
      },
    ]);
    expect(windowsOf(plan, 'hours')[0]?.start).toBe(resumeAt);
  });

  it('reports gaps from `since` even when the lake is empty, and fetches nothing before it', () => {
    const since = THIS_HOUR - 15 * DAY;
    const plan = planRun({
      datasets: [hours],
      now: NOW,
      lake: lakeOf({ hours: { listedFrom: since } }),
      since,
    });
    expect(plan.gaps).toHaveLength(1);
    expect(plan.gaps[0]).toMatchObject({ start: since, end: THIS_HOUR - 14 * DAY + HOUR });
  });

  it('does not report what it has not listed', () => {
    const plan = planRun({
      datasets: [hours],
      now: NOW,
      lake: lakeOf({ hours: { present: [THIS_HOUR - 20 * DAY], listedFrom: THIS_HOUR - 15 * DAY } }),
    });
    expect(plan.gaps[0]?.start).toBe(THIS_HOUR - 15 * DAY);
  });

  it('reports a provisional window that has just left the look-back', () => {
    const stuck = THIS_HOUR - 7 * DAY;
    const present = range(THIS_HOUR - 14 * DAY + HOUR, THIS_HOUR, HOUR);
    const plan = planRun({
      datasets: [minutes],
      now: NOW,
      lake: lakeOf({
        minutes: { present: [stuck, ...present], provisional: [stuck], firstWindowStart: stuck },
      }),
      since: stuck,
    });
    expect(plan.gaps.find((gap) => gap.reason === 'provisional-beyond-look-back')).toMatchObject({
      start: stuck,
      windows: 1,
    });
  });

  it('stops reporting a provisional window a day after it left the look-back, like a missing one', () => {
    const stuck = THIS_HOUR - 10 * DAY;
    const present = range(THIS_HOUR - 14 * DAY + HOUR, THIS_HOUR, HOUR);
    const plan = planRun({
      datasets: [minutes],
      now: NOW,
      lake: lakeOf({
        minutes: { present: [stuck, ...present], provisional: [stuck], firstWindowStart: stuck },
      }),
      since: stuck,
    });
    expect(plan.gaps.filter((gap) => gap.reason === 'provisional-beyond-look-back')).toEqual([]);
    expect(windowsOf(plan, 'minutes').some((window) => window.start === stuck)).toBe(false);
  });

  it('reports daily windows beyond the catch-up horizon as fetchable by a backfill', () => {
    const plan = planRun({
      datasets: [days],
      now: NOW,
      lake: lakeOf({ days: { present: [TODAY - 30 * DAY] } }),
    });
    expect(plan.gaps).toEqual([
      {
        dataset: 'days',
        start: TODAY - 29 * DAY,
        end: TODAY - 14 * DAY,
        windows: 15,
        reason: 'beyond-catch-up-horizon',
      },
    ]);
  });

  it('fetches an old provisional daily window again, however old, since the API still serves it', () => {
    const old = TODAY - 40 * DAY;
    const plan = planRun({
      datasets: [days],
      now: NOW,
      lake: lakeOf({
        days: {
          present: [old, ...range(TODAY - 14 * DAY, TODAY, DAY)],
          provisional: [old],
          listedFrom: TODAY - 15 * DAY,
        },
      }),
    });
    expect(windowsOf(plan, 'days')[0]).toMatchObject({ start: old, reason: 'provisional', final: true });
  });
});

describe('planRun and a window stuck provisional after runs stopped', () => {
  // Written provisional 20 days before NOW, then no run until after the 14-day look-back passed it:
  // its marker can never be cleared, and stays to tell analysts the numbers are provisional.
  const stuck = THIS_HOUR - 20 * DAY;
  const options = resolveRunPlanOptions({});

  /** The lake as readLakeState would list it at `now`: every window since `stuck` is present. */
  function lakeAt(now: number): LakeState {
    const { from } = listingStartOf(hours, now, options, stuck);
    const listedFrom = Math.max(from, stuck);
    return lakeOf({
      hours: {
        present: range(listedFrom, now - (now % HOUR), HOUR),
        provisional: [stuck],
        listedFrom,
        firstWindowStart: stuck,
      },
    });
  }

  function planAt(now: number) {
    return planRun({ datasets: [hours], now, lake: lakeAt(now) });
  }

  it('is reported by the runs of one day after it leaves the look-back, then never again', () => {
    const fetchedAt: number[] = [];
    const reportedAt: number[] = [];
    for (let now = stuck + 13 * DAY + 30 * 60_000; now <= NOW + 101 * DAY; now += HOUR) {
      const plan = planAt(now);
      if (windowsOf(plan, 'hours').some((window) => window.start === stuck)) fetchedAt.push(now);
      const gaps = plan.gaps.filter((gap) => gap.start <= stuck && stuck < gap.end);
      if (gaps.length > 0) {
        expect(gaps).toEqual([
          {
            dataset: 'hours',
            start: stuck,
            end: stuck + HOUR,
            windows: 1,
            reason: 'provisional-beyond-look-back',
          },
        ]);
        reportedAt.push(now);
      }
    }
    const lastFetch = fetchedAt.at(-1) ?? Number.NaN;
    // Hourly runs while the API served it, then hourly reports for `gapReportMs` (a day), no more.
    expect(reportedAt).toEqual(range(lastFetch + HOUR, lastFetch + HOUR + DAY, HOUR));
    expect(planAt(NOW).gaps).toEqual([]);
    expect(planAt(NOW + 10 * DAY).gaps).toEqual([]);
    expect(planAt(NOW + 100 * DAY).gaps).toEqual([]);
  });

  it('needs no marker older than the report period to be listed', () => {
    for (const now of [stuck + 14 * DAY + 30 * 60_000, NOW, NOW + 100 * DAY]) {
      const from = markerListingStartOf(hours, now, options);
      const reported = planAt(now).gaps.some((gap) => gap.reason === 'provisional-beyond-look-back');
      expect(reported).toBe(stuck >= from);
    }
    expect(markerListingStartOf(hours, NOW, options)).toBe(THIS_HOUR - 15 * DAY + HOUR);
    // Without a look-back limit every marker is fetched again, so all of them are needed.
    expect(markerListingStartOf(days, NOW, options)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('planRun options', () => {
  it('names the field and the rule of a bad option', () => {
    expect(() => planRun({ datasets, now: NOW, lake: lakeOf({}), settleMs: 0 })).toThrow(PlanOptionError);
    expect(() => planRun({ datasets, now: NOW, lake: lakeOf({}), settleMs: -1 })).toThrow(
      /"settleMs" must be a positive/,
    );
    expect(() => resolveRunPlanOptions({ since: 1.5 })).toThrow(/"since" must be an integer/);
  });

  it('honours a shorter settle period', () => {
    const plan = planRun({ datasets: [hours], now: NOW, lake: lakeOf({}), settleMs: HOUR });
    expect(windowsOf(plan, 'hours').filter((window) => !window.final)).toHaveLength(1);
  });
});

describe('listingStartOf', () => {
  const options = resolveRunPlanOptions({});

  it('lists only the catch-up range plus a day of recent gaps, however old the lake', () => {
    const { from } = listingStartOf(hours, NOW, options, THIS_HOUR - 400 * DAY);
    expect(from).toBe(THIS_HOUR - 15 * DAY + HOUR);
  });

  it('lists from the catch-up start when the table is empty', () => {
    expect(listingStartOf(hours, NOW, options, null)).toEqual({
      from: THIS_HOUR - 14 * DAY + HOUR,
      floor: null,
    });
  });

  it('never lists before `since`', () => {
    const since = THIS_HOUR - 14 * DAY;
    expect(listingStartOf(hours, NOW, resolveRunPlanOptions({ since }), THIS_HOUR - 400 * DAY).from).toBe(
      since,
    );
  });
});

describe('planBackfill', () => {
  const from = THIS_HOUR - 3 * DAY;
  const to = THIS_HOUR - 2 * DAY;

  it('fetches missing and provisional windows of the range and skips final ones', () => {
    const final = from;
    const provisional = from + HOUR;
    const plan = planBackfill({
      datasets: [hours],
      now: NOW,
      from,
      to,
      lake: lakeOf({
        hours: { present: [final, provisional], provisional: [provisional], listedFrom: from },
      }),
    });
    const windows = windowsOf(plan, 'hours');
    expect(windows).toHaveLength(23);
    expect(windows[0]).toMatchObject({ start: provisional, reason: 'provisional', final: true });
    expect(windows[1]).toMatchObject({ start: from + 2 * HOUR, reason: 'requested' });
  });

  it('fetches every window with force', () => {
    const plan = planBackfill({
      datasets: [hours],
      now: NOW,
      from,
      to,
      force: true,
      lake: lakeOf({ hours: { present: range(from, to, HOUR), listedFrom: from } }),
    });
    expect(windowsOf(plan, 'hours')).toHaveLength(24);
  });

  it('reports the part of the range the API no longer serves as a gap, and stops at the last complete window', () => {
    const plan = planBackfill({
      datasets: [minutes],
      now: NOW,
      from: THIS_HOUR - 8 * DAY,
      to: NOW + DAY,
      lake: lakeOf({}),
    });
    expect(plan.gaps).toEqual([
      {
        dataset: 'minutes',
        start: THIS_HOUR - 8 * DAY,
        end: THIS_HOUR - 7 * DAY + HOUR,
        windows: 25,
        reason: 'beyond-look-back',
      },
    ]);
    expect(windowsOf(plan, 'minutes').at(-1)?.end).toBe(THIS_HOUR);
  });

  it('names the rule a bad range breaks', () => {
    expect(() => planBackfill({ datasets, now: NOW, from: to, to: from, lake: lakeOf({}) })).toThrow(
      /"from" before "to"/,
    );
  });

  const epoch = Date.parse(`${LAKE_EPOCH}T00:00:00Z`);

  it('backfills daily data from the first day of the lake, years before any look-back limit', () => {
    const plan = planBackfill({
      datasets: [days],
      now: NOW,
      from: epoch,
      to: epoch + 2 * DAY,
      lake: lakeOf({}),
    });
    expect(windowsOf(plan, 'days').map((window) => window.start)).toEqual([epoch, epoch + DAY]);
    expect(plan.gaps).toEqual([]);
  });

  it('refuses a range that starts before the first day of the lake, which Athena would never show', () => {
    const plan = () =>
      planBackfill({ datasets: [days], now: NOW, from: epoch - DAY, to: epoch + DAY, lake: lakeOf({}) });
    expect(plan).toThrow(BackfillRangeError);
    expect(plan).toThrow(`"from" must be on or after ${LAKE_EPOCH}`);
  });
});
