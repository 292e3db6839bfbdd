/**
 * The Backfill state machine in the stack: its concurrency from the settings, its alarm, its
 * output, and what its functions may do. Its definition runs in test/handlers/backfill-workflow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BACKFILL_WORKFLOW } from '../../lambdas/handlers/environment.ts';
import { byType, CONTEXT, flatten, statementsOfRole, summarize, synthesized } from './synth.ts';

describe('the Backfill state machine in the stack', () => {
  const { resources, template } = synthesized({
    ...CONTEXT,
    apiRequestsPerMinute: 60,
    backfillConcurrency: 12,
  });

  it('is a standard workflow whose Maps run backfillConcurrency items at once', () => {
    const [machine] = byType(resources, 'AWS::StepFunctions::StateMachine');
    expect(machine?.[1].Properties.StateMachineType).toBe('STANDARD');
    const definition = flatten(machine?.[1].Properties.DefinitionString);
    expect(definition.match(/"MaxConcurrency":12/g)).toHaveLength(2);
    expect(definition).toContain('"ItemReader"');
    expect(definition).toContain('"ResultWriter"');
    expect(definition).toContain('"ToleratedFailurePercentage":10');
    expect(definition).toContain(
      '"IntervalSeconds":30,"MaxAttempts":3,"BackoffRate":2,"JitterStrategy":"FULL"',
    );
  });

  it('has an alarm on failed and timed-out executions, and its ARN as a stack output', () => {
    const alarm = byType(resources, 'AWS::CloudWatch::Alarm').find(([id]) =>
      id.startsWith('MonitoringBackfillExecutionsFailed'),
    );
    const metrics = (alarm?.[1].Properties.Metrics ?? []) as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string } };
    }[];
    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe('failed + timedOut');
    expect(metrics.flatMap((metric) => metric.MetricStat?.Metric.MetricName ?? []).sort()).toEqual([
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    expect(Object.keys(template.toJSON().Outputs)).toContain(BACKFILL_WORKFLOW.stateMachineOutput);
  });

  it('gives the item function the budget settings, and Plan and Summary no token', () => {
    const [item] = byType(resources, 'AWS::Lambda::Function').filter(([id]) =>
      id.startsWith('StateMachineBackfillItem'),
    );
    expect(item?.[1].Properties.Environment.Variables).toMatchObject({
      PEER5_API_REQUESTS_PER_MINUTE: '60',
      PEER5_BACKFILL_CONCURRENCY: '12',
    });
    for (const role of ['StateMachineBackfillPlan', 'StateMachineBackfillSummary']) {
      const sids = summarize(statementsOfRole(resources, role)).map((statement) => statement.sid);
      expect(sids).not.toContain('ReadApiToken');
    }
  });

  it('refuses at synth a concurrency the budget cannot feed', () => {
    expect(() => synthesized({ ...CONTEXT, apiRequestsPerMinute: 10, backfillConcurrency: 9 })).toThrow(
      /backfillConcurrency.*must be at most 8/,
    );
  });
});
