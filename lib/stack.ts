/**
 * peer5-reporter in one stack: the lake (S3 + Glue + Athena), the export and report functions,
 * their schedules, the alarms, and nothing that needs AWS credentials to synthesize.
 */
import { Annotations, CfnOutput, Duration, Stack, type StackProps, TimeZone, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  DAILY_FRESHNESS_ALARM_DAYS,
  lambdaEnvironment,
  minutesOfDay,
  type Settings,
  SettingsError,
} from '../lambdas/core/config.ts';
import { emailAddressOf } from '../lambdas/core/report/config.ts';
import {
  EXPORT_SETTINGS,
  REPORT_CHECK_SETTINGS,
  REPORT_SETTINGS,
  RUN_KIND,
  type RunKind,
} from '../lambdas/handlers/environment.ts';
import { REPORT_CHECK_DELAY_MINUTES } from '../lambdas/handlers/telemetry.ts';
import { DEFERRING_RUNS_ALARM, SECURE_QUEUE_PROPS } from './defaults.ts';
import { LakeCatalog } from './lake-catalog.ts';
import { LakeStorage } from './lake-storage.ts';
import { ReporterMonitoring } from './monitoring.ts';
import {
  lakeStatements,
  readMetricsStatement,
  readSecretStatement,
  sendReportStatement,
} from './permissions.ts';
import { ReporterFunction } from './reporter-function.ts';
import { ReporterSchedules } from './schedules.ts';

export interface Peer5ReporterStackProps extends StackProps {
  /** Validated settings (see `settingsFromContext` / `parseSettings`). */
  readonly settings: Settings;
}

/** Bytes of settings per function: Lambda's 4 KB, less what Powertools and the runtime options take. */
const LAMBDA_ENVIRONMENT_BUDGET = 3600;

/** Cron fields of an `HH:MM` time of day, or of `afterMinutes` later (past midnight wraps round). */
function cronAt(time: string, afterMinutes = 0): { minute: string; hour: string } {
  const minutes = (minutesOfDay(time) + afterMinutes) % (24 * 60);
  return { minute: String(minutes % 60), hour: String(Math.floor(minutes / 60)) };
}

/** Domains reserved for documentation (RFC 2606): mail to them never arrives. */
const EXAMPLE_DOMAIN = /@example\.(com|org|net)>?$/i;

/**
 * `cdk.json` ships example addresses so `cdk synth` works straight from a clone. Deploying them
 * would create an SES identity nobody can verify, so say so loudly on every synth and deploy.
 */
function warnAboutExampleAddresses(scope: Construct, settings: Settings): void {
  const examples = [settings.sender, ...settings.recipients].filter((address) =>
    EXAMPLE_DOMAIN.test(address.trim()),
  );
  if (examples.length === 0) return;
  Annotations.of(scope).addWarningV2(
    'peer5-reporter:example-addresses',
    `${examples.join(', ')} ${examples.length === 1 ? 'is an example address' : 'are example addresses'}: ` +
      'set your own with -c sender=... -c recipients=... (or in cdk.json) before deploying.',
  );
}

export class Peer5ReporterStack extends Stack {
  public readonly settings: Settings;
  public readonly storage: LakeStorage;
  public readonly catalog: LakeCatalog;
  /** Failed async runs and undeliverable schedule events. */
  public readonly failureQueue: sqs.Queue;
  /** Absent when no dataset has an hourly cadence. */
  public readonly hourlyExport: ReporterFunction | undefined;
  /** Absent when no dataset has a daily cadence. */
  public readonly dailyExport: ReporterFunction | undefined;
  public readonly dailyReport: ReporterFunction;
  /** Checks, an hour after the report was due, that it was sent (the ReportLate alarm). */
  public readonly reportCheck: ReporterFunction;
  public readonly backfill: ReporterFunction;
  public readonly schedules: ReporterSchedules;
  public readonly monitoring: ReporterMonitoring;
  /** Created unless the settings name an existing identity (`senderIdentity`). */
  public readonly senderIdentity: ses.EmailIdentity | undefined;

  constructor(scope: Construct, id: string, props: Peer5ReporterStackProps) {
    super(scope, id, {
      description: 'peer5-reporter: Peer5 exports to an Athena-ready S3 lake and a daily P2P offload email',
      ...props,
    });
    const settings = props.settings;
    this.settings = settings;
    warnAboutExampleAddresses(this, settings);

    this.storage = new LakeStorage(this, 'Lake', {
      prefix: settings.prefix,
      retentionDays: settings.retentionDays,
      ...(settings.bucketName
        ? { bucket: s3.Bucket.fromBucketName(this, 'ExistingLakeBucket', settings.bucketName) }
        : {}),
    });
    const bucket = this.storage.bucket;

    this.catalog = new LakeCatalog(this, 'Catalog', {
      bucket,
      prefix: settings.prefix,
      datasets: settings.datasets,
      databaseName: settings.databaseName,
      accessLogsBucket: this.storage.accessLogsBucket,
    });

    this.failureQueue = new sqs.Queue(this, 'FailedRuns', SECURE_QUEUE_PROPS);
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue: it receives schedule events Scheduler could not deliver and runs that failed after Lambda retries. Nothing consumes it automatically; an operator inspects it when the FailedRunsWaiting alarm fires, so a second-level DLQ would never receive a message.',
    });

    // The setting may carry a display name ("Reports <reports@example.com>"); SES wants the address.
    const senderAddress = emailAddressOf(settings.sender) ?? settings.sender;
    const identityName = settings.senderIdentity ?? senderAddress;
    this.senderIdentity = settings.senderIdentity
      ? undefined
      : new ses.EmailIdentity(this, 'SenderIdentity', { identity: ses.Identity.email(senderAddress) });

    const readToken = () => readSecretStatement(this, settings.secretName);
    const exportEnvironment = (datasets: Settings['datasets']) => {
      const environment = lambdaEnvironment(
        { ...settings, datasets, bucketName: bucket.bucketName },
        EXPORT_SETTINGS,
      );
      const size = Object.entries(environment).reduce(
        (sum, [name, value]) => sum + name.length + value.length,
        0,
      );
      // Lambda refuses more than 4 KB of environment; say so at synth, not halfway through a deploy.
      if (size > LAMBDA_ENVIRONMENT_BUDGET) {
        throw new SettingsError([
          {
            setting: 'datasets',
            message: `${datasets.length} datasets take ${size} bytes of Lambda environment; at most ${LAMBDA_ENVIRONMENT_BUDGET} fit (the limit is 4 KB). Define fewer datasets or shorter names.`,
          },
        ]);
      }
      return environment;
    };
    const exportFunction = (
      functionId: string,
      entry: string,
      description: string,
      datasets: Settings['datasets'],
      timeout: Duration,
      kind: RunKind,
    ) =>
      new ReporterFunction(this, functionId, {
        entry,
        description,
        timeout,
        environment: exportEnvironment(datasets),
        statements: [readToken(), ...lakeStatements(bucket, settings.prefix, datasets, kind)],
        failureQueue: this.failureQueue,
      });

    const hourlyDatasets = settings.datasets.filter((dataset) => dataset.cadence === 'hourly');
    const dailyDatasets = settings.datasets.filter((dataset) => dataset.cadence === 'daily');

    this.hourlyExport =
      hourlyDatasets.length > 0
        ? exportFunction(
            'HourlyExport',
            'lambdas/handlers/hourly-export.ts',
            'peer5-reporter hourly export',
            hourlyDatasets,
            Duration.minutes(10),
            RUN_KIND.hourlyExport,
          )
        : undefined;
    this.dailyExport =
      dailyDatasets.length > 0
        ? exportFunction(
            'DailyExport',
            'lambdas/handlers/daily-export.ts',
            'peer5-reporter daily export',
            dailyDatasets,
            Duration.minutes(15),
            RUN_KIND.dailyExport,
          )
        : undefined;
    this.backfill = exportFunction(
      'Backfill',
      'lambdas/handlers/backfill.ts',
      'peer5-reporter backfill of a past range',
      settings.datasets,
      Duration.minutes(15),
      RUN_KIND.backfill,
    );
    this.dailyReport = new ReporterFunction(this, 'DailyReport', {
      entry: 'lambdas/handlers/daily-report.ts',
      description: 'peer5-reporter daily report email',
      timeout: Duration.minutes(5),
      environment: lambdaEnvironment(settings, REPORT_SETTINGS),
      statements: [
        readToken(),
        sendReportStatement(this, {
          identity: identityName,
          sender: senderAddress,
          recipients: settings.recipients,
        }),
      ],
      failureQueue: this.failureQueue,
    });
    if (this.senderIdentity) this.dailyReport.function.node.addDependency(this.senderIdentity);
    this.reportCheck = new ReporterFunction(this, 'ReportCheck', {
      entry: 'lambdas/handlers/report-check.ts',
      description: 'peer5-reporter check that the daily report was sent',
      timeout: Duration.minutes(1),
      memorySize: 256,
      environment: lambdaEnvironment(settings, REPORT_CHECK_SETTINGS),
      statements: [readMetricsStatement()],
      failureQueue: this.failureQueue,
    });
    Validations.of(this.reportCheck.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:GetMetricData supports no resource-level permissions and no namespace condition key, so its resource must be "*". The report check only reads the ReportsSent metric back; the role can change nothing.',
    });

    const utc = TimeZone.of('UTC');
    this.schedules = new ReporterSchedules(this, 'Schedules', { deadLetterQueue: this.failureQueue });
    if (this.hourlyExport) {
      this.schedules.add('HourlyExport', {
        function: this.hourlyExport.function,
        description: `Hourly export at minute ${settings.hourlyExportMinute} of every hour (UTC)`,
        cron: { minute: String(settings.hourlyExportMinute) },
        timeZone: utc,
        maxEventAge: Duration.hours(1),
      });
    }
    if (this.dailyExport) {
      this.schedules.add('DailyExport', {
        function: this.dailyExport.function,
        description: `Daily export at ${settings.dailyExportTime} UTC`,
        cron: cronAt(settings.dailyExportTime),
        timeZone: utc,
        maxEventAge: Duration.hours(6),
      });
    }
    this.schedules.add('DailyReport', {
      function: this.dailyReport.function,
      description: `Daily report at ${settings.reportTime} ${settings.timeZone}`,
      cron: cronAt(settings.reportTime),
      timeZone: TimeZone.of(settings.timeZone),
      maxEventAge: Duration.hours(6),
    });
    this.schedules.add('ReportCheck', {
      function: this.reportCheck.function,
      description: `Checks at ${REPORT_CHECK_DELAY_MINUTES} minutes past ${settings.reportTime} ${settings.timeZone} that the report was sent`,
      cron: cronAt(settings.reportTime, REPORT_CHECK_DELAY_MINUTES),
      timeZone: TimeZone.of(settings.timeZone),
      maxEventAge: Duration.hours(1),
    });

    this.monitoring = new ReporterMonitoring(this, 'Monitoring', {
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    });
    const watched: [string, ReporterFunction | undefined, string][] = [
      ['HourlyExport', this.hourlyExport, 'hourly export'],
      ['DailyExport', this.dailyExport, 'daily export'],
      ['DailyReport', this.dailyReport, 'daily report'],
      ['Backfill', this.backfill, 'backfill'],
      ['ReportCheck', this.reportCheck, 'report check'],
    ];
    for (const [alarmId, reporter, label] of watched) {
      if (reporter) this.monitoring.watchErrors(alarmId, reporter.function, label);
    }
    this.monitoring.watchQueue('FailedRunsWaiting', this.failureQueue);
    this.monitoring.watchGaps();
    if (this.hourlyExport) {
      this.monitoring.watchDeferrals('HourlyExport', RUN_KIND.hourlyExport, 'hourly export', {
        period: Duration.hours(1),
        runs: DEFERRING_RUNS_ALARM.hourly,
      });
    }
    if (this.dailyExport) {
      this.monitoring.watchDeferrals('DailyExport', RUN_KIND.dailyExport, 'daily export', {
        period: Duration.days(1),
        runs: DEFERRING_RUNS_ALARM.daily,
      });
    }
    this.monitoring.watchReportLate(settings.timeZone, settings.reportTime);
    // Hourly datasets write every hour; with daily datasets only, a window arrives once a day and
    // freshnessAlarmHours does not apply (its description says so).
    this.monitoring.watchFreshness(
      hourlyDatasets.length > 0
        ? { period: Duration.hours(1), evaluationPeriods: settings.freshnessAlarmHours }
        : { period: Duration.days(1), evaluationPeriods: DAILY_FRESHNESS_ALARM_DAYS },
    );

    new CfnOutput(this, 'LakeLocation', {
      description: 'Where the lake is written',
      value: `s3://${bucket.bucketName}/${settings.prefix}/`,
    });
    new CfnOutput(this, 'GlueDatabase', { value: settings.databaseName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.catalog.workGroup.ref });
    new CfnOutput(this, 'AlarmTopic', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'FailureQueue', { value: this.failureQueue.queueUrl });
    new CfnOutput(this, 'BackfillFunction', {
      description: 'Invoke with {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} to fill a past range',
      value: this.backfill.function.functionName,
    });
    new CfnOutput(this, 'ReportFunction', {
      description: 'Invoke with {"date": "YYYY-MM-DD"} to send the report for that day again',
      value: this.dailyReport.function.functionName,
    });
  }
}
