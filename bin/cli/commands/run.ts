/** `peer5-reporter run hourly|daily`: the scheduled export, as the Lambda runs it. */
import { connectLake } from '../connections.ts';
import { parseFlags } from '../options.ts';
import { curationJson, curationLines, exitCodeOf, runJson, runLines } from '../output.ts';
import { deadlineFlag, OUTPUT_FLAGS } from '../run-control.ts';
import { type Command, print } from './command.ts';
import { CURATE_FLAGS, curateAfterCommand, executeWithProgress, withRuntime } from './runtime.ts';
import { cadenceOf, planWork, RUN_FLAGS } from './work.ts';

export const run: Command = {
  name: 'run',
  summary: 'run the hourly or daily export, as the Lambda does',
  usage:
    'peer5-reporter run hourly|daily [--now ISO] [--lake URL] [--datasets A,B] [--deadline 15m] [--json]',
  flags: { ...RUN_FLAGS, deadline: deadlineFlag('run'), ...CURATE_FLAGS, ...OUTPUT_FLAGS },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    const cadence = cadenceOf(positionals, 'run');
    return await withRuntime(values, this.flags, io, { command: 'run', target: 'lake' }, async (runtime) => {
      const { options, now } = runtime;
      const lake = await connectLake(options.lake);
      const { plan, datasets } = await planWork({ kind: 'scheduled', cadence }, options, values, lake, now);
      const result = await executeWithProgress(plan, runtime, lake, datasets);
      const curation = await curateAfterCommand(runtime, lake, datasets, values);
      print(io, values, { ...runJson(result, lake), curated: curationJson(curation) }, () =>
        [...runLines(result, lake), ...curationLines(curation)].join('\n'),
      );
      return exitCodeOf(result, curation);
    });
  },
};
