/**
 * Scheduled once a day in the configured time zone: emails the P2P offload report on the previous
 * day. By hand, `{"date": "YYYY-MM-DD"}` sends the report on that day again.
 *
 * Any failure fails the invocation (Errors alarm; one async retry, then the failure queue): a
 * report that was not sent is always worth an alert. The mail is the last step, so a retry does
 * not send a second copy of a report that already went out.
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { S3LakeSink } from '../adapters/s3-lake-sink.ts';
import { S3WatchState } from '../adapters/s3-watch-state.ts';
import { SesMailer } from '../adapters/ses-mailer.ts';
import { runReport } from '../core/report/run.ts';
import { readLambdaEnvironment } from '../core/settings/lambda-environment.ts';
import { reportOptionsOf } from '../core/settings/run-options.ts';
import {
  ATHENA_WORK_GROUP_VARIABLE,
  REPORT_OPTIONAL_SETTINGS,
  REPORT_SETTINGS,
  WATCH_STATE_KEY_VARIABLE,
} from './environment.ts';
import { parseReportEvent } from './events.ts';
import {
  apiClientFor,
  deadlineOf,
  logger,
  metrics,
  reporterHandler,
  scheduledPacerOf,
} from './middleware.ts';
import { METRIC } from './telemetry.ts';
import { readWiredVariable } from './wired-environment.ts';

const config = readLambdaEnvironment(process.env, REPORT_SETTINGS, REPORT_OPTIONAL_SETTINGS);
// Outlives the invocation, so a resend right after the scheduled report keeps the same pace.
const pacer = scheduledPacerOf(process.env);
const mailer = new SesMailer({ ses: new SESClient({}) });
const s3 = new S3Client({});
// Only listed, never read: the footer's lake health needs the keys, not the objects.
const lake = {
  sink: new S3LakeSink({ s3, bucket: config.bucketName }),
  prefix: config.prefix,
  datasets: config.datasets,
};
// The one object the report reads: the offload watch's state, for the day's alerts.
const stateKey = readWiredVariable(process.env, WATCH_STATE_KEY_VARIABLE);
const watch =
  stateKey === undefined
    ? undefined
    : {
        store: new S3WatchState({ s3, bucket: config.bucketName, key: stateKey }),
        warn: (message: string) => logger.warn(message, { event: 'watch-state-unreadable' }),
      };
const workGroup = readWiredVariable(process.env, ATHENA_WORK_GROUP_VARIABLE);
const athena =
  workGroup === undefined
    ? undefined
    : {
        region: process.env.AWS_REGION ?? null,
        workGroup,
        database: config.databaseName,
        datasets: config.datasets,
      };

export interface ReportResult {
  readonly date: string;
  readonly subject: string;
  readonly recipients: number;
  readonly messageId: string | null;
  readonly apiRequests: number;
}

export const handler = reporterHandler(
  config.secretName,
  async (event: unknown, context): Promise<ReportResult> => {
    const request = parseReportEvent(event, Date.now());
    const client = apiClientFor(config.apiBaseUrl, context, deadlineOf(context), pacer);
    const result = await runReport({
      source: client,
      mailer,
      now: request.now,
      ...(request.date ? { date: request.date } : {}),
      ...reportOptionsOf(config),
      lake,
      ...(athena ? { athena } : {}),
      ...(watch ? { watch } : {}),
      requestCount: () => client.stats.requests,
    });
    const stats = client.stats;
    metrics.addMetric(METRIC.reportsSent, MetricUnit.Count, 1);
    // A report went out: whatever the last report check found, no report is late now.
    metrics.addMetric(METRIC.reportsLate, MetricUnit.Count, 0);
    metrics.addMetric(METRIC.apiRequests, MetricUnit.Count, stats.requests);
    metrics.addMetric(METRIC.apiRetries, MetricUnit.Count, stats.retries);
    const summary: ReportResult = {
      date: result.summary.date,
      subject: result.subject,
      recipients: config.recipients.length,
      messageId: result.messageId ?? null,
      apiRequests: stats.requests,
    };
    logger.info('Report sent', { ...summary });
    return summary;
  },
);
