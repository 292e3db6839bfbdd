/**
 * Alarms that tell the platform team something needs attention, sent to one SNS topic:
 * a run failed, an event could not be delivered or processed, or the lake stopped receiving data.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LakeEvent } from '../lambdas/core/lake/run.ts';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../lambdas/handlers/telemetry.ts';
import { SECURE_TOPIC_PROPS } from './defaults.ts';

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
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
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
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
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
          period: Duration.minutes(5),
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
        metric: this.reporterMetric(METRIC.gapsFound, Duration.hours(1)),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** A custom metric the handlers emit (Powertools adds the `service` dimension). */
  private reporterMetric(metricName: string, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: SERVICE_NAME },
      statistic: cloudwatch.Stats.SUM,
      period,
    });
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
