/**
 * One alert per incident: the watch's state between runs, and how each check moves it on.
 *
 *   nextWatchState(previous state, check, now) -> (next state, notifications)
 *
 * - A drop with no incident open opens one and sends one `alert`.
 * - While the incident is open, further drops send nothing, whatever segment they blame: the
 *   alert's blame is kept as it was sent.
 * - The incident closes, with one `recovered`, on the first steady hour whose drop is at most
 *   half the alert threshold (2.5 pts by default). Between half and the whole threshold it stays
 *   open: without that gap an hour at 4.9 then 5.1 pts would alert again and again.
 * - `missing-data` and `too-quiet` change nothing: they say nothing about offload.
 * - A check of an hour no later than the last one checked changes nothing, so overlapping or
 *   repeated runs of one hour cannot alert twice. (The caller writes the state atomically, with a
 *   conditional write, and on a conflict reads the winner's state and runs the transition again.)
 *
 * - A closed incident is kept in `closed` (with when it recovered) for CLOSED_INCIDENT_DAYS, at
 *   most MAX_CLOSED_INCIDENTS of them, so the next morning's report can list the day's incidents
 *   from the state alone (`incidentsOfDay`).
 *
 * The state is JSON, versioned, and read back through `parseWatchState`, which refuses anything
 * malformed with a WatchStateError naming the field. A state of version 1 (before `closed`) is
 * read as one with no closed incidents.
 */
import * as z from 'zod';
import { DIMENSIONS, type Dimension, TIME } from '../contract.ts';
import { CALENDAR_DATE_FORM } from '../dates.ts';
import { fieldPathOf } from '../settings/errors.ts';
import type { WatchCheck } from './watch.ts';

export const WATCH_STATE_VERSION = 2;
/** Closed incidents are kept this long after they recovered: the report reads yesterday's. */
export const CLOSED_INCIDENT_DAYS = 8;
/** ... and at most this many, so a flapping week cannot grow the state without bound. */
export const MAX_CLOSED_INCIDENTS = 100;
/** The incident closes when the drop is back within this fraction of the alert threshold. */
export const RECOVERY_FRACTION = 0.5;

export interface IncidentBlame {
  readonly dimensions: readonly Dimension[];
  readonly values: readonly (string | null)[];
  /** `ISP Acme DE`. */
  readonly name: string;
  readonly shareExplained: number;
}

export interface OpenIncident {
  /** `offload-drop-2026-11-30T14:00Z`: stable, for threading and de-duplication downstream. */
  readonly id: string;
  /** Start of the first hour that alerted, ms. */
  readonly startHour: number;
  /** The clock of the run that alerted, ms. */
  readonly alertedAt: number;
  readonly offload: number;
  readonly baselineOffload: number;
  readonly dropPts: number;
  readonly worstDropPts: number;
  readonly lastDropPts: number;
  /** As the alert named it; null when it named nobody. */
  readonly blame: IncidentBlame | null;
  /** Breakdown datasets the alert could not check (windows missing). */
  readonly unchecked: readonly string[];
}

export interface ClosedIncident extends OpenIncident {
  /** The clock of the run that sent the recovered message, ms. */
  readonly recoveredAt: number;
}

export interface WatchState {
  readonly version: typeof WATCH_STATE_VERSION;
  /** Start of the last hour that was judged (steady or drop), ms; null before the first. */
  readonly lastCheckedHour: number | null;
  readonly incident: OpenIncident | null;
  /** Incidents that recovered in the last CLOSED_INCIDENT_DAYS, oldest first. */
  readonly closed: readonly ClosedIncident[];
}

export const INITIAL_WATCH_STATE: WatchState = {
  version: WATCH_STATE_VERSION,
  lastCheckedHour: null,
  incident: null,
  closed: [],
};

/** `closed` less what recovered more than CLOSED_INCIDENT_DAYS before `now`, and past the cap. */
export function recentClosed(closed: readonly ClosedIncident[], now: number): ClosedIncident[] {
  const since = now - CLOSED_INCIDENT_DAYS * TIME.DAY;
  return closed.filter((incident) => incident.recoveredAt >= since).slice(-MAX_CLOSED_INCIDENTS);
}

type JudgedCheck = Extract<WatchCheck, { status: 'steady' | 'drop' }>;

export type WatchNotification =
  | {
      readonly kind: 'alert';
      readonly incident: OpenIncident;
      readonly check: Extract<WatchCheck, { status: 'drop' }>;
    }
  | {
      readonly kind: 'recovered';
      readonly incident: OpenIncident;
      readonly check: Extract<WatchCheck, { status: 'steady' }>;
      readonly recoveredAt: number;
    };

export interface WatchTransition {
  readonly state: WatchState;
  readonly notifications: readonly WatchNotification[];
}

const INCIDENT_ID_PREFIX = 'offload-drop-';
/** `incidentIdOf`'s form: the prefix and the hour the drop started, to the minute, in UTC. */
const INCIDENT_ID = new RegExp(String.raw`^${INCIDENT_ID_PREFIX}${CALENDAR_DATE_FORM}T\d{2}:\d{2}Z$`);

export function incidentIdOf(hourStart: number): string {
  return `${INCIDENT_ID_PREFIX}${new Date(hourStart).toISOString().slice(0, 16)}Z`;
}

export function recoveryPtsOf(thresholdPts: number): number {
  return thresholdPts * RECOVERY_FRACTION;
}

function openIncident(check: Extract<WatchCheck, { status: 'drop' }>, now: number): OpenIncident {
  const { figures } = check;
  const dropPts = figures.dropPts as number;
  return {
    id: incidentIdOf(check.hour.start),
    startHour: check.hour.start,
    alertedAt: now,
    offload: figures.offload as number,
    baselineOffload: figures.baselineOffload as number,
    dropPts,
    worstDropPts: dropPts,
    lastDropPts: dropPts,
    blame:
      check.blame === null
        ? null
        : {
            dimensions: [...check.blame.segment.dimensions],
            values: [...check.blame.segment.values],
            name: check.blame.name,
            shareExplained: check.blame.shareExplained,
          },
    unchecked: [...new Set(check.unchecked.map((missing) => missing.dataset))],
  };
}

function isJudged(check: WatchCheck): check is JudgedCheck {
  return check.status === 'steady' || check.status === 'drop';
}

export function nextWatchState(previous: WatchState, check: WatchCheck, now: number): WatchTransition {
  const unchanged = { state: previous, notifications: [] };
  if (!isJudged(check)) return unchanged;
  if (previous.lastCheckedHour !== null && check.hour.start <= previous.lastCheckedHour) return unchanged;
  const dropPts = check.figures.dropPts;
  if (dropPts === null) return unchanged;
  const lastCheckedHour = check.hour.start;
  const { incident } = previous;

  if (incident === null) {
    if (check.status === 'steady') return { state: { ...previous, lastCheckedHour }, notifications: [] };
    const opened = openIncident(check, now);
    return {
      state: { ...previous, lastCheckedHour, incident: opened },
      notifications: [{ kind: 'alert', incident: opened, check }],
    };
  }
  if (check.status === 'steady' && dropPts <= recoveryPtsOf(check.figures.thresholdPts)) {
    const closed = recentClosed([...previous.closed, { ...incident, recoveredAt: now }], now);
    return {
      state: { ...previous, lastCheckedHour, incident: null, closed },
      notifications: [{ kind: 'recovered', incident, check, recoveredAt: now }],
    };
  }
  const continued: OpenIncident = {
    ...incident,
    lastDropPts: dropPts,
    worstDropPts: Math.max(incident.worstDropPts, dropPts),
  };
  return { state: { ...previous, lastCheckedHour, incident: continued }, notifications: [] };
}

// ---------------------------------------------------------------------------------------------
// The state as JSON.

export class WatchStateError extends Error {
  override readonly name = 'WatchStateError';
}

const instant = z
  .int({ error: 'must be a time in ms since the epoch' })
  .nonnegative('must be a time in ms since the epoch');
const ratio = z
  .number({ error: 'must be a ratio from 0 to 1' })
  .min(0, 'must be a ratio from 0 to 1')
  .max(1, 'must be a ratio from 0 to 1');
const points = z.number({ error: 'must be a number of percentage points' });

const incidentSchema = z
  .object({
    id: z.string().regex(INCIDENT_ID, 'must be an incident id such as offload-drop-2026-11-30T14:00Z'),
    startHour: instant,
    alertedAt: instant,
    offload: ratio,
    baselineOffload: ratio,
    dropPts: points,
    worstDropPts: points,
    lastDropPts: points,
    blame: z
      .object({
        dimensions: z.array(z.enum(DIMENSIONS)).min(1).max(2),
        values: z.array(z.string().nullable()).min(1).max(2),
        name: z.string(),
        shareExplained: z.number(),
      })
      .strict()
      .refine((blame) => blame.values.length === blame.dimensions.length, {
        message: 'must have one value per dimension',
        path: ['values'],
      })
      .nullable(),
    unchecked: z.array(z.string()),
  })
  .strict();

/** Version 1 had no `closed`; it is read as a state with none. */
const FIRST_STATE_VERSION = 1;

const stateSchema = z
  .object({
    version: z.union([z.literal(FIRST_STATE_VERSION), z.literal(WATCH_STATE_VERSION)], {
      error: (issue) =>
        `must be ${FIRST_STATE_VERSION} or ${WATCH_STATE_VERSION}; got ${JSON.stringify(issue.input)} (a state written by another version)`,
    }),
    lastCheckedHour: instant.nullable(),
    incident: incidentSchema.nullable(),
    closed: z
      .array(incidentSchema.extend({ recoveredAt: instant }).strict())
      .max(MAX_CLOSED_INCIDENTS)
      .optional(),
  })
  .strict()
  .refine((state) => state.version === FIRST_STATE_VERSION || state.closed !== undefined, {
    message: `is required from version ${WATCH_STATE_VERSION} on`,
    path: ['closed'],
  });

/** Reads a state written by `serializeWatchState`; throws WatchStateError naming what is wrong. */
export function parseWatchState(text: string): WatchState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    throw new WatchStateError(
      `watch state is not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const result = stateSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${fieldPathOf(issue.path) || '(root)'}: ${issue.message}`,
    );
    throw new WatchStateError(`watch state is malformed: ${problems.join('; ')}`);
  }
  const { lastCheckedHour, incident, closed } = result.data;
  return {
    version: WATCH_STATE_VERSION,
    lastCheckedHour,
    incident: incident as OpenIncident | null,
    closed: (closed ?? []) as ClosedIncident[],
  };
}

export function serializeWatchState(state: WatchState): string {
  return `${JSON.stringify(state)}\n`;
}
