/**
 * The plain-text part: the same figures as the HTML, aligned in columns for clients (and people)
 * that read text only.
 */
import { formatBytes, formatPercent } from './format.ts';
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
import { type Change, MIN_DROP_SHARE, type ReportSummary } from './summary.ts';
import { longDate } from './time.ts';

function changes(previous: Change | undefined, trailing: Change | undefined, trailingLabel: string): string {
  const parts = [
    previous && changeText(previous) ? `${changeText(previous)} vs previous day` : null,
    trailing && changeText(trailing) ? `${changeText(trailing)} vs ${trailingLabel}` : null,
  ].filter((part) => part !== null);
  return parts.join(', ');
}

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
    const previous = summary.vsPreviousDay;
    const trailing = summary.vsTrailingAverage;
    const label = (text: string): string => text.padEnd(18);
    lines.push(
      `${label('Offload')}${figures.offload}   ${changes(previous?.offload, trailing?.offload, trailingLabel)}`,
      `${label('Delivered')}${figures.delivered}   ${changes(previous?.delivered, trailing?.delivered, trailingLabel)}`,
      `${label('  P2P')}${figures.p2p}`,
      `${label('  HTTP')}${figures.http}`,
      `${label('Rebuffer ratio')}${figures.rebuffer}${figures.band ? ` (${figures.band})` : ''}   ${changes(previous?.rebufferRatio, trailing?.rebufferRatio, trailingLabel)}`,
      `${label('Average sessions')}${figures.sessions}   ${changes(previous?.averageSessions, trailing?.averageSessions, trailingLabel)}`,
    );
    if (summary.peakHour) {
      const index = summary.hours.indexOf(summary.peakHour);
      lines.push(
        `${label('Peak hour')}${hourRange(summary, index)}: ${formatBytes(summary.peakHour.delivered)}, offload ${formatPercent(summary.peakHour.offload)}`,
      );
    }
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
    lines.push('', 'Biggest offload drops vs the previous day');
    if (summary.offloadDrops.length === 0) {
      lines.push(`  None among segments with at least ${formatPercent(MIN_DROP_SHARE, 0)} of the bytes.`);
    }
    for (const drop of summary.offloadDrops) {
      const change = changeText({ current: null, baseline: null, change: drop.offloadChange, unit: 'pts' });
      lines.push(
        `  ${SEGMENT_NAMES[drop.dimension].singular}: ${segmentLabel(drop.dimension, drop.value).text}: ${formatPercent(drop.previousOffload)} -> ${formatPercent(drop.offload)} (${change}), ${formatBytes(drop.delivered)}`,
      );
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
  );
  return `${lines.join('\n')}\n`;
}
