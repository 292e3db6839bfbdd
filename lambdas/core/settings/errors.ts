/** Errors that name the setting (and the place inside it) and the rule it breaks. */
import type { z } from 'zod';

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

/**
 * A place inside settings, an event or a state file as a message names it: `recipients[1]`,
 * `cdnPricePerGb[0].upToGb`.
 */
export function fieldPathOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

export function problemsOf(error: z.ZodError): SettingProblem[] {
  return error.issues.map((issue) => ({ setting: fieldPathOf(issue.path), message: issue.message }));
}
