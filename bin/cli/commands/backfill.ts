/** `peer5-reporter backfill`: fetch a date range into the lake, with progress; resumes where it stopped. */
import { connectLake } from '../connections.ts';
import { parseFlags } from '../options.ts';
import { curationJson, curationLines, describePlan, exitCodeOf, runJson, runLines } from '../output.ts';
import { deadlineFlag, OUTPUT_FLAGS } from '../run-control.ts';
import { AWS_BACKFILL_FLAGS, wantsAws } from './backfill-aws-flags.ts';
import { type Command, noPositionals, print } from './command.ts';
import { CURATE_FLAGS, curateAfterCommand, executeWithProgress, withRuntime } from './runtime.ts';
import { BACKFILL_FLAGS, backfillRange, planWork, RUN_FLAGS } from './work.ts';

export const backfill: Command = {
  name: 'backfill',
  summary: 'fetch a date range into the lake, with progress; resumes where it stopped',
  usage:
    'peer5-reporter backfill --from DATE --to DATE [--datasets A,B] [--force] [--lake URL] [--deadline 12h] [--json]\n       peer5-reporter backfill --from DATE --to DATE [--datasets A,B] --on-aws [--state-machine ARN] [--detach] [--json]\n       peer5-reporter backfill --status ARN | --redrive ARN [--detach] [--json]',
  flags: {
    ...RUN_FLAGS,
    ...BACKFILL_FLAGS,
    deadline: deadlineFlag('backfill'),
    ...CURATE_FLAGS,
    ...OUTPUT_FLAGS,
    ...AWS_BACKFILL_FLAGS,
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    noPositionals(positionals, 'backfill');
    if (wantsAws(values)) {
      const { runOnAws } = await import('./backfill-aws.ts');
      return await runOnAws(values, io);
    }
    const { from, to } = backfillRange(values);
    return await withRuntime(
      values,
      this.flags,
      io,
      { command: 'backfill', target: 'lake' },
      async (runtime) => {
        const { options, now, status } = runtime;
        const lake = await connectLake(options.lake);
        const work = { kind: 'backfill', from, to, force: values.force === true } as const;
        const { plan, datasets } = await planWork(work, options, values, lake, now);
        status.note(describePlan(plan)[0] ?? '');
        const result = await executeWithProgress(plan, runtime, lake, datasets);
        const curation = await curateAfterCommand(runtime, lake, datasets, values);
        print(io, values, { ...runJson(result, lake), curated: curationJson(curation) }, () =>
          [...runLines(result, lake), ...curationLines(curation)].join('\n'),
        );
        if (result.deferred > 0)
          status.note('Run the same command again to resume: finished windows are skipped.');
        return exitCodeOf(result, curation);
      },
    );
  },
};
