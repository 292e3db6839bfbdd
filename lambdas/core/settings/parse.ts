/**
 * Reading settings through the schema: as JSON values (a config file, `cdk.json` context) and as
 * text (`-c key=value` flags and Lambda environment variables carry every value as a string).
 * Every error names the setting and the rule it breaks.
 */
import type { z } from 'zod';
import { SETTING_NAMES, type SettingName, type Settings, settingsSchema } from '../config.ts';
import { nameLike } from '../spelling.ts';
import { problemsOf, SettingsError } from './errors.ts';

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
// Text input.

type TextKind = 'string' | 'number' | 'list' | 'json';

function textKindOf(schema: z.ZodType): TextKind {
  let current: z.ZodType = schema;
  for (;;) {
    const def = current.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if ((def.type === 'default' || def.type === 'optional') && def.innerType) {
      current = def.innerType;
      continue;
    }
    // A transformed setting (timeZone, to its canonical name) is written as its input is.
    if (def.type === 'pipe' && def.in) {
      current = def.in;
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
 * One setting from its text, checked by its own field of the schema alone (its default when
 * absent), without the rules that join it to other settings: for a value that stands for the
 * setting in one run only. Throws a SettingsError naming the setting.
 */
export function parseSetting<N extends SettingName>(name: N, value: unknown): Settings[N] {
  const parsed = (settingsSchema.shape[name] as z.ZodType).safeParse(settingFromText(name, value));
  if (!parsed.success)
    throw new SettingsError(problemsOf(parsed.error).map((problem) => ({ ...problem, setting: name })));
  return parsed.data as Settings[N];
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
