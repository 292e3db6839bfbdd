/** `peer5-reporter query "SQL"`: SQL over the local lake, with the Athena table and column names. */
import {
  COMMON_FLAGS,
  EXIT,
  LOCAL_LAKE,
  parseFlags,
  resolveOptions,
  stringFlag,
  timeFlag,
  UsageError,
} from '../options.ts';
import { table } from '../output.ts';
import { type Command, note, print } from './command.ts';

export const query: Command = {
  name: 'query',
  summary: 'run SQL over the local lake with the Athena table and column names',
  usage: 'peer5-reporter query "SQL" [--lake DIR] [--now ISO] [--json]',
  flags: {
    ...COMMON_FLAGS,
    lake: {
      type: 'string',
      value: 'DIR',
      help: `the lake folder (default ./${LOCAL_LAKE}); query an S3 lake with Athena`,
    },
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    const [sql, ...rest] = positionals;
    if (sql === undefined || sql.trim() === '') throw new UsageError('query needs the SQL to run, in quotes');
    if (rest.length > 0)
      throw new UsageError('query takes one SQL argument: put the whole statement in quotes');
    const now = timeFlag(values, 'now');
    // A deployment's config file (its bucket, sender and recipients) must not stop a local query.
    const options = resolveOptions(values, this.flags, { cwd: io.cwd, local: true, fileLakeFolder: true });
    if (options.lake.kind !== 'local') {
      throw new UsageError(
        '--lake: query reads a local folder (the local engine has no S3 support); query an S3 lake with Athena',
      );
    }
    if (stringFlag(values, 'lake') === undefined && options.settings.bucketName !== undefined) {
      note(
        io,
        `Querying the local lake ${options.lake.root}; the deployed lake in s3://${options.settings.bucketName} is queried with Athena.`,
      );
    }
    const { queryLocalLake } = await import('../query.ts');
    const result = await queryLocalLake({
      sql,
      lakeRoot: options.lake.root,
      prefix: options.lake.prefix,
      database: options.settings.databaseName,
      datasets: options.settings.datasets,
      ...(now === undefined ? {} : { now }),
    });
    print(io, values, result.rows, () =>
      table(
        result.columns,
        result.rows.map((row) => result.columns.map((column) => String(row[column] ?? ''))),
      ),
    );
    return EXIT.ok;
  },
};
