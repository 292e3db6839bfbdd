import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  consoleUrlOf,
  progressLine,
  progressOf,
  redriveBackfill,
  StateMachineNotFoundError,
  stateMachineArnOf,
} from '../../bin/cli/aws-backfill.ts';
import { runOnAws } from '../../bin/cli/commands/backfill-aws.ts';
import { BACKFILL_WORKFLOW } from '../../lambdas/handlers/environment.ts';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Backfill';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:Backfill:backfill-1';

/**
 * A Step Functions that answers as the service does for one execution of the Backfill machine:
 * running for `polls` looks, then succeeded; the commands it was sent are kept.
 */
function fakeSfn(options: { polls?: number; error?: string; mapRun?: boolean } = {}) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  let looks = 0;
  const planned = JSON.stringify({ itemCount: 8 });
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      switch (name) {
        case 'StartExecutionCommand':
          return { executionArn: EXECUTION };
        case 'RedriveExecutionCommand':
          return {};
        case 'DescribeExecutionCommand': {
          looks += 1;
          const running = looks <= (options.polls ?? 0);
          return {
            executionArn: EXECUTION,
            stateMachineArn: MACHINE,
            input: JSON.stringify({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' }),
            status: running ? 'RUNNING' : options.error ? 'FAILED' : 'SUCCEEDED',
            ...(options.error && !running
              ? { error: options.error, cause: '1 window(s) were not written' }
              : {}),
            ...(running || options.error
              ? {}
              : {
                  output: JSON.stringify({
                    summary: { text: 'Every window the API serves is in the lake.' },
                  }),
                }),
          };
        }
        case 'GetExecutionHistoryCommand':
          return {
            events: [
              {
                type: 'TaskStateExited',
                stateExitedEventDetails: { name: BACKFILL_WORKFLOW.planState, output: planned },
              },
              ...(options.mapRun
                ? [{ type: 'MapRunStarted', mapRunStartedEventDetails: { mapRunArn: `${EXECUTION}/run` } }]
                : [
                    ...Array.from({ length: Math.min(8, looks * 3) }, () => ({
                      type: 'MapIterationSucceeded',
                    })),
                    { type: 'PassStateEntered', stateEnteredEventDetails: { name: 'Item failed' } },
                  ]),
            ],
          };
        case 'DescribeMapRunCommand':
          return { itemCounts: { total: 8, succeeded: 5, failed: 1, timedOut: 0, aborted: 0 } };
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  return { sfn: client as unknown as SFNClient, sent };
}

function stackWith(outputs: { OutputKey: string; OutputValue: string }[]): CloudFormationClient {
  return { send: async () => ({ Stacks: [{ Outputs: outputs }] }) } as unknown as CloudFormationClient;
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (into: string[]) =>
    ({ write: (chunk: string) => into.push(chunk) }) as unknown as NodeJS.WriteStream;
  return { io: { stdout: stream(out), stderr: stream(err), cwd: '/nonexistent' }, out, err };
}

describe('the state machine a backfill on AWS starts', () => {
  it('is --state-machine, else the config file, else the stack output', async () => {
    const cloudFormation = stackWith([
      { OutputKey: BACKFILL_WORKFLOW.stateMachineOutput, OutputValue: MACHINE },
    ]);
    const { sfn } = fakeSfn();
    expect(await stateMachineArnOf({ sfn, cloudFormation }, { flag: 'arn:flag', config: 'arn:config' })).toBe(
      'arn:flag',
    );
    expect(await stateMachineArnOf({ sfn, cloudFormation }, { config: 'arn:config' })).toBe('arn:config');
    expect(await stateMachineArnOf({ sfn, cloudFormation }, {})).toBe(MACHINE);
  });

  it('is refused, saying what to do, when the stack has no such output', async () => {
    const { sfn } = fakeSfn();
    await expect(stateMachineArnOf({ sfn, cloudFormation: stackWith([]) }, {})).rejects.toThrow(
      StateMachineNotFoundError,
    );
    await expect(stateMachineArnOf({ sfn, cloudFormation: stackWith([]) }, {})).rejects.toThrow(
      /--state-machine ARN/,
    );
  });
});

describe('following an execution', () => {
  it('counts the items of an inline Map from the history, and the failed ones', async () => {
    const { sfn } = fakeSfn({ polls: 5 });
    const progress = await progressOf(sfn, EXECUTION);
    expect(progress).toMatchObject({ status: 'RUNNING', total: 8, done: 3, failed: 1 });
    expect(progressLine(progress, 60_000)).toBe(
      '[#########...............] 3/8 items, 1 failed, ETA 2 min (RUNNING)',
    );
  });

  it('counts the items of a Distributed Map from its Map run', async () => {
    const { sfn } = fakeSfn({ mapRun: true });
    expect(await progressOf(sfn, EXECUTION)).toMatchObject({ total: 8, done: 6, failed: 1 });
  });

  it('starts, follows to the end and prints the result with the console URL', async () => {
    const { sfn, sent } = fakeSfn({ polls: 2 });
    const cloudFormation = stackWith([
      { OutputKey: BACKFILL_WORKFLOW.stateMachineOutput, OutputValue: MACHINE },
    ]);
    const { io: streams, out, err } = io();
    const code = await runOnAws(
      { 'on-aws': true, from: '2026-11-01', to: '2026-11-02', datasets: 'by_country_1h' },
      streams,
      { sfn, cloudFormation },
      1,
    );
    expect(code).toBe(0);
    expect(sent[0]).toMatchObject({
      name: 'StartExecutionCommand',
      input: {
        stateMachineArn: MACHINE,
        input: JSON.stringify({
          from: '2026-11-01T00:00:00.000Z',
          to: '2026-11-02T00:00:00.000Z',
          datasets: ['by_country_1h'],
        }),
      },
    });
    expect(err.join('')).toMatch(/\d\/8 items, 1 failed/);
    expect(out.join('')).toContain('SUCCEEDED');
    expect(out.join('')).toContain(`Console: ${consoleUrlOf(EXECUTION)}`);
    expect(consoleUrlOf(EXECUTION)).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\//);
  });

  it('returns at once with --detach, and --json gives the progress as JSON', async () => {
    const { sfn } = fakeSfn({ polls: 100 });
    const { io: streams, out } = io();
    const code = await runOnAws(
      {
        'on-aws': true,
        from: '2026-11-01',
        to: '2026-11-02',
        'state-machine': MACHINE,
        detach: true,
        json: true,
      },
      streams,
      { sfn, cloudFormation: stackWith([]) },
      1,
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ executionArn: EXECUTION, status: 'RUNNING', total: 8 });
  });
});

describe('re-running what failed', () => {
  it('starts a new execution with the same input after WindowsFailed', async () => {
    const { sfn, sent } = fakeSfn({ error: BACKFILL_WORKFLOW.failError });
    await redriveBackfill(sfn, EXECUTION);
    expect(sent.map((command) => command.name)).toEqual([
      'DescribeExecutionCommand',
      'StartExecutionCommand',
    ]);
    expect(sent[1]?.input).toMatchObject({ stateMachineArn: MACHINE });
  });

  it('redrives the execution when its Map run failed', async () => {
    const { sfn, sent } = fakeSfn({ error: 'States.ExceedToleratedFailureThreshold' });
    await redriveBackfill(sfn, EXECUTION);
    expect(sent.map((command) => command.name)).toEqual([
      'DescribeExecutionCommand',
      'RedriveExecutionCommand',
    ]);
  });

  it('refuses an execution that succeeded', async () => {
    const { sfn } = fakeSfn();
    await expect(redriveBackfill(sfn, EXECUTION)).rejects.toThrow(/only a failed, timed-out or aborted one/);
  });
});
