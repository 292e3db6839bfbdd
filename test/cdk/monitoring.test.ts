/**
 * The alarms: the topic they notify, failed functions, the failure queue, gaps, freshness, exports
 * that can no longer keep up, a report that did not go out, and the warning about an alarm topic
 * nobody listens to.
 */
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { RUN_KIND } from '../../lambdas/handlers/environment.ts';
import { DEFERRING_RUNS_ALARM } from '../../lib/defaults.ts';
import { UNSUBSCRIBED_TOPIC_WARNING } from '../../lib/monitoring.ts';
import {
  byType,
  type Cfn,
  defaultStack,
  flatten,
  logicalId,
  propertiesOfType,
  synthesized,
  warningsOf,
} from './synth.ts';

const ADDRESSES = { sender: 'reports@acme.tv', recipients: 'ops@acme.tv' };

function synth(context: Record<string, unknown>) {
  return { alarms: propertiesOfType(synthesized(context).resources, 'AWS::CloudWatch::Alarm') };
}

describe('the alarms of the stack with every default dataset', () => {
  const { resources, stack, template } = defaultStack();
  const alarms = () =>
    byType(resources, 'AWS::CloudWatch::Alarm').map(([id, alarm]): Cfn => ({ id, ...alarm.Properties }));

  it('notify the alarm topic, which takes only TLS and mails the alarm address', () => {
    const topicId = logicalId(resources, 'AWS::SNS::Topic', 'MonitoringTopic');
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'alarms@example.com',
      TopicArn: { Ref: topicId },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [{ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
      },
    });
  });

  it('watch the errors of every function', () => {
    const errorAlarms = alarms().filter((alarm) => alarm.MetricName === 'Errors');
    expect(errorAlarms.map((alarm) => flatten(alarm.Dimensions[0].Value))).toEqual(
      ['HourlyExport', 'DailyExport', 'DailyReport', 'Backfill', 'ReportCheck', 'OffloadWatch'].map(
        (prefix) => `<${logicalId(resources, 'AWS::Lambda::Function', prefix)}>`,
      ),
    );
    for (const alarm of errorAlarms) {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('watch the depth of the dead-letter queue', () => {
    const depth = alarms().find((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(depth).toMatchObject({
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(flatten(depth?.Dimensions[0].Value)).toBe(
      `<${logicalId(resources, 'AWS::SQS::Queue', 'FailedRuns')}.QueueName>`,
    );
  });

  it('fire when no window was written for the configured hours, counting silence as breaching', () => {
    const freshness = alarms().find((alarm) => alarm.MetricName === 'WindowsWritten');
    expect(freshness).toMatchObject({
      Namespace: 'Peer5Reporter',
      Dimensions: [{ Name: 'service', Value: 'peer5-reporter' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 4,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('fire when a run finds windows the API no longer serves', () => {
    expect(alarms().find((alarm) => alarm.MetricName === 'GapsFound')).toMatchObject({
      Namespace: 'Peer5Reporter',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it("point at the gap log lines by the lake core's event field", () => {
    const gaps = alarms().find((alarm) => alarm.MetricName === 'GapsFound');
    expect(gaps?.AlarmDescription).toContain('The log lines with event "gap" name the dataset and the range');
  });

  it('are listed, read-only, by the monitoring construct', () => {
    // Checked by the type checker: callers read the list but cannot add to it or empty it.
    expectTypeOf(stack.monitoring.alarms).toEqualTypeOf<readonly cloudwatch.Alarm[]>();
    const listed = stack.monitoring.alarms.map((alarm) =>
      stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm),
    );
    expect(listed.sort()).toEqual(
      alarms()
        .map((alarm) => alarm.id as string)
        .sort(),
    );
  });
});

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
