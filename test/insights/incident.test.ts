import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import {
  CLOSED_INCIDENT_DAYS,
  type ClosedIncident,
  INITIAL_WATCH_STATE,
  incidentIdOf,
  MAX_CLOSED_INCIDENTS,
  nextWatchState,
  parseWatchState,
  serializeWatchState,
  type WatchNotification,
  type WatchState,
  WatchStateError,
} from '../../lambdas/core/insights/incident.ts';
import type { WatchCheck } from '../../lambdas/core/insights/watch.ts';
import { blameNamed, dropCheck, hourAt, missingCheck, quietCheck, steadyCheck } from './support/checks.ts';

/** Runs checks in order, as hourly runs would, collecting what each sent. */
function run(checks: readonly WatchCheck[], start: WatchState = INITIAL_WATCH_STATE) {
  let state = start;
  const sent: WatchNotification[] = [];
  for (const check of checks) {
    const next = nextWatchState(state, check, check.hour.end + 10 * TIME.MINUTE);
    sent.push(...next.notifications);
    state = next.state;
  }
  return { state, sent };
}

describe('the incident state', () => {
  it('alerts once when an incident starts, stays quiet while it goes on, and says when it recovered', () => {
    const { state, sent } = run([
      steadyCheck(0, 0.3),
      dropCheck(1, 8),
      dropCheck(2, 12, blameNamed('ISP Other FR', ['FR', 'Other'])),
      dropCheck(3, 6),
      steadyCheck(4, 1),
    ]);
    expect(sent.map((notification) => notification.kind)).toEqual(['alert', 'recovered']);
    const [alert, recovered] = sent;
    expect(alert?.incident.id).toBe('offload-drop-2026-11-30T14:00Z');
    expect(alert?.incident.blame?.name).toBe('ISP Acme DE');
    // The wobble of the blamed segment changes nothing; the worst drop is remembered.
    expect(recovered?.incident.blame?.name).toBe('ISP Acme DE');
    expect(recovered?.incident.worstDropPts).toBe(12);
    expect(recovered?.incident.id).toBe(alert?.incident.id);
    expect(state).toMatchObject({ version: 2, lastCheckedHour: hourAt(4), incident: null });
    expect(state.closed.map((closed) => [closed.id, closed.worstDropPts])).toEqual([
      ['offload-drop-2026-11-30T14:00Z', 12],
    ]);
    expect(state.closed[0]?.recoveredAt).toBe(recovered?.kind === 'recovered' ? recovered.recoveredAt : -1);
  });

  it('keeps the incident open until the drop is within half the threshold, so it does not flap', () => {
    const { sent, state } = run([
      dropCheck(0, 6),
      steadyCheck(1, 4.9),
      dropCheck(2, 5.1),
      steadyCheck(3, 2.6),
    ]);
    expect(sent.map((notification) => notification.kind)).toEqual(['alert']);
    expect(state.incident?.lastDropPts).toBe(2.6);
    expect(run([steadyCheck(4, 2.5)], state).sent.map((notification) => notification.kind)).toEqual([
      'recovered',
    ]);
  });

  it('changes nothing on missing data or a quiet hour', () => {
    const open = run([dropCheck(0, 9)]).state;
    for (const check of [missingCheck(1), quietCheck(1)]) {
      const next = nextWatchState(open, check, hourAt(2));
      expect(next.state).toBe(open);
      expect(next.notifications).toEqual([]);
    }
    expect(nextWatchState(INITIAL_WATCH_STATE, missingCheck(0), hourAt(1)).state).toBe(INITIAL_WATCH_STATE);
  });

  it('does not alert twice when overlapping runs check the same hour, nor for an older hour', () => {
    const first = nextWatchState(INITIAL_WATCH_STATE, dropCheck(3, 9), hourAt(4));
    expect(first.notifications).toHaveLength(1);
    expect(nextWatchState(first.state, dropCheck(3, 9), hourAt(4) + 1000).notifications).toEqual([]);
    expect(nextWatchState(first.state, steadyCheck(2, 0), hourAt(4)).state).toBe(first.state);
  });

  it('opens a new incident, with a new id, after a recovery', () => {
    const { sent } = run([dropCheck(0, 9), steadyCheck(1, 0), dropCheck(2, 9)]);
    expect(sent.map((notification) => notification.kind)).toEqual(['alert', 'recovered', 'alert']);
    expect(sent[2]?.incident.id).toBe(incidentIdOf(hourAt(2)));
  });

  it('sends alerts and recoveries in turn, at most one per hour, whatever the checks (property)', () => {
    const checkArbitrary = fc.oneof(
      fc.record({ kind: fc.constant('drop' as const), pts: fc.double({ min: 5, max: 50, noNaN: true }) }),
      fc.record({
        kind: fc.constant('steady' as const),
        pts: fc.double({ min: -10, max: 4.9, noNaN: true }),
      }),
      fc.record({ kind: fc.constantFrom('missing' as const, 'quiet' as const), pts: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(checkArbitrary, fc.boolean()), { maxLength: 60 }), (steps) => {
        const checks = steps.flatMap(([step, repeated], index) => {
          const pts = Math.round(step.pts * 10) / 10;
          const check =
            step.kind === 'drop'
              ? dropCheck(index, pts)
              : step.kind === 'steady'
                ? steadyCheck(index, pts)
                : step.kind === 'missing'
                  ? missingCheck(index)
                  : quietCheck(index);
          // An overlapping run checks the same hour again.
          return repeated ? [check, check] : [check];
        });
        const { sent, state } = run(checks);
        sent.forEach((notification, index) => {
          expect(notification.kind).toBe(index % 2 === 0 ? 'alert' : 'recovered');
        });
        const hours = sent.map((notification) => notification.check.hour.start);
        expect(new Set(hours).size).toBe(hours.length);
        expect(state.incident !== null).toBe(sent.length % 2 === 1);
        expect(parseWatchState(serializeWatchState(state))).toEqual(state);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the incident state as JSON', () => {
  it('round-trips an open incident', () => {
    const { state } = run([dropCheck(0, 9)]);
    expect(parseWatchState(serializeWatchState(state))).toEqual(state);
    expect(JSON.parse(serializeWatchState(state))).toMatchObject({
      version: 2,
      incident: { id: 'offload-drop-2026-11-30T13:00Z' },
    });
  });

  it('refuses a malformed state with a named error that says what is wrong', () => {
    const good = JSON.parse(serializeWatchState(run([dropCheck(0, 9)]).state));
    const cases: [unknown, RegExp][] = [
      ['{', /not JSON/],
      [{ ...good, version: 3 }, /version: must be 1 or 2; got 3/],
      [{ ...good, closed: undefined }, /closed: is required from version 2 on/],
      [{ ...good, closed: [{ ...good.incident }] }, /closed\[0\]\.recoveredAt/],
      [{ ...good, extra: true }, /extra/],
      [{ ...good, lastCheckedHour: 'yesterday' }, /lastCheckedHour: must be a time in ms/],
      [{ ...good, incident: { ...good.incident, id: 'x' } }, /incident\.id: must be an incident id/],
      [{ ...good, incident: { ...good.incident, offload: 2 } }, /incident\.offload/],
      [
        { ...good, incident: { ...good.incident, blame: { ...good.incident.blame, values: ['DE'] } } },
        /incident\.blame\.values: must have one value per dimension/,
      ],
      [[], /\(root\)/],
    ];
    for (const [value, message] of cases) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      expect(() => parseWatchState(text)).toThrow(WatchStateError);
      expect(() => parseWatchState(text)).toThrow(message);
    }
  });
});

describe('the closed incidents the state keeps for the morning report', () => {
  /** An incident that opens at `hour` and recovers the hour after. */
  const flap = (hour: number) => [dropCheck(hour, 9), steadyCheck(hour + 1, 0.5)];

  it('keeps each recovered incident, with when it recovered, for 8 days', () => {
    const early = run(flap(0));
    expect(early.state.closed).toHaveLength(1);
    // Nine days on, a second incident's recovery drops the first: it recovered too long ago.
    const later = run(flap(9 * 24), early.state);
    expect(later.state.closed.map((closed) => closed.id)).toEqual([incidentIdOf(hourAt(9 * 24))]);
    expect(CLOSED_INCIDENT_DAYS).toBe(8);
  });

  it('keeps at most the 100 latest, so the state cannot grow without bound', () => {
    // Hourly checks fit at most 96 incidents in 8 days; the cap still holds a state that was
    // given more (by hand, or by a later rule), and the parse refuses one past it.
    const recent = run(flap(0)).state.closed[0] as ClosedIncident;
    const full: WatchState = {
      ...INITIAL_WATCH_STATE,
      closed: Array.from({ length: MAX_CLOSED_INCIDENTS }, () => recent),
    };
    const { state } = run(flap(2), full);
    expect(state.closed).toHaveLength(MAX_CLOSED_INCIDENTS);
    expect(state.closed.at(-1)?.id).toBe(incidentIdOf(hourAt(2)));
    const over = { ...JSON.parse(serializeWatchState(state)), closed: [...state.closed, recent] };
    expect(() => parseWatchState(JSON.stringify(over))).toThrow(/closed: /);
  });

  it('reads a state of version 1, written before closed incidents were kept, as one with none', () => {
    const open = run([dropCheck(0, 9)]).state;
    const { closed: _closed, ...older } = { ...open, version: 1 };
    const read = parseWatchState(JSON.stringify(older));
    expect(read).toEqual({ ...open, closed: [] });
    // It moves on as any state does and is written back in the current version.
    const recovered = run([steadyCheck(1, 0.5)], read).state;
    expect(recovered.version).toBe(2);
    expect(recovered.closed.map((closed) => closed.id)).toEqual([open.incident?.id]);
  });
});
