/**
 * The `backfill` command's AWS flags, apart from the code that acts on them, so that a local
 * backfill parses its flags without loading the Step Functions and CloudFormation SDKs.
 */
import type { FlagTable, FlagValues } from '../options.ts';

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

export function wantsAws(values: FlagValues): boolean {
  return values['on-aws'] === true || values.status !== undefined || values.redrive !== undefined;
}
