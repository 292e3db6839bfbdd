/**
 * Scheduled an hour after the report (reportTime + 1 h in timeZone; Scheduler applies the zone's
 * DST rules, so the check follows the report on 23- and 25-hour days too). Asks CloudWatch whether
 * `ReportsSent` counted a report since the report was due, and records `ReportsLate`: 1 when none
 * was, 0 when one was. The report itself records 0 whenever it sends, so the ReportLate alarm
 * fires at the check and clears with the next report that goes out.
 *
 * This catches what the report's own Errors alarm cannot: a report that never ran (the schedule
 * disabled or deleted, an event stuck in Lambda's async queue behind throttling) or that ran
 * without sending.
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { metricSum } from '../adapters/cloudwatch-metric-sum.ts';
import { TIME } from '../core/contract.ts';
import { localIsoMinute } from '../core/report/time.ts';
import { readLambdaEnvironment } from '../core/settings/lambda-environment.ts';
import { REPORT_CHECK_SETTINGS } from './environment.ts';
import { parseReportCheckEvent } from './events.ts';
import { logger, metrics, observedHandler } from './middleware.ts';
import { METRIC, METRICS_NAMESPACE, REPORT_CHECK_DELAY_MINUTES, SERVICE_NAME } from './telemetry.ts';

const config = readLambdaEnvironment(process.env, REPORT_CHECK_SETTINGS);
const cloudwatch = new CloudWatchClient({});

export interface ReportCheckResult {
  /** When the report was due (its scheduled time), ISO in UTC. */
  readonly dueAt: string;
  readonly checkedAt: string;
  /** Reports CloudWatch counted since then. */
  readonly reportsSent: number;
  readonly late: boolean;
}

export const handler = observedHandler(async (event: unknown): Promise<ReportCheckResult> => {
  const now = Date.now();
  const { checkTime } = parseReportCheckEvent(event, now);
  const dueAt = checkTime - REPORT_CHECK_DELAY_MINUTES * TIME.MINUTE;
  const reportsSent = await metricSum(
    cloudwatch,
    { namespace: METRICS_NAMESPACE, name: METRIC.reportsSent, dimensions: { service: SERVICE_NAME } },
    { from: dueAt, to: Math.max(now, checkTime) },
  );
  const late = reportsSent === 0;
  metrics.addMetric(METRIC.reportsLate, MetricUnit.Count, late ? 1 : 0);
  const result: ReportCheckResult = {
    dueAt: new Date(dueAt).toISOString(),
    checkedAt: new Date(now).toISOString(),
    reportsSent,
    late,
  };
  const due = `${localIsoMinute(dueAt, config.timeZone)} (${config.timeZone})`;
  if (late) {
    logger.error(
      `No report was sent since it was due at ${due}: the ReportLate alarm fires. See "ReportLate" in the README's runbook.`,
      { event: 'report-late', ...result },
    );
  } else {
    logger.info(`The report due at ${due} was sent`, { event: 'report-on-time', ...result });
  }
  return result;
});
