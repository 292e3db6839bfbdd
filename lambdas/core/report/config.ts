/**
 * The report's settings: the rules of its sender, recipients, time zone and table size, as fields
 * of the product's settings schema (`../config.ts`) and as the check `runReport` makes of its
 * options. Both read the same field schemas, so a value is refused on either path with the same
 * message, naming the setting and the rule it breaks.
 */
import * as z from 'zod';
import { type Filters, filtersSchema } from '../contract.ts';
import { CALENDAR_DATE, parseCalendarDate } from '../dates.ts';
import { fieldPathOf } from '../settings/errors.ts';
import { EMAIL_ADDRESS, emailSchema } from '../settings/fields.ts';
import { DEFAULT_TOP_N } from './summary.ts';
import { canonicalTimeZone } from './time.ts';

export class ReportConfigError extends Error {
  override readonly name = 'ReportConfigError';
  constructor(
    readonly setting: string,
    /** The rule alone, for callers that name the setting their own way (a CLI flag, say). */
    readonly rule: string,
  ) {
    super(`${setting}: ${rule}`);
  }
}

/** SES accepts at most 50 recipients per message. */
export const MAX_RECIPIENTS = 50;
/** Gmail clips a message whose HTML passes about 102 KB; 10 rows a table keeps the report well under. */
export const MAX_TOP_N = 10;
export const DEFAULT_TIME_ZONE = 'UTC';

const NAMED_ADDRESS = /^([^<>\r\n]*)<([^<>\s]+)>$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** The bare address of `user@example.com` or `Name <user@example.com>`, or null if it is neither. */
export function emailAddressOf(value: string): string | null {
  const trimmed = value.trim();
  // A line break would let a value add headers of its own.
  if (/[\r\n]/.test(trimmed)) return null;
  const named = NAMED_ADDRESS.exec(trimmed);
  const address = named ? (named[2] as string) : trimmed;
  return EMAIL_ADDRESS.test(address) ? address : null;
}

export function isTimeZone(value: string): boolean {
  // Offsets such as "+02:00" are accepted by Intl but not by EventBridge Scheduler.
  return !/^[+-]/.test(value) && canonicalTimeZone(value) !== null;
}

/** A number as a message quotes it: `11`, `1.5`, `"ten"`. */
const quoted = (value: unknown) => (typeof value === 'number' ? String(value) : JSON.stringify(value));

export const senderSchema = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'is required: the address the daily report is sent from'
        : 'must be a string',
  })
  .refine(
    (value) => emailAddressOf(value) !== null,
    'must be an email address (user@example.com or "Name <user@example.com>")',
  );

export const recipientsSchema = z
  .array(emailSchema('a recipient'), {
    error: (issue) =>
      issue.input === undefined
        ? 'is required: who receives the daily report'
        : 'must be a list of email addresses',
  })
  .min(1, 'must list at least one email address')
  .max(MAX_RECIPIENTS, `must list at most ${MAX_RECIPIENTS} recipients (one SES message)`);

/**
 * An IANA zone, given in any letter case or by an alias `Intl` knows ("europe/berlin",
 * "US/Pacific"), read as its canonical name: EventBridge Scheduler and every other reader of the
 * setting then see the same spelling as the report does.
 */
export const timeZoneSchema = z
  .string()
  .refine(isTimeZone, {
    error: (issue) =>
      `must be an IANA time zone name such as "Europe/Berlin" or "UTC"; got ${quoted(issue.input)}`,
  })
  .transform((timeZone) => canonicalTimeZone(timeZone) ?? timeZone)
  .default(DEFAULT_TIME_ZONE);

const topNRule = (issue: { readonly input?: unknown }) =>
  `must be a whole number from 1 to ${MAX_TOP_N}; got ${quoted(issue.input)}`;

export const topNSchema = z
  .int({ error: topNRule })
  .min(1, { error: topNRule })
  .max(MAX_TOP_N, { error: topNRule })
  .default(DEFAULT_TOP_N);

export const runbookUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an absolute http:// or https:// URL' })
  .optional();

/** The report's fields of the product's settings schema. */
export const REPORT_SETTING_FIELDS = {
  sender: senderSchema.describe(
    'Address the daily report is sent from, optionally with a display name ("Peer5 Reports <reports@example.com>"). It must be verified in SES: the stack creates an email identity for it unless senderIdentity is set.',
  ),
  senderIdentity: z
    .union([emailSchema('an SES identity'), z.string().regex(DOMAIN)], {
      error: 'must be an email address or a domain name',
    })
    .optional()
    .describe(
      'An SES identity that already exists and is verified (a domain or an address) to send as. When omitted, the stack creates an email identity for sender.',
    ),
  recipients: recipientsSchema.describe(
    'Who receives the daily report. On the command line: a comma-separated list or a JSON array.',
  ),
  timeZone: timeZoneSchema.describe(
    'Time zone of the report: the report covers the previous calendar day here, and reportTime is in it.',
  ),
  reportTopN: topNSchema.describe('How many countries, browsers and so on the report lists.'),
  runbookUrl: runbookUrlSchema.describe(
    'Where the report footer links for what to do when something is wrong: your copy of the README\'s "Operations runbook" section, e.g. https://github.com/acme/peer5-reporter#operations-runbook. Unset: the footer names that section without a link.',
  ),
};

export interface ReportSettingsInput {
  readonly timeZone?: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly date?: string;
  readonly topN?: number;
  readonly filters?: Filters;
}

export interface ReportSettings {
  /** Canonical IANA name. */
  readonly timeZone: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly date?: string;
  readonly topN: number;
  readonly filters?: Filters;
}

/** `runReport`'s options, in the order they are checked: the first broken rule is reported. */
const reportSettingsSchema = z.object({
  timeZone: timeZoneSchema,
  from: senderSchema,
  to: recipientsSchema,
  date: z
    .string()
    .refine((text) => parseCalendarDate(text) !== null, {
      error: (issue) => `${quoted(issue.input)} is not ${CALENDAR_DATE}`,
    })
    .optional(),
  topN: topNSchema,
  filters: filtersSchema.optional(),
});

/** Checks the report's options; `defaults.topN` stands in for a missing `topN`. */
export function validateReportSettings(
  input: ReportSettingsInput,
  defaults: { readonly topN?: number } = {},
): ReportSettings {
  const result = reportSettingsSchema.safeParse({
    timeZone: input.timeZone,
    from: input.from,
    to: input.to,
    date: input.date,
    topN: input.topN ?? defaults.topN,
    filters: input.filters,
  });
  if (!result.success) {
    const [issue] = result.error.issues;
    throw new ReportConfigError(fieldPathOf(issue?.path ?? []), issue?.message ?? 'is invalid');
  }
  const { timeZone, from, to, date, topN, filters } = result.data;
  return {
    timeZone,
    from: from.trim(),
    to,
    ...(date !== undefined ? { date } : {}),
    topN,
    ...(filters !== undefined ? { filters } : {}),
  };
}
