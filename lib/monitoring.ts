/**
 * Alarms that tell the platform team something needs attention, sent to one SNS topic:
 * a run failed, an event could not be delivered or processed, the lake stopped receiving data,
 * the scheduled exports can no longer keep up, or the report did not go out.
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { LakeEvent } from '../lambdas/core/lake/run-types.ts';
import type { RunKind } from '../lambdas/handlers/environment.ts';
import {
  METRIC,
  METRICS_NAMESPACE,
  REPORT_CHECK_DELAY_MINUTES,
  RUN_DIMENSION,
  SERVICE_NAME,
} from '../lambdas/handlers/telemetry.ts';
import { EVENT_ALARM_PERIOD, GAP_ALARM_PERIOD, SECURE_TOPIC_PROPS } from './defaults.ts';

/** The `event` field of the log lines that name a gap's dataset and range. */
const GAP_EVENT: LakeEvent['event'] = 'gap';

export interface ReporterMonitoringProps {
  /**
   * Subscribed to the alarm topic (AWS mails a confirmation link first).
   * @default - no subscription; subscribe to the topic yourself
   */
  readonly alarmEmail?: string;
}

export interface FreshnessOptions {
  /** Alarm when no window was written for this long. */
  readonly period: Duration;
  /** Consecutive periods without a window before the alarm fires. */
  readonly evaluationPeriods: number;
}

export interface DeferralOptions {
  /** How often the function is scheduled: one run per period. */
  readonly period: Duration;
  /** Runs in a row that deferred windows before the alarm fires. */
  readonly runs: number;
}

/** The construct id of the synth warning about an alarm topic nobody is subscribed to. */
export const UNSUBSCRIBED_TOPIC_WARNING = 'peer5-reporter:alarm-topic-unsubscribed';

export class ReporterMonitoring extends Construct {
  public readonly topic: sns.Topic;
  private readonly registered: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: ReporterMonitoringProps = {}) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      ...SECURE_TOPIC_PROPS,
      displayName: 'peer5-reporter alarms',
    });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    } else {
      Annotations.of(this).addWarningV2(
        UNSUBSCRIBED_TOPIC_WARNING,
        'No one is subscribed to the alarm topic, so every alarm goes unheard. Deploy with ' +
          '-c alarmEmail=oncall@example.com (or set "alarmEmail" in cdk.json), or subscribe after the ' +
          'deploy: aws sns subscribe --topic-arn <AlarmTopic output> --protocol email ' +
          '--notification-endpoint oncall@example.com (Chatbot, PagerDuty and other subscribers work too; ' +
          'this warning then stays, as a reminder).',
      );
    }
    this.action = new actions.SnsAction(this.topic);
  }

  /** Every alarm created so far, in order. */
  public get alarms(): readonly cloudwatch.Alarm[] {
    return this.registered;
  }

  private register(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.registered.push(alarm);
    return alarm;
  }

  /** Any failed invocation of the function (after the handler gave up or threw). */
  watchErrors(id: string, fn: lambda.IFunction, label: string): cloudwatch.Alarm {
    return this.register(
      new cloudwatch.Alarm(this, `${id}Errors`, {
        alarmDescription: `The ${label} failed. Its logs say which windows or which step; failed events are kept in the failure queue.`,
        metric: fn.metricErrors({ period: EVENT_ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Executions of a state machine that failed or timed out (an aborted one was stopped by someone). */
  watchExecutions(id: string, stateMachine: sfn.IStateMachine, label: string): cloudwatch.Alarm {
    const metric = (name: string) =>
      stateMachine.metric(name, { period: EVENT_ALARM_PERIOD, statistic: cloudwatch.Stats.SUM });
    return this.register(
      new cloudwatch.Alarm(this, id, {
        alarmDescription: `A ${label} execution failed or timed out. Its Summary step lists the windows that failed; peer5-reporter backfill --status ARN shows them, --redrive ARN fetches only those.`,
        metric: new cloudwatch.MathExpression({
          expression: 'failed + timedOut',
          usingMetrics: { failed: metric('ExecutionsFailed'), timedOut: metric('ExecutionsTimedOut') },
          period: EVENT_ALARM_PERIOD,
          label: `${label} executions failed or timed out`,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Messages in the queue of undeliverable schedule events and failed async runs. */
  watchQueue(id: string, queue: sqs.IQueue): cloudwatch.Alarm {
    return this.register(
      new cloudwatch.Alarm(this, id, {
        alarmDescription:
          'A scheduled run could not be delivered or failed after its retries. Inspect the messages in the failure queue, then purge it.',
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: EVENT_ALARM_PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * A run found windows that are missing from the lake and that the API no longer serves. Runs
   * keep reporting a gap for a day, so the alarm stays up that long and then clears by itself.
   */
  watchGaps(): cloudwatch.Alarm {
    return this.register(
      new cloudwatch.Alarm(this, 'Gaps', {
        alarmDescription: `An export found lake windows that can no longer be fetched (beyond the API look-back). The log lines with event "${GAP_EVENT}" name the dataset and the range; coarser datasets may still cover it.`,
        metric: this.reporterMetric(METRIC.gapsFound, GAP_ALARM_PERIOD),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** A custom metric the handlers emit (Powertools adds the `service` dimension). */
  private reporterMetric(
    metricName: string,
    period: Duration,
    options: { readonly statistic?: string; readonly dimensions?: Record<string, string> } = {},
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: SERVICE_NAME, ...options.dimensions },
      statistic: options.statistic ?? cloudwatch.Stats.SUM,
      period,
    });
  }

  /**
   * A scheduled export deferred windows in several runs in a row: each run hit its deadline before
   * the end of its plan, so the export is falling behind rather than catching up once. A period
   * without a run (or with a run that finished its plan) ends the streak.
   */
  watchDeferrals(id: string, kind: RunKind, label: string, options: DeferralOptions): cloudwatch.Alarm {
    return this.register(
      new cloudwatch.Alarm(this, `${id}Behind`, {
        alarmDescription: `The ${label} deferred windows in each of its last ${options.runs} runs: it stops at its deadline before the end of its plan, so it can no longer keep up. Check ApiRetries (a rate limit slows it down) and the log lines with event "run-stopped"; catch up with a backfill, or split large datasets.`,
        metric: this.reporterMetric(METRIC.windowsDeferred, options.period, {
          dimensions: { [RUN_DIMENSION]: kind },
        }),
        threshold: 1,
        evaluationPeriods: options.runs,
        datapointsToAlarm: options.runs,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * The report check found no report sent an hour after it was due. `ReportsLate` arrives once a
   * day from the check (1 or 0) and whenever a report is sent (0), so between datapoints the alarm
   * keeps its state: it fires at the check and clears when a report goes out.
   */
  watchReportLate(timeZone: string, reportTime: string): cloudwatch.Alarm {
    return this.register(
      new cloudwatch.Alarm(this, 'ReportLate', {
        alarmDescription: `No daily report was sent by ${REPORT_CHECK_DELAY_MINUTES} minutes after its scheduled time (${reportTime} ${timeZone}). Check the report function's errors and logs, the DailyReport schedule and the failure queue; resend with {"date": "YYYY-MM-DD"} once fixed, which clears this alarm.`,
        metric: this.reporterMetric(METRIC.reportsLate, EVENT_ALARM_PERIOD, {
          statistic: cloudwatch.Stats.MINIMUM,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
    );
  }

  /**
   * No lake window written for a while. Missing data counts as breaching: when nothing runs at
   * all, no metric is emitted, and that is exactly the case to catch.
   */
  watchFreshness(options: FreshnessOptions): cloudwatch.Alarm {
    return this.register(
      new cloudwatch.Alarm(this, 'Freshness', {
        alarmDescription: `No lake window was written for ${Duration.seconds(options.period.toSeconds() * options.evaluationPeriods).toHumanString()}. Check the export functions' errors and logs, the API token and the Peer5 API.`,
        metric: this.reporterMetric(METRIC.windowsWritten, options.period),
        threshold: 1,
        evaluationPeriods: options.evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    );
  }
}
