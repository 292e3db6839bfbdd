/**
 * The alarms that say a scheduled export can no longer keep up or that the report did not go out,
 * the schedule of the report check, and the warning about an alarm topic nobody listens to.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RUN_KIND } from '../../lambdas/handlers/environment.ts';
import { createApp } from '../../lib/app.ts';
import { DEFERRING_RUNS_ALARM } from '../../lib/defaults.ts';
import { UNSUBSCRIBED_TOPIC_WARNING } from '../../lib/monitoring.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped; the assertions pin its shape.
type Cfn = any;

const ADDRESSES = { sender: 'reports@acme.tv', recipients: 'ops@acme.tv' };

function synth(context: Record<string, unknown>) {
  const { stack } = createApp({ context, bundle: false });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Type: string; Properties: Cfn }
  >;
  const ofType = (type: string) =>
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id, resource]): Cfn => ({ id, ...resource.Properties }));
  return { stack, alarms: ofType('AWS::CloudWatch::Alarm'), schedules: ofType('AWS::Scheduler::Schedule') };
}

function warningsOf(context: Record<string, unknown>): string[] {
  const { stack } = synth(context);
  return stack.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === 'aws:cdk:warning')
    .map((entry) => String(entry.data));
}

describe('the alarm on scheduled exports that keep deferring windows', () => {
  const { alarms } = synth({ ...ADDRESSES, alarmEmail: 'oncall@acme.tv' });
  const deferring = (kind: string) =>
    alarms.find(
      (alarm) =>
        alarm.MetricName === 'WindowsDeferred' &&
        alarm.Dimensions.some((dimension: Cfn) => dimension.Name === 'run' && dimension.Value === kind),
    );

  it('fires after three hourly runs in a row deferred windows', () => {
    expect(deferring(RUN_KIND.hourlyExport)).toMatchObject({
      Namespace: 'Peer5Reporter',
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: DEFERRING_RUNS_ALARM.hourly,
      DatapointsToAlarm: DEFERRING_RUNS_ALARM.hourly,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(DEFERRING_RUNS_ALARM.hourly).toBe(3);
    expect(new Set(deferring(RUN_KIND.hourlyExport).Dimensions)).toEqual(
      new Set([
        { Name: 'service', Value: 'peer5-reporter' },
        { Name: 'run', Value: 'hourly-export' },
      ]),
    );
    expect(deferring(RUN_KIND.hourlyExport).AlarmDescription).toContain('can no longer keep up');
  });

  it('fires after two daily runs in a row deferred windows', () => {
    expect(deferring(RUN_KIND.dailyExport)).toMatchObject({
      Period: 86400,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
    });
  });

  it('leaves the backfill out: it defers routinely and is invoked again', () => {
    expect(deferring(RUN_KIND.backfill)).toBeUndefined();
  });

  it('exists only for the exports the stack has', () => {
    const dailyOnly = synth({
      ...ADDRESSES,
      datasets: JSON.stringify([
        { name: 'pages', interval: '1d', metrics: ['p2p'], dimensions: ['session.page'], cadence: 'daily' },
      ]),
    }).alarms.filter((alarm) => alarm.MetricName === 'WindowsDeferred');
    const runs = dailyOnly.map(
      (alarm) => alarm.Dimensions.find((dimension: Cfn) => dimension.Name === 'run')?.Value,
    );
    expect(runs).toEqual([RUN_KIND.dailyExport]);
  });
});

describe('the alarm on a report not sent an hour after its time', () => {
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

  it('wraps past midnight for a late report', () => {
    const { schedules } = synth({ ...ADDRESSES, reportTime: '23:30' });
    const check = schedules.find((schedule) => schedule.Description.startsWith('Checks'));
    expect(check.ScheduleExpression).toBe('cron(30 0 * * ? *)');
  });

  it('fires on the ReportsLate the check records, and keeps its state until the next datapoint', () => {
    const { alarms } = synth({ ...ADDRESSES, timeZone: 'Europe/Berlin' });
    const late = alarms.find((alarm) => alarm.MetricName === 'ReportsLate');
    expect(late).toMatchObject({
      Namespace: 'Peer5Reporter',
      Dimensions: [{ Name: 'service', Value: 'peer5-reporter' }],
      // A report sent after the check records 0 in the same period: the smallest value wins.
      Statistic: 'Minimum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
    });
    expect(late.AlarmDescription).toContain('08:00 Europe/Berlin');
  });
});

describe('the alarm topic without a subscriber', () => {
  it('warns on synth, saying how to add one', () => {
    const warnings = warningsOf(ADDRESSES).filter((warning) => warning.includes('alarm topic'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('-c alarmEmail=');
    expect(warnings[0]).toContain('aws sns subscribe --topic-arn <AlarmTopic output>');
    expect(warnings[0]).toContain(`[ack: ${UNSUBSCRIBED_TOPIC_WARNING}]`);
  });

  it('stays quiet when alarmEmail is set', () => {
    expect(warningsOf({ ...ADDRESSES, alarmEmail: 'oncall@acme.tv' })).toEqual([]);
  });
});
