/**
 * What every function of the stack shares: the runtime, its own log group, the settings its handler
 * reads, the deadline margin, and failed async runs sent to the failure queue.
 */
import { describe, expect, it } from 'vitest';
import {
  ATHENA_WORK_GROUP_VARIABLE,
  BACKFILL_EXPORT_SETTINGS,
  DEADLINE_MARGIN_VARIABLE,
  DEFAULT_DEADLINE_MARGIN_MS,
  REPORT_CHECK_SETTINGS,
  REPORT_SETTINGS,
  SCHEDULED_EXPORT_SETTINGS,
  WATCH_STATE_KEY_VARIABLE,
} from '../../lambdas/handlers/environment.ts';
import { byType, defaultStack, flatten, logicalId, type Resource } from './synth.ts';

describe('the functions of the stack with every default dataset', () => {
  const { resources } = defaultStack();

  it('run on the newest Node.js runtime on arm64 with their own log group and a retention', () => {
    const functions = byType(resources, 'AWS::Lambda::Function');
    // Six functions, and the Backfill state machine's Plan, Item and Summary.
    expect(functions).toHaveLength(9);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.LoggingConfig.LogFormat).toBe('JSON');
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect((resources[logGroupId] as Resource).Properties.RetentionInDays).toBe(90);
    }
  });

  it('get exactly the settings their handler reads', () => {
    const variables = (prefix: string) =>
      Object.keys(
        (resources[logicalId(resources, 'AWS::Lambda::Function', prefix)] as Resource).Properties.Environment
          .Variables,
      ).filter((name) => name.startsWith('PEER5_') && name !== DEADLINE_MARGIN_VARIABLE);
    const names = (settingNames: readonly string[]) =>
      settingNames.map((name) => `PEER5_${name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`);
    // Every export paces its requests, so each reads the budget; the on-demand backfill, paced as
    // one more backfill item, also reads how many items share it.
    expect(variables('HourlyExport')).toEqual(names(SCHEDULED_EXPORT_SETTINGS));
    expect(variables('DailyExport')).toEqual(names(SCHEDULED_EXPORT_SETTINGS));
    expect(variables('Backfill')).toEqual(names(BACKFILL_EXPORT_SETTINGS));
    // cdnPricePerGb and runbookUrl are unset here, so only the required ones, the workgroup and,
    // as the watch is deployed, where it keeps its state.
    expect(variables('DailyReport')).toEqual([
      ...names(REPORT_SETTINGS),
      ATHENA_WORK_GROUP_VARIABLE,
      WATCH_STATE_KEY_VARIABLE,
    ]);
    expect(variables('ReportCheck')).toEqual(names(REPORT_CHECK_SETTINGS));
    const hourlyDatasets = JSON.parse(
      (resources[logicalId(resources, 'AWS::Lambda::Function', 'HourlyExport')] as Resource).Properties
        .Environment.Variables.PEER5_DATASETS,
    ) as { cadence: string }[];
    expect(hourlyDatasets.every((dataset) => dataset.cadence === 'hourly')).toBe(true);
  });

  it("leave the handlers' default deadline margin before the timeout", () => {
    for (const [id, fn] of byType(resources, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables[DEADLINE_MARGIN_VARIABLE], id).toBe(
        String(DEFAULT_DEADLINE_MARGIN_MS),
      );
    }
  });

  it('send failed async runs of every function to the same queue after one retry', () => {
    const queueId = logicalId(resources, 'AWS::SQS::Queue', 'FailedRuns');
    const configs = byType(resources, 'AWS::Lambda::EventInvokeConfig');
    expect(configs).toHaveLength(9);
    for (const [, config] of configs) {
      expect(config.Properties.MaximumRetryAttempts).toBe(1);
      expect(flatten(config.Properties.DestinationConfig.OnFailure.Destination)).toBe(`<${queueId}.Arn>`);
    }
  });
});
