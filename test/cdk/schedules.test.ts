/**
 * The EventBridge Scheduler schedules: when each run starts, in which time zone, how deliveries are
 * retried, and the role that may invoke exactly the scheduled functions.
 */
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { cronAt } from '../../lib/schedules.ts';
import {
  byType,
  defaultStack,
  flatten,
  logicalId,
  propertiesOfType,
  statementsOfRole,
  summarize,
  synthesized,
} from './synth.ts';

const ADDRESSES = { sender: 'reports@acme.tv', recipients: 'ops@acme.tv' };

describe('the schedules of the stack with every default dataset', () => {
  const { resources, stack, template } = defaultStack();

  it('start the exports in UTC and the report in the configured zone, at the configured times', () => {
    const schedules = byType(resources, 'AWS::Scheduler::Schedule').map(([, schedule]) => ({
      expression: schedule.Properties.ScheduleExpression,
      timeZone: schedule.Properties.ScheduleExpressionTimezone,
      target: flatten(schedule.Properties.Target.Arn),
      window: schedule.Properties.FlexibleTimeWindow.Mode,
    }));
    expect(schedules).toEqual([
      {
        expression: 'cron(20 * * * ? *)',
        timeZone: 'UTC',
        target: `<${logicalId(resources, 'AWS::Lambda::Function', 'HourlyExport')}.Arn>`,
        window: 'OFF',
      },
      {
        expression: 'cron(30 * * * ? *)',
        timeZone: 'UTC',
        target: `<${logicalId(resources, 'AWS::Lambda::Function', 'OffloadWatch')}.Arn>`,
        window: 'OFF',
      },
      {
        expression: 'cron(45 2 * * ? *)',
        timeZone: 'UTC',
        target: `<${logicalId(resources, 'AWS::Lambda::Function', 'DailyExport')}.Arn>`,
        window: 'OFF',
      },
      {
        expression: 'cron(30 7 * * ? *)',
        timeZone: 'Europe/Berlin',
        target: `<${logicalId(resources, 'AWS::Lambda::Function', 'DailyReport')}.Arn>`,
        window: 'OFF',
      },
      {
        expression: 'cron(30 8 * * ? *)',
        timeZone: 'Europe/Berlin',
        target: `<${logicalId(resources, 'AWS::Lambda::Function', 'ReportCheck')}.Arn>`,
        window: 'OFF',
      },
    ]);
  });

  it('retry deliveries, then send them to the SSL-only dead-letter queue, passing the scheduled time', () => {
    const queueId = logicalId(resources, 'AWS::SQS::Queue', 'FailedRuns');
    for (const [, schedule] of byType(resources, 'AWS::Scheduler::Schedule')) {
      const target = schedule.Properties.Target;
      expect(target.RetryPolicy.MaximumRetryAttempts).toBe(5);
      expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(3600);
      expect(flatten(target.DeadLetterConfig.Arn)).toBe(`<${queueId}.Arn>`);
      expect(JSON.parse(target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
    }
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    });
  });

  it('let Scheduler invoke only the scheduled functions, unqualified, and send to the dead-letter queue', () => {
    const statements = summarize(statementsOfRole(resources, 'SchedulesRole'));
    const fn = (prefix: string) => `<${logicalId(resources, 'AWS::Lambda::Function', prefix)}.Arn>`;
    expect(statements).toEqual([
      {
        sid: 'SendUndeliveredEvents',
        actions: ['sqs:SendMessage'],
        resources: [`<${logicalId(resources, 'AWS::SQS::Queue', 'FailedRuns')}.Arn>`],
        condition: undefined,
      },
      {
        sid: 'InvokeHourlyExport',
        actions: ['lambda:InvokeFunction'],
        resources: [fn('HourlyExport')],
        condition: undefined,
      },
      {
        sid: 'InvokeOffloadWatch',
        actions: ['lambda:InvokeFunction'],
        resources: [fn('OffloadWatch')],
        condition: undefined,
      },
      {
        sid: 'InvokeDailyExport',
        actions: ['lambda:InvokeFunction'],
        resources: [fn('DailyExport')],
        condition: undefined,
      },
      {
        sid: 'InvokeDailyReport',
        actions: ['lambda:InvokeFunction'],
        resources: [fn('DailyReport')],
        condition: undefined,
      },
      {
        sid: 'InvokeReportCheck',
        actions: ['lambda:InvokeFunction'],
        resources: [fn('ReportCheck')],
        condition: undefined,
      },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  it('lists the schedules it created, read-only: hourly export, its watch, daily export, report and its check', () => {
    expectTypeOf(stack.schedules.schedules).toEqualTypeOf<readonly scheduler.Schedule[]>();
    expect(stack.schedules.schedules.map((schedule) => schedule.node.id)).toEqual([
      'HourlyExport',
      'OffloadWatch',
      'DailyExport',
      'DailyReport',
      'ReportCheck',
    ]);
  });
});

describe('the schedule of the report check', () => {
  const synth = (context: Record<string, unknown>) => ({
    schedules: propertiesOfType(synthesized(context).resources, 'AWS::Scheduler::Schedule'),
  });

  it('checks an hour after reportTime, in the report time zone, so DST moves both together', () => {
    const { schedules } = synth({ ...ADDRESSES, timeZone: 'America/New_York', reportTime: '07:45' });
    const check = schedules.find((schedule) => schedule.Description.startsWith('Checks'));
    expect(check).toMatchObject({
      ScheduleExpression: 'cron(45 8 * * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(JSON.parse(check.Target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
  });

  it('gives the scheduler the zone as its canonical name, however the setting spells it', () => {
    const { schedules } = synth({ ...ADDRESSES, timeZone: 'america/new_york' });
    const zones = schedules
      .filter((schedule) => schedule.Description.includes('report'))
      .map((schedule) => schedule.ScheduleExpressionTimezone);
    expect(zones.length).toBeGreaterThan(0);
    expect(new Set(zones)).toEqual(new Set(['America/New_York']));
  });

  it('wraps past midnight for a late report', () => {
    const { schedules } = synth({ ...ADDRESSES, reportTime: '23:30' });
    const check = schedules.find((schedule) => schedule.Description.startsWith('Checks'));
    expect(check.ScheduleExpression).toBe('cron(30 0 * * ? *)');
  });
});

describe('cron fields of a time of day', () => {
  it('name the minute and the hour, without leading zeros', () => {
    expect(cronAt('07:05')).toEqual({ minute: '5', hour: '7' });
    expect(cronAt('00:00')).toEqual({ minute: '0', hour: '0' });
  });

  it('move on by the given minutes, wrapping past midnight', () => {
    expect(cronAt('07:30', 60)).toEqual({ minute: '30', hour: '8' });
    expect(cronAt('23:30', 60)).toEqual({ minute: '30', hour: '0' });
    expect(cronAt('23:59', 1)).toEqual({ minute: '0', hour: '0' });
  });
});
