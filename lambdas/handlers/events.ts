/**
 * The events the handlers accept, checked with errors that name the field and the rule.
 * - backfill: `{ "from": ..., "to": ..., "datasets"?: [...], "force"?: true }`
 * - report:   `{ "date"?: "YYYY-MM-DD" }` by hand, `{ "scheduledTime": "<ISO>" }` from Scheduler
 * - export:   nothing, `{}`, or `{ "scheduledTime": "<ISO>" }` from Scheduler
 * - report check and offload watch: the same as an export
 * The report and the exports also take the "Scheduled Event" of an EventBridge rule.
 *
 * A key an event does not have fails before anything runs, naming the key (and the field it looks
 * like): `{"Date": ...}` must not send yesterday's report, `{"forse": true}` must not backfill.
 */
import * as z from 'zod';
import type { DatasetDefinition } from '../core/datasets.ts';
import { CALENDAR_DATE, parseCalendarDate, parseInstant } from '../core/dates.ts';
import { backfillRangeProblems } from '../core/lake/backfill-range.ts';
import { fieldPathOf } from '../core/settings/errors.ts';
import { nameLike } from '../core/spelling.ts';

export class EventError extends Error {
  override readonly name = 'EventError';
}

/** The envelope an EventBridge rule's schedule sends; only `time` matters here. */
const SCHEDULED_EVENT_KEYS = [
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'detail',
] as const;

function isObject(event: unknown): event is Record<string, unknown> {
  return typeof event === 'object' && event !== null && !Array.isArray(event);
}

/**
 * An EventBridge rule's "Scheduled Event" as the event its fields stand for: its `time` is the
 * scheduled time. Any other event is returned as it is.
 */
function unwrapScheduledEvent(event: unknown): unknown {
  if (!isObject(event) || event.source !== 'aws.events' || event['detail-type'] !== 'Scheduled Event') {
    return event;
  }
  const extra = Object.keys(event).filter(
    (key) => !(SCHEDULED_EVENT_KEYS as readonly string[]).includes(key),
  );
  // A scheduled event with keys of its own is someone's hand-made event, checked as such.
  if (extra.length > 0) return event;
  return { scheduledTime: event.time };
}

/** Fails when the event has a key the schema does not know, naming it and what it looks like. */
function refuseUnknownKeys(kind: string, event: unknown, known: readonly string[]): void {
  if (!isObject(event)) return;
  const unknown = Object.keys(event).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  throw new EventError(
    unknown
      .map((key) => {
        const meant = nameLike(key, known);
        return `Invalid ${kind} event "${key}": is not a field of this event; ${
          meant === undefined ? `its fields are ${known.join(', ')}` : `did you mean "${meant}"?`
        }`;
      })
      .join('\n'),
  );
}

/** A date (UTC midnight), an ISO 8601 time with a zone, or epoch milliseconds. */
function instantOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  // A time without a zone would silently be read in the Lambda's zone: parseInstant requires one.
  return typeof value === 'string' ? parseInstant(value) : null;
}

const INSTANT_RULE =
  'must be a date (YYYY-MM-DD, UTC), an ISO 8601 time with a zone (2024-05-01T06:00:00Z) or epoch milliseconds';

const instant = z.unknown().transform((value, ctx) => {
  const ms = instantOf(value);
  if (ms === null) {
    ctx.addIssue({
      code: 'custom',
      message: value === undefined ? `is required; it ${INSTANT_RULE}` : INSTANT_RULE,
    });
    return z.NEVER;
  }
  return ms;
});

function describeIssues(kind: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      return `Invalid ${kind} event "${fieldPathOf(issue.path) || '(event)'}": ${issue.message}`;
    })
    .join('\n');
}

export interface BackfillRequest {
  readonly from: number;
  readonly to: number;
  readonly datasets: readonly DatasetDefinition[];
  readonly force: boolean;
}

/** Checks a backfill event against the function's configured datasets. */
export function parseBackfillEvent(
  event: unknown,
  configured: readonly DatasetDefinition[],
): BackfillRequest {
  const names = configured.map((dataset) => dataset.name);
  const schema = z
    .object(
      {
        from: instant,
        to: instant,
        datasets: z
          .array(
            z
              .string()
              .refine((name) => names.includes(name), { error: `must be one of ${names.join(', ')}` }),
            { error: 'must be a list of dataset names' },
          )
          .min(1, 'must name at least one dataset (or leave it out for all)')
          .optional(),
        force: z.boolean({ error: 'must be true or false' }).optional(),
      },
      { error: 'must be a JSON object like {"from": "2024-05-01", "to": "2024-05-08"}' },
    )
    .superRefine((value, ctx) => {
      for (const problem of backfillRangeProblems(value)) {
        ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.rule });
      }
    });
  refuseUnknownKeys('backfill', event, Object.keys(schema.shape));
  const result = schema.safeParse(event);
  if (!result.success) throw new EventError(describeIssues('backfill', result.error));
  const wanted = result.data.datasets;
  return {
    from: result.data.from,
    to: result.data.to,
    datasets: wanted ? configured.filter((dataset) => wanted.includes(dataset.name)) : configured,
    force: result.data.force ?? false,
  };
}

export interface ReportRequest {
  /** The run's clock: Scheduler's scheduled time, so a late retry still reports the right day. */
  readonly now: number;
  readonly date?: string;
}

const scheduledTime = z
  .string()
  .refine((value) => parseInstant(value) !== null, 'must be an ISO 8601 time with a zone')
  .optional();

/** Checks a report event; a missing or empty event means "yesterday, now". */
export function parseReportEvent(event: unknown, now: number): ReportRequest {
  const schema = z.object(
    {
      scheduledTime,
      date: z
        .string()
        .refine((value) => parseCalendarDate(value) !== null, `must be ${CALENDAR_DATE}`)
        .optional(),
    },
    { error: 'must be a JSON object such as {"date": "2024-05-01"}' },
  );
  const input = unwrapScheduledEvent(event ?? {});
  refuseUnknownKeys('report', input, Object.keys(schema.shape));
  const result = schema.safeParse(input);
  if (!result.success) throw new EventError(describeIssues('report', result.error));
  const { date } = result.data;
  return {
    now: result.data.scheduledTime === undefined ? now : (parseInstant(result.data.scheduledTime) as number),
    ...(date === undefined ? {} : { date }),
  };
}

export interface ExportRequest {
  /** When Scheduler meant the run to start; the run itself works from the clock. */
  readonly scheduledTime?: number;
}

/**
 * Checks the event of a run that takes no parameters (a scheduled export, the report check):
 * anything but the schedule's own payload is refused rather than ignored, so `{"datasets": [...]}`
 * must not quietly export every dataset.
 */
function parseScheduledOnlyEvent(kind: string, event: unknown): ExportRequest {
  const schema = z.object(
    { scheduledTime },
    { error: 'must be empty or a JSON object such as {"scheduledTime": "2024-05-01T06:15:00Z"}' },
  );
  const input = unwrapScheduledEvent(event ?? {});
  refuseUnknownKeys(kind, input, Object.keys(schema.shape));
  const result = schema.safeParse(input);
  if (!result.success) throw new EventError(describeIssues(kind, result.error));
  const time = result.data.scheduledTime;
  return time === undefined ? {} : { scheduledTime: parseInstant(time) as number };
}

/** Checks a scheduled export's event. */
export function parseExportEvent(event: unknown): ExportRequest {
  return parseScheduledOnlyEvent('export', event);
}

export interface ReportCheckRequest {
  /** When the check was due: Scheduler's scheduled time, or now when invoked by hand. */
  readonly checkTime: number;
}

/** Checks a report-check event: `{ "scheduledTime": "<ISO>" }` from Scheduler, or nothing. */
export function parseReportCheckEvent(event: unknown, now: number): ReportCheckRequest {
  return { checkTime: parseScheduledOnlyEvent('report check', event).scheduledTime ?? now };
}

export interface WatchRequest {
  /** When the run was due: Scheduler's scheduled time, or now when invoked by hand. */
  readonly runTime: number;
}

/** Checks an offload watch event: `{ "scheduledTime": "<ISO>" }` from Scheduler, or nothing. */
export function parseWatchEvent(event: unknown, now: number): WatchRequest {
  return { runTime: parseScheduledOnlyEvent('offload watch', event).scheduledTime ?? now };
}
