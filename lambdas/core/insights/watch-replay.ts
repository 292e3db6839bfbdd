/**
 * The offload watch replayed over a past day, hour by hour, as the hourly runs would have judged
 * it: each hour checked against its own 7 baseline hours, the incident state moved on from empty,
 * the messages collected instead of sent. `npm start` uses it to say whether the watch would have
 * alerted yesterday. Pure: the hours are read by the caller (`readWatchDay`).
 *
 *   replayWatch(hours, settings, timeZone) -> checks, the messages that would have gone out, state
 */
import { INITIAL_WATCH_STATE, nextWatchState, type WatchState } from './incident.ts';
import { checkOffload, type WatchCheck, type WatchHour, type WatchSettings } from './watch.ts';
import { type WatchEvent, watchEventOf } from './watch-message.ts';

/** One hour to judge and its baseline, as `readWatchHours` reads them. */
export interface ReplayHour {
  readonly current: WatchHour;
  readonly baseline: readonly WatchHour[];
}

export interface WatchReplay {
  /** The UTC day of the first hour replayed, YYYY-MM-DD. */
  readonly date: string;
  readonly checks: readonly WatchCheck[];
  /** Hours judged steady or a drop (not missing data, not too quiet). */
  readonly judged: number;
  /** What the hourly runs would have sent, in order. */
  readonly events: readonly WatchEvent[];
  /** The incident state after the last hour. */
  readonly state: WatchState;
}

export function replayWatch(
  hours: readonly ReplayHour[],
  settings: WatchSettings,
  timeZone: string,
): WatchReplay {
  let state = INITIAL_WATCH_STATE;
  const checks: WatchCheck[] = [];
  const events: WatchEvent[] = [];
  for (const hour of hours) {
    const check = checkOffload({ current: hour.current, baseline: hour.baseline, settings });
    checks.push(check);
    // The run that judges an hour goes once the hour is over.
    const transition = nextWatchState(state, check, check.hour.end);
    state = transition.state;
    for (const notification of transition.notifications)
      events.push(watchEventOf(notification, { timeZone }));
  }
  const first = hours[0]?.current.start ?? 0;
  return {
    date: new Date(first).toISOString().slice(0, 10),
    checks,
    judged: checks.filter((check) => check.status === 'steady' || check.status === 'drop').length,
    events,
    state,
  };
}

/** The replay for `--json`: the day, how many hours were judged, and each alert and its end. */
export function replaySummaryOf(replay: WatchReplay) {
  return {
    date: replay.date,
    hours: replay.checks.length,
    hoursJudged: replay.judged,
    alerted: replay.events.some((event) => event.kind === 'alert'),
    message: replayLine(replay),
    alerts: replay.events
      .filter((event) => event.kind === 'alert')
      .map((alert) => ({
        incidentId: alert.incidentId,
        hour: alert.hour.start,
        dropPts: alert.dropPts,
        dimensions: alert.blame?.dimensions ?? [],
        values: alert.blame?.values ?? [],
        segment: alert.blame?.segment ?? null,
        shareExplained: alert.blame?.shareExplained ?? null,
        recoveredHour:
          replay.events.find((event) => event.kind === 'recovered' && event.incidentId === alert.incidentId)
            ?.hour.start ?? null,
      })),
  };
}

function clock(iso: string): string {
  return `${iso.slice(11, 16)}Z`;
}

/**
 * One line for the console: `Offload watch: no alert for 2026-11-19 (24 of 24 hours judged)`, or
 * each alert with its hour, drop and segment, and whether it recovered within the day.
 */
export function replayLine(replay: WatchReplay): string {
  const judged = `${replay.judged} of ${replay.checks.length} hours judged`;
  const alerts = replay.events.filter((event) => event.kind === 'alert');
  if (alerts.length === 0) return `Offload watch: no alert for ${replay.date} (${judged})`;
  const described = alerts.map((alert) => {
    const recovered = replay.events.find(
      (event) => event.kind === 'recovered' && event.incidentId === alert.incidentId,
    );
    const who = alert.blame
      ? `, ${alert.blame.segment} explains ${Math.round(alert.blame.shareExplained * 100)}%`
      : '';
    const end = recovered ? `recovered ${clock(recovered.hour.start)}` : 'still open at the end of the day';
    return `${clock(alert.hour.start)} offload down ${alert.dropPts.toFixed(1)} pts${who}, ${end}`;
  });
  return `Offload watch: would have alerted for ${replay.date} (${judged}): ${described.join('; ')}`;
}
