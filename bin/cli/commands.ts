/**
 * The commands of `peer5-reporter`. Each one parses its flags, builds its runtime, calls the same
 * core functions the Lambdas call, and returns an exit code. Results go to stdout (text, or JSON
 * with --json); progress and notes go to stderr, so stdout stays clean for scripts.
 */

import { incompleteUploadWarning } from '../../lambdas/adapters/s3-lifecycle.ts';
import { TIME } from '../../lambdas/core/contract.ts';
import { CADENCES, type Cadence, type DatasetDefinition } from '../../lambdas/core/datasets.ts';
import { CALENDAR_DATE, parseCalendarDate } from '../../lambdas/core/dates.ts';
import { describePlan, planBackfill, planRun, type RunPlan } from '../../lambdas/core/lake/plan.ts';
import { executePlan, type RunProgress, type RunResult } from '../../lambdas/core/lake/run.ts';
import { readLakeState } from '../../lambdas/core/lake/state.ts';
import { ReportConfigError } from '../../lambdas/core/report/config.ts';
import { formatBytes, formatPercent } from '../../lambdas/core/report/format.ts';
import { type RunReportOptions, type RunReportResult, runReport } from '../../lambdas/core/report/run.ts';
import { ReportWindowError } from '../../lambdas/core/report/scope.ts';
import { nameLike } from '../../lambdas/core/spelling.ts';
import { simulatorCommand } from '../../simulator/command.ts';
import {
  type ApiConnection,
  connectApi,
  connectLake,
  connectMailer,
  type LakeConnection,
  selectDatasets,
  TOKEN_VARIABLE,
} from './connections.ts';
import {
  API_FLAGS,
  COMMON_FLAGS,
  EXIT,
  type FlagTable,
  type FlagValues,
  flagHelp,
  LAKE_FLAGS,
  LOCAL_LAKE,
  MAIL_FLAGS,
  parseFlags,
  type ResolvedOptions,
  resolveOptions,
  stringFlag,
  timeFlag,
  UsageError,
} from './options.ts';
import { createRunStatus, type RunStatus } from './progress.ts';
import { queryLocalLake } from './query.ts';
import {
  type DeadlineCommand,
  deadlineFlag,
  deadlineOf,
  OUTPUT_FLAGS,
  type RunControl,
  startRunControl,
} from './run-control.ts';

export interface CommandIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: FlagTable;
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}

/** Requests a backfill starts per minute unless told otherwise; the vendor publishes no limit. */
const DEFAULT_BACKFILL_PACE = 30;

const BACKFILL_FLAGS = {
  from: { type: 'string', value: 'DATE', help: 'first day (or ISO moment) to fetch, inclusive' },
  to: { type: 'string', value: 'DATE', help: 'end of the range, exclusive' },
  force: { type: 'boolean', help: 'fetch windows that are already final, too' },
  'max-requests-per-minute': {
    type: 'string',
    value: 'N',
    help: `pace API requests to stay under the rate limit (default ${DEFAULT_BACKFILL_PACE})`,
  },
} as const satisfies FlagTable;

const RUN_FLAGS = { ...COMMON_FLAGS, ...API_FLAGS, ...LAKE_FLAGS } satisfies FlagTable;
const REPORT_FLAGS = {
  ...COMMON_FLAGS,
  ...API_FLAGS,
  ...MAIL_FLAGS,
  date: { type: 'string', value: 'YYYY-MM-DD', help: 'the report day (default: yesterday in the time zone)' },
  deadline: deadlineFlag('report'),
  quiet: OUTPUT_FLAGS.quiet,
} satisfies FlagTable;

// -------------------------------------------------------------------------------------------------
// Shared pieces.

function print(io: CommandIo, values: FlagValues, json: unknown, text: () => string): void {
  io.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);
}

/** Human notes go to stderr, so stdout carries only the result (and with --json, only JSON). */
function note(io: CommandIo, line: string): void {
  io.stderr.write(`${line}\n`);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Failed or unfinished (interrupted, deadline) work is 1, so a script never mistakes it for done. */
export function exitCodeOf(result: RunResult): number {
  if (result.failed.length > 0 || result.deferred > 0) return EXIT.failed;
  if (result.gaps.length > 0) return EXIT.gaps;
  return EXIT.ok;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => cell.padEnd(widths[index] ?? 0))
    .join('  ')
    .trimEnd();
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((_, index) =>
    Math.max(...[header, ...rows].map((row) => (row[index] ?? '').length)),
  );
  return [pad(header, widths), ...rows.map((row) => pad(row, widths))].join('\n');
}

/** Per-dataset totals of a run, for the summary table. */
function runTable(result: RunResult): string {
  const byDataset = new Map<string, { windows: number; provisional: number; rows: number; bytes: number }>();
  for (const window of result.windows) {
    const entry = byDataset.get(window.dataset) ?? { windows: 0, provisional: 0, rows: 0, bytes: 0 };
    entry.windows += 1;
    entry.provisional += window.final ? 0 : 1;
    entry.rows += window.rows;
    entry.bytes += window.bytes;
    byDataset.set(window.dataset, entry);
  }
  const rows = [...byDataset].map(([name, entry]) => [
    name,
    String(entry.windows),
    String(entry.provisional),
    entry.rows.toLocaleString('en-US'),
    formatBytes(entry.bytes),
  ]);
  return table(['dataset', 'windows', 'provisional', 'rows', 'stored'], rows);
}

function runLines(result: RunResult, lake: LakeConnection): string[] {
  const lines = [
    `Wrote ${result.windows.length} windows (${result.rows.toLocaleString('en-US')} rows, ${formatBytes(result.bytes)}) to ${lake.location} in ${result.requests} API requests.`,
  ];
  if (result.windows.length > 0) lines.push('', runTable(result));
  for (const gap of result.gaps) {
    lines.push(
      `GAP ${gap.dataset} [${iso(gap.start)}, ${iso(gap.end)}): ${gap.windows} windows (${gap.reason})`,
    );
  }
  for (const failed of result.failed) {
    lines.push(
      `FAILED ${failed.dataset} ${iso(failed.start)}: ${failed.error.name}: ${failed.error.message}`,
    );
  }
  if (result.deferred > 0)
    lines.push(`Deferred ${result.deferred} windows to the next run: ${result.stopReason}`);
  return lines;
}

function runJson(result: RunResult, lake: LakeConnection) {
  return {
    lake: lake.location,
    windows: result.windows.map((window) => ({ ...window, start: iso(window.start), end: iso(window.end) })),
    gaps: result.gaps.map((gap) => ({ ...gap, start: iso(gap.start), end: iso(gap.end) })),
    failed: result.failed.map((failed) => ({ ...failed, start: iso(failed.start), end: iso(failed.end) })),
    deferred: result.deferred,
    stopReason: result.stopReason,
    requests: result.requests,
    rows: result.rows,
    bytes: result.bytes,
  };
}

function reportLines(report: RunReportResult): string[] {
  const { summary } = report;
  const lines = [`Report: ${report.subject}`];
  if (summary.hasTraffic) {
    lines.push(
      `  delivered ${formatBytes(summary.day.delivered)}, offload ${formatPercent(summary.day.offload)}, rebuffer ratio ${formatPercent(summary.day.rebufferRatio, 2)}${summary.rebufferBand ? ` (${summary.rebufferBand})` : ''}`,
    );
  }
  return lines;
}

function reportJson(report: RunReportResult) {
  const { summary } = report;
  return {
    subject: report.subject,
    date: summary.date,
    timeZone: summary.timeZone,
    hasTraffic: summary.hasTraffic,
    day: summary.day,
    vsPreviousDay: summary.vsPreviousDay,
    messageId: report.messageId ?? null,
    paths: report.paths ?? [],
  };
}

interface Runtime {
  readonly options: ResolvedOptions;
  readonly api: ApiConnection;
  readonly now: number;
  /** The deadline and the stop signal (Ctrl-C) of this run. */
  readonly control: RunControl;
  /** Notes, waits and progress on stderr. */
  readonly status: RunStatus;
}

interface RuntimeExtra {
  readonly command: DeadlineCommand;
  readonly target: 'lake' | 'mail';
  readonly embedded?: boolean;
  readonly maxRequestsPerMinute?: number;
}

/** What a run prints on stderr, by --quiet, --no-progress and --json; notes under --json too. */
function runStatus(values: FlagValues, io: CommandIo, spacingMs = 0): RunStatus {
  return createRunStatus(io.stderr, {
    quiet: values.quiet === true,
    progress: !values.json && values['no-progress'] !== true,
    spacingMs,
  });
}

async function withRuntime<T>(
  values: FlagValues,
  flags: FlagTable,
  io: CommandIo,
  extra: RuntimeExtra,
  body: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  // The embedded (local) run keeps everything on this machine whatever the config file says.
  const options = resolveOptions(values, flags, { cwd: io.cwd, local: extra.embedded === true });
  const durationMs = deadlineOf(values, extra.command);
  const nowFlag = timeFlag(values, 'now');
  const realTarget = extra.target === 'lake' ? options.lake.kind === 's3' : options.mail.kind === 'ses';
  const pace = extra.maxRequestsPerMinute;
  const status = runStatus(values, io, pace ? 60_000 / pace : 0);
  const control = startRunControl({ durationMs, alert: (line) => status.alert(line) });
  try {
    const api = await connectApi({
      settings: options.settings,
      tokenSecret: options.tokenSecret,
      apiUrlGiven: stringFlag(values, 'api-url') !== undefined,
      now: nowFlag,
      realTarget,
      deadline: control.deadline,
      signal: control.signal,
      onEvent: (event) => status.clientEvent(event),
      ...(extra.embedded === undefined ? {} : { embedded: extra.embedded }),
      ...(pace === undefined ? {} : { maxRequestsPerMinute: pace }),
    });
    status.note(`Using ${api.description}${nowFlag === undefined ? '' : `, as of ${iso(nowFlag)}`}.`);
    try {
      return await body({ options, api, now: nowFlag ?? Date.now(), control, status });
    } finally {
      await api.close();
    }
  } finally {
    control.dispose();
  }
}

function positiveInteger(values: FlagValues, name: string, fallback: number): number {
  const text = stringFlag(values, name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`--${name} must be a whole number of at least 1; got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function requireTime(values: FlagValues, name: string): number {
  const value = timeFlag(values, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

function backfillRange(values: FlagValues): { from: number; to: number } {
  const from = requireTime(values, 'from');
  const to = requireTime(values, 'to');
  if (from >= to) throw new UsageError('--to must be after --from (the range is [from, to))');
  return { from, to };
}

/** `; did you mean "x"?` when a misspelt argument looks like one of `names`. */
export function meantOf(text: string | undefined, names: readonly string[]): string {
  const meant = text === undefined ? undefined : nameLike(text, names);
  return meant === undefined ? '' : `; did you mean "${meant}"?`;
}

function cadenceOf(positionals: readonly string[], command: string): Cadence {
  const [cadence, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`${command}: unexpected argument "${rest[0]}"`);
  if (cadence === undefined || !(CADENCES as readonly string[]).includes(cadence)) {
    throw new UsageError(
      `${command} needs what to run: ${CADENCES.join(' or ')}${meantOf(cadence, CADENCES)}`,
    );
  }
  return cadence as Cadence;
}

function datasetsOf(options: ResolvedOptions, values: FlagValues, cadence?: Cadence): DatasetDefinition[] {
  const named = stringFlag(values, 'datasets');
  const selected = selectDatasets(options.settings.datasets, named);
  if (cadence === undefined) return selected;
  const ofCadence = selected.filter((dataset) => dataset.cadence === cadence);
  // Naming only datasets of the other cadence would run nothing and still exit 0.
  if (named !== undefined && ofCadence.length === 0) {
    throw new UsageError(
      `--datasets: ${selected.map((dataset) => `${dataset.name} is ${dataset.cadence}`).join(', ')}; ${cadence === 'hourly' ? 'an' : 'a'} ${cadence} run exports only ${cadence} datasets`,
    );
  }
  return ofCadence;
}

/** What to plan: a scheduled run of one cadence, or a backfill of a range. */
type Work =
  | { readonly kind: 'scheduled'; readonly cadence: Cadence }
  | { readonly kind: 'backfill'; readonly from: number; readonly to: number; readonly force: boolean };

interface PlannedWork {
  readonly plan: RunPlan;
  readonly datasets: DatasetDefinition[];
}

/** Reads the lake and plans the work, exactly as a Lambda run or a backfill would. */
async function planWork(
  work: Work,
  options: ResolvedOptions,
  values: FlagValues,
  lake: LakeConnection,
  now: number,
): Promise<PlannedWork> {
  const settleMs = options.settings.settleHours * TIME.HOUR;
  if (work.kind === 'scheduled') {
    const datasets = datasetsOf(options, values, work.cadence);
    const state = await readLakeState(lake.sink, lake.prefix, datasets, now, { settleMs });
    return { datasets, plan: planRun({ datasets, now, lake: state, settleMs }) };
  }
  const datasets = datasetsOf(options, values);
  const { from, to, force } = work;
  const state = await readLakeState(lake.sink, lake.prefix, datasets, now, { settleMs, from });
  return { datasets, plan: planBackfill({ datasets, now, lake: state, from, to, settleMs, force }) };
}

function noPositionals(positionals: readonly string[], command: string): void {
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument "${positionals[0]}"`);
}

/** Runs the plan as a Lambda would, stopping at the run's deadline or on Ctrl-C. */
async function executeWithProgress(
  plan: RunPlan,
  runtime: Runtime,
  lake: LakeConnection,
  datasets: readonly DatasetDefinition[],
): Promise<RunResult> {
  const { control, status } = runtime;
  try {
    return await executePlan(plan, {
      source: runtime.api.client,
      sink: lake.sink,
      prefix: lake.prefix,
      datasets,
      now: runtime.now,
      deadline: control.deadline,
      reserveMs: control.reserveMs,
      stopSignal: control.signal,
      onProgress: (update: RunProgress) => {
        status.progress({
          windowsDone: update.windowsDone,
          windowsTotal: update.windowsPlanned,
          rows: update.rowsTotal,
          requestsTotal: plan.requests,
        });
      },
    });
  } finally {
    status.finish();
  }
}

// -------------------------------------------------------------------------------------------------
// The commands.

const start: Command = {
  name: 'start',
  summary: 'run the whole product locally: simulator, lake, report (what `npm start` runs)',
  usage:
    'peer5-reporter start [--now ISO] [--lake DIR] [--outbox DIR] [--time-zone ZONE] [--deadline 5m] [--json]',
  flags: {
    ...COMMON_FLAGS,
    lake: LAKE_FLAGS.lake,
    outbox: MAIL_FLAGS.outbox,
    'time-zone': MAIL_FLAGS['time-zone'],
    deadline: deadlineFlag('start'),
    ...OUTPUT_FLAGS,
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    noPositionals(positionals, 'start');
    const extra = { command: 'start', embedded: true, target: 'lake' } as const;
    return await withRuntime(values, this.flags, io, extra, async (runtime) => {
      const { options, now, status } = runtime;
      const lake = connectLake(options.lake);
      const dayEnd = Math.floor(now / TIME.DAY) * TIME.DAY;
      const dayStart = dayEnd - TIME.DAY;
      status.note(`Exporting ${iso(dayStart).slice(0, 10)} (UTC) into ${lake.location} ...`);
      const { plan, datasets } = await planWork(
        { kind: 'backfill', from: dayStart, to: dayEnd, force: false },
        options,
        values,
        lake,
        now,
      );
      const result = await executeWithProgress(plan, runtime, lake, datasets);
      if (result.stopReason !== null) {
        // Stopped early (Ctrl-C, the deadline): a report now would only fail the same way.
        print(io, values, { ...runJson(result, lake), report: null }, () =>
          runLines(result, lake).join('\n'),
        );
        status.note('The report was not written: the export stopped early. Run the command again.');
        return EXIT.failed;
      }
      status.note('Writing the daily report ...');
      const { mailer, location } = connectMailer(options.mail);
      const report = await runReportNamingFlags({
        source: runtime.api.client,
        mailer,
        now,
        timeZone: options.settings.timeZone,
        from: options.settings.sender,
        to: options.settings.recipients,
        topN: options.settings.reportTopN,
      });
      const preview = report.paths?.find((file) => file.endsWith('.html'));
      const eml = report.paths?.find((file) => file.endsWith('.eml'));
      print(io, values, { ...runJson(result, lake), report: reportJson(report), outbox: location }, () =>
        [
          ...runLines(result, lake),
          '',
          ...reportLines(report),
          '',
          'Open:',
          `  report preview  ${preview ?? '(none)'}`,
          `  email (.eml)    ${eml ?? '(none)'}`,
          `  lake            ${lake.location}`,
          '',
          'Next: npx peer5-reporter query "SELECT country_code, sum(p2p) * 1.0 / sum(http + p2p) AS offload',
          '      FROM by_country_1h GROUP BY 1 ORDER BY sum(http + p2p) DESC LIMIT 5"',
        ].join('\n'),
      );
      return exitCodeOf(result);
    });
  },
};

const run: Command = {
  name: 'run',
  summary: 'run the hourly or daily export, as the Lambda does',
  usage:
    'peer5-reporter run hourly|daily [--now ISO] [--lake URL] [--datasets A,B] [--deadline 15m] [--json]',
  flags: { ...RUN_FLAGS, deadline: deadlineFlag('run'), ...OUTPUT_FLAGS },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    const cadence = cadenceOf(positionals, 'run');
    return await withRuntime(values, this.flags, io, { command: 'run', target: 'lake' }, async (runtime) => {
      const { options, now } = runtime;
      const lake = connectLake(options.lake);
      const { plan, datasets } = await planWork({ kind: 'scheduled', cadence }, options, values, lake, now);
      const result = await executeWithProgress(plan, runtime, lake, datasets);
      print(io, values, runJson(result, lake), () => runLines(result, lake).join('\n'));
      return exitCodeOf(result);
    });
  },
};

const report: Command = {
  name: 'report',
  summary: 'compute the daily report and send it (SES) or write it to an outbox folder',
  usage:
    'peer5-reporter report [--date YYYY-MM-DD] [--ses-from ADDRESS --to ADDRESS | --outbox DIR] [--json]',
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
        const { mailer, location } = connectMailer(options.mail);
        const result = await runReportNamingFlags({
          source: runtime.api.client,
          mailer,
          now,
          ...(date === undefined ? {} : { date }),
          timeZone: options.settings.timeZone,
          from: options.settings.sender,
          to: options.settings.recipients,
          topN: options.settings.reportTopN,
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

/** The report's settings each come from a flag; a bad one is bad usage of that flag. */
const REPORT_FLAG_OF_SETTING: Readonly<Record<string, string>> = {
  date: '--date',
  timeZone: '--time-zone',
  from: '--ses-from',
  to: '--to',
  topN: 'the reportTopN setting',
};

async function runReportNamingFlags(options: RunReportOptions): Promise<RunReportResult> {
  try {
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

const backfill: Command = {
  name: 'backfill',
  summary: 'fetch a date range into the lake, with progress; resumes where it stopped',
  usage:
    'peer5-reporter backfill --from DATE --to DATE [--datasets A,B] [--force] [--lake URL] [--deadline 12h] [--json]',
  flags: { ...RUN_FLAGS, ...BACKFILL_FLAGS, deadline: deadlineFlag('backfill'), ...OUTPUT_FLAGS },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    noPositionals(positionals, 'backfill');
    const { from, to } = backfillRange(values);
    const pace = positiveInteger(values, 'max-requests-per-minute', DEFAULT_BACKFILL_PACE);
    return await withRuntime(
      values,
      this.flags,
      io,
      { command: 'backfill', maxRequestsPerMinute: pace, target: 'lake' },
      async (runtime) => {
        const { options, now, status } = runtime;
        const lake = connectLake(options.lake);
        const work = { kind: 'backfill', from, to, force: values.force === true } as const;
        const { plan, datasets } = await planWork(work, options, values, lake, now);
        status.note(describePlan(plan)[0] ?? '');
        const result = await executeWithProgress(plan, runtime, lake, datasets);
        print(io, values, runJson(result, lake), () => runLines(result, lake).join('\n'));
        if (result.deferred > 0)
          status.note('Run the same command again to resume: finished windows are skipped.');
        return exitCodeOf(result);
      },
    );
  },
};

const plan: Command = {
  name: 'plan',
  summary: 'show which windows and API requests a run or backfill would make, without fetching',
  usage:
    'peer5-reporter plan hourly|daily|backfill [--from DATE --to DATE] [--now ISO] [--lake URL] [--json]',
  flags: {
    ...COMMON_FLAGS,
    ...LAKE_FLAGS,
    from: BACKFILL_FLAGS.from,
    to: BACKFILL_FLAGS.to,
    force: BACKFILL_FLAGS.force,
    deadline: deadlineFlag('plan'),
  },
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, this.flags);
    const [what, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`plan: unexpected argument "${rest[0]}"`);
    if (what !== 'backfill' && what !== 'hourly' && what !== 'daily') {
      const meant = meantOf(what, [...CADENCES, 'backfill']);
      throw new UsageError(`plan needs what to plan: hourly, daily or backfill${meant}`);
    }
    const options = resolveOptions(values, this.flags, { cwd: io.cwd });
    const durationMs = deadlineOf(values, 'plan');
    const now = timeFlag(values, 'now') ?? Date.now();
    const lake = connectLake(options.lake);
    const work: Work =
      what === 'backfill'
        ? { kind: 'backfill', ...backfillRange(values), force: values.force === true }
        : { kind: 'scheduled', cadence: what };
    // Reading an S3 lake is the only slow part: the deadline bounds it.
    const control = startRunControl({ durationMs, alert: (line) => note(io, line) });
    let runPlan: RunPlan;
    let uploadWarning: string | null = null;
    try {
      runPlan = (await planWork(work, options, values, lake, now)).plan;
      // A bucket given by name is the owner's: say when it would keep the parts of killed uploads.
      if (lake.s3) uploadWarning = await incompleteUploadWarning(lake.s3.client, lake.s3.bucket, lake.prefix);
    } finally {
      control.dispose();
    }
    if (uploadWarning) note(io, `Warning: ${uploadWarning}`);
    const json = {
      now: iso(runPlan.now),
      windows: runPlan.windows,
      requests: runPlan.requests,
      fetches: runPlan.fetches.map((fetch) => ({
        dataset: fetch.dataset.name,
        from: iso(fetch.from),
        to: iso(fetch.to),
        windows: fetch.windows.length,
        requests: fetch.requests,
        reasons: fetch.windows.map((window) => window.reason),
      })),
      gaps: runPlan.gaps.map((gap) => ({ ...gap, start: iso(gap.start), end: iso(gap.end) })),
      warnings: uploadWarning ? [uploadWarning] : [],
    };
    print(io, values, json, () => describePlan(runPlan).join('\n'));
    return runPlan.gaps.length > 0 ? EXIT.gaps : EXIT.ok;
  },
};

const query: Command = {
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

const simulator: Command = {
  name: 'simulator',
  summary: 'serve the Peer5 API simulator on a port',
  usage: 'peer5-reporter simulator [--port N] [--seed N] [--now ISO] [--segments N] [--rate-limit N]',
  flags: {},
  async run(argv) {
    return await simulatorCommand([...argv]);
  },
};

export const COMMANDS: readonly Command[] = [start, run, report, backfill, plan, query, simulator];

export function commandHelp(command: Command): string {
  const flags = Object.keys(command.flags).length > 0 ? `\n\nOptions:\n${flagHelp(command.flags)}` : '';
  const summary = `${command.summary.charAt(0).toUpperCase()}${command.summary.slice(1)}`;
  return `Usage: ${command.usage}\n\n${summary}.${flags}`;
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Usage: peer5-reporter <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    `With no ${TOKEN_VARIABLE} and no --token-secret, commands run against the embedded simulator.`,
    'Exit codes: 0 ok, 1 failed, 2 bad usage, 3 finished with gaps; 1 too when a run stops early',
    '(Ctrl-C, --deadline): windows already written stay, and running it again goes on.',
    'Run "peer5-reporter help <command>" (or "peer5-reporter <command> --help") for its options,',
    'and "peer5-reporter --version" for the version.',
  ].join('\n');
}
