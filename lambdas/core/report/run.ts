/**
 * The daily report end to end: settings, report day, data from the API, summary, email, delivery.
 * The source and the mailer are passed in, so the same function runs in Lambda (ExportClient and
 * SesMailer) and locally (the simulator and OutboxMailer).
 */
import type { Filters } from '../contract.ts';
import type { DatasetDefinition } from '../datasets.ts';
import { errorText } from '../error-text.ts';
import { incidentsOfDay, type ReportIncident } from '../insights/incident-days.ts';
import type { Materiality } from '../insights/materiality.ts';
import type { CdnPrice } from '../insights/pricing.ts';
import type { WatchStateStore } from '../insights/watch-run.ts';
import type { LakeSink } from '../lake/sink.ts';
import { readLakeState } from '../lake/state.ts';
import type { ExportSource } from '../source.ts';
import { ReportConfigError, validateReportSettings } from './config.ts';
import { composeReportEmail } from './email.ts';
import { gatherReportData } from './gather.ts';
import type { Mailer } from './mailer.ts';
import { type AthenaLink, athenaConsoleUrl, dayOffloadSql, lakeHealthOf, type ReportOps } from './ops.ts';
import { type ReportScope, scopeReport } from './scope.ts';
import { type ReportSummary, summarizeReport } from './summary.ts';
import { addDays, localDateOf } from './time.ts';

export interface RunReportOptions {
  readonly source: ExportSource;
  readonly mailer: Mailer;
  /** The clock of the run, ms since the epoch. */
  readonly now: number;
  /** The report day, YYYY-MM-DD; by default yesterday in `timeZone`. */
  readonly date?: string;
  /** IANA zone the day is counted in; UTC by default. */
  readonly timeZone?: string;
  readonly from: string;
  readonly to: readonly string[];
  /** Rows in each segment table; DEFAULT_TOP_N (5) by default. */
  readonly topN?: number;
  /** Narrows every figure to part of the traffic (one site's pages, say). */
  readonly filters?: Filters;
  readonly signal?: AbortSignal;
  /** The `cdnPricePerGb` setting; absent: the email shows bytes only and how to set a price. */
  readonly price?: CdnPrice;
  /** True when `price` is a stand-in (`npm start`'s), so the email labels it as an example. */
  readonly examplePrice?: boolean;
  /** ISO 4217 code of `price`; USD by default. */
  readonly currency?: string;
  /** When a change is news (the `material*` settings); the defaults otherwise. */
  readonly materiality?: Materiality;
  /** The lake the exports write, for the footer's health of the day; absent: no lake line. */
  readonly lake?: ReportLake;
  /** Where the day can be queried in Athena; absent: no Athena line. */
  readonly athena?: ReportAthena;
  /** The `runbookUrl` setting. */
  readonly runbookUrl?: string;
  /** The watch's incidents on the report day, as given; absent: read from `watch`, if given. */
  readonly incidents?: readonly ReportIncident[];
  /** The offload watch's state, read for the day's incidents; absent: no alerts section. */
  readonly watch?: ReportWatch;
  /** How many API requests the source has made so far (ExportClient's `stats.requests`). */
  readonly requestCount?: () => number;
}

export interface ReportLake {
  readonly sink: LakeSink;
  readonly prefix: string;
  readonly datasets: readonly DatasetDefinition[];
}

export interface ReportWatch {
  readonly store: Pick<WatchStateStore, 'location' | 'read'>;
  /** Told when the state cannot be read or parsed: the report then goes out without the section. */
  readonly warn: (message: string) => void;
}

export interface ReportAthena {
  /** Null outside AWS (the CLI against a local lake): the footer then gives the SQL only. */
  readonly region: string | null;
  readonly workGroup: string;
  readonly database: string;
  readonly datasets: readonly DatasetDefinition[];
}

export interface RunReportResult {
  readonly summary: ReportSummary;
  readonly subject: string;
  readonly messageId?: string;
  readonly paths?: readonly string[];
  /** API requests the report made; null without a `requestCount`. */
  readonly apiRequests: number | null;
}

async function opsOf(
  options: RunReportOptions,
  scope: ReportScope,
  apiRequests: number | null,
): Promise<ReportOps> {
  const day = scope.days.at(-1);
  let lake: ReportOps['lake'] = null;
  if (options.lake !== undefined && day !== undefined) {
    const { sink, prefix, datasets } = options.lake;
    const state = await readLakeState(sink, prefix, datasets, options.now, { from: day.from });
    lake = lakeHealthOf(state, datasets, day, sink.location);
  }
  let athena: AthenaLink | null = null;
  const sql =
    options.athena && day ? dayOffloadSql(options.athena.database, options.athena.datasets, day) : null;
  if (options.athena && sql !== null) {
    const { region, workGroup, database } = options.athena;
    athena = { url: region === null ? null : athenaConsoleUrl(region, workGroup), workGroup, database, sql };
  }
  return { lake, athena, runbookUrl: options.runbookUrl ?? null, apiRequests };
}

/**
 * The day's incidents from the watch's state. No state yet (the watch has not run) is a day
 * without incidents; a state that cannot be read is a warning, never a failed report: the report
 * is the product, the section one part of it.
 */
async function incidentsOf(
  options: RunReportOptions,
  scope: ReportScope,
): Promise<readonly ReportIncident[] | undefined> {
  if (options.incidents !== undefined) return options.incidents;
  const day = scope.days.at(-1);
  if (options.watch === undefined || day === undefined) return undefined;
  try {
    const { state } = await options.watch.store.read();
    return incidentsOfDay(state, day);
  } catch (error: unknown) {
    options.watch.warn(
      `the offload watch's state ${options.watch.store.location} could not be read, so the report leaves out the day's alerts: ${errorText(error)}`,
    );
    return undefined;
  }
}

/** The day a scheduled run reports on: yesterday, in the zone, relative to `now`. */
export function defaultReportDate(now: number, timeZone: string): string {
  return addDays(localDateOf(now, timeZone), -1);
}

export async function runReport(options: RunReportOptions): Promise<RunReportResult> {
  if (!Number.isFinite(options.now)) {
    throw new ReportConfigError('now', 'must be a timestamp in milliseconds');
  }
  const settings = validateReportSettings(options);
  const date = settings.date ?? defaultReportDate(options.now, settings.timeZone);
  const scope = scopeReport({
    date,
    timeZone: settings.timeZone,
    now: options.now,
    ...(settings.filters ? { filters: settings.filters } : {}),
  });
  const requestsBefore = options.requestCount?.() ?? null;
  const data = await gatherReportData(
    options.source,
    scope,
    options.signal ? { signal: options.signal } : {},
  );
  const apiRequests =
    requestsBefore === null || options.requestCount === undefined
      ? null
      : options.requestCount() - requestsBefore;
  const incidents = await incidentsOf(options, scope);
  const summary = summarizeReport(data, {
    topN: settings.topN,
    ...(options.price ? { price: options.price } : {}),
    ...(options.currency ? { currency: options.currency } : {}),
    ...(options.materiality ? { materiality: options.materiality } : {}),
    ...(incidents ? { incidents } : {}),
    ...(options.examplePrice ? { examplePrice: true } : {}),
    ops: await opsOf(options, scope, apiRequests),
  });
  const email = await composeReportEmail(summary, { from: settings.from, to: settings.to, now: options.now });
  const receipt = await options.mailer.send(email);
  return {
    summary,
    subject: email.subject,
    apiRequests,
    ...(receipt.messageId !== undefined ? { messageId: receipt.messageId } : {}),
    ...(receipt.paths !== undefined ? { paths: receipt.paths } : {}),
  };
}
