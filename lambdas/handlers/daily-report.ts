/**
 * Scheduled once a day in the configured time zone: emails the P2P offload report on the previous
 * day. By hand, `{"date": "YYYY-MM-DD"}` sends the report on that day again.
 *
 * Any failure fails the invocation (Errors alarm; one async retry, then the failure queue): a
 * report that was not sent is always worth an alert. The mail is the last step, so a retry does
 * not send a second copy of a report that already went out.
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../adapters/ses-mailer.ts';
import { runReport } from '../core/report/run.ts';
import { readLambdaEnvironment } from '../core/settings/lambda-environment.ts';
import { reportOptionsOf } from '../core/settings/run-options.ts';
import { REPORT_SETTINGS } from './environment.ts';
import { parseReportEvent } from './events.ts';
import { apiClientFor, deadlineOf, logger, metrics, reporterHandler } from './middleware.ts';
import { METRIC } from './telemetry.ts';

const config = readLambdaEnvironment(process.env, REPORT_SETTINGS);
const mailer = new SesMailer({ ses: new SESClient({}) });

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
    const client = apiClientFor(config.apiBaseUrl, context, deadlineOf(context));
    const result = await runReport({
      source: client,
      mailer,
      now: request.now,
      ...(request.date ? { date: request.date } : {}),
      ...reportOptionsOf(config),
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
