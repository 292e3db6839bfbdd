/**
 * The stack as a whole: its security posture (no IAM wildcard, every cdk-nag AwsSolutions rule),
 * the sender's SES identity, the composition with an existing bucket and daily datasets only, and
 * the warning about example addresses.
 */
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asList,
  byType,
  defaultStack,
  flatten,
  type Resource,
  type Resources,
  type Statement,
  statementsOfRole,
  summarize,
  synthesized,
} from './synth.ts';

describe('the stack with every default dataset and a new bucket', () => {
  const { app, resources, stack, template } = defaultStack();

  it('contains no wildcard action or resource and no managed policy anywhere, but reading metrics back and what the CDK adds for the state machine', () => {
    for (const [id, policy] of byType(resources, 'AWS::IAM::Policy')) {
      // The Backfill state machine's role: the CDK's own wildcards, each acknowledged (next test).
      const addedByCdk = id.startsWith('StateMachineBackfillStateMachine');
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        // GetMetricData has no resource-level permissions: `*` is the only resource it takes.
        if (statement.Sid === 'ReadReportMetrics') {
          expect(statement).toMatchObject({ Action: 'cloudwatch:GetMetricData', Resource: '*' });
          continue;
        }
        for (const action of asList(statement.Action)) expect(action).not.toContain('*');
        if (addedByCdk) continue;
        for (const resource of asList(statement.Resource)) expect(flatten(resource)).not.toContain('*');
      }
    }
    for (const [, role] of byType(resources, 'AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('passes every cdk-nag AwsSolutions rule, with a reason for each acknowledgement', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} ${violation.violatingResources[0]?.constructPath}`,
      ),
    ).toEqual([]);
    const acknowledgements = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) => Object.values(entry.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const reason of acknowledgements) expect(reason.length).toBeGreaterThan(80);
  });

  it('verifies the sender address as an SES identity', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'reports@example.com' });
  });
});

describe('the stack writing into an existing bucket, with daily datasets only', () => {
  let resources: Resources;

  beforeAll(() => {
    resources = synthesized({
      sender: 'reports@example.com',
      recipients: 'ops@example.com',
      bucketName: 'customer-data-lake',
      prefix: 'analytics/peer5',
      senderIdentity: 'example.com',
      datasets: JSON.stringify([
        {
          name: 'by_country_1d',
          interval: '1d',
          metrics: ['http', 'p2p'],
          dimensions: ['country.code'],
          cadence: 'daily',
        },
      ]),
    }).resources;
  });

  it('creates no lake bucket and points the table and the policies at the named one', () => {
    expect(
      byType(resources, 'AWS::S3::Bucket')
        .map(([id]) => id)
        .some((id) => id.startsWith('LakeBucket')),
    ).toBe(false);
    const [, table] = byType(resources, 'AWS::Glue::Table')[0] as [string, Resource];
    expect(flatten(table.Properties.TableInput.Parameters['storage.location.template'])).toBe(
      `s3://customer-data-lake/analytics/peer5/by_country_1d/dt=\${dt}/`,
    );
    const statements = summarize(statementsOfRole(resources, 'DailyExportRole'));
    expect(statements.find((statement) => statement.sid === 'ListLake')).toMatchObject({
      resources: ['arn:<AWS::Partition>:s3:::customer-data-lake'],
      condition: { StringLike: { 's3:prefix': ['analytics/peer5/*'] } },
    });
    expect(statements.find((statement) => statement.sid === 'WriteLakeWindows')?.resources).toEqual([
      'arn:<AWS::Partition>:s3:::customer-data-lake/analytics/peer5/by_country_1d/dt=2???-??-??/by_country_1d_2???-??-??.csv.gz',
    ]);
  });

  it('has no hourly export, and a freshness alarm over two days', () => {
    expect(
      byType(resources, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .some((id) => id.startsWith('HourlyExport')),
    ).toBe(false);
    const freshness = byType(resources, 'AWS::CloudWatch::Alarm').find(
      ([, alarm]) => alarm.Properties.MetricName === 'WindowsWritten',
    );
    expect(freshness?.[1].Properties).toMatchObject({ Period: 86_400, EvaluationPeriods: 2 });
  });

  it('sends as the existing domain identity instead of creating one', () => {
    expect(byType(resources, 'AWS::SES::EmailIdentity')).toHaveLength(0);
    const statements = summarize(statementsOfRole(resources, 'DailyReportRole'));
    expect(statements.find((statement) => statement.sid === 'SendReport')?.resources[0]).toBe(
      'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/example.com',
    );
  });
});

describe('the example addresses in cdk.json', () => {
  function warnings(context: Record<string, unknown>): string[] {
    const { stack } = synthesized(context);
    return stack.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:warning')
      .map((entry) => String(entry.data));
  }

  it('warn on synth that they must be replaced before deploying', () => {
    const found = warnings({ sender: 'Peer5 Reports <reports@example.com>', recipients: 'ops@example.com' });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('are example addresses: set your own with -c sender=... -c recipients=...');
  });

  it('leave real addresses alone', () => {
    expect(warnings({ sender: 'reports@acme.tv', recipients: 'ops@acme.tv' })).toEqual([]);
  });
});
