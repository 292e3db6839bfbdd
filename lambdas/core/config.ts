/**
 * The product's settings: one schema for CDK context (`cdk.json`, `-c key=value`), the CLI config
 * file and the Lambda environment, so a setting is named, described, defaulted and validated once.
 */
import { z } from 'zod';
import { DEFAULT_BASE_URL, INTERVAL_LIMITS, TIME } from './contract.ts';
import {
  type DatasetDefinition,
  DatasetDefinitionError,
  DEFAULT_DATASETS,
  parseDatasets,
} from './datasets.ts';
import { LAKE_PREFIX, LAKE_PREFIX_RULE } from './lake/layout.ts';
import { DEFAULT_CATCH_UP_HORIZON_MS, DEFAULT_SETTLE_MS } from './lake/reach.ts';
import { S3_BUCKET_NAME } from './lake/sink.ts';
import { emailAddressOf, MAX_RECIPIENTS, MAX_TOP_N } from './report/config.ts';
import { DEFAULT_TOP_N } from './report/summary.ts';
import { canonicalTimeZone } from './report/time.ts';
import { nameLike } from './spelling.ts';

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const GLUE_DATABASE = /^[a-z][a-z0-9_]{0,254}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isTimeZone(value: string): boolean {
  // Offsets such as "+02:00" are accepted by Intl but not by EventBridge Scheduler.
  return !/^[+-]/.test(value) && canonicalTimeZone(value) !== null;
}

/** Minutes after midnight of an `HH:MM` time of day. */
export function minutesOfDay(time: string): number {
  const match = TIME_OF_DAY.exec(time);
  if (!match) throw new RangeError(`"${time}" is not a time of day in HH:MM form`);
  return Number(match[1]) * 60 + Number(match[2]);
}

const email = (what: string) =>
  z.email({
    error: (issue) => (issue.input === undefined ? `is required: ${what}` : 'must be an email address'),
  });

const wholeNumber = (min: number, max: number, whyMin?: string) =>
  z
    .int({ error: 'must be a whole number' })
    .min(min, `must be at least ${min}${whyMin === undefined ? '' : `: ${whyMin}`}`)
    .max(max, `must be at most ${max}`);

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

/**
 * With daily datasets only, a window arrives once a day, so an alarm counted in hours would fire
 * between two runs: the freshness alarm then waits this many days instead of `freshnessAlarmHours`.
 */
export const DAILY_FRESHNESS_ALARM_DAYS = 2;

const timeOfDay = z.string().regex(TIME_OF_DAY, 'must be a time of day in 24-hour HH:MM form, e.g. "07:30"');

export const apiBaseUrlSchema = z.url({ error: 'must be an absolute URL' }).refine((value) => {
  const url = new URL(value);
  // The token travels in a header, so plain HTTP is only allowed to this machine (the simulator).
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
}, 'must use https:// (plain http:// is allowed only for localhost)');

const datasetsSchema = z.unknown().transform((value, ctx): DatasetDefinition[] => {
  try {
    return parseDatasets(value);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.addIssue({
      code: 'custom',
      message:
        error instanceof DatasetDefinitionError
          ? message.replace(/^Invalid dataset definition: /, '')
          : message,
    });
    return z.NEVER;
  }
});

export const settingsSchema = z.object({
  secretName: z
    .string()
    .regex(SECRET_NAME, 'must be a Secrets Manager secret name (letters, digits and /_+=.@-)')
    .default('peer5-reporter/api-token')
    .describe(
      'Name of the Secrets Manager secret that holds the Peer5 API token, either the raw token or JSON {"token": "..."}. Create it before deploying.',
    ),
  sender: z
    .string({ error: 'is required: the address the daily report is sent from' })
    .refine(
      (value) => emailAddressOf(value) !== null,
      'must be an email address (user@example.com or "Name <user@example.com>")',
    )
    .describe(
      'Address the daily report is sent from, optionally with a display name ("Peer5 Reports <reports@example.com>"). It must be verified in SES: the stack creates an email identity for it unless senderIdentity is set.',
    ),
  senderIdentity: z
    .union([z.email(), z.string().regex(DOMAIN)], {
      error: 'must be an email address or a domain name',
    })
    .optional()
    .describe(
      'An SES identity that already exists and is verified (a domain or an address) to send as. When omitted, the stack creates an email identity for sender.',
    ),
  recipients: z
    .array(email('a recipient'), {
      error: (issue) =>
        issue.input === undefined
          ? 'is required: who receives the daily report'
          : 'must be a list of email addresses',
    })
    .min(1, 'must list at least one email address')
    .max(MAX_RECIPIENTS, `must list at most ${MAX_RECIPIENTS} addresses (one SES message)`)
    .describe('Who receives the daily report. On the command line: a comma-separated list or a JSON array.'),
  timeZone: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone name such as "Europe/Berlin" or "UTC"')
    .default('UTC')
    .describe(
      'Time zone of the report: the report covers the previous calendar day here, and reportTime is in it.',
    ),
  hourlyExportMinute: wholeNumber(0, 59)
    .default(15)
    .describe('Minute past every hour at which the hourly export runs.'),
  dailyExportTime: timeOfDay
    .default('03:00')
    .describe(
      'UTC time of day (HH:MM) at which the daily export runs. Daily datasets cover UTC days, so this schedule is in UTC.',
    ),
  reportTime: timeOfDay
    .default('08:00')
    .describe('Time of day (HH:MM, in timeZone) at which the report on the previous day is emailed.'),
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
  alarmEmail: email('where alarms are sent')
    .optional()
    .describe('Address subscribed to the alarm topic. AWS mails it a link to confirm the subscription.'),
  settleHours: wholeNumber(1, 48)
    .default(DEFAULT_SETTLE_MS / TIME.HOUR)
    .describe(
      'Hours after a window ends during which late reports still raise its numbers. Younger windows are written as provisional and fetched again until they have settled.',
    ),
  freshnessAlarmHours: wholeNumber(2, 24)
    .default(3)
    .describe(
      `Alarm when no lake window has been written for this many hours. Applies when some dataset is hourly; with daily datasets only, the alarm fires after ${DAILY_FRESHNESS_ALARM_DAYS} days without a window instead.`,
    ),
  apiBaseUrl: apiBaseUrlSchema.default(DEFAULT_BASE_URL).describe('Base URL of the Peer5 API.'),
  reportTopN: wholeNumber(1, MAX_TOP_N)
    .default(DEFAULT_TOP_N)
    .describe('How many countries, browsers and so on the report lists.'),
  databaseName: z
    .string()
    .regex(GLUE_DATABASE, 'must be lower snake case: a letter, then letters, digits or _')
    .default('peer5_reporter')
    .describe('Name of the Glue database that holds one table per dataset.'),
});

export type SettingsInput = z.input<typeof settingsSchema>;
export type Settings = z.output<typeof settingsSchema>;
export type SettingName = keyof Settings;

export const SETTING_NAMES = Object.keys(settingsSchema.shape) as SettingName[];

export interface SettingProblem {
  /** The setting and the place inside it, e.g. `recipients[1]`. */
  readonly setting: string;
  readonly message: string;
  /** The key is no setting at all (rather than a setting with a bad value). */
  readonly unknown?: boolean;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(
    readonly problems: readonly SettingProblem[],
    /** What is being read: `setting` for context or config files, `environment variable` in a Lambda. */
    kind = 'setting',
  ) {
    super(
      problems
        .map(
          (problem) =>
            `${problem.unknown ? 'Unknown' : 'Invalid'} ${kind} "${problem.setting}": ${problem.message}`,
        )
        .join('\n'),
    );
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function problemsOf(error: z.ZodError): SettingProblem[] {
  return error.issues.map((issue) => ({ setting: pathOf(issue.path), message: issue.message }));
}

/**
 * The setting a key that is not one was most likely meant to be: the same name in other letter
 * case, or one at most two edits away. Undefined when no setting looks like it.
 */
export function settingLike(key: string): SettingName | undefined {
  return nameLike(key, SETTING_NAMES);
}

/** Checks settings given as JSON values (a config file, `cdk.json` context). */
export function parseSettings(input: unknown): Settings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SettingsError([{ setting: '(root)', message: 'settings must be a JSON object' }]);
  }
  const unknownKeys = Object.keys(input).filter((key) => !(SETTING_NAMES as string[]).includes(key));
  if (unknownKeys.length > 0) {
    throw new SettingsError(
      unknownKeys.map((key) => {
        const meant = settingLike(key);
        return {
          setting: key,
          message:
            meant === undefined
              ? `is not a setting; known settings: ${SETTING_NAMES.join(', ')}`
              : `is not a setting; did you mean "${meant}"?`,
        };
      }),
    );
  }
  const result = settingsSchema.safeParse(input);
  if (!result.success) throw new SettingsError(problemsOf(result.error));
  return result.data;
}

// ---------------------------------------------------------------------------------------------
// Text input: `-c key=value` flags and Lambda environment variables carry every value as a string.

type TextKind = 'string' | 'number' | 'list' | 'json';

function textKindOf(schema: z.ZodType): TextKind {
  let current: z.ZodType = schema;
  for (;;) {
    const def = current.def as { type: string; innerType?: z.ZodType };
    if ((def.type === 'default' || def.type === 'optional') && def.innerType) {
      current = def.innerType;
      continue;
    }
    if (def.type === 'number') return 'number';
    if (def.type === 'array') return 'list';
    if (def.type === 'string' || def.type === 'union') return 'string';
    return 'json';
  }
}

const TEXT_KINDS = Object.fromEntries(
  SETTING_NAMES.map((name) => [name, textKindOf(settingsSchema.shape[name] as z.ZodType)]),
) as Record<SettingName, TextKind>;

/**
 * Turns the text form of one setting into its JSON value: numbers are parsed, lists may be a JSON
 * array or comma-separated, and structured settings are JSON. Non-string values pass through.
 */
export function settingFromText(name: SettingName, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  switch (TEXT_KINDS[name]) {
    case 'string':
      return value;
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : value;
    case 'list':
      if (text.startsWith('[')) return parseJsonSetting(name, text);
      return text === ''
        ? []
        : text
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '');
    case 'json':
      return parseJsonSetting(name, text);
  }
}

function parseJsonSetting(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SettingsError([{ setting: name, message: `must be JSON (${reason})` }]);
  }
}

/**
 * Every setting from a lookup such as CDK's `node.tryGetContext`, where values are JSON from
 * `cdk.json` or strings from `-c key=value`, as JSON values ready for `parseSettings`.
 */
export function settingsInputFromContext(lookup: (name: string) => unknown): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const value = lookup(name);
    if (value !== undefined) input[name] = settingFromText(name, value);
  }
  return input;
}

/** Reads and checks every setting from a lookup such as CDK's `node.tryGetContext`. */
export function settingsFromContext(lookup: (name: string) => unknown): Settings {
  return parseSettings(settingsInputFromContext(lookup));
}

// ---------------------------------------------------------------------------------------------
// The Lambda environment: the stack writes settings with `lambdaEnvironment`, the handler reads
// them back at cold start with `readLambdaEnvironment`, through the same schema.

/** `bucketName` -> `PEER5_BUCKET_NAME`. */
export function environmentVariableOf(name: SettingName): string {
  return `PEER5_${name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

function settingToText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Datasets travel without descriptions: the Lambda environment is limited to 4 KB. */
function compactDatasets(datasets: readonly DatasetDefinition[]): unknown[] {
  return datasets.map(({ description: _description, ...rest }) => rest);
}

/** Environment variables that carry the given settings to a Lambda function. */
export function lambdaEnvironment<K extends SettingName>(
  settings: Pick<Settings, K>,
  names: readonly K[],
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const name of names) {
    const value =
      name === 'datasets' ? compactDatasets(settings[name] as DatasetDefinition[]) : settings[name];
    if (value !== undefined) environment[environmentVariableOf(name)] = settingToText(value);
  }
  return environment;
}

/**
 * Reads the named settings from a Lambda environment; every one of them must be present. Fails
 * with an error that names the environment variable and the rule it breaks.
 */
export function readLambdaEnvironment<K extends SettingName>(
  environment: Readonly<Record<string, string | undefined>>,
  names: readonly K[],
): { [P in K]-?: Exclude<Settings[P], undefined> } {
  const problems: SettingProblem[] = [];
  const result: Record<string, unknown> = {};
  for (const name of names) {
    const variable = environmentVariableOf(name);
    const text = environment[variable];
    if (text === undefined || text === '') {
      problems.push({ setting: variable, message: `is required (setting "${name}")` });
      continue;
    }
    try {
      const field = settingsSchema.shape[name] as z.ZodType;
      const parsed = field.safeParse(settingFromText(name, text));
      if (parsed.success) {
        result[name] = parsed.data;
      } else {
        for (const issue of parsed.error.issues) {
          const inner = pathOf(issue.path);
          problems.push({
            setting: variable,
            message: `${issue.message}${inner ? ` (at ${inner})` : ''} (setting "${name}")`,
          });
        }
      }
    } catch (error: unknown) {
      problems.push({
        setting: variable,
        message:
          error instanceof SettingsError ? (error.problems[0]?.message ?? error.message) : String(error),
      });
    }
  }
  if (problems.length > 0) throw new SettingsError(problems, 'environment variable');
  return result as { [P in K]-?: Exclude<Settings[P], undefined> };
}

// ---------------------------------------------------------------------------------------------
// Reference documentation, generated from the schema.

export interface SettingReference {
  readonly name: SettingName;
  readonly description: string;
  readonly required: boolean;
  /** The default as JSON, or undefined when the setting has none. */
  readonly defaultValue: string | undefined;
  readonly environmentVariable: string;
}

/** One entry per setting, in schema order, for generating the README's settings table. */
export function settingsReference(): SettingReference[] {
  return SETTING_NAMES.map((name) => {
    const field = settingsSchema.shape[name] as z.ZodType;
    const def = field.def as { type: string; defaultValue?: unknown };
    const defaultValue = def.type === 'default' ? def.defaultValue : undefined;
    return {
      name,
      description: field.description ?? '',
      required: !field.safeParse(undefined).success,
      defaultValue:
        name === 'datasets'
          ? 'the built-in datasets'
          : defaultValue === undefined
            ? undefined
            : JSON.stringify(defaultValue),
      environmentVariable: environmentVariableOf(name),
    };
  });
}
