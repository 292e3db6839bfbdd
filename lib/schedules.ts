/**
 * EventBridge Scheduler schedules for the handlers. All schedules share one role that may invoke
 * exactly the scheduled functions and send to the failure queue, nothing more.
 */
import { type Duration, Stack, type TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { minutesOfDay } from '../lambdas/core/settings/fields.ts';
import { DEFAULT_SCHEDULE_MAX_EVENT_AGE, SCHEDULE_RETRY_ATTEMPTS } from './defaults.ts';

/** Cron fields; unspecified fields mean "every". */
export interface CronFields {
  readonly minute: string;
  /** @default '*' (every hour) */
  readonly hour?: string;
}

/** Cron fields of an `HH:MM` time of day, or of `afterMinutes` later (past midnight wraps round). */
export function cronAt(time: string, afterMinutes = 0): CronFields {
  const minutes = (minutesOfDay(time) + afterMinutes) % (24 * 60);
  return { minute: String(minutes % 60), hour: String(Math.floor(minutes / 60)) };
}

export interface RunScheduleOptions {
  readonly function: lambda.IFunction;
  readonly description: string;
  readonly cron: CronFields;
  /** The zone the cron fields are read in (Scheduler follows its daylight saving time). */
  readonly timeZone: TimeZone;
  /**
   * Deliveries older than this are given up and sent to the dead-letter queue.
   * @default DEFAULT_SCHEDULE_MAX_EVENT_AGE (1 hour)
   */
  readonly maxEventAge?: Duration;
}

export interface ReporterSchedulesProps {
  /** Events Scheduler could not deliver go here. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Delivery retries per event.
   * @default SCHEDULE_RETRY_ATTEMPTS (5)
   */
  readonly retryAttempts?: number;
}

export class ReporterSchedules extends Construct {
  public readonly role: iam.Role;
  private readonly added: scheduler.Schedule[] = [];
  private readonly deadLetterQueue: sqs.IQueue;
  private readonly retryAttempts: number;

  constructor(scope: Construct, id: string, props: ReporterSchedulesProps) {
    super(scope, id);
    this.deadLetterQueue = props.deadLetterQueue;
    this.retryAttempts = props.retryAttempts ?? SCHEDULE_RETRY_ATTEMPTS;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets EventBridge Scheduler start the peer5-reporter runs',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SendUndeliveredEvents',
        actions: ['sqs:SendMessage'],
        resources: [props.deadLetterQueue.queueArn],
      }),
    );
  }

  /** Every schedule added so far, in order. */
  public get schedules(): readonly scheduler.Schedule[] {
    return this.added;
  }

  /** Schedules `options.function` and allows the role to invoke it (the unqualified ARN only). */
  add(id: string, options: RunScheduleOptions): scheduler.Schedule {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: `Invoke${id}`,
        actions: ['lambda:InvokeFunction'],
        resources: [options.function.functionArn],
      }),
    );
    const schedule = new scheduler.Schedule(this, id, {
      description: options.description,
      schedule: scheduler.ScheduleExpression.cron({
        minute: options.cron.minute,
        hour: options.cron.hour ?? '*',
        timeZone: options.timeZone,
      }),
      timeWindow: scheduler.TimeWindow.off(),
      target: new targets.LambdaInvoke(options.function, {
        // The explicit statements above are the whole policy; `grantInvoke` would add `arn:*`.
        role: this.role.withoutPolicyUpdates(),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: this.retryAttempts,
        maxEventAge: options.maxEventAge ?? DEFAULT_SCHEDULE_MAX_EVENT_AGE,
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
      }),
    });
    this.added.push(schedule);
    return schedule;
  }
}
