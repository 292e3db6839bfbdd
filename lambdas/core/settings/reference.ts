/** Reference documentation of the settings, generated from the schema (the README's table). */
import type { z } from 'zod';
import { SETTING_NAMES, type SettingName, settingsSchema } from '../config.ts';
import { environmentVariableOf } from './lambda-environment.ts';

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
