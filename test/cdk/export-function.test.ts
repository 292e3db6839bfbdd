/**
 * The export functions (hourly, daily, backfill): the statements of their roles, checked against
 * every key the lake writer produces, and the 4 KB limit on their environment.
 */
import { describe, expect, it } from 'vitest';
import { TIME } from '../../lambdas/core/contract.ts';
import { type DatasetDefinition, windowAt } from '../../lambdas/core/datasets.ts';
import {
  curateClaimKey,
  curateMarkKey,
  provisionalMarkerKey,
  runLeaseKey,
} from '../../lambdas/core/lake/keys.ts';
import { CURATED_TABLES, objectKey } from '../../lambdas/core/lake/layout.ts';
import { RUN_KIND } from '../../lambdas/handlers/environment.ts';
import { createApp } from '../../lib/app.ts';
import { iamPattern } from './iam-pattern.ts';
import { defaultStack, logicalId, statementsOfRole, summarize } from './synth.ts';

describe('the export functions of the stack with every default dataset', () => {
  const { resources, settings, lakeBucketId } = defaultStack();
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
      'WriteCuratedDays',
      'TrackDaysToCurate',
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
    expect(statements[5]?.actions).toEqual(['s3:GetObject', 's3:PutObject', 's3:DeleteObject']);
    expect(statements[5]?.resources).toHaveLength(hourly.length);
    expect(statements[6]?.actions).toEqual(['s3:PutObject', 's3:DeleteObject']);
    // A day's mark and its claim, per dataset.
    expect(statements[6]?.resources).toHaveLength(2 * hourly.length);
    expect(statements[7]).toEqual({
      sid: 'HoldRunLease',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [`${lakeArn()}/${runLeaseKey('peer5', RUN_KIND.hourlyExport)}`],
      condition: undefined,
    });
    expect(statements[8]).toMatchObject({
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
      const curated = (
        statements.find((statement) => statement.sid === 'WriteCuratedDays')?.resources ?? []
      ).map(iamPattern);
      const curateMarks = (
        statements.find((statement) => statement.sid === 'TrackDaysToCurate')?.resources ?? []
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
          const day = sample - (sample % TIME.DAY);
          const curatedKey = CURATED_TABLES.objectKeyAt('peer5', dataset, day);
          expect(allowed(curated, curatedKey), `${role} ${dataset.name} curated`).toBe(own);
          expect(allowed(curated, `${curatedKey}.tmp`)).toBe(false);
          expect(allowed(windows, curatedKey)).toBe(false);
          expect(allowed(curateMarks, curateMarkKey('peer5', dataset, day))).toBe(own);
          expect(allowed(curateMarks, curateClaimKey('peer5', dataset, day))).toBe(own);
          expect(allowed(curateMarks, `${curateMarkKey('peer5', dataset, day)}.tmp`)).toBe(false);
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
});

describe('the environment of an export function', () => {
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
});
