/**
 * The Backfill state machine: Plan (a Lambda that runs the core's backfill planner and cuts the
 * range into work items) -> a Map over the items (inline for a small run, Distributed with the item
 * list read from S3 for a large one) running the item function -> Summary (a Lambda that reads the
 * lake back) -> Succeed, or Fail with WindowsFailed when a window is missing.
 *
 * The Map's concurrency is `backfillConcurrency`, which the settings check against the API's rate
 * budget; each item paces itself to its share (core/lake/backfill-budget.ts).
 */
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { Settings } from '../lambdas/core/config.ts';
import { INLINE_ITEMS_LIMIT } from '../lambdas/core/lake/backfill-items.ts';
import {
  BACKFILL_ITEM_LIST_ID_LENGTH,
  backfillItemListKey,
  backfillResultsPrefix,
} from '../lambdas/core/lake/keys.ts';
import { lambdaEnvironment } from '../lambdas/core/settings/lambda-environment.ts';
import {
  BACKFILL_EXPORT_SETTINGS,
  BACKFILL_WORKFLOW,
  EXPORT_SETTINGS,
  RUN_KIND,
} from '../lambdas/handlers/environment.ts';
import { LAMBDA_LOG_RETENTION, RUN_TIMEOUT } from './defaults.ts';
import { lakeStatements, listLakeStatement, readSecretStatement } from './permissions.ts';
import { ReporterFunction } from './reporter-function.ts';

/**
 * Retries of a Lambda task: throttling and Lambda's 5xx, and an item whose window failed or was
 * deferred (the API kept failing, or the run reached its deadline). 30, 60 and 120 s, full jitter.
 */
export const BACKFILL_TASK_RETRY: sfn.RetryProps = {
  errors: [
    'Lambda.TooManyRequestsException',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'RunFailedError',
    'WindowsDeferredError',
  ],
  interval: Duration.seconds(30),
  backoffRate: 2,
  maxAttempts: 3,
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * Items a Distributed Map may lose and still run the rest: a few failed items are listed by the
 * Summary step and redriven; more than this says the cause is not the items (the token, the API
 * down), and the Map run stops rather than spend every item's retries on it.
 */
export const BACKFILL_TOLERATED_FAILURE_PERCENT = 10;

/** How long one execution may run: a year of every dataset at the default budget takes days. */
export const BACKFILL_EXECUTION_TIMEOUT = Duration.days(7);

export interface BackfillWorkflowProps {
  /** Validated settings: the functions' environment, the Map's concurrency. */
  readonly settings: Settings;
  /** The lake bucket: the item lists and the Distributed Map's results go beside the tables. */
  readonly bucket: s3.IBucket;
  /** Failed async invocations of the functions (not used by the state machine's sync calls). */
  readonly failureQueue: sqs.IQueue;
}

export class BackfillWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly plan: ReporterFunction;
  public readonly item: ReporterFunction;
  public readonly summary: ReporterFunction;

  constructor(scope: Construct, id: string, props: BackfillWorkflowProps) {
    super(scope, id);
    const { settings, bucket, failureQueue } = props;
    const environment = lambdaEnvironment({ ...settings, bucketName: bucket.bucketName }, EXPORT_SETTINGS);
    const itemListPattern = backfillItemListKey(settings.prefix, '?'.repeat(BACKFILL_ITEM_LIST_ID_LENGTH));

    this.plan = new ReporterFunction(this, 'Plan', {
      entry: 'lambdas/handlers/backfill-plan.ts',
      description: 'peer5-reporter backfill plan (Backfill state machine)',
      timeout: Duration.minutes(2),
      environment,
      statements: [
        listLakeStatement(bucket, settings.prefix),
        new iam.PolicyStatement({
          sid: 'WriteItemList',
          actions: ['s3:PutObject'],
          resources: [bucket.arnForObjects(itemListPattern)],
        }),
      ],
      failureQueue,
    });
    this.item = new ReporterFunction(this, 'Item', {
      entry: 'lambdas/handlers/backfill-item.ts',
      description: 'peer5-reporter backfill item (Backfill state machine)',
      timeout: RUN_TIMEOUT.backfill,
      environment: lambdaEnvironment(
        { ...settings, bucketName: bucket.bucketName },
        BACKFILL_EXPORT_SETTINGS,
      ),
      statements: [
        readSecretStatement(this, settings.secretName),
        ...lakeStatements(bucket, settings.prefix, settings.datasets, RUN_KIND.backfill),
      ],
      failureQueue,
    });
    this.summary = new ReporterFunction(this, 'Summary', {
      entry: 'lambdas/handlers/backfill-summary.ts',
      description: 'peer5-reporter backfill summary (Backfill state machine)',
      timeout: Duration.minutes(5),
      environment,
      statements: [listLakeStatement(bucket, settings.prefix)],
      failureQueue,
    });

    const invoke = (
      stateId: string,
      fn: ReporterFunction,
      payload: Record<string, unknown>,
      resultPath?: string,
    ) =>
      new tasks.LambdaInvoke(this, `${stateId}Step`, {
        stateName: stateId,
        lambdaFunction: fn.function,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        ...(resultPath === undefined ? {} : { resultPath }),
      }).addRetry(BACKFILL_TASK_RETRY);
    const itemTask = (stateId: string, stateName: string) =>
      new tasks.LambdaInvoke(this, stateId, {
        stateName,
        lambdaFunction: this.item.function,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath: sfn.JsonPath.DISCARD,
      }).addRetry(BACKFILL_TASK_RETRY);

    const plan = invoke(BACKFILL_WORKFLOW.planState, this.plan, {
      request: sfn.JsonPath.entirePayload,
      execution: sfn.JsonPath.executionId,
    });
    // The summary goes beside the plan's output: the execution's output shows both.
    const summary = invoke(
      BACKFILL_WORKFLOW.summaryState,
      this.summary,
      { request: sfn.JsonPath.objectAt('$.request') },
      '$.summary',
    );

    const inlineMap = new sfn.Map(this, 'InlineItems', {
      stateName: BACKFILL_WORKFLOW.inlineMapState,
      itemsPath: '$.items',
      maxConcurrency: settings.backfillConcurrency,
      resultPath: sfn.JsonPath.DISCARD,
    });
    // An inline Map has no tolerated failures: a failed item is kept as a result instead, so the
    // other items still run and the Summary step names what is missing.
    inlineMap.itemProcessor(
      itemTask('InlineItem', 'Run item').addCatch(
        new sfn.Pass(this, 'ItemFailed', { stateName: 'Item failed' }),
        {
          errors: ['States.ALL'],
          resultPath: '$.error',
        },
      ),
    );

    const distributedMap = new sfn.DistributedMap(this, 'DistributedItems', {
      stateName: BACKFILL_WORKFLOW.distributedMapState,
      maxConcurrency: settings.backfillConcurrency,
      itemReader: new sfn.S3JsonItemReader({ bucket, key: sfn.JsonPath.stringAt('$.itemList.key') }),
      resultWriterV2: new sfn.ResultWriterV2({ bucket, prefix: backfillResultsPrefix(settings.prefix) }),
      toleratedFailurePercentage: BACKFILL_TOLERATED_FAILURE_PERCENT,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultPath: sfn.JsonPath.DISCARD,
      label: 'BackfillItems',
    });
    distributedMap.itemProcessor(itemTask('DistributedItem', 'Run item (distributed)'));

    const done = new sfn.Succeed(this, 'Done', { stateName: 'Done' });
    const failed = new sfn.Fail(this, 'WindowsFailed', {
      stateName: BACKFILL_WORKFLOW.failState,
      error: BACKFILL_WORKFLOW.failError,
      causePath: '$.summary.text',
    });
    const outcome = new sfn.Choice(this, 'AnyWindowFailed', { stateName: 'Any window failed?' })
      .when(sfn.Condition.numberGreaterThan('$.summary.windowsFailed', 0), failed)
      .otherwise(done);
    summary.next(outcome);

    const definition = plan.next(
      new sfn.Choice(this, 'HowMany', { stateName: `At most ${INLINE_ITEMS_LIMIT} items?` })
        .when(sfn.Condition.booleanEquals('$.inline', true), inlineMap.next(summary))
        .otherwise(distributedMap.next(summary)),
    );

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: LAMBDA_LOG_RETENTION });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'peer5-reporter backfill: {"from", "to", "datasets"?, "force"?} as the backfill event',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: BACKFILL_EXECUTION_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // The Distributed Map reads only the item lists.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadItemLists',
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(itemListPattern)],
      }),
    );
    this.acknowledgeCdkWildcards(bucket);
  }

  /**
   * The wildcards the CDK adds for the Step Functions integrations, each acknowledged by its exact
   * finding so that any other wildcard still fails the synth.
   */
  private acknowledgeCdkWildcards(bucket: s3.IBucket): void {
    const stack = Stack.of(this);
    const logicalId = (construct: Construct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
    const machine = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(this.stateMachine)}"}]}]}`;
    const bucketChild = bucket.node.defaultChild;
    const bucketName = bucketChild ? `<${logicalId(bucket)}>` : bucket.bucketName;
    const findings: [string, string][] = [
      ...[this.plan, this.item, this.summary].map((fn): [string, string] => [
        `<${logicalId(fn.function)}.Arn>:*`,
        "lambda:InvokeFunction on the function's versions and aliases, added by the CDK beside the function itself; the state machine invokes only these three functions.",
      ]),
      [
        `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machine}:*`,
        "The Distributed Map's DescribeExecution and StopExecution on this state machine's own executions, whose names Step Functions picks; added by the CDK.",
      ],
      [
        `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machine}/BackfillItems:*`,
        "The Distributed Map's child executions (label BackfillItems), whose names Step Functions picks; added by the CDK.",
      ],
      [
        `arn:<AWS::Partition>:s3:::${bucketName}/*`,
        "Added by the CDK for the ItemReader (s3:GetObject) and the ResultWriter (s3:PutObject and the multipart actions): Step Functions names the result objects by Map run. The lake writers' own roles stay key-exact.",
      ],
      [
        '*',
        'X-Ray tracing (xray:PutTraceSegments and the like) and CloudWatch Logs delivery (logs:CreateLogDelivery and the like) take no resource but "*"; both are added by the CDK.',
      ],
    ];
    for (const [resource, reason] of findings) {
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason,
      });
    }
  }
}
