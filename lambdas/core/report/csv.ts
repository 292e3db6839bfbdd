/**
 * The CSV attachment: the day's hourly figures and every segment, for recipients to open in a
 * spreadsheet. RFC 4180 (CRLF, quotes doubled), with text that a spreadsheet would run as a
 * formula neutralised, because dimension values are free text from the field.
 */
import { SEGMENT_NAMES } from './scope.ts';
import type { ReportSummary } from './summary.ts';
import { localIsoMinute } from './time.ts';

export const BREAKDOWN_CSV_HEADER = [
  'breakdown',
  'value',
  'http_bytes',
  'p2p_bytes',
  'delivered_bytes',
  'share_percent',
  'offload_percent',
  'previous_day_offload_percent',
] as const;

/** First characters that make Excel, Sheets or LibreOffice treat a cell as a formula. */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r', '\n']);

/** Prefixes text a spreadsheet would evaluate with `'`, which makes it plain text. */
export function neutralizeFormula(text: string): string {
  return FORMULA_TRIGGERS.has(text.charAt(0)) ? `'${text}` : text;
}

/** One RFC 4180 field: quoted when it holds a comma, quote or line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export type CsvCell = string | number | null;

/**
 * Text is neutralised and quoted; numbers are written bare. Every number in this file is a byte
 * count or a percentage the report computed, never negative, so none starts with a trigger.
 */
export function csvLine(cells: readonly CsvCell[]): string {
  return cells
    .map((cell) => {
      if (cell === null) return '';
      if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : '';
      return csvField(neutralizeFormula(cell));
    })
    .join(',');
}

function percent(ratio: number | null): number | null {
  return ratio === null ? null : Math.round(ratio * 10_000) / 100;
}

/** The attachment's file name. */
export function breakdownCsvName(date: string): string {
  return `peer5-report-${date}.csv`;
}

/**
 * The attachment, with a UTF-8 byte-order mark so Excel reads São Paulo and 東京 correctly.
 */
export function renderBreakdownCsv(summary: ReportSummary): string {
  const lines = [csvLine(BREAKDOWN_CSV_HEADER)];
  for (const hour of summary.hours) {
    lines.push(
      csvLine([
        'hour',
        localIsoMinute(hour.start, summary.timeZone),
        hour.http,
        hour.p2p,
        hour.delivered,
        percent(summary.day.delivered > 0 ? hour.delivered / summary.day.delivered : 0),
        percent(hour.offload),
        null,
      ]),
    );
  }
  for (const breakdown of summary.segments) {
    for (const row of breakdown.rows) {
      lines.push(
        csvLine([
          SEGMENT_NAMES[breakdown.dimension].key,
          row.value,
          row.http,
          row.p2p,
          row.delivered,
          percent(row.share),
          percent(row.offload),
          percent(row.previousOffload),
        ]),
      );
    }
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
