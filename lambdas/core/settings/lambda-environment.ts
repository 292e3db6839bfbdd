/**
 * Settings in the Lambda environment: the stack writes them with `lambdaEnvironment`, the handler
 * reads them back at cold start with `readLambdaEnvironment`, through the same schema.
 */
import type { z } from 'zod';
import { type SettingName, type Settings, settingsSchema } from '../config.ts';
import type { DatasetDefinition } from '../datasets.ts';
import { fieldPathOf, type SettingProblem, SettingsError } from './errors.ts';
import { settingFromText } from './parse.ts';

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
 * Reads the named settings from a Lambda environment; every one of `names` must be present, and
 * each of `optionalNames` may be absent (a setting left unset, such as a price). Fails with an
 * error that names the environment variable and the rule it breaks.
 */
export function readLambdaEnvironment<K extends SettingName, O extends SettingName = never>(
  environment: Readonly<Record<string, string | undefined>>,
  names: readonly K[],
  optionalNames: readonly O[] = [],
): { [P in K]-?: Exclude<Settings[P], undefined> } & { [P in O]?: Exclude<Settings[P], undefined> } {
  const problems: SettingProblem[] = [];
  const result: Record<string, unknown> = {};
  const optional = new Set<SettingName>(optionalNames);
  for (const name of [...names, ...optionalNames]) {
    const variable = environmentVariableOf(name);
    const text = environment[variable];
    if (text === undefined || text === '') {
      if (!optional.has(name))
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
          const inner = fieldPathOf(issue.path);
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
  return result as { [P in K]-?: Exclude<Settings[P], undefined> } & {
    [P in O]?: Exclude<Settings[P], undefined>;
  };
}
