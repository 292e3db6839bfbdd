/** `peer5-reporter report`: the daily report, sent through SES or written to an outbox folder. */
import { CALENDAR_DATE, parseCalendarDate } from '../../../lambdas/core/dates.ts';
import type { WatchState } from '../../../lambdas/core/insights/incident.ts';
import { ReportConfigError } from '../../../lambdas/core/report/config.ts';
import type { ReportWatch, RunReportOptions, RunReportResult } from '../../../lambdas/core/report/run.ts';
import { ReportWindowError } from '../../../lambdas/core/report/scope.ts';
import { reportOptionsOf } from '../../../lambdas/core/settings/run-options.ts';
import { connectLake, connectMailer, type LakeConnection } from '../connections.ts';
import {
  API_FLAGS,
  COMMON_FLAGS,
  EXIT,
  type FlagTable,
  LAKE_FLAGS,
  MAIL_FLAGS,
  parseFlags,
  stringFlag,
  UsageError,
} from '../options.ts';
import { reportJson, reportLines } from '../output.ts';
import { deadlineFlag, OUTPUT_FLAGS } from '../run-control.ts';
import { type Command, type CommandIo, noPositionals, note, print } from './command.ts';
import { withRuntime } from './runtime.ts';

const REPORT_FLAGS = {
  ...COMMON_FLAGS,
  ...API_FLAGS,
  ...MAIL_FLAGS,
  lake: LAKE_FLAGS.lake,
  date: { type: 'string', value: 'YYYY-MM-DD', help: 'the report day (default: yesterday in the time zone)' },
  deadline: deadlineFlag('report'),
  quiet: OUTPUT_FLAGS.quiet,
} satisfies FlagTable;

/** The report's settings each come from a flag; a bad one is bad usage of that flag. */
const REPORT_FLAG_OF_SETTING: Readonly<Record<string, string>> = {
  date: '--date',
  timeZone: '--time-zone',
  from: '--ses-from',
  to: '--to',
  topN: 'the reportTopN setting',
};

/** Runs the report; a setting it refuses is reported as bad usage of the flag that gave it. */
export async function runReportNamingFlags(options: RunReportOptions): Promise<RunReportResult> {
  try {
    const { runReport } = await import('../../../lambdas/core/report/run.ts');
    return await runReport(options);
  } catch (error: unknown) {
    if (error instanceof ReportConfigError) {
      const flag = REPORT_FLAG_OF_SETTING[error.setting.replace(/\[\d+\]$/, '')] ?? error.setting;
      throw new UsageError(`${flag}: ${error.rule}`);
    }
    // The message names the report's own "date" field; here that is --date.
    if (error instanceof ReportWindowError)
      throw new UsageError(`--date: ${error.message.replace(/^date: /, '')}`);
    throw error;
  }
}

/**
 * The lake's watch state, read for the day's alerts; a state it cannot read is a warning. With
 * `instead`, a lake whose watch never ran reads as that state (`npm start`: its replay of the day).
 */
export function reportWatchOf(lake: LakeConnection, io: CommandIo, instead?: WatchState): ReportWatch {
  const warn = (message: string) => note(io, `Warning: ${message}`);
  if (instead === undefined) return { store: lake.watchState, warn };
  const store = lake.watchState;
  return {
    store: {
      location: store.location,
      read: async () => {
        const stored = await store.read();
        return stored.version === null ? { state: instead, version: null } : stored;
      },
    },
    warn,
  };
}

export const report: Command = {
  name: 'report',
  summary: 'compute the daily report and send it (SES) or write it to an outbox folder',
  usage:
    'peer5-reporter report [--date YYYY-MM-DD] [--ses-from ADDRESS --to ADDRESS | --outbox DIR] [--lake DIR|s3://...] [--json]',
  flags: REPORT_FLAGS,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    noPositionals(positionals, 'report');
    const date = stringFlag(values, 'date');
    if (date !== undefined && parseCalendarDate(date) === null) {
      throw new UsageError(`--date must be ${CALENDAR_DATE}; got ${JSON.stringify(date)}`);
    }
    return await withRuntime(
      values,
      this.flags,
      io,
      { command: 'report', target: 'mail' },
      async (runtime) => {
        const { options, now } = runtime;
        const { mailer, location } = await connectMailer(options.mail);
        const lake = await connectLake(options.lake);
        const result = await runReportNamingFlags({
          source: runtime.api.client,
          mailer,
          now,
          ...(date === undefined ? {} : { date }),
          ...reportOptionsOf(options.settings),
          lake: { sink: lake.sink, prefix: lake.prefix, datasets: options.settings.datasets },
          watch: reportWatchOf(lake, io),
          requestCount: () => runtime.api.client.stats.requests,
        });
        print(io, values, { ...reportJson(result), delivery: location }, () =>
          [
            ...reportLines(result),
            ...(result.paths ?? []).map((file) => `  wrote ${file}`),
            ...(result.messageId ? [`  sent through ${location}, message id ${result.messageId}`] : []),
          ].join('\n'),
        );
        return EXIT.ok;
      },
    );
  },
};
