/**
 * The plain-text part: the same figures as the HTML, aligned in columns for clients (and people)
 * that read text only.
 */
import { formatBytes, formatPercent } from './format.ts';
import { leadSentence } from './insight-words.ts';
import {
  approximationNote,
  changeText,
  dayLengthNote,
  headline,
  hourRange,
  REBUFFER_BANDS_TEXT,
  segmentLabel,
  trailingName,
} from './labels.ts';
import { SEGMENT_NAMES } from './scope.ts';
import type { ReportSummary } from './summary.ts';
import {
  assessedText,
  driverText,
  historyText,
  incidentsText,
  opsText,
  peaksText,
  savingsText,
} from './text-insights.ts';
import { longDate } from './time.ts';

function columns(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => {
      const width = widths[index] ?? 0;
      return index === 0 ? cell.padEnd(width) : cell.padStart(width);
    })
    .join('  ')
    .trimEnd();
}

export function renderReportText(summary: ReportSummary): string {
  const figures = headline(summary);
  const trailingLabel = trailingName(summary);
  const lines: string[] = [`Peer5 daily report: ${longDate(summary.date)} (${summary.timeZone})`, ''];
  if (!summary.hasTraffic) {
    lines.push(
      'No traffic: the Peer5 API reports no bytes delivered on this day.',
      'If players were running, check that the Peer5 script is still on your pages.',
    );
    if (summary.previousDay) {
      lines.push(
        '',
        `Previous day (${summary.previousDay.date}): ${formatBytes(summary.previousDay.delivered)} delivered.`,
      );
    }
  } else {
    const label = (text: string): string => text.padEnd(18);
    const sessionsChange = [
      summary.vsLastWeek ? `${changeText(summary.vsLastWeek.averageSessions) ?? 'n/a'} vs last week` : null,
      summary.vsTrailingAverage
        ? `${changeText(summary.vsTrailingAverage.averageSessions) ?? 'n/a'} vs ${trailingLabel}`
        : null,
    ].filter((part) => part !== null);
    lines.push(
      leadSentence(summary),
      '',
      `${label('Offload')}${figures.offload}   ${assessedText(summary, 'offload')}`,
      `${label('Delivered')}${figures.delivered}   ${assessedText(summary, 'delivered')}`,
      `${label('  P2P')}${figures.p2p}`,
      `${label('  HTTP')}${figures.http}`,
      `${label('Rebuffer ratio')}${figures.rebuffer}${figures.band ? ` (${figures.band})` : ''}   ${assessedText(summary, 'rebufferRatio')}`,
      `${label('Average sessions')}${figures.sessions}   ${sessionsChange.join(', ')}`,
    );
    if (summary.peakHour) {
      const index = summary.hours.indexOf(summary.peakHour);
      lines.push(
        `${label('Peak hour')}${hourRange(summary, index)}: ${formatBytes(summary.peakHour.delivered)}, offload ${formatPercent(summary.peakHour.offload)}`,
      );
    }
    lines.push(...peaksText(summary), ...driverText(summary), ...savingsText(summary));
    lines.push(...incidentsText(summary), ...historyText(summary));
    for (const breakdown of summary.segments) {
      const names = SEGMENT_NAMES[breakdown.dimension];
      lines.push('', `Top ${names.plural} by delivered bytes`);
      const widths = [40, 11, 7, 8, 12];
      lines.push(`  ${columns([names.singular, 'Delivered', 'Share', 'Offload', 'vs prev day'], widths)}`);
      for (const row of breakdown.top) {
        const change =
          row.offloadChange === null
            ? 'new'
            : (changeText({ current: null, baseline: null, change: row.offloadChange, unit: 'pts' }) ?? '');
        lines.push(
          `  ${columns(
            [
              segmentLabel(breakdown.dimension, row.value).text,
              formatBytes(row.delivered),
              formatPercent(row.share),
              formatPercent(row.offload),
              change,
            ],
            widths,
          )}`,
        );
      }
    }
  }
  lines.push('');
  for (const note of [dayLengthNote(summary), approximationNote(summary)]) {
    if (note) lines.push(note);
  }
  const from = new Date(summary.from).toISOString().slice(0, 16).replace('T', ' ');
  const to = new Date(summary.to).toISOString().slice(0, 16).replace('T', ' ');
  lines.push(
    `The day runs from ${from} to ${to} UTC. Figures come straight from the Peer5 API. Every segment is in the attached CSV.`,
    `Offload = P2P / (HTTP + P2P). Rebuffer ratio = rebuffered / (played + rebuffered): ${REBUFFER_BANDS_TEXT}.`,
    ...opsText(summary),
  );
  return `${lines.join('\n')}\n`;
}
