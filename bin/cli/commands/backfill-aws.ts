/**
 * The `backfill` command's AWS side: `--on-aws` starts the deployed Backfill state machine,
 * `--status ARN` and `--redrive ARN` act on an execution. It follows the execution (progress on
 * stderr) unless `--detach`, and prints the console URL; the local backfill is the command's other
 * side, unchanged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  type AwsBackfillClients,
  type ExecutionProgress,
  isRunning,
  progressLine,
  progressOf,
  redriveBackfill,
  startBackfill,
  stateMachineArnOf,
} from '../aws-backfill.ts';
import { EXIT, type FlagTable, type FlagValues, stateMachineOfConfig, stringFlag } from '../options.ts';
import { type CommandIo, note, print } from './command.ts';
import { backfillRange } from './work.ts';

export const AWS_BACKFILL_FLAGS = {
  'on-aws': {
    type: 'boolean',
    help: 'start the deployed Backfill state machine instead of fetching from here',
  },
  'state-machine': {
    type: 'string',
    value: 'ARN',
    help: 'its ARN (default: "stateMachine" in the config file, else the stack\'s BackfillStateMachine output)',
  },
  stack: { type: 'string', value: 'NAME', help: 'the stack whose outputs name it (default Peer5Reporter)' },
  status: { type: 'string', value: 'ARN', help: 'report on an execution and exit' },
  redrive: { type: 'string', value: 'ARN', help: 're-run what failed in an execution' },
  detach: { type: 'boolean', help: 'with --on-aws or --redrive: print the execution and return at once' },
} as const satisfies FlagTable;

/** Seconds between two looks at a followed execution. */
const POLL_MS = 5_000;

export function wantsAws(values: FlagValues): boolean {
  return values['on-aws'] === true || values.status !== undefined || values.redrive !== undefined;
}

function progressText(progress: ExecutionProgress): string {
  return [
    `Execution ${progress.executionArn}: ${progress.status}`,
    progress.total === undefined
      ? 'Items: not planned yet'
      : `Items: ${progress.done}/${progress.total} done, ${progress.failed} failed`,
    ...(progress.result ? [progress.result] : []),
    ...(progress.error ? [`Error: ${progress.error}`] : []),
    `Console: ${progress.consoleUrl}`,
  ].join('\n');
}

function exitOf(progress: ExecutionProgress): number {
  if (isRunning(progress)) return EXIT.ok;
  return progress.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
}

export async function runOnAws(
  values: FlagValues,
  io: CommandIo,
  clients: AwsBackfillClients = { sfn: new SFNClient({}), cloudFormation: new CloudFormationClient({}) },
  pollMs = POLL_MS,
): Promise<number> {
  const quiet = values.quiet === true;
  const status = stringFlag(values, 'status');
  const redrive = stringFlag(values, 'redrive');
  let executionArn: string;
  if (status !== undefined) {
    const progress = await progressOf(clients.sfn, status);
    print(io, values, progress, () => progressText(progress));
    return exitOf(progress);
  }
  if (redrive !== undefined) {
    executionArn = await redriveBackfill(clients.sfn, redrive);
  } else {
    const { from, to } = backfillRange(values);
    const datasets = stringFlag(values, 'datasets')
      ?.split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const input = {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      ...(datasets && datasets.length > 0 ? { datasets } : {}),
      ...(values.force === true ? { force: true } : {}),
    };
    const stateMachineArn = await stateMachineArnOf(clients, {
      ...(stringFlag(values, 'state-machine') ? { flag: stringFlag(values, 'state-machine') } : {}),
      ...(stateMachineOfConfig(values, io.cwd) ? { config: stateMachineOfConfig(values, io.cwd) } : {}),
      ...(stringFlag(values, 'stack') ? { stack: stringFlag(values, 'stack') } : {}),
    });
    executionArn = await startBackfill(clients.sfn, stateMachineArn, input);
  }
  let progress = await progressOf(clients.sfn, executionArn);
  if (!quiet) note(io, `Started ${executionArn}\nConsole: ${progress.consoleUrl}`);
  const started = Date.now();
  const showProgress = !quiet && values['no-progress'] !== true;
  while (values.detach !== true && isRunning(progress)) {
    await sleep(pollMs);
    progress = await progressOf(clients.sfn, executionArn);
    if (showProgress) note(io, progressLine(progress, Date.now() - started));
  }
  print(io, values, progress, () => progressText(progress));
  return exitOf(progress);
}
