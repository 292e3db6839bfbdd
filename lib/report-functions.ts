/**
 * The functions of the daily report: the one that sends it, and the check an hour later that it
 * was sent (which feeds the ReportLate alarm).
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Settings } from '../lambdas/core/config.ts';
import { watchStateKey } from '../lambdas/core/lake/keys.ts';
import { emailAddressOf } from '../lambdas/core/report/config.ts';
import { lambdaEnvironment } from '../lambdas/core/settings/lambda-environment.ts';
import {
  ATHENA_WORK_GROUP_VARIABLE,
  REPORT_CHECK_SETTINGS,
  REPORT_OPTIONAL_SETTINGS,
  REPORT_SETTINGS,
  WATCH_STATE_KEY_VARIABLE,
} from '../lambdas/handlers/environment.ts';
import { REPORT_CHECK_MEMORY_MB, RUN_TIMEOUT } from './defaults.ts';
import {
  listLakeStatement,
  readMetricsStatement,
  readSecretStatement,
  sendReportStatement,
} from './permissions.ts';
import { ReporterFunction } from './reporter-function.ts';

export interface ReportSender {
  /** The bare address mail is sent from: the setting may carry a display name, SES wants the address. */
  readonly address: string;
  /** The SES identity mail is sent through: the `senderIdentity` setting, or else the address itself. */
  readonly identity: string;
}

export function reportSenderOf(settings: Pick<Settings, 'sender' | 'senderIdentity'>): ReportSender {
  const address = emailAddressOf(settings.sender) ?? settings.sender;
  return { address, identity: settings.senderIdentity ?? address };
}

export interface ReportFunctionProps {
  /** Validated settings; the function gets those its handler reads. */
  readonly settings: Settings;
  /** Failed async invocations (after Lambda's retries) are sent here. */
  readonly failureQueue: sqs.IQueue;
}

export interface DailyReportFunctionProps extends ReportFunctionProps {
  /** The lake bucket: the report lists it (never reads it) for the footer's health of the day. */
  readonly bucket: s3.IBucket;
  /** Name of the Athena workgroup the footer's query link opens. */
  readonly workGroupName: string;
  /**
   * The offload watch is deployed: the report reads its one state object for the day's alerts.
   * @default false (no watch: the report has no alerts section and no access to the state)
   */
  readonly readsWatchState?: boolean;
}

/**
 * Sends the daily report: reads the API token, lists the lake for its health, reads the offload
 * watch's state object (when the watch is deployed) for the day's alerts, and may send only as the
 * sender to the recipients.
 */
export class DailyReportFunction extends ReporterFunction {
  public readonly sender: ReportSender;

  constructor(scope: Construct, id: string, props: DailyReportFunctionProps) {
    const sender = reportSenderOf(props.settings);
    const settings = { ...props.settings, bucketName: props.bucket.bucketName };
    const stateKey = props.readsWatchState === true ? watchStateKey(props.settings.prefix) : null;
    super(scope, id, {
      entry: 'lambdas/handlers/daily-report.ts',
      description: 'peer5-reporter daily report email',
      timeout: RUN_TIMEOUT.dailyReport,
      environment: {
        ...lambdaEnvironment(settings, [...REPORT_SETTINGS, ...REPORT_OPTIONAL_SETTINGS]),
        [ATHENA_WORK_GROUP_VARIABLE]: props.workGroupName,
        ...(stateKey === null ? {} : { [WATCH_STATE_KEY_VARIABLE]: stateKey }),
      },
      statements: [
        readSecretStatement(scope, props.settings.secretName),
        listLakeStatement(props.bucket, props.settings.prefix),
        ...(stateKey === null
          ? []
          : [
              new iam.PolicyStatement({
                sid: 'ReadWatchState',
                actions: ['s3:GetObject'],
                resources: [props.bucket.arnForObjects(stateKey)],
              }),
            ]),
        sendReportStatement(scope, {
          identity: sender.identity,
          sender: sender.address,
          recipients: props.settings.recipients,
        }),
      ],
      failureQueue: props.failureQueue,
    });
    this.sender = sender;
  }
}

/** Checks that the report was sent by reading the ReportsSent metric back; it can change nothing. */
export class ReportCheckFunction extends ReporterFunction {
  constructor(scope: Construct, id: string, props: ReportFunctionProps) {
    super(scope, id, {
      entry: 'lambdas/handlers/report-check.ts',
      description: 'peer5-reporter check that the daily report was sent',
      timeout: RUN_TIMEOUT.reportCheck,
      memorySize: REPORT_CHECK_MEMORY_MB,
      environment: lambdaEnvironment(props.settings, REPORT_CHECK_SETTINGS),
      statements: [readMetricsStatement()],
      failureQueue: props.failureQueue,
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:GetMetricData supports no resource-level permissions and no namespace condition key, so its resource must be "*". The report check only reads the ReportsSent metric back; the role can change nothing.',
    });
  }
}
