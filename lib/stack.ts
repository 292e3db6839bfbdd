/**
 * peer5-reporter in one stack: the lake (S3 + Glue + Athena), the export and report functions,
 * their schedules, the alarms, and nothing that needs AWS credentials to synthesize.
 *
 * Every construct sits directly in the stack, under the id it had from the first release: a
 * resource's logical ID is derived from its construct path, and a new logical ID would make
 * CloudFormation replace the resource on the next deploy (a new log group, a new SES identity to
 * verify). New parts get a construct of their own beside these.
 */
import { Annotations, CfnOutput, Duration, Stack, type StackProps, TimeZone } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import type { Settings } from '../lambdas/core/config.ts';
import { CADENCE_MS, type Cadence } from '../lambdas/core/datasets.ts';
import { watchDatasetsOf } from '../lambdas/core/insights/watch-lake.ts';
import { DAILY_FRESHNESS_ALARM_DAYS } from '../lambdas/core/settings/fields.ts';
import {
  BACKFILL_WORKFLOW,
  RUN_KIND,
  type RunKind,
  WATCH_DELAY_MINUTES,
} from '../lambdas/handlers/environment.ts';
import { REPORT_CHECK_DELAY_MINUTES } from '../lambdas/handlers/telemetry.ts';
import { BackfillWorkflow } from './backfill-workflow.ts';
import { DEFERRING_RUNS_ALARM, SCHEDULE_MAX_EVENT_AGE } from './defaults.ts';
import { ExportFunction } from './export-function.ts';
import { RunFailureQueue } from './failure-queue.ts';
import { LakeCatalog } from './lake-catalog.ts';
import { LakeStorage } from './lake-storage.ts';
import { ReporterMonitoring } from './monitoring.ts';
import { InsightsTopic, OffloadWatchFunction } from './offload-watch.ts';
import { DailyReportFunction, ReportCheckFunction, reportSenderOf } from './report-functions.ts';
import type { ReporterFunction } from './reporter-function.ts';
import { cronAt, ReporterSchedules } from './schedules.ts';

export interface Peer5ReporterStackProps extends StackProps {
  /** Validated settings (see `settingsFromContext` / `parseSettings`). */
  readonly settings: Settings;
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

/** One run per cadence period: how often a scheduled export runs, and how often a window arrives. */
function periodOf(cadence: Cadence): Duration {
  return Duration.millis(CADENCE_MS[cadence]);
}

export class Peer5ReporterStack extends Stack {
  public readonly settings: Settings;
  public readonly storage: LakeStorage;
  public readonly catalog: LakeCatalog;
  /** Failed async runs and undeliverable schedule events. */
  public readonly failureQueue: RunFailureQueue;
  /** Created unless the settings name an existing identity (`senderIdentity`). */
  public readonly senderIdentity: ses.EmailIdentity | undefined;
  /** Absent when no dataset has an hourly cadence. */
  public readonly hourlyExport: ExportFunction | undefined;
  /** Absent when no dataset has a daily cadence. */
  public readonly dailyExport: ExportFunction | undefined;
  /** Fills a past range of every dataset, when invoked. */
  public readonly backfill: ExportFunction;
  /** The Backfill state machine: a backfill on AWS that runs itself to the end. */
  public readonly backfillWorkflow: BackfillWorkflow;
  public readonly dailyReport: DailyReportFunction;
  /** Checks, an hour after the report was due, that it was sent (the ReportLate alarm). */
  public readonly reportCheck: ReportCheckFunction;
  /** The insights topic: the offload watch's alerts and recovered messages. */
  public readonly insightsTopic: InsightsTopic;
  /** Absent when no hourly dataset carries http and p2p for all traffic (see `watchDatasetsOf`). */
  public readonly offloadWatch: OffloadWatchFunction | undefined;
  public readonly schedules: ReporterSchedules;
  public readonly monitoring: ReporterMonitoring;

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
      scanCutoffGb: settings.athenaScanCutoffGb,
      accessLogsBucket: this.storage.accessLogsBucket,
    });
    const failureQueue = new RunFailureQueue(this, 'FailedRuns');
    this.failureQueue = failureQueue;

    this.senderIdentity = settings.senderIdentity
      ? undefined
      : new ses.EmailIdentity(this, 'SenderIdentity', {
          identity: ses.Identity.email(reportSenderOf(settings).address),
        });

    const exportOf = (functionId: string, kind: RunKind, datasets: Settings['datasets']) =>
      new ExportFunction(this, functionId, { kind, settings, datasets, bucket, failureQueue });
    const hourly = settings.datasets.filter((dataset) => dataset.cadence === 'hourly');
    const daily = settings.datasets.filter((dataset) => dataset.cadence === 'daily');
    this.hourlyExport =
      hourly.length > 0 ? exportOf('HourlyExport', RUN_KIND.hourlyExport, hourly) : undefined;
    this.dailyExport = daily.length > 0 ? exportOf('DailyExport', RUN_KIND.dailyExport, daily) : undefined;
    this.backfill = exportOf('Backfill', RUN_KIND.backfill, settings.datasets);
    this.backfillWorkflow = new BackfillWorkflow(this, 'StateMachineBackfill', {
      settings,
      bucket,
      failureQueue,
    });

    // The watch runs after the hourly export, over the hourly datasets it can read.
    const watched = watchDatasetsOf(settings.datasets).usable;
    const watchDeployed = this.hourlyExport !== undefined && watched.length > 0;
    this.dailyReport = new DailyReportFunction(this, 'DailyReport', {
      settings,
      failureQueue,
      bucket,
      workGroupName: this.catalog.workGroup.ref,
      readsWatchState: watchDeployed,
    });
    if (this.senderIdentity) this.dailyReport.function.node.addDependency(this.senderIdentity);
    this.reportCheck = new ReportCheckFunction(this, 'ReportCheck', { settings, failureQueue });

    this.insightsTopic = new InsightsTopic(this, 'Insights');
    this.offloadWatch = watchDeployed
      ? new OffloadWatchFunction(this, 'OffloadWatch', {
          settings,
          datasets: watched,
          bucket,
          topic: this.insightsTopic.topic,
          failureQueue,
        })
      : undefined;
    if (this.offloadWatch && this.senderIdentity && this.offloadWatch.recipients.length > 0) {
      this.offloadWatch.function.node.addDependency(this.senderIdentity);
    }

    this.schedules = this.scheduleRuns();
    this.monitoring = this.watchRuns();
    this.addOutputs();
  }

  /** The exports at their UTC times, the report and its check at theirs in the report's time zone. */
  private scheduleRuns(): ReporterSchedules {
    const { settings } = this;
    const utc = TimeZone.of('UTC');
    const reportZone = TimeZone.of(settings.timeZone);
    const schedules = new ReporterSchedules(this, 'Schedules', { deadLetterQueue: this.failureQueue });
    if (this.hourlyExport) {
      schedules.add('HourlyExport', {
        function: this.hourlyExport.function,
        description: `Hourly export at minute ${settings.hourlyExportMinute} of every hour (UTC)`,
        cron: { minute: String(settings.hourlyExportMinute) },
        timeZone: utc,
        maxEventAge: SCHEDULE_MAX_EVENT_AGE.hourlyExport,
      });
    }
    if (this.offloadWatch) {
      const minute = (settings.hourlyExportMinute + WATCH_DELAY_MINUTES) % 60;
      schedules.add('OffloadWatch', {
        function: this.offloadWatch.function,
        description: `Offload watch at minute ${minute} of every hour (UTC), ${WATCH_DELAY_MINUTES} minutes after the hourly export`,
        cron: { minute: String(minute) },
        timeZone: utc,
        maxEventAge: SCHEDULE_MAX_EVENT_AGE.offloadWatch,
      });
    }
    if (this.dailyExport) {
      schedules.add('DailyExport', {
        function: this.dailyExport.function,
        description: `Daily export at ${settings.dailyExportTime} UTC`,
        cron: cronAt(settings.dailyExportTime),
        timeZone: utc,
        maxEventAge: SCHEDULE_MAX_EVENT_AGE.dailyExport,
      });
    }
    schedules.add('DailyReport', {
      function: this.dailyReport.function,
      description: `Daily report at ${settings.reportTime} ${settings.timeZone}`,
      cron: cronAt(settings.reportTime),
      timeZone: reportZone,
      maxEventAge: SCHEDULE_MAX_EVENT_AGE.dailyReport,
    });
    schedules.add('ReportCheck', {
      function: this.reportCheck.function,
      description: `Checks at ${REPORT_CHECK_DELAY_MINUTES} minutes past ${settings.reportTime} ${settings.timeZone} that the report was sent`,
      cron: cronAt(settings.reportTime, REPORT_CHECK_DELAY_MINUTES),
      timeZone: reportZone,
      maxEventAge: SCHEDULE_MAX_EVENT_AGE.reportCheck,
    });
    return schedules;
  }

  /** Errors of every function, the failure queue, gaps, exports falling behind, the late report, freshness. */
  private watchRuns(): ReporterMonitoring {
    const { settings } = this;
    const monitoring = new ReporterMonitoring(this, 'Monitoring', {
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    });
    const watched: [string, ReporterFunction | undefined, string][] = [
      ['HourlyExport', this.hourlyExport, 'hourly export'],
      ['DailyExport', this.dailyExport, 'daily export'],
      ['DailyReport', this.dailyReport, 'daily report'],
      ['Backfill', this.backfill, 'backfill'],
      ['ReportCheck', this.reportCheck, 'report check'],
      ['OffloadWatch', this.offloadWatch, 'offload watch'],
    ];
    for (const [alarmId, reporter, label] of watched) {
      if (reporter) monitoring.watchErrors(alarmId, reporter.function, label);
    }
    monitoring.watchQueue('FailedRunsWaiting', this.failureQueue);
    monitoring.watchExecutions('BackfillExecutionsFailed', this.backfillWorkflow.stateMachine, 'backfill');
    monitoring.watchGaps();
    // The backfill is left out: it defers routinely and is invoked again.
    const scheduledExports: [string, ExportFunction | undefined, string, Cadence][] = [
      ['HourlyExport', this.hourlyExport, 'hourly export', 'hourly'],
      ['DailyExport', this.dailyExport, 'daily export', 'daily'],
    ];
    for (const [alarmId, reporter, label, cadence] of scheduledExports) {
      if (!reporter) continue;
      monitoring.watchDeferrals(alarmId, reporter.kind, label, {
        period: periodOf(cadence),
        runs: DEFERRING_RUNS_ALARM[cadence],
      });
    }
    monitoring.watchReportLate(settings.timeZone, settings.reportTime);
    // Hourly datasets write every hour; with daily datasets only, a window arrives once a day and
    // freshnessAlarmHours does not apply (its description says so).
    monitoring.watchFreshness(
      this.hourlyExport
        ? { period: periodOf('hourly'), evaluationPeriods: settings.freshnessAlarmHours }
        : { period: periodOf('daily'), evaluationPeriods: DAILY_FRESHNESS_ALARM_DAYS },
    );
    return monitoring;
  }

  /** What an operator needs after the deploy: where the lake is, how to query it, what to invoke. */
  private addOutputs(): void {
    new CfnOutput(this, 'LakeLocation', {
      description: 'Where the lake is written',
      value: `s3://${this.storage.bucket.bucketName}/${this.settings.prefix}/`,
    });
    new CfnOutput(this, 'GlueDatabase', { value: this.settings.databaseName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.catalog.workGroup.ref });
    new CfnOutput(this, 'AlarmTopic', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'FailureQueue', { value: this.failureQueue.queueUrl });
    new CfnOutput(this, 'BackfillFunction', {
      description: 'Invoke with {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} to fill a past range',
      value: this.backfill.function.functionName,
    });
    new CfnOutput(this, BACKFILL_WORKFLOW.stateMachineOutput, {
      description:
        'Start with npx peer5-reporter backfill --from YYYY-MM-DD --to YYYY-MM-DD --on-aws (or aws stepfunctions start-execution --input \'{"from": ..., "to": ...}\')',
      value: this.backfillWorkflow.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'InsightsTopic', {
      description:
        'Offload alerts and recovered messages (AWS Chatbot custom notifications): subscribe Chatbot, Slack, PagerDuty or email',
      value: this.insightsTopic.topic.topicArn,
    });
    if (this.offloadWatch) {
      new CfnOutput(this, 'WatchFunction', {
        description: 'Invoke with {"scheduledTime": "<ISO>"} to check the hour before that time again',
        value: this.offloadWatch.function.functionName,
      });
    }
    new CfnOutput(this, 'ReportFunction', {
      description: 'Invoke with {"date": "YYYY-MM-DD"} to send the report for that day again',
      value: this.dailyReport.function.functionName,
    });
  }
}
