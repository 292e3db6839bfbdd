/**
 * The daily report end to end: settings, report day, data from the API, summary, email, delivery.
 * The source and the mailer are passed in, so the same function runs in Lambda (ExportClient and
 * SesMailer) and locally (the simulator and OutboxMailer).
 */
import type { Filters } from '../contract.ts';
import type { ExportSource } from '../source.ts';
import { ReportConfigError, validateReportSettings } from './config.ts';
import { composeReportEmail } from './email.ts';
import { gatherReportData } from './gather.ts';
import type { Mailer } from './mailer.ts';
import { scopeReport } from './scope.ts';
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
}

export interface RunReportResult {
  readonly summary: ReportSummary;
  readonly subject: string;
  readonly messageId?: string;
  readonly paths?: readonly string[];
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
  const data = await gatherReportData(
    options.source,
    scope,
    options.signal ? { signal: options.signal } : {},
  );
  const summary = summarizeReport(data, { topN: settings.topN });
  const email = await composeReportEmail(summary, { from: settings.from, to: settings.to, now: options.now });
  const receipt = await options.mailer.send(email);
  return {
    summary,
    subject: email.subject,
    ...(receipt.messageId !== undefined ? { messageId: receipt.messageId } : {}),
    ...(receipt.paths !== undefined ? { paths: receipt.paths } : {}),
  };
}
