/**
 * The offload watch: its own SNS topic for insights (not the alarm topic, which is for the
 * platform team's failures), and the function that checks each hour after the hourly export. The
 * function reads only the watch's lake windows, reads and writes only its state object, publishes
 * only to its topic, and mails only as the sender to the watch's recipients.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Settings } from '../lambdas/core/config.ts';
import type { DatasetDefinition } from '../lambdas/core/datasets.ts';
import { watchStateKey } from '../lambdas/core/lake/keys.ts';
import { lambdaEnvironment } from '../lambdas/core/settings/lambda-environment.ts';
import { watchRecipientsOf } from '../lambdas/core/settings/run-options.ts';
import { WATCH_SETTINGS, WATCH_TOPIC_VARIABLE } from '../lambdas/handlers/environment.ts';
import { INSIGHTS_TOPIC_KEY_ALIAS, RUN_TIMEOUT, SECURE_TOPIC_PROPS, WATCH_MEMORY_MB } from './defaults.ts';
import { lakeKeyPatterns, sendReportStatement } from './permissions.ts';
import { reportSenderOf } from './report-functions.ts';
import { ReporterFunction } from './reporter-function.ts';

export interface InsightsTopicProps {
  /**
   * The key the topic is encrypted with.
   * @default - the AWS managed key for SNS (`alias/aws/sns`): free, and every publisher and
   * subscriber here goes through SNS, which that key allows
   */
  readonly masterKey?: kms.IKey;
}

/** Where the watch's alerts and recovered messages go: subscribe AWS Chatbot, Slack, PagerDuty. */
export class InsightsTopic extends Construct {
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: InsightsTopicProps = {}) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      ...SECURE_TOPIC_PROPS,
      displayName: 'peer5-reporter insights',
      masterKey: props.masterKey ?? kms.Alias.fromAliasName(this, 'ManagedKey', INSIGHTS_TOPIC_KEY_ALIAS),
    });
  }
}

export interface OffloadWatchFunctionProps {
  /** Validated settings; the function gets those its handler reads (`WATCH_SETTINGS`). */
  readonly settings: Settings;
  /** The datasets it reads: `watchDatasetsOf(settings.datasets).usable`. */
  readonly datasets: readonly DatasetDefinition[];
  /** The lake's bucket, under the settings' prefix. */
  readonly bucket: s3.IBucket;
  readonly topic: sns.ITopic;
  /** Failed async invocations (after Lambda's retries) are sent here. */
  readonly failureQueue: sqs.IQueue;
}

/**
 * Reads the lake and the state, writes the state, publishes, mails:
 * - list the bucket below the lake prefix only, so a window not yet written reads as absent (404)
 *   rather than as access denied;
 * - read the watch's window objects, at the keys the writer produces and no other;
 * - read and conditionally replace the one state object;
 * - publish to the insights topic; send mail as the sender to the watch's recipients.
 */
function watchStatements(props: OffloadWatchFunctionProps, recipients: readonly string[], scope: Construct) {
  const { bucket, settings } = props;
  const statements = [
    new iam.PolicyStatement({
      sid: 'ListLake',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${settings.prefix}/*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadLakeWindows',
      actions: ['s3:GetObject'],
      resources: lakeKeyPatterns(settings.prefix, props.datasets).windows.map((key) =>
        bucket.arnForObjects(key),
      ),
    }),
    new iam.PolicyStatement({
      sid: 'KeepWatchState',
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [bucket.arnForObjects(watchStateKey(settings.prefix))],
    }),
    new iam.PolicyStatement({
      sid: 'PublishInsights',
      actions: ['sns:Publish'],
      resources: [props.topic.topicArn],
    }),
  ];
  if (recipients.length > 0) {
    const sender = reportSenderOf(settings);
    const send = sendReportStatement(scope, {
      identity: sender.identity,
      sender: sender.address,
      recipients,
    });
    statements.push(
      new iam.PolicyStatement({
        sid: 'SendWatchEmail',
        actions: send.actions,
        resources: send.resources,
        conditions: send.conditions,
      }),
    );
  }
  return statements;
}

export class OffloadWatchFunction extends ReporterFunction {
  /** Who gets its emails: `watchRecipients`, else the report's recipients. */
  public readonly recipients: readonly string[];

  constructor(scope: Construct, id: string, props: OffloadWatchFunctionProps) {
    const recipients = watchRecipientsOf(props.settings);
    super(scope, id, {
      entry: 'lambdas/handlers/offload-watch.ts',
      description: 'peer5-reporter offload watch',
      timeout: RUN_TIMEOUT.offloadWatch,
      memorySize: WATCH_MEMORY_MB,
      environment: {
        ...lambdaEnvironment(
          {
            ...props.settings,
            datasets: [...props.datasets],
            bucketName: props.bucket.bucketName,
            watchRecipients: [...recipients],
          },
          WATCH_SETTINGS,
        ),
        [WATCH_TOPIC_VARIABLE]: props.topic.topicArn,
      },
      statements: watchStatements(props, recipients, scope),
      failureQueue: props.failureQueue,
    });
    this.recipients = recipients;
  }
}
