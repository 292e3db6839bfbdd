/**
 * The product's settings: one schema for CDK context (`cdk.json`, `-c key=value`), the CLI config
 * file and the Lambda environment, so a setting is named, described, defaulted and validated once.
 *
 * Each group of fields is defined by the code it belongs to; add a setting to its group there, or
 * a new group with one line below. Reading settings: settings/parse.ts (JSON, `-c` text),
 * settings/lambda-environment.ts (the Lambda environment), settings/reference.ts (the README).
 */
import * as z from 'zod';
import { INSIGHT_SETTING_FIELDS } from './insights/settings.ts';
import { backfillBudgetProblem } from './lake/backfill-budget.ts';
import { REPORT_SETTING_FIELDS } from './report/config.ts';
import {
  ALARM_SETTING_FIELDS,
  API_SETTING_FIELDS,
  LAKE_SETTING_FIELDS,
  SCHEDULE_SETTING_FIELDS,
} from './settings/fields.ts';

export const settingsSchema = z
  .object({
    ...API_SETTING_FIELDS,
    ...REPORT_SETTING_FIELDS,
    ...SCHEDULE_SETTING_FIELDS,
    ...LAKE_SETTING_FIELDS,
    ...ALARM_SETTING_FIELDS,
    ...INSIGHT_SETTING_FIELDS,
  })
  // The rule between two settings: checked wherever the settings are parsed whole (synth, CLI).
  .superRefine((settings, ctx) => {
    const problem = backfillBudgetProblem(settings);
    if (problem) ctx.addIssue({ code: 'custom', path: ['backfillConcurrency'], message: problem });
  });

export type SettingsInput = z.input<typeof settingsSchema>;
export type Settings = z.output<typeof settingsSchema>;
export type SettingName = keyof Settings;

export const SETTING_NAMES = Object.keys(settingsSchema.shape) as SettingName[];
