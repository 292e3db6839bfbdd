import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATASETS } from '../../lambdas/core/datasets.ts';
import { BACKFILL_WORKFLOW } from '../../lambdas/handlers/environment.ts';
import { parseBackfillEvent } from '../../lambdas/handlers/events.ts';
import { type RunningMoto, startMoto } from '../support/moto.ts';
import { type CliResult, runCli } from './run-cli.ts';

/** A valid one-state definition: the CLI only starts and looks at executions, never runs states. */
const DEFINITION = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });
const ROLE = 'arn:aws:iam::123456789012:role/backfill-workflow';
const RANGE = ['--from', '2026-11-01', '--to', '2026-11-03'];
const SECRET_KEY = 'moto-secret-KEYLEAK-41c7';

interface StartedJson {
  readonly executionArn: string;
  readonly status: string;
  readonly consoleUrl: string;
}

describe('backfill --on-aws against Step Functions and CloudFormation (moto)', () => {
  let moto: RunningMoto;
  let sfn: SFNClient;
  let awsEnv: Record<string, string>;
  let stackMachine: string;
  let otherMachine: string;

  async function createMachine(name: string): Promise<string> {
    const created = await sfn.send(
      new CreateStateMachineCommand({ name, definition: DEFINITION, roleArn: ROLE }),
    );
    if (!created.stateMachineArn) throw new Error('CreateStateMachine answered without an ARN');
    return created.stateMachineArn;
  }

  /** The execution the CLI printed, as Step Functions itself lists and describes it. */
  async function startedExecution(result: CliResult, machine: string) {
    expect(result.code).toBe(0);
    const started = JSON.parse(result.stdout) as StartedJson;
    expect(started.executionArn).toMatch(/^arn:aws:states:us-east-1:\d{12}:execution:/);
    expect(result.stderr).toContain(`Started ${started.executionArn}`);
    expect(started.consoleUrl).toBe(
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${started.executionArn}`,
    );
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }));
    expect((listed.executions ?? []).map((execution) => execution.executionArn)).toContain(
      started.executionArn,
    );
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described.stateMachineArn).toBe(machine);
    return { started, input: JSON.parse(described.input ?? 'null') as unknown };
  }

  function expectNoSecret(result: CliResult): void {
    const output = `${result.stdout}${result.stderr}`;
    expect(output).not.toContain(SECRET_KEY);
    expect(output).not.toContain('KEYLEAK');
    expect(output).not.toContain('AWS_SECRET_ACCESS_KEY');
  }

  beforeAll(async () => {
    moto = await startMoto();
    sfn = new SFNClient(moto.clientConfig);
    awsEnv = { ...moto.environment, AWS_SECRET_ACCESS_KEY: SECRET_KEY };
    stackMachine = await createMachine('Backfill');
    otherMachine = await createMachine('BackfillElsewhere');
    // The deployed stack, reduced to what the CLI reads of it: the output naming the machine.
    await new CloudFormationClient(moto.clientConfig).send(
      new CreateStackCommand({
        StackName: BACKFILL_WORKFLOW.stackName,
        TemplateBody: JSON.stringify({
          Resources: { Placeholder: { Type: 'AWS::SNS::Topic' } },
          Outputs: { [BACKFILL_WORKFLOW.stateMachineOutput]: { Value: stackMachine } },
        }),
      }),
    );
  });

  afterAll(async () => {
    await moto.stop();
  });

  it('starts the machine named by the stack output with the input the workflow accepts', async () => {
    const result = await runCli(
      ['backfill', ...RANGE, '--datasets', 'totals_1m', '--on-aws', '--detach', '--json'],
      { env: awsEnv },
    );
    const { input } = await startedExecution(result, stackMachine);
    expect(input).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-03T00:00:00.000Z',
      datasets: ['totals_1m'],
    });
    // The Plan step's own check, which refuses unknown keys, accepts it.
    expect(parseBackfillEvent(input, DEFAULT_DATASETS).datasets.map((dataset) => dataset.name)).toEqual([
      'totals_1m',
    ]);
    expectNoSecret(result);
  });

  it('reports an execution with --status, whatever state Step Functions gives it', async () => {
    const start = await runCli(['backfill', ...RANGE, '--on-aws', '--detach', '--json'], { env: awsEnv });
    const { started } = await startedExecution(start, stackMachine);
    const status = await runCli(['backfill', '--status', started.executionArn, '--json'], { env: awsEnv });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(status.code).toBe(0);
    const reported = JSON.parse(status.stdout) as StartedJson;
    expect(reported.executionArn).toBe(started.executionArn);
    expect(reported.status).toBe(described.status);
    expect(reported.consoleUrl).toBe(started.consoleUrl);
    expectNoSecret(status);
  });

  it('takes the machine from --state-machine before the stack', async () => {
    const result = await runCli(
      ['backfill', ...RANGE, '--on-aws', '--state-machine', otherMachine, '--detach', '--json'],
      { env: awsEnv },
    );
    const { input } = await startedExecution(result, otherMachine);
    expect(input).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-03T00:00:00.000Z' });
    expectNoSecret(result);
  });

  it('takes the machine from the config file key stateMachine before the stack', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'peer5-backfill-config-'));
    try {
      await writeFile(
        path.join(dir, 'peer5-reporter.config.json'),
        JSON.stringify({ stateMachine: otherMachine }),
      );
      const result = await runCli(['backfill', ...RANGE, '--on-aws', '--detach', '--json'], {
        cwd: dir,
        env: awsEnv,
      });
      await startedExecution(result, otherMachine);
      expectNoSecret(result);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
