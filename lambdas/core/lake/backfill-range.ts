/**
 * The rule of a backfill's range, in one place: `from` before `to`, and `from` not before the
 * lake's first day (Athena's partition projection starts there, so earlier files would be written
 * but never queried). Every entry point checks a range here and words the problems its own way:
 * the backfill event names its fields, the CLI its flags, the planner throws BackfillRangeError.
 */
import { LAKE_EPOCH_MS, LAKE_EPOCH_RULE } from '../datasets.ts';

/** The two bounds of a range [from, to), in epoch milliseconds. */
export interface BackfillRange {
  readonly from: number;
  readonly to: number;
}

export type BackfillRangeField = keyof BackfillRange;

/** One broken rule: the bound that breaks it, and the rule, worded to follow the bound's name. */
export interface BackfillRangeProblem {
  readonly field: BackfillRangeField;
  readonly rule: string;
}

/** How a rule names the other bound: `"from"` in an event, `--from` on the command line. */
export type FieldNamer = (field: BackfillRangeField) => string;

const QUOTED: FieldNamer = (field) => `"${field}"`;

/**
 * Every rule the range breaks, in the order a reader fixes them; empty when the range is good.
 * `nameOf` words a rule's mention of the other bound (quoted field names by default).
 */
export function backfillRangeProblems(
  range: BackfillRange,
  nameOf: FieldNamer = QUOTED,
): BackfillRangeProblem[] {
  const bounds: BackfillRangeField[] = ['from', 'to'];
  const notWhole = bounds.filter((field) => !Number.isSafeInteger(range[field]));
  // Comparing a bound that is no moment at all says nothing more.
  if (notWhole.length > 0) {
    return notWhole.map((field) => ({ field, rule: 'must be a whole number of milliseconds' }));
  }
  const problems: BackfillRangeProblem[] = [];
  if (range.from >= range.to) {
    problems.push({ field: 'to', rule: `must be after ${nameOf('from')} (the range is [from, to))` });
  }
  if (range.from < LAKE_EPOCH_MS) problems.push({ field: 'from', rule: LAKE_EPOCH_RULE });
  return problems;
}

export class BackfillRangeError extends Error {
  override readonly name = 'BackfillRangeError';
}

function moment(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/** Throws BackfillRangeError naming every rule the range breaks; for callers that take a range as numbers. */
export function checkBackfillRange(range: BackfillRange): void {
  const problems = backfillRangeProblems(range);
  if (problems.length === 0) return;
  throw new BackfillRangeError(
    `backfill range [${moment(range.from)}, ${moment(range.to)}) must have "from" before "to" and start in the lake: ${problems
      .map((problem) => `${QUOTED(problem.field)} ${problem.rule}`)
      .join('; ')}`,
  );
}
