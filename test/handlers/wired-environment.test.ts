/** The variables the stack writes besides settings, read once at cold start through one schema each. */
import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../lambdas/core/settings/errors.ts';
import {
  ATHENA_WORK_GROUP_VARIABLE,
  DEADLINE_MARGIN_VARIABLE,
  DEFAULT_DEADLINE_MARGIN_MS,
  WATCH_STATE_KEY_VARIABLE,
  WATCH_TOPIC_VARIABLE,
} from '../../lambdas/handlers/environment.ts';
import { readWiredVariable } from '../../lambdas/handlers/wired-environment.ts';

describe('a variable the stack writes', () => {
  it('is read as the stack wrote it', () => {
    const environment = {
      [ATHENA_WORK_GROUP_VARIABLE]: 'peer5-reporter',
      [WATCH_STATE_KEY_VARIABLE]: 'peer5/_watch/state.json',
      [WATCH_TOPIC_VARIABLE]: 'arn:aws:sns:eu-west-1:123456789012:insights',
      [DEADLINE_MARGIN_VARIABLE]: '45000',
    };
    expect(readWiredVariable(environment, ATHENA_WORK_GROUP_VARIABLE)).toBe('peer5-reporter');
    expect(readWiredVariable(environment, WATCH_STATE_KEY_VARIABLE)).toBe('peer5/_watch/state.json');
    expect(readWiredVariable(environment, WATCH_TOPIC_VARIABLE)).toBe(
      'arn:aws:sns:eu-west-1:123456789012:insights',
    );
    expect(readWiredVariable(environment, DEADLINE_MARGIN_VARIABLE)).toBe(45_000);
  });

  it('counts an empty value as unset: absent where optional, the default where there is one', () => {
    const environment = {
      [ATHENA_WORK_GROUP_VARIABLE]: '',
      [WATCH_STATE_KEY_VARIABLE]: '',
      [DEADLINE_MARGIN_VARIABLE]: '',
    };
    expect(readWiredVariable(environment, ATHENA_WORK_GROUP_VARIABLE)).toBeUndefined();
    expect(readWiredVariable(environment, WATCH_STATE_KEY_VARIABLE)).toBeUndefined();
    expect(readWiredVariable(environment, DEADLINE_MARGIN_VARIABLE)).toBe(DEFAULT_DEADLINE_MARGIN_MS);
    expect(readWiredVariable({}, DEADLINE_MARGIN_VARIABLE)).toBe(DEFAULT_DEADLINE_MARGIN_MS);
  });

  it('is refused, naming the variable and its rule, when required and missing', () => {
    for (const environment of [{}, { [WATCH_TOPIC_VARIABLE]: '' }]) {
      expect(() => readWiredVariable(environment, WATCH_TOPIC_VARIABLE)).toThrow(SettingsError);
      expect(() => readWiredVariable(environment, WATCH_TOPIC_VARIABLE)).toThrow(
        `Invalid environment variable "${WATCH_TOPIC_VARIABLE}": is required: the ARN of the insights SNS topic`,
      );
    }
  });

  it('is refused, naming the variable and its rule, when it breaks it', () => {
    for (const bad of ['soon', '-1', '1.5', ' 45000', '1e4']) {
      expect(() => readWiredVariable({ [DEADLINE_MARGIN_VARIABLE]: bad }, DEADLINE_MARGIN_VARIABLE)).toThrow(
        `Invalid environment variable "${DEADLINE_MARGIN_VARIABLE}": must be a non-negative whole number of milliseconds`,
      );
    }
  });
});
