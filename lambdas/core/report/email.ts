/**
 * Builds the whole email as a raw MIME message: multipart/mixed holding multipart/alternative
 * (text/plain, then multipart/related with the HTML and the inline PNG chart referenced by CID)
 * and the CSV attachment. Also an HTML preview with the chart inlined, for the outbox.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { renderOffloadChart } from './chart.ts';
import { breakdownCsvName, renderBreakdownCsv } from './csv.ts';
import { CHART_CONTENT_ID, renderReportHtml } from './html.ts';
import type { ReportSummary } from './summary.ts';
import { renderReportText } from './text.ts';

/** The headline's subject: the biggest material change and who explains it, or "steady". */
export function reportSubject(summary: ReportSummary): string {
  return summary.insights.headline.subject;
}

/** A composed report, ready for any mailer. */
export interface ReportEmail {
  /** The report day, YYYY-MM-DD. */
  readonly date: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly messageId: string;
  /** The complete RFC 5322 message. */
  readonly raw: Buffer;
  readonly text: string;
  readonly html: string;
  /** The HTML with the chart as a data URI, so it opens on its own in a browser. */
  readonly previewHtml: string;
  /** Null on a day without traffic: there is nothing to chart. */
  readonly chartPng: Buffer | null;
  readonly csv: string;
  readonly csvName: string;
}

export interface ComposeOptions {
  readonly from: string;
  readonly to: readonly string[];
  /** The Date header. */
  readonly now: number;
}

export async function composeReportEmail(
  summary: ReportSummary,
  options: ComposeOptions,
): Promise<ReportEmail> {
  const subject = reportSubject(summary);
  // Last week's same day as the chart's ghost, so the weekly rhythm shows beside the day.
  const chart = summary.lastWeekHours.length > 0 ? { ghost: summary.lastWeekHours } : {};
  const chartPng = summary.hasTraffic ? renderOffloadChart(summary.hours, chart) : null;
  const html = renderReportHtml(summary, { subject, chartSrc: `cid:${CHART_CONTENT_ID}`, chart });
  const previewHtml = chartPng
    ? renderReportHtml(summary, {
        subject,
        chartSrc: `data:image/png;base64,${chartPng.toString('base64')}`,
        chart,
      })
    : html;
  const text = renderReportText(summary);
  const csv = renderBreakdownCsv(summary);
  const csvName = breakdownCsvName(summary.date);

  const composer = new MailComposer({
    from: options.from,
    to: [...options.to],
    subject,
    date: new Date(options.now),
    // Everything is passed as content; never let a value be read as a file path or fetched URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    text,
    html,
    attachments: [
      ...(chartPng
        ? [
            {
              filename: `offload-${summary.date}.png`,
              content: chartPng,
              contentType: 'image/png',
              cid: CHART_CONTENT_ID,
              contentDisposition: 'inline' as const,
            },
          ]
        : []),
      { filename: csvName, content: csv, contentType: 'text/csv; charset=utf-8' },
    ],
  });
  const node = composer.compile();
  const raw = await node.build();
  return {
    date: summary.date,
    from: options.from,
    to: options.to,
    subject,
    messageId: node.messageId(),
    raw,
    text,
    html,
    previewHtml,
    chartPng,
    csv,
    csvName,
  };
}
