/**
 * The offload watch in the stack: its function, its schedule after the hourly export, its own
 * encrypted topic, least-privilege permissions, its error alarm and its outputs.
 */
import { describe, expect, it } from 'vitest';
import { watchStateKey } from '../../lambdas/core/lake/keys.ts';
import { environmentVariableOf } from '../../lambdas/core/settings/lambda-environment.ts';
import {
  WATCH_DELAY_MINUTES,
  WATCH_STATE_KEY_VARIABLE,
  WATCH_TOPIC_VARIABLE,
} from '../../lambdas/handlers/environment.ts';
import {
  CONTEXT,
  defaultStack,
  flatten,
  logicalId,
  propertiesOfType,
  statementsOfRole,
  summarize,
  synthesized,
} from './synth.ts';

function watchFunction(resources: ReturnType<typeof defaultStack>['resources']) {
  const functions = propertiesOfType(resources, 'AWS::Lambda::Function');
  const found = functions.find((fn) => fn.id.startsWith('OffloadWatch'));
  if (!found) throw new Error('no offload watch function');
  return found;
}

describe('the offload watch of the stack with every default dataset', () => {
  const { resources, template, stack, lakeBucketId } = defaultStack();
  const lake = (key: string) => `<${lakeBucketId}.Arn>/${key}`;

  it('has a topic of its own, encrypted, TLS only, and not the alarm topic', () => {
    const topics = propertiesOfType(resources, 'AWS::SNS::Topic');
    const insights = topics.find((topic) => topic.DisplayName === 'peer5-reporter insights');
    expect(flatten(insights?.KmsMasterKeyId)).toMatch(/:alias\/aws\/sns$/);
    expect(insights?.id).not.toBe(logicalId(resources, 'AWS::SNS::Topic', 'MonitoringTopic'));
    const policies = propertiesOfType(resources, 'AWS::SNS::TopicPolicy');
    const insightsPolicy = policies.find((policy) =>
      policy.Topics.some((topic: { Ref: string }) => topic.Ref === insights?.id),
    );
    expect(JSON.stringify(insightsPolicy?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('runs the watch a few minutes after every hourly export, in UTC', () => {
    const schedules = propertiesOfType(resources, 'AWS::Scheduler::Schedule');
    const watch = schedules.find((schedule) => /Offload watch/.test(schedule.Description));
    const minute = (Number(CONTEXT.hourlyExportMinute) + WATCH_DELAY_MINUTES) % 60;
    expect(watch?.ScheduleExpression).toBe(`cron(${minute} * * * ? *)`);
    expect(watch?.ScheduleExpressionTimezone).toBe('UTC');
    expect(flatten(watch?.Target.Arn)).toBe(`<${watchFunction(resources).id}.Arn>`);
  });

  it('gives the handler the watch settings, its datasets and the topic', () => {
    const environment = watchFunction(resources).Environment.Variables;
    expect(flatten(environment[WATCH_TOPIC_VARIABLE])).toMatch(/^<InsightsTopic[0-9A-F]+>$/);
    expect(environment[environmentVariableOf('watchDropPts')]).toBe('5');
    expect(environment[environmentVariableOf('watchMinTrafficShare')]).toBe('0.25');
    // Unset, so the report's recipients get the alerts too.
    expect(JSON.parse(environment[environmentVariableOf('watchRecipients')])).toEqual(
      stack.settings.recipients,
    );
    const datasets = JSON.parse(environment[environmentVariableOf('datasets')]) as { name: string }[];
    expect(datasets.map((dataset) => dataset.name)).toEqual([
      'totals_1m',
      'by_country_1h',
      'by_browser_os_1h',
      'by_country_isp_1h',
    ]);
    expect(environment[environmentVariableOf('secretName')]).toBeUndefined();
  });

  it('may read its windows, keep its state, publish to its topic and mail as the sender, and nothing else', () => {
    const statements = summarize(statementsOfRole(resources, 'OffloadWatchRole'));
    const bySid = Object.fromEntries(statements.map((statement) => [statement.sid, statement]));
    expect(Object.keys(bySid)).toEqual([
      'WriteOwnLogs',
      'ListLake',
      'ReadLakeWindows',
      'KeepWatchState',
      'PublishInsights',
      'SendWatchEmail',
      'undefined',
    ]);
    expect(bySid.ListLake?.condition).toEqual({ StringLike: { 's3:prefix': ['peer5/*'] } });
    expect(bySid.ReadLakeWindows?.actions).toEqual(['s3:GetObject']);
    for (const resource of bySid.ReadLakeWindows?.resources ?? []) {
      expect(resource).toMatch(
        /^<LakeBucket[0-9A-F]+\.Arn>\/peer5\/(totals_1m|by_country_1h|by_browser_os_1h|by_country_isp_1h)\//,
      );
      expect(resource).not.toContain('*');
    }
    expect(bySid.KeepWatchState).toMatchObject({
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [lake(watchStateKey('peer5'))],
    });
    expect(bySid.PublishInsights?.resources).toEqual([expect.stringMatching(/^<InsightsTopic[0-9A-F]+>$/)]);
    expect(bySid.SendWatchEmail?.condition).toEqual({
      StringEquals: { 'ses:FromAddress': 'reports@example.com' },
    });
    // The last statement is the failure queue's destination, as for every function.
    expect(bySid.undefined?.actions).toContain('sqs:SendMessage');
  });

  it('alarms on the ops topic when a run fails, and names the topic and the function in the outputs', () => {
    const alarms = propertiesOfType(resources, 'AWS::CloudWatch::Alarm');
    expect(alarms.some((alarm) => /The offload watch failed/.test(alarm.AlarmDescription))).toBe(true);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description?: string }>;
    expect(flatten(outputs.InsightsTopic?.Value)).toMatch(/^<InsightsTopic[0-9A-F]+>$/);
    expect(flatten(outputs.WatchFunction?.Value)).toBe(`<${watchFunction(resources).id}>`);
  });
});

describe('the offload watch with other settings', () => {
  it('mails whom watchRecipients names, and sends no email at all for an empty list', () => {
    const named = synthesized({ ...CONTEXT, watchRecipients: 'noc@example.com' });
    const namedStatements = summarize(statementsOfRole(named.resources, 'OffloadWatchRole'));
    expect(namedStatements.find((statement) => statement.sid === 'SendWatchEmail')?.resources).toEqual([
      'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/reports@example.com',
      'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/noc@example.com',
    ]);
    const none = synthesized({ ...CONTEXT, watchRecipients: '[]' });
    const sids = summarize(statementsOfRole(none.resources, 'OffloadWatchRole')).map(
      (statement) => statement.sid,
    );
    expect(sids).not.toContain('SendWatchEmail');
  });

  it('is left out, topic kept, when no hourly dataset carries http and p2p', () => {
    const { resources, stack } = synthesized({
      ...CONTEXT,
      datasets: JSON.stringify([
        {
          name: 'by_page_1d',
          interval: '1d',
          metrics: ['http', 'p2p'],
          dimensions: ['session.page'],
          cadence: 'daily',
        },
      ]),
    });
    expect(stack.offloadWatch).toBeUndefined();
    const functions = propertiesOfType(resources, 'AWS::Lambda::Function');
    expect(functions.some((fn) => fn.id.startsWith('OffloadWatch'))).toBe(false);
    // No watch, no state: the report is not told of one and may read no object.
    const report = functions.find((fn) => fn.id.startsWith('DailyReport'));
    expect(JSON.stringify(report?.Environment)).not.toContain(WATCH_STATE_KEY_VARIABLE);
    const sids = summarize(statementsOfRole(resources, 'DailyReportRole')).map((statement) => statement.sid);
    expect(sids).not.toContain('ReadWatchState');
    expect(stack.insightsTopic.topic).toBeDefined();
  });

  it('refuses a watchDropPts that is not a positive number of points, naming the setting', () => {
    expect(() => synthesized({ ...CONTEXT, watchDropPts: '0' })).toThrow(/watchDropPts.*more than 0/);
    expect(() => synthesized({ ...CONTEXT, watchRecipients: 'not-an-address' })).toThrow(
      /watchRecipients.*email address/,
    );
  });
});
