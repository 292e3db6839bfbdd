/**
 * The events the handlers accept, checked with errors that name the field and the rule.
 * - backfill: `{ "from": ..., "to": ..., "datasets"?: [...], "force"?: true }`
 * - report:   `{ "date"?: "YYYY-MM-DD" }` by hand, `{ "scheduledTime": "<ISO>" }` from Scheduler
 * - report check: `{ "scheduledTime": "<ISO>" }` from Scheduler, or nothing by hand
 */
import { z } from 'zod';
import { type DatasetDefinition, LAKE_EPOCH, LAKE_EPOCH_MS } from '../core/datasets.ts';
import { parseCalendarDate, parseInstant } from '../core/dates.ts';

export class EventError extends Error {
  override readonly name = 'EventError';
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
      const field = issue.path
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('');
      return `Invalid ${kind} event "${field.replace(/^\./, '') || '(event)'}": ${issue.message}`;
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
      if (value.from >= value.to) {
        ctx.addIssue({
          code: 'custom',
          path: ['to'],
          message: 'must be after "from" (the range is [from, to))',
        });
      }
      if (value.from < LAKE_EPOCH_MS) {
        ctx.addIssue({
          code: 'custom',
          path: ['from'],
          message: `must be on or after ${LAKE_EPOCH}, the first day the lake's tables show`,
        });
      }
    });
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

/** Checks a report event; a missing or empty event means "yesterday, now". */
export function parseReportEvent(event: unknown, now: number): ReportRequest {
  const schema = z.object(
    {
      scheduledTime: z
        .string()
        .refine((value) => parseInstant(value) !== null, 'must be an ISO 8601 time with a zone')
        .optional(),
      date: z
        .string()
        .refine(
          (value) => parseCalendarDate(value) !== null,
          'must be a calendar date in the form YYYY-MM-DD',
        )
        .optional(),
    },
    { error: 'must be a JSON object such as {"date": "2024-05-01"}' },
  );
  const result = schema.safeParse(event ?? {});
  if (!result.success) throw new EventError(describeIssues('report', result.error));
  const { scheduledTime, date } = result.data;
  return {
    now: scheduledTime === undefined ? now : (parseInstant(scheduledTime) as number),
    ...(date === undefined ? {} : { date }),
  };
}

export interface ReportCheckRequest {
  /** When the check was due: Scheduler's scheduled time, or now when invoked by hand. */
  readonly checkTime: number;
}

/** Checks a report-check event: `{ "scheduledTime": "<ISO>" }` from Scheduler, or nothing. */
export function parseReportCheckEvent(event: unknown, now: number): ReportCheckRequest {
  const schema = z.strictObject(
    {
      scheduledTime: z
        .string()
        .refine((value) => parseInstant(value) !== null, 'must be an ISO 8601 time with a zone')
        .optional(),
    },
    { error: 'must be a JSON object such as {"scheduledTime": "2024-05-01T09:00:00Z"}, or empty' },
  );
  const result = schema.safeParse(event ?? {});
  if (!result.success) throw new EventError(describeIssues('report check', result.error));
  const { scheduledTime } = result.data;
  return { checkTime: scheduledTime === undefined ? now : (parseInstant(scheduledTime) as number) };
}
