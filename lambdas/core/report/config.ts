/**
 * Validation of the report's settings. Each error names the setting and the rule it breaks, so a
 * misconfigured deployment says what to fix instead of failing later inside SES or `Intl`.
 */
import { type Filters, filtersSchema } from '../contract.ts';
import { CALENDAR_DATE, parseCalendarDate } from '../dates.ts';
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

const ADDRESS =
  /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const NAMED_ADDRESS = /^([^<>\r\n]*)<([^<>\s]+)>$/;

/** The bare address of `user@example.com` or `Name <user@example.com>`, or null if it is neither. */
export function emailAddressOf(value: string): string | null {
  const trimmed = value.trim();
  // A line break would let a value add headers of its own.
  if (/[\r\n]/.test(trimmed)) return null;
  const named = NAMED_ADDRESS.exec(trimmed);
  const address = named ? (named[2] as string) : trimmed;
  return ADDRESS.test(address) ? address : null;
}

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

export const DEFAULT_TIME_ZONE = 'UTC';

export function validateReportSettings(
  input: ReportSettingsInput,
  defaults: { topN: number },
): ReportSettings {
  const zoneInput = input.timeZone ?? DEFAULT_TIME_ZONE;
  const timeZone = canonicalTimeZone(zoneInput);
  if (timeZone === null) {
    throw new ReportConfigError(
      'timeZone',
      `${JSON.stringify(zoneInput)} is not an IANA time zone name (for example UTC, Europe/Berlin, America/New_York)`,
    );
  }
  if (typeof input.from !== 'string' || emailAddressOf(input.from) === null) {
    throw new ReportConfigError(
      'from',
      `${JSON.stringify(input.from)} is not an email address (user@example.com or "Name <user@example.com>")`,
    );
  }
  if (!Array.isArray(input.to) || input.to.length === 0) {
    throw new ReportConfigError('to', 'list at least one recipient address');
  }
  if (input.to.length > MAX_RECIPIENTS) {
    throw new ReportConfigError(
      'to',
      `SES sends one message to at most ${MAX_RECIPIENTS} recipients; got ${input.to.length}`,
    );
  }
  input.to.forEach((recipient, index) => {
    if (typeof recipient !== 'string' || emailAddressOf(recipient) === null) {
      throw new ReportConfigError(`to[${index}]`, `${JSON.stringify(recipient)} is not an email address`);
    }
  });
  if (input.date !== undefined && parseCalendarDate(input.date) === null) {
    throw new ReportConfigError('date', `${JSON.stringify(input.date)} is not ${CALENDAR_DATE}`);
  }
  const topN = input.topN ?? defaults.topN;
  if (!Number.isInteger(topN) || topN < 1 || topN > MAX_TOP_N) {
    throw new ReportConfigError('topN', `must be a whole number from 1 to ${MAX_TOP_N}; got ${topN}`);
  }
  if (input.filters !== undefined) {
    const filters = filtersSchema.safeParse(input.filters);
    const [issue] = filters.error?.issues ?? [];
    if (issue !== undefined) {
      const key = issue.path[0];
      throw new ReportConfigError(key === undefined ? 'filters' : `filters.${String(key)}`, issue.message);
    }
  }
  return {
    timeZone,
    from: input.from.trim(),
    to: input.to.map((recipient) => recipient.trim()),
    ...(input.date !== undefined ? { date: input.date } : {}),
    topN,
    ...(input.filters !== undefined ? { filters: input.filters } : {}),
  };
}
