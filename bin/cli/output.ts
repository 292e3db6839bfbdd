/**
 * What the commands print: tables, the summary of a run, the report's headline and the plan, as
 * text for people and as JSON for scripts (--json), and the exit code a run's result means.
 */
import type { CurationResult } from '../../lambdas/core/lake/curate.ts';
import type { ForecastDay } from '../../lambdas/core/lake/curate-forecast.ts';
import type { GapReason, RunPlan, WindowReason } from '../../lambdas/core/lake/plan.ts';
import type { RunResult } from '../../lambdas/core/lake/run-types.ts';
import { formatBytes, formatPercent } from '../../lambdas/core/report/format.ts';
import type { RunReportResult } from '../../lambdas/core/report/run.ts';
import type { LakeConnection } from './connections.ts';
import { EXIT } from './options.ts';

/** A moment to the second, as runs print it: `2024-05-20T12:00:00Z`. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** A moment to the minute, as plans print it: `2024-05-20T12:00Z`. */
function isoMinute(ms: number): string {
  return new Date(ms).toISOString().replace(':00.000Z', 'Z');
}

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** Failed or unfinished (interrupted, deadline) work is 1, so a script never mistakes it for done. */
export function exitCodeOf(result: RunResult, curation?: CurationResult): number {
  if (result.failed.length > 0 || result.deferred > 0) return EXIT.failed;
  if (curation && (curation.failed.length > 0 || curation.deferred > 0)) return EXIT.failed;
  if (result.gaps.length > 0) return EXIT.gaps;
  return EXIT.ok;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => cell.padEnd(widths[index] ?? 0))
    .join('  ')
    .trimEnd();
}

/** Columns padded to their widest cell, the header first. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
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

/** A run's summary: what was written where, then every gap, failure and deferral. */
export function runLines(result: RunResult, lake: LakeConnection): string[] {
  const lines = [
    `Wrote ${result.windows.length} windows (${result.rows.toLocaleString('en-US')} rows, ${formatBytes(result.bytes)}) to ${lake.location} in ${result.requests} API requests.`,
  ];
  if (result.windows.length > 0) lines.push('', runTable(result));
  for (const gap of result.gaps) {
    lines.push(
      `GAP ${gap.dataset} [${isoTime(gap.start)}, ${isoTime(gap.end)}): ${gap.windows} windows (${gap.reason})`,
    );
  }
  for (const failed of result.failed) {
    lines.push(
      `FAILED ${failed.dataset} ${isoTime(failed.start)}: ${failed.error.name}: ${failed.error.message}`,
    );
  }
  if (result.deferred > 0)
    lines.push(`Deferred ${result.deferred} windows to the next run: ${result.stopReason}`);
  return lines;
}

export function runJson(result: RunResult, lake: LakeConnection) {
  return {
    lake: lake.location,
    windows: result.windows.map((window) => ({
      ...window,
      start: isoTime(window.start),
      end: isoTime(window.end),
    })),
    gaps: result.gaps.map((gap) => ({ ...gap, start: isoTime(gap.start), end: isoTime(gap.end) })),
    failed: result.failed.map((failed) => ({
      ...failed,
      start: isoTime(failed.start),
      end: isoTime(failed.end),
    })),
    deferred: result.deferred,
    stopReason: result.stopReason,
    requests: result.requests,
    rows: result.rows,
    bytes: result.bytes,
  };
}

export function reportLines(report: RunReportResult): string[] {
  const { summary } = report;
  const lines = [`Report: ${report.subject}`];
  if (summary.hasTraffic) {
    lines.push(
      `  delivered ${formatBytes(summary.day.delivered)}, offload ${formatPercent(summary.day.offload)}, rebuffer ratio ${formatPercent(summary.day.rebufferRatio, 2)}${summary.rebufferBand ? ` (${summary.rebufferBand})` : ''}`,
    );
  }
  if (report.apiRequests !== null) lines.push(`  ${report.apiRequests} API requests`);
  return lines;
}

export function reportJson(report: RunReportResult) {
  const { summary } = report;
  return {
    subject: report.subject,
    date: summary.date,
    timeZone: summary.timeZone,
    hasTraffic: summary.hasTraffic,
    day: summary.day,
    vsPreviousDay: summary.vsPreviousDay,
    vsLastWeek: summary.vsLastWeek,
    apiRequests: report.apiRequests,
    messageId: report.messageId ?? null,
    paths: report.paths ?? [],
  };
}

const GAP_REASONS: Record<GapReason, string> = {
  'beyond-look-back': 'missing and older than the API look-back: lost for good',
  'beyond-catch-up-horizon': 'missing and older than the catch-up horizon: fetch it with a backfill',
  'provisional-beyond-look-back': 'holds provisional numbers and is older than the API look-back',
};

/** The plan as lines of text: what will be fetched, in how many requests, and every gap. */
export function describePlan(plan: RunPlan): string[] {
  const lines = [
    `Plan at ${isoMinute(plan.now)}: ${plural(plan.windows, 'window')} in ${plural(plan.fetches.length, 'query', 'queries')}, about ${plural(plan.requests, 'API request')}; ${plural(plan.gaps.length, 'gap')}.`,
  ];
  for (const fetch of plan.fetches) {
    const reasons = new Map<WindowReason, number>();
    for (const window of fetch.windows) reasons.set(window.reason, (reasons.get(window.reason) ?? 0) + 1);
    const why = [...reasons].map(([reason, count]) => `${count} ${reason}`).join(', ');
    const finals = fetch.windows.filter((window) => window.final).length;
    lines.push(
      `  ${fetch.dataset.name} [${isoMinute(fetch.from)}, ${isoMinute(fetch.to)}): ${plural(fetch.windows.length, 'window')} (${why}; ${finals} settled), ${plural(fetch.requests, 'request')} at ${fetch.dataset.interval}`,
    );
  }
  for (const gap of plan.gaps) {
    lines.push(
      `  GAP ${gap.dataset} [${isoMinute(gap.start)}, ${isoMinute(gap.end)}): ${plural(gap.windows, 'window')} ${GAP_REASONS[gap.reason]}`,
    );
  }
  return lines;
}

/** The plan as JSON, with every warning found while reading the lake. */
export function planJson(plan: RunPlan, warnings: readonly string[]) {
  return {
    now: isoTime(plan.now),
    windows: plan.windows,
    requests: plan.requests,
    fetches: plan.fetches.map((fetch) => ({
      dataset: fetch.dataset.name,
      from: isoTime(fetch.from),
      to: isoTime(fetch.to),
      windows: fetch.windows.length,
      requests: fetch.requests,
      reasons: fetch.windows.map((window) => window.reason),
    })),
    gaps: plan.gaps.map((gap) => ({ ...gap, start: isoTime(gap.start), end: isoTime(gap.end) })),
    warnings,
  };
}

/** What curation did after a run: the days written, removed and failed, by dataset and day. */
export function curationLines(curation: CurationResult): string[] {
  const days = (list: readonly { dataset: string; day: string }[]) =>
    list.map((entry) => `${entry.dataset} ${entry.day}`).join(', ');
  const lines: string[] = [];
  if (curation.written.length > 0) {
    const rows = curation.written.reduce((sum, day) => sum + day.rows, 0);
    lines.push(
      `Curated ${plural(curation.written.length, 'day')} (${rows.toLocaleString('en-US')} rows) into Parquet: ${days(curation.written)}.`,
    );
  }
  if (curation.removed.length > 0) {
    lines.push(
      `Removed ${plural(curation.removed.length, 'curated day')} that turned provisional: ${days(curation.removed)}.`,
    );
  }
  for (const failed of curation.failed)
    lines.push(`FAILED curating ${failed.dataset} ${failed.day}: ${failed.error}`);
  if (curation.deferred > 0)
    lines.push(`Deferred curating ${plural(curation.deferred, 'day')} to the next run.`);
  return lines;
}

export function curationJson(curation: CurationResult) {
  return {
    written: curation.written,
    removed: curation.removed,
    waiting: curation.waiting.length,
    failed: curation.failed,
    deferred: curation.deferred,
  };
}

/** The curated days a plan would write, as lines under the plan. */
export function describeCuratedDays(days: readonly ForecastDay[]): string[] {
  if (days.length === 0) return ['  No curated day would be written: no day would have every window final.'];
  return [
    `  Curated days it would write (${days.length}): ${days.map((d) => `${d.dataset} ${d.day}`).join(', ')}`,
  ];
}
