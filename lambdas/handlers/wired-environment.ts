/**
 * What the stack tells a handler besides settings: the names of resources it built (the watch's
 * topic, the report's Athena workgroup, the watch's state object) and the deadline margin. Nobody
 * sets them, the stack writes them from what it builds, so they are not settings; but they are read
 * as settings are: once at cold start, each through its own schema, failing with an error that
 * names the variable and the rule it breaks. An empty value counts as unset.
 */
import * as z from 'zod';
import { SettingsError } from '../core/settings/errors.ts';
import {
  ATHENA_WORK_GROUP_VARIABLE,
  DEADLINE_MARGIN_VARIABLE,
  DEFAULT_DEADLINE_MARGIN_MS,
  WATCH_STATE_KEY_VARIABLE,
  WATCH_TOPIC_VARIABLE,
} from './environment.ts';

const WIRED_VARIABLES = {
  [ATHENA_WORK_GROUP_VARIABLE]: z.string().optional(),
  [WATCH_STATE_KEY_VARIABLE]: z.string().optional(),
  [WATCH_TOPIC_VARIABLE]: z.string({ error: 'is required: the ARN of the insights SNS topic' }),
  [DEADLINE_MARGIN_VARIABLE]: z
    .string()
    .regex(/^\d{1,15}$/, { error: 'must be a non-negative whole number of milliseconds' })
    .transform(Number)
    .default(DEFAULT_DEADLINE_MARGIN_MS),
} as const;

export type WiredVariable = keyof typeof WIRED_VARIABLES;

/** The variable's value in `environment`, read through its schema; SettingsError names it if bad. */
export function readWiredVariable<V extends WiredVariable>(
  environment: Readonly<Record<string, string | undefined>>,
  variable: V,
): z.output<(typeof WIRED_VARIABLES)[V]> {
  const text = environment[variable];
  const result = WIRED_VARIABLES[variable].safeParse(text === '' ? undefined : text);
  if (result.success) return result.data as z.output<(typeof WIRED_VARIABLES)[V]>;
  throw new SettingsError(
    [{ setting: variable, message: result.error.issues[0]?.message ?? 'is invalid' }],
    'environment variable',
  );
}
