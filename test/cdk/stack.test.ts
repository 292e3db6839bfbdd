/**
 * The synthesized template, checked against the writer's own definitions: schedules, every IAM
 * statement, every Glue table, the alarms, and the cdk-nag AwsSolutions rules. One synth per
 * configuration, without bundling (the handler tests run the bundles).
 */
import { Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { DEFAULT_RETENTION_DAYS, type Settings } from '../../lambdas/core/config.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { columnsOf, type DatasetDefinition, LAKE_EPOCH, windowAt } from '../../lambdas/core/datasets.ts';
import { LAKE_SERDE_LIBRARY, LakeCsvEncoder } from '../../lambdas/core/lake/csv.ts';
import { provisionalMarkerKey, runLeaseKey } from '../../lambdas/core/lake/keys.ts';
import { objectKey, partitionKeysOf, partitionValuesOf } from '../../lambdas/core/lake/layout.ts';
import {
  DEADLINE_MARGIN_VARIABLE,
  DEFAULT_DEADLINE_MARGIN_MS,
  EXPORT_SETTINGS,
  REPORT_CHECK_SETTINGS,
  REPORT_SETTINGS,
  RUN_KIND,
} from '../../lambdas/handlers/environment.ts';
import { createApp } from '../../lib/app.ts';
import { type OpenCsvParameters, openCsvParseLine } from './opencsv.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped; the assertions pin its shape.
type Cfn = any;
type Resource = { Type: string; Properties: Cfn; Metadata?: Record<string, unknown> };
type Resources = Record<string, Resource>;

const BUCKET = 'lake-bucket-physical-name';
const CONTEXT = {
  sender: 'Peer5 Reports <reports@example.com>',
  recipients: 'ops@example.com,cto@example.com',
  alarmEmail: 'alarms@example.com',
  timeZone: 'Europe/Berlin',
  hourlyExportMinute: '20',
  dailyExportTime: '02:45',
  reportTime: '07:30',
  retentionDays: '400',
  freshnessAlarmHours: '4',
};

function synth(context: Record<string, unknown>) {
  const { app, stack } = createApp({ context, bundle: false });
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Resources };
}

function byType(resources: Resources, type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function logicalId(resources: Resources, type: string, prefix: string): string {
  const found = byType(resources, type).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${found.length}`);
  return (found[0] as [string, Resource])[0];
}

/** A CloudFormation string expression as text: Refs and GetAtts become `<id>` / `<id.Attr>`. */
function flatten(value: unknown, refs: Record<string, string> = {}): string {
  if (typeof value === 'string') return value;
  const node = value as Cfn;
  if ('Ref' in node) return refs[node.Ref] ?? `<${node.Ref}>`;
  if ('Fn::GetAtt' in node) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    return refs[`${id}.${attribute}`] ?? `<${id}.${attribute}>`;
  }
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => flatten(part, refs)).join(separator);
  }
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** An IAM pattern (`?` = one character, `*` = any) as a RegExp. */
function iamPattern(pattern: string): RegExp {
  const source = [...pattern]
    .map((char) => (char === '?' ? '.' : char === '*' ? '.*' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function statementsOfRole(resources: Resources, rolePrefix: string): Statement[] {
  const roleId = logicalId(resources, 'AWS::IAM::Role', rolePrefix);
  return byType(resources, 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
    )
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** Each statement as `{sid, actions, resources}` with resources flattened to text. */
function summarize(statements: Statement[]) {
  return statements.map((statement) => ({
    sid: statement.Sid,
    actions: asList(statement.Action),
    resources: asList(statement.Resource).map((resource) => flatten(resource)),
    condition: statement.Condition,
  }));
}

describe('the stack with every default dataset and a new bucket', () => {
  let built: ReturnType<typeof synth>;
  let settings: Settings;
  let resources: Resources;
  let lakeBucketId: string;

  beforeAll(() => {
    built = synth(CONTEXT);
    settings = built.stack.settings;
    resources = built.resources;
    lakeBucketId = logicalId(resources, 'AWS::S3::Bucket', 'LakeBucket');
  });

  describe('schedules', () => {
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
      built.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
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

    it('send failed async runs of every function to the same queue after one retry', () => {
      const queueId = logicalId(resources, 'AWS::SQS::Queue', 'FailedRuns');
      const configs = byType(resources, 'AWS::Lambda::EventInvokeConfig');
      expect(configs).toHaveLength(5);
      for (const [, config] of configs) {
        expect(config.Properties.MaximumRetryAttempts).toBe(1);
        expect(flatten(config.Properties.DestinationConfig.OnFailure.Destination)).toBe(`<${queueId}.Arn>`);
      }
    });
  });

  describe('IAM', () => {
    const lakeArn = () => `<${lakeBucketId}.Arn>`;
    const secretArn =
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:peer5-reporter/api-token-??????';

    it('give the hourly export exactly its logs, the token, and the hourly tables and markers', () => {
      const hourly = settings.datasets.filter((dataset) => dataset.cadence === 'hourly');
      const statements = summarize(statementsOfRole(resources, 'HourlyExportRole'));
      expect(statements.map((statement) => statement.sid)).toEqual([
        'WriteOwnLogs',
        'ReadApiToken',
        'ListLake',
        'WriteLakeWindows',
        'TrackProvisionalWindows',
        'HoldRunLease',
        undefined,
      ]);
      expect(statements[0]).toMatchObject({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`<${logicalId(resources, 'AWS::Logs::LogGroup', 'HourlyExportLogs')}.Arn>`],
      });
      expect(statements[1]).toMatchObject({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secretArn],
      });
      expect(statements[2]).toEqual({
        sid: 'ListLake',
        actions: ['s3:ListBucket'],
        resources: [lakeArn()],
        condition: { StringLike: { 's3:prefix': ['peer5/*'] } },
      });
      expect(statements[3]?.actions).toEqual(['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload']);
      expect(statements[3]?.resources).toHaveLength(hourly.length);
      expect(statements[4]?.actions).toEqual(['s3:PutObject', 's3:DeleteObject']);
      expect(statements[4]?.resources).toHaveLength(hourly.length);
      expect(statements[5]).toEqual({
        sid: 'HoldRunLease',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [`${lakeArn()}/${runLeaseKey('peer5', RUN_KIND.hourlyExport)}`],
        condition: undefined,
      });
      expect(statements[6]).toMatchObject({
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [`<${logicalId(resources, 'AWS::SQS::Queue', 'FailedRuns')}.Arn>`],
      });
    });

    it('let each export write every key the writer produces for its datasets, and no other key', () => {
      const functions: [string, DatasetDefinition[]][] = [
        ['HourlyExportRole', settings.datasets.filter((dataset) => dataset.cadence === 'hourly')],
        ['DailyExportRole', settings.datasets.filter((dataset) => dataset.cadence === 'daily')],
        ['BackfillRole', settings.datasets],
      ];
      const samples = [Date.UTC(2020, 0, 1), Date.UTC(2024, 1, 29, 23), Date.UTC(2031, 9, 17, 7)];
      for (const [role, datasets] of functions) {
        const statements = summarize(statementsOfRole(resources, role));
        const windows = (
          statements.find((statement) => statement.sid === 'WriteLakeWindows')?.resources ?? []
        ).map(iamPattern);
        const markers = (
          statements.find((statement) => statement.sid === 'TrackProvisionalWindows')?.resources ?? []
        ).map(iamPattern);
        const allowed = (patterns: RegExp[], key: string) =>
          patterns.some((pattern) => pattern.test(`${lakeArn()}/${key}`));
        for (const dataset of settings.datasets) {
          const own = datasets.includes(dataset);
          for (const sample of samples) {
            const window = windowAt(
              dataset,
              sample - (sample % (dataset.cadence === 'hourly' ? TIME.HOUR : TIME.DAY)),
            );
            expect(allowed(windows, objectKey('peer5', window)), `${role} ${dataset.name}`).toBe(own);
            expect(allowed(markers, provisionalMarkerKey('peer5', dataset, window.start))).toBe(own);
            expect(allowed(windows, `${objectKey('peer5', window)}.tmp`)).toBe(false);
            expect(allowed(windows, objectKey('other', window))).toBe(false);
          }
        }
      }
    });

    it('let each export function hold only the run lease of its own kind', () => {
      const kinds: [string, string][] = [
        ['HourlyExportRole', RUN_KIND.hourlyExport],
        ['DailyExportRole', RUN_KIND.dailyExport],
        ['BackfillRole', RUN_KIND.backfill],
      ];
      for (const [role, kind] of kinds) {
        const lease = summarize(statementsOfRole(resources, role)).find(
          (statement) => statement.sid === 'HoldRunLease',
        );
        expect(lease?.resources, role).toEqual([`${lakeArn()}/${runLeaseKey('peer5', kind)}`]);
      }
      expect(
        summarize(statementsOfRole(resources, 'DailyReportRole')).some(
          (statement) => statement.sid === 'HoldRunLease',
        ),
      ).toBe(false);
    });

    it('let the report send only as the sender, through its identity and the recipients in the sandbox', () => {
      const statements = summarize(statementsOfRole(resources, 'DailyReportRole'));
      const identity = (address: string) =>
        `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/${address}`;
      expect(statements.map((statement) => statement.sid)).toEqual([
        'WriteOwnLogs',
        'ReadApiToken',
        'SendReport',
        undefined,
      ]);
      expect(statements[2]).toEqual({
        sid: 'SendReport',
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [
          identity('reports@example.com'),
          identity('ops@example.com'),
          identity('cto@example.com'),
        ],
        condition: { StringEquals: { 'ses:FromAddress': 'reports@example.com' } },
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
      built.template.hasResourceProperties('AWS::IAM::Role', {
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

    it('contain no wildcard action or resource and no managed policy anywhere, but reading metrics back', () => {
      for (const [, policy] of byType(resources, 'AWS::IAM::Policy')) {
        for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
          // GetMetricData has no resource-level permissions: `*` is the only resource it takes.
          if (statement.Sid === 'ReadReportMetrics') {
            expect(statement).toMatchObject({ Action: 'cloudwatch:GetMetricData', Resource: '*' });
            continue;
          }
          for (const action of asList(statement.Action)) expect(action).not.toContain('*');
          for (const resource of asList(statement.Resource)) expect(flatten(resource)).not.toContain('*');
        }
      }
      for (const [, role] of byType(resources, 'AWS::IAM::Role')) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('Glue tables', () => {
    const refs = () => ({ [lakeBucketId]: BUCKET });

    function tableOf(dataset: DatasetDefinition) {
      const table = byType(resources, 'AWS::Glue::Table').find(
        ([, resource]) => resource.Properties.TableInput.Name === dataset.name,
      );
      if (!table) throw new Error(`no table ${dataset.name}`);
      return table[1].Properties.TableInput;
    }

    it('exist for every dataset and no other', () => {
      expect(
        byType(resources, 'AWS::Glue::Table').map(([, table]) => table.Properties.TableInput.Name),
      ).toEqual(settings.datasets.map((dataset) => dataset.name));
    });

    it("have the writer's columns and partition keys", () => {
      for (const dataset of settings.datasets) {
        const table = tableOf(dataset);
        expect(table.StorageDescriptor.Columns).toEqual(
          columnsOf(dataset).map((column) => ({ Name: column.name, Type: column.type })),
        );
        expect(table.PartitionKeys).toEqual(
          partitionKeysOf(dataset).map((key) => ({ Name: key.name, Type: key.type })),
        );
      }
    });

    it('read gzip CSV with OpenCSVSerde, skipping the header line', () => {
      for (const dataset of settings.datasets) {
        const table = tableOf(dataset);
        expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
          'org.apache.hadoop.hive.serde2.OpenCSVSerde',
        );
        expect(LAKE_SERDE_LIBRARY).toBe('org.apache.hadoop.hive.serde2.OpenCSVSerde');
        expect(table.StorageDescriptor.SerdeInfo.Parameters).toEqual({
          separatorChar: ',',
          quoteChar: '"',
          escapeChar: '\\',
        });
        expect(table.StorageDescriptor.Compressed).toBe(true);
        expect(table.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
        expect(table.Parameters['skip.header.line.count']).toBe('1');
        expect(table.TableType).toBe('EXTERNAL_TABLE');
      }
    });

    it('project every day from the first day a backfill may write, before the API had data', () => {
      for (const dataset of settings.datasets) {
        const [start, end] = String(tableOf(dataset).Parameters['projection.dt.range']).split(',');
        expect([start, end]).toEqual([LAKE_EPOCH, 'NOW']);
      }
      // Daily data has no look-back limit: the first projected day must predate any Peer5 data.
      expect(LAKE_EPOCH <= '2015-01-01').toBe(true);
    });

    it('project dt as a day and hour as two digits', () => {
      for (const dataset of settings.datasets) {
        const parameters = tableOf(dataset).Parameters;
        expect(parameters['projection.enabled']).toBe('true');
        expect(parameters).toMatchObject({
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': `${LAKE_EPOCH},NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
        });
        if (dataset.cadence === 'hourly') {
          expect(parameters).toMatchObject({
            'projection.hour.type': 'integer',
            'projection.hour.range': '0,23',
            'projection.hour.digits': '2',
          });
        } else {
          expect(parameters['projection.hour.type']).toBeUndefined();
        }
      }
    });

    it("locate every partition exactly where the writer puts that window's object", () => {
      const samples = [Date.UTC(2024, 0, 1, 0), Date.UTC(2024, 6, 15, 9), Date.UTC(2025, 11, 31, 23)];
      for (const dataset of settings.datasets) {
        const table = tableOf(dataset);
        const template = flatten(table.Parameters['storage.location.template'], refs());
        for (const keyName of partitionKeysOf(dataset).map((key) => key.name)) {
          expect(template).toContain(`\${${keyName}}`);
        }
        for (const sample of samples) {
          const length = dataset.cadence === 'hourly' ? TIME.HOUR : TIME.DAY;
          const window = windowAt(dataset, sample - (sample % length));
          const location = Object.entries(partitionValuesOf(window)).reduce(
            (text, [name, value]) => text.replace(`\${${name}}`, value),
            template,
          );
          const key = objectKey(settings.prefix, window);
          expect(`s3://${BUCKET}/${key}`.startsWith(location)).toBe(true);
          expect(`s3://${BUCKET}/${key}`.slice(location.length)).not.toContain('/');
        }
        expect(flatten(table.StorageDescriptor.Location, refs())).toBe(
          `s3://${BUCKET}/peer5/${dataset.name}/`,
        );
      }
    });

    it("read back the writer's trickiest dimension values exactly, as Athena's OpenCSVSerde would", () => {
      const dataset = settings.datasets.find(
        (candidate) => candidate.dimensions.length === 2,
      ) as DatasetDefinition;
      const parameters = tableOf(dataset).StorageDescriptor.SerdeInfo.Parameters as OpenCsvParameters;
      const encoder = new LakeCsvEncoder(dataset);
      const values = [
        'São Paulo, SP',
        'say "hi"',
        'C:\\temp\\new',
        'ends with a backslash\\',
        '\\"',
        '=HYPERLINK("x")',
        '@mention',
        ' leading and trailing ',
        '東京',
        'https://example.com/watch?v=1&t="2"<script>alert(1)</script>',
        '',
      ];
      for (const value of values) {
        const line = encoder.line({
          timestamp: Date.UTC(2024, 4, 1),
          dimensions: { [dataset.dimensions[0] as string]: value, [dataset.dimensions[1] as string]: 'x' },
          metrics: { http: 1, p2p: 2, played: 3, rebuffered: 4, sessions: 1.5 },
        });
        const fields = openCsvParseLine(line.replace(/\n$/, ''), parameters);
        expect(fields[1], JSON.stringify(value)).toBe(value);
        expect(fields).toHaveLength(columnsOf(dataset).length);
      }
    });
  });

  describe('Athena', () => {
    it('enforces its workgroup configuration with encrypted results in their own bucket', () => {
      const resultsId = logicalId(resources, 'AWS::S3::Bucket', 'CatalogQueryResults');
      const [, workGroup] = byType(resources, 'AWS::Athena::WorkGroup')[0] as [string, Resource];
      const configuration = workGroup.Properties.WorkGroupConfiguration;
      expect(configuration.EnforceWorkGroupConfiguration).toBe(true);
      expect(configuration.ResultConfiguration.EncryptionConfiguration).toEqual({
        EncryptionOption: 'SSE_S3',
      });
      expect(flatten(configuration.ResultConfiguration.OutputLocation)).toBe(`s3://<${resultsId}>/results/`);
    });

    it('saves the offload queries against tables of the database', () => {
      const queries = byType(resources, 'AWS::Athena::NamedQuery').map(([, query]) => query.Properties);
      expect(queries.map((query) => query.Name)).toEqual([
        'Daily offload by country',
        'Hourly offload trend',
      ]);
      expect(queries[0]?.QueryString).toContain('FROM "peer5_reporter"."by_country_1h"');
      expect(queries[0]?.QueryString).toContain('GROUP BY dt, country_code');
      expect(queries[1]?.QueryString).toContain('FROM "peer5_reporter"."totals_1m"');
      expect(queries[1]?.QueryString).toContain('GROUP BY dt, hour');
      for (const query of queries) expect(query.Database).toBe('peer5_reporter');
    });
  });

  describe('storage', () => {
    it('keeps every bucket private, encrypted and TLS-only', () => {
      const buckets = byType(resources, 'AWS::S3::Bucket');
      expect(buckets).toHaveLength(3);
      for (const [id, bucket] of buckets) {
        expect(bucket.Properties.PublicAccessBlockConfiguration, id).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        expect(
          bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]
            .ServerSideEncryptionByDefault,
        ).toEqual({ SSEAlgorithm: 'AES256' });
        const policy = byType(resources, 'AWS::S3::BucketPolicy').find(
          ([, candidate]) => flatten(candidate.Properties.Bucket) === `<${id}>`,
        );
        const statements = policy?.[1].Properties.PolicyDocument.Statement as Statement[];
        expect(
          statements.some(
            (statement) =>
              statement.Effect === 'Deny' && statement.Condition?.Bool?.['aws:SecureTransport'] === 'false',
          ),
        ).toBe(true);
      }
    });

    it('versions the lake, expires it after the retention, aborts stale uploads and logs access', () => {
      const lake = resources[lakeBucketId] as Resource;
      const logsId = logicalId(resources, 'AWS::S3::Bucket', 'LakeAccessLogs');
      expect(lake.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(lake.Properties.LifecycleConfiguration.Rules).toEqual([
        { Id: 'lake-retention', Prefix: 'peer5/', ExpirationInDays: 400, Status: 'Enabled' },
        {
          Id: 'abort-incomplete-uploads',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        },
        {
          Id: 'expire-old-versions',
          ExpiredObjectDeleteMarker: true,
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          Status: 'Enabled',
        },
      ]);
      expect(lake.Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: logsId },
        LogFilePrefix: 'lake/',
      });
    });
  });

  describe('functions', () => {
    it('run on the newest Node.js runtime on arm64 with their own log group and a retention', () => {
      const functions = byType(resources, 'AWS::Lambda::Function');
      expect(functions).toHaveLength(5);
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
          (resources[logicalId(resources, 'AWS::Lambda::Function', prefix)] as Resource).Properties
            .Environment.Variables,
        ).filter((name) => name.startsWith('PEER5_') && name !== DEADLINE_MARGIN_VARIABLE);
      const names = (settingNames: readonly string[]) =>
        settingNames.map((name) => `PEER5_${name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`);
      expect(variables('HourlyExport')).toEqual(names(EXPORT_SETTINGS));
      expect(variables('Backfill')).toEqual(names(EXPORT_SETTINGS));
      expect(variables('DailyReport')).toEqual(names(REPORT_SETTINGS));
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
  });

  describe('alarms', () => {
    const alarms = () =>
      byType(resources, 'AWS::CloudWatch::Alarm').map(([id, alarm]): Cfn => ({ id, ...alarm.Properties }));

    it('notify the alarm topic, which takes only TLS and mails the alarm address', () => {
      const topicId = logicalId(resources, 'AWS::SNS::Topic', 'MonitoringTopic');
      for (const alarm of alarms()) {
        expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
      }
      built.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'alarms@example.com',
        TopicArn: { Ref: topicId },
      });
      built.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: [{ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
        },
      });
    });

    it('watch the errors of every function', () => {
      const errorAlarms = alarms().filter((alarm) => alarm.MetricName === 'Errors');
      expect(errorAlarms.map((alarm) => flatten(alarm.Dimensions[0].Value))).toEqual(
        ['HourlyExport', 'DailyExport', 'DailyReport', 'Backfill', 'ReportCheck'].map(
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
      expect(gaps?.AlarmDescription).toContain(
        'The log lines with event "gap" name the dataset and the range',
      );
    });

    it('are listed, read-only, by the monitoring construct', () => {
      // Checked by the type checker: callers read the list but cannot add to it or empty it.
      expectTypeOf(built.stack.monitoring.alarms).toEqualTypeOf<readonly cloudwatch.Alarm[]>();
      const listed = built.stack.monitoring.alarms.map((alarm) =>
        built.stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm),
      );
      expect(listed.sort()).toEqual(
        alarms()
          .map((alarm) => alarm.id as string)
          .sort(),
      );
    });
  });

  it('passes every cdk-nag AwsSolutions rule, with a reason for each acknowledgement', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} ${violation.violatingResources[0]?.constructPath}`,
      ),
    ).toEqual([]);
    const acknowledgements = built.stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) => Object.values(entry.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const reason of acknowledgements) expect(reason.length).toBeGreaterThan(80);
  });

  it('lists the schedules it created, read-only: hourly export, daily export, report and its check', () => {
    expectTypeOf(built.stack.schedules.schedules).toEqualTypeOf<readonly scheduler.Schedule[]>();
    expect(built.stack.schedules.schedules.map((schedule) => schedule.node.id)).toEqual([
      'HourlyExport',
      'DailyExport',
      'DailyReport',
      'ReportCheck',
    ]);
  });

  it('verifies the sender address as an SES identity', () => {
    built.template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'reports@example.com' });
  });
});

describe('the stack writing into an existing bucket, with daily datasets only', () => {
  let resources: Resources;

  beforeAll(() => {
    resources = synth({
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

describe('the stack with the default retention', () => {
  it('expires lake objects after the default of the retentionDays setting', () => {
    const { resources } = synth({ sender: 'reports@example.com', recipients: 'ops@example.com' });
    const lake = resources[logicalId(resources, 'AWS::S3::Bucket', 'LakeBucket')] as Resource;
    expect(lake.Properties.LifecycleConfiguration.Rules[0]).toEqual({
      Id: 'lake-retention',
      Prefix: 'peer5/',
      ExpirationInDays: DEFAULT_RETENTION_DAYS,
      Status: 'Enabled',
    });
    expect(DEFAULT_RETENTION_DAYS).toBe(730);
  });
});

describe('the example addresses in cdk.json', () => {
  function warnings(context: Record<string, unknown>): string[] {
    const { stack } = synth(context);
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

describe('bad context settings', () => {
  it('fail synth when the datasets would not fit in the 4 KB Lambda environment', () => {
    const datasets = Array.from({ length: 25 }, (_, index) => ({
      name: `dataset_with_a_rather_long_name_${index}`,
      interval: '1h',
      metrics: ['http', 'p2p', 'played', 'rebuffered', 'sessions'],
      dimensions: ['country.code', 'isp.name'],
      cadence: 'hourly',
    }));
    expect(() =>
      createApp({
        context: {
          sender: 'reports@example.com',
          recipients: 'ops@example.com',
          datasets: JSON.stringify(datasets),
        },
        bundle: false,
      }),
    ).toThrow(/^Invalid setting "datasets": 25 datasets take \d+ bytes of Lambda environment/);
  });

  it('fail synth on misspelt settings, naming the setting each was meant to be', () => {
    expect(() =>
      createApp({
        context: {
          sender: 'reports@example.com',
          recipients: 'ops@example.com',
          timezone: 'Europe/Berlin',
          reportTIme: '06:00',
          retentiondays: 30,
        },
        bundle: false,
      }),
    ).toThrow(
      [
        'Unknown setting "timezone": did you mean "timeZone"?',
        'Unknown setting "reportTIme": did you mean "reportTime"?',
        'Unknown setting "retentiondays": did you mean "retentionDays"?',
      ].join('\n'),
    );
  });

  it('report a misspelt setting together with the invalid ones', () => {
    expect(() =>
      createApp({
        context: { sender: 'reports@example.com', recipients: 'ops', Prefix: 'x' },
        bundle: false,
      }),
    ).toThrow(
      'Unknown setting "Prefix": did you mean "prefix"?\nInvalid setting "recipients[0]": must be an email address',
    );
  });

  it('fail synth with a retention shorter than the runs catch up', () => {
    expect(() =>
      createApp({
        context: { sender: 'reports@example.com', recipients: 'ops@example.com', retentionDays: '7' },
        bundle: false,
      }),
    ).toThrow(/^Invalid setting "retentionDays": must be at least \d+: scheduled runs fetch every window/);
  });

  it('fail synth with the setting and the rule named', () => {
    expect(() =>
      createApp({
        context: { sender: 'reports@example.com', recipients: 'ops', prefix: '/x/' },
        bundle: false,
      }),
    ).toThrow(
      /Invalid setting "recipients\[0\]": must be an email address\nInvalid setting "prefix": must be a key prefix/,
    );
  });
});

describe('context keys that are not settings', () => {
  function unknownKeyWarnings(context: Record<string, unknown>): string[] {
    const { stack } = synth({ sender: 'reports@acme.tv', recipients: 'ops@acme.tv', ...context });
    return stack.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:warning')
      .map((entry) => String(entry.data))
      .filter((warning) => warning.includes('is not a peer5-reporter setting'));
  }

  it('warn on synth, naming the key, when it looks like no setting', () => {
    expect(unknownKeyWarnings({ owner: 'data-team' })).toEqual([
      'Context key "owner" is not a peer5-reporter setting and is ignored. See "Settings" in README.md. [ack: peer5-reporter:unknown-context-key]',
    ]);
  });

  it("leave the CDK's own keys alone: feature flags, aws:cdk options, lookups and what its CLI writes", () => {
    expect(
      unknownKeyWarnings({
        '@aws-cdk/core:failSynthOnValidationErrors': false,
        'aws:cdk:enable-path-metadata': true,
        'aws:cdk:version-reporting': true,
        'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
        'acknowledged-issue-numbers': [32775],
        'cli-telemetry': false,
        'cdk-migrate': true,
      }),
    ).toEqual([]);
  });
});
