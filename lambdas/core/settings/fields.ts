/**
 * The settings' fields, grouped by job: each field's rule, default and description. The settings
 * schema (`../config.ts`) spreads these groups, beside those an area keeps next to its code (the
 * report's in `report/config.ts`, the insights' in `insights/settings.ts`). Rules several fields
 * share (whole numbers, email addresses, times of day) are defined here once.
 */
import * as z from 'zod';
import { DEFAULT_BASE_URL, INTERVAL_LIMITS, TIME } from '../contract.ts';
import {
  type DatasetDefinition,
  DatasetDefinitionError,
  DEFAULT_DATASETS,
  parseDatasets,
} from '../datasets.ts';
import { LAKE_PREFIX, LAKE_PREFIX_RULE } from '../lake/layout.ts';
import { DEFAULT_CATCH_UP_HORIZON_MS, DEFAULT_SETTLE_MS } from '../lake/reach.ts';
import { S3_BUCKET_NAME } from '../lake/sink.ts';

// ---------------------------------------------------------------------------------------------
// Rules several fields share.

/** An email address: what every address setting, and the report's mail, is checked by. */
export const EMAIL_ADDRESS = z.regexes.email;

/** A bare email address; `what` says what the address is for when it is missing. */
export const emailSchema = (what: string) =>
  z.email({
    pattern: EMAIL_ADDRESS,
    error: (issue) => (issue.input === undefined ? `is required: ${what}` : 'must be an email address'),
  });

export const wholeNumber = (min: number, max: number, whyMin?: string) =>
  z
    .int({ error: 'must be a whole number' })
    .min(min, `must be at least ${min}${whyMin === undefined ? '' : `: ${whyMin}`}`)
    .max(max, `must be at most ${max}`);

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight of an `HH:MM` time of day. */
export function minutesOfDay(time: string): number {
  const match = TIME_OF_DAY.exec(time);
  if (!match) throw new RangeError(`"${time}" is not a time of day in HH:MM form`);
  return Number(match[1]) * 60 + Number(match[2]);
}

export const timeOfDaySchema = z
  .string()
  .regex(TIME_OF_DAY, 'must be a time of day in 24-hour HH:MM form, e.g. "07:30"');

// ---------------------------------------------------------------------------------------------
// The Peer5 API and its token.

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export const apiBaseUrlSchema = z.url({ error: 'must be an absolute URL' }).refine((value) => {
  const url = new URL(value);
  // The token travels in a header, so plain HTTP is only allowed to this machine (the simulator).
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
}, 'must use https:// (plain http:// is allowed only for localhost)');

/** `apiRequestsPerMinute` when unset; the CLI's help names it too. */
export const DEFAULT_API_REQUESTS_PER_MINUTE = 30;

export const API_SETTING_FIELDS = {
  secretName: z
    .string()
    .regex(SECRET_NAME, 'must be a Secrets Manager secret name (letters, digits and /_+=.@-)')
    .default('peer5-reporter/api-token')
    .describe(
      'Name of the Secrets Manager secret that holds the Peer5 API token, either the raw token or JSON {"token": "..."}. Create it before deploying.',
    ),
  apiBaseUrl: apiBaseUrlSchema.default(DEFAULT_BASE_URL).describe('Base URL of the Peer5 API.'),
  apiRequestsPerMinute: wholeNumber(5, 100_000)
    .default(DEFAULT_API_REQUESTS_PER_MINUTE)
    .describe(
      "The API's rate limit for your token, in requests per minute. The scheduled runs (hourly and daily export, report) keep a fifth of it (at least 3), each paced to a third of that in any minute; a backfill on AWS paces its items to the rest. The CLI's run, backfill, report and start pace to all of it (--max-requests-per-minute sets it for one run).",
    ),
  backfillConcurrency: wholeNumber(1, 40)
    .default(4)
    .describe(
      'Backfill items (one dataset, at most a day each) that the Backfill state machine runs at once. Each gets an even part of what the scheduled runs leave of apiRequestsPerMinute (four fifths), a whole number of requests a minute and at least one.',
    ),
};

// ---------------------------------------------------------------------------------------------
// When the functions run.

export const SCHEDULE_SETTING_FIELDS = {
  hourlyExportMinute: wholeNumber(0, 59)
    .default(15)
    .describe('Minute past every hour at which the hourly export runs.'),
  dailyExportTime: timeOfDaySchema
    .default('03:00')
    .describe(
      'UTC time of day (HH:MM) at which the daily export runs. Daily datasets cover UTC days, so this schedule is in UTC.',
    ),
  reportTime: timeOfDaySchema
    .default('08:00')
    .describe('Time of day (HH:MM, in timeZone) at which the report on the previous day is emailed.'),
};

// ---------------------------------------------------------------------------------------------
// The lake: what is exported, where it is written, how long it is kept.

const GLUE_DATABASE = /^[a-z][a-z0-9_]{0,254}$/;

/**
 * How far back scheduled runs fetch a window that is missing from the lake: to the catch-up
 * horizon, or to the API's look-back for intervals that have one. A lifecycle rule that deletes
 * objects younger than this makes every run fetch them again.
 */
const LONGEST_CATCH_UP_MS = Math.max(
  DEFAULT_CATCH_UP_HORIZON_MS,
  ...Object.values(INTERVAL_LIMITS).map((limit) => limit.lookBackMs ?? 0),
);
const LONGEST_CATCH_UP_DAYS = Math.ceil(LONGEST_CATCH_UP_MS / TIME.DAY);
/** Objects live at least a day past the catch-up reach before the lifecycle rule deletes them. */
export const MIN_RETENTION_DAYS = LONGEST_CATCH_UP_DAYS + 1;
/** Two years of lake objects unless `retentionDays` says otherwise. */
export const DEFAULT_RETENTION_DAYS = 730;

/** A query may scan 10 GB (about $0.05 at Athena's price) unless `athenaScanCutoffGb` says otherwise. */
export const DEFAULT_ATHENA_SCAN_CUTOFF_GB = 10;

const datasetsSchema = z.unknown().transform((value, ctx): DatasetDefinition[] => {
  try {
    return parseDatasets(value);
  } catch (error: unknown) {
    const message =
      error instanceof DatasetDefinitionError
        ? error.problems
        : error instanceof Error
          ? error.message
          : String(error);
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
});

export const LAKE_SETTING_FIELDS = {
  datasets: datasetsSchema
    .default(() => [...DEFAULT_DATASETS])
    .describe(
      'Dataset definitions written to the lake, one Glue table each. With -c: a JSON array on one line (the CDK CLI cuts a value at its first line break), or use datasetsFile. Defaults to the five built-in datasets.',
    ),
  datasetsFile: z
    .string({ error: 'must be the path of a JSON file' })
    .min(1, 'must be the path of a JSON file')
    .optional()
    .describe(
      'A JSON file holding the datasets setting (an array of definitions, checked by the same rules), e.g. -c datasetsFile=datasets.json. Relative to the project folder (where cdk.json is), or for the CLI to its config file. Excludes datasets.',
    ),
  bucketName: z
    .string()
    .regex(
      S3_BUCKET_NAME,
      'must be a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)',
    )
    .optional()
    .describe(
      'Write the lake into this existing bucket instead of creating one. The stack does not change an existing bucket: its lifecycle, versioning and logging stay yours.',
    ),
  prefix: z
    .string()
    .regex(LAKE_PREFIX, LAKE_PREFIX_RULE)
    .default('peer5')
    .describe('Key prefix of the lake inside the bucket; each dataset is a folder below it.'),
  retentionDays: wholeNumber(
    MIN_RETENTION_DAYS,
    36_500,
    `scheduled runs fetch every window of the last ${LONGEST_CATCH_UP_DAYS} days that is missing from the lake, so a shorter retention deletes windows that every run then fetches again`,
  )
    .default(DEFAULT_RETENTION_DAYS)
    .describe(
      `Days a lake object is kept before the lifecycle rule deletes it (bucket created by the stack only). At least ${MIN_RETENTION_DAYS}: scheduled runs fetch again any window of the last ${LONGEST_CATCH_UP_DAYS} days that is missing.`,
    ),
  settleHours: wholeNumber(1, 48)
    .default(DEFAULT_SETTLE_MS / TIME.HOUR)
    .describe(
      'Hours after a window ends during which late reports still raise its numbers. Younger windows are written as provisional and fetched again until they have settled.',
    ),
  databaseName: z
    .string()
    .regex(GLUE_DATABASE, 'must be lower snake case: a letter, then letters, digits or _')
    .default('peer5_reporter')
    .describe('Name of the Glue database that holds one table per dataset.'),
  athenaScanCutoffGb: wholeNumber(1, 1_000_000)
    .default(DEFAULT_ATHENA_SCAN_CUTOFF_GB)
    .describe(
      'Gigabytes one query may scan in the Athena workgroup before Athena cancels it (BytesScannedCutoffPerQuery): a guard against a runaway query over the raw tables. The curated tables scan a fraction of the bytes.',
    ),
};

// ---------------------------------------------------------------------------------------------
// Alarms.

/**
 * With daily datasets only, a window arrives once a day, so an alarm counted in hours would fire
 * between two runs: the freshness alarm then waits this many days instead of `freshnessAlarmHours`.
 */
export const DAILY_FRESHNESS_ALARM_DAYS = 2;

export const ALARM_SETTING_FIELDS = {
  alarmEmail: emailSchema('where alarms are sent')
    .optional()
    .describe('Address subscribed to the alarm topic. AWS mails it a link to confirm the subscription.'),
  freshnessAlarmHours: wholeNumber(2, 24)
    .default(3)
    .describe(
      `Alarm when no lake window has been written for this many hours. Applies when some dataset is hourly; with daily datasets only, the alarm fires after ${DAILY_FRESHNESS_ALARM_DAYS} days without a window instead.`,
    ),
};
