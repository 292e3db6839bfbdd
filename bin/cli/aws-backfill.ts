/**
 * `backfill --on-aws`: starts the deployed Backfill state machine and follows its execution with a
 * progress bar (items done of total, failures, ETA); `--status ARN` reports on one, `--redrive ARN`
 * re-runs what failed. The SDK clients are passed in, so a test can point them at an emulator.
 */
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { BACKFILL_WORKFLOW } from '../../lambdas/handlers/environment.ts';
import { UsageError } from './options.ts';

export interface AwsBackfillClients {
  readonly sfn: SFNClient;
  readonly cloudFormation: CloudFormationClient;
}

export class StateMachineNotFoundError extends Error {
  override readonly name = 'StateMachineNotFoundError';
}

/** The state machine's ARN: --state-machine, else `stateMachine` in the config file, else the stack's output. */
export async function stateMachineArnOf(
  clients: AwsBackfillClients,
  given: { readonly flag?: string; readonly config?: string; readonly stack?: string },
): Promise<string> {
  if (given.flag) return given.flag;
  if (given.config) return given.config;
  const stackName = given.stack ?? BACKFILL_WORKFLOW.stackName;
  let outputs: { OutputKey?: string; OutputValue?: string }[];
  try {
    const answer = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = answer.Stacks?.[0]?.Outputs ?? [];
  } catch (error: unknown) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new StateMachineNotFoundError(
      `cannot read the outputs of stack ${stackName} (${reason}); pass --state-machine ARN or set "stateMachine" in the config file`,
    );
  }
  const arn = outputs.find(
    (output) => output.OutputKey === BACKFILL_WORKFLOW.stateMachineOutput,
  )?.OutputValue;
  if (!arn) {
    throw new StateMachineNotFoundError(
      `stack ${stackName} has no ${BACKFILL_WORKFLOW.stateMachineOutput} output: deploy this version, or pass --state-machine ARN`,
    );
  }
  return arn;
}

/** Where the execution's page is in the Step Functions console. */
export function consoleUrlOf(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

export interface ExecutionProgress {
  readonly executionArn: string;
  readonly status: string;
  /** Items planned; undefined until the Plan step has finished. */
  readonly total: number | undefined;
  readonly done: number;
  readonly failed: number;
  readonly consoleUrl: string;
  /** The Summary's one line, or the failure's cause, once the execution has ended. */
  readonly result?: string;
  readonly error?: string;
}

async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

function planOutputOf(events: readonly HistoryEvent[]): { itemCount?: number } | undefined {
  const exited = events.find(
    (event) =>
      event.type === 'TaskStateExited' && event.stateExitedEventDetails?.name === BACKFILL_WORKFLOW.planState,
  );
  const output = exited?.stateExitedEventDetails?.output;
  return output ? (JSON.parse(output) as { itemCount?: number }) : undefined;
}

/** Where an execution is: its status and, from its history (or its Map run), the items done. */
export async function progressOf(sfn: SFNClient, executionArn: string): Promise<ExecutionProgress> {
  const execution: DescribeExecutionCommandOutput = await sfn.send(
    new DescribeExecutionCommand({ executionArn }),
  );
  const events = await historyOf(sfn, executionArn);
  const total = planOutputOf(events)?.itemCount;
  let done = 0;
  let failed = 0;
  const mapRunArn = events.find((event) => event.mapRunStartedEventDetails?.mapRunArn)
    ?.mapRunStartedEventDetails?.mapRunArn;
  if (mapRunArn) {
    const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
    const counts = run.itemCounts;
    failed = (counts?.failed ?? 0) + (counts?.timedOut ?? 0) + (counts?.aborted ?? 0);
    done = (counts?.succeeded ?? 0) + failed;
  } else {
    done = events.filter(
      (event) => event.type === 'MapIterationSucceeded' || event.type === 'MapIterationFailed',
    ).length;
    // The inline Map keeps a failed item as a result: it passes through "Item failed".
    failed = events.filter(
      (event) => event.type === 'PassStateEntered' && event.stateEnteredEventDetails?.name === 'Item failed',
    ).length;
  }
  const summary = execution.output
    ? (JSON.parse(execution.output) as { summary?: { text?: string } }).summary
    : undefined;
  return {
    executionArn,
    status: execution.status ?? 'UNKNOWN',
    total,
    done,
    failed,
    consoleUrl: consoleUrlOf(executionArn),
    ...(summary?.text ? { result: summary.text } : {}),
    ...(execution.error
      ? { error: `${execution.error}${execution.cause ? `: ${execution.cause}` : ''}` }
      : {}),
  };
}

/** One progress line: a bar, items done of total, failures, and an ETA from the pace so far. */
export function progressLine(progress: ExecutionProgress, elapsedMs: number): string {
  const { total, done, failed } = progress;
  if (total === undefined) return `${progress.status}: planning`;
  const width = 24;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const left = total - done;
  const eta = done > 0 && left > 0 ? `, ETA ${Math.ceil(((elapsedMs / done) * left) / 60_000)} min` : '';
  return `${bar} ${done}/${total} items, ${failed} failed${eta} (${progress.status})`;
}

export function isRunning(progress: ExecutionProgress): boolean {
  return progress.status === 'RUNNING' || progress.status === 'PENDING_REDRIVE';
}

/** Starts an execution with a backfill event as its input. */
export async function startBackfill(
  sfn: SFNClient,
  stateMachineArn: string,
  input: Record<string, unknown>,
): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const answer = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: `backfill-${stamp}`, input: JSON.stringify(input) }),
  );
  if (!answer.executionArn) throw new Error('StartExecution answered without an execution ARN');
  return answer.executionArn;
}

/**
 * Re-runs what failed. When the Distributed Map failed (too many items), Step Functions' redrive
 * re-runs its failed and unstarted items. When the execution ended in WindowsFailed, its steps all
 * succeeded but the Summary found windows missing: a new execution with the same input plans only
 * those (finished windows are final in the lake). Returns the execution to follow.
 */
export async function redriveBackfill(sfn: SFNClient, executionArn: string): Promise<string> {
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (execution.status === 'RUNNING' || execution.status === 'SUCCEEDED') {
    throw new UsageError(
      `--redrive: execution ${executionArn} is ${execution.status}; only a failed, timed-out or aborted one can be re-run`,
    );
  }
  if (execution.error === BACKFILL_WORKFLOW.failError) {
    if (!execution.stateMachineArn)
      throw new Error('DescribeExecution answered without the state machine ARN');
    return await startBackfill(sfn, execution.stateMachineArn, JSON.parse(execution.input ?? '{}'));
  }
  await sfn.send(new RedriveExecutionCommand({ executionArn }));
  return executionArn;
}
