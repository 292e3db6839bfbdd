/**
 * The stack's one dead-letter queue: schedule events Scheduler could not deliver and async runs
 * that failed after Lambda's retries. Nothing consumes it; the FailedRunsWaiting alarm calls an
 * operator to look.
 */
import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SECURE_QUEUE_PROPS } from './defaults.ts';

export class RunFailureQueue extends sqs.Queue {
  constructor(scope: Construct, id: string) {
    super(scope, id, SECURE_QUEUE_PROPS);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue: it receives schedule events Scheduler could not deliver and runs that failed after Lambda retries. Nothing consumes it automatically; an operator inspects it when the FailedRunsWaiting alarm fires, so a second-level DLQ would never receive a message.',
    });
  }
}
