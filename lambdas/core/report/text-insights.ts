/** The plain-text part's insight sections: the same words as the HTML (insight-words.ts). */

import { assessedChangeText } from '../insights/headline.ts';
import { arrowOfTone } from '../insights/materiality.ts';
import { formatBytes, formatPercent } from './format.ts';
import {
  breakdownTitle,
  comparisonDescription,
  driverLines,
  driverSetsOf,
  examplePriceNote,
  formatGbps,
  healthLine,
  historyWeeks,
  incidentLine,
  moneyText,
  peakWhen,
  runbookText,
  totalChangeText,
} from './insight-words.ts';
import type { ReportSummary } from './summary.ts';

export function driverText(summary: ReportSummary): string[] {
  const { insights } = summary;
  const against = insights.driversAgainst;
  if (against === null || insights.drivers.length === 0) return [];
  const lines: string[] = [];
  for (const metric of ['offload', 'delivered'] as const) {
    const sets = driverSetsOf(summary, metric);
    const first = sets[0];
    if (first === undefined) continue;
    lines.push(
      '',
      `${metric === 'offload' ? 'Why offload moved' : 'Why delivered bytes moved'}: ${totalChangeText(first)} vs ${comparisonDescription(summary, against)}`,
    );
    const blamed = insights.blames[metric];
    if (blamed) lines.push(`  ${blamed.name} explains the most.`);
    for (const set of sets) {
      lines.push(`  ${breakdownTitle(set.dimensions)}:`);
      for (const line of driverLines(set)) {
        lines.push(`    ${line.name}${line.share ? ` ${line.share}` : ''}  ${line.detail}`);
      }
    }
  }
  return lines;
}

export function savingsText(summary: ReportSummary): string[] {
  const { savings } = summary.insights;
  const bytes = (value: number | null) => (value === null ? 'n/a' : formatBytes(value));
  const saved = (value: number | null | undefined) =>
    savings.money ? `, saved ${moneyText(value ?? null, savings.currency) ?? 'n/a'}` : '';
  const lines = [
    '',
    'What P2P saved (CDN bytes avoided; a GB is 10^9 bytes)',
    `  This day         ${bytes(savings.bytesAvoided.day)}${saved(savings.money?.day)}`,
    `  Month to date    ${bytes(savings.bytesAvoided.monthToDate)}${saved(savings.money?.monthToDate)}`,
    `  Projected month  ${bytes(savings.bytesAvoided.projectedMonth)}${saved(savings.money?.projectedMonth)}`,
  ];
  const example = examplePriceNote(summary);
  if (example) lines.push(`  ${example}`);
  if (savings.hint) lines.push(`  ${savings.hint}`);
  if (savings.missingDates.length > 0)
    lines.push(`  Month figures need every day of the month; missing: ${savings.missingDates.join(', ')}.`);
  return lines;
}

export function peaksText(summary: ReportSummary): string[] {
  const { deliveredGbps, sessions } = summary.insights.peaks;
  return [
    ...(deliveredGbps
      ? [`Peak delivery      ${formatGbps(deliveredGbps.value)} ${peakWhen(deliveredGbps)}`]
      : []),
    ...(sessions
      ? [
          `Peak sessions      ${sessions.value.toLocaleString('en-US', { maximumFractionDigits: 0 })} ${peakWhen(sessions)}`,
        ]
      : []),
  ];
}

export function incidentsText(summary: ReportSummary): string[] {
  if (summary.incidents === null) return [];
  if (summary.incidents.length === 0)
    return ['', 'Offload alerts: the hourly offload watch raised none on this day.'];
  return [
    '',
    'Offload alerts on this day',
    ...summary.incidents.map((incident) => `  ${incidentLine(incident, summary.timeZone)}`),
  ];
}

export function historyText(summary: ReportSummary): string[] {
  const { history } = summary.insights;
  if (history.length === 0) return [];
  return [
    '',
    `The last ${history.length} days, by week`,
    ...historyWeeks(history).map(
      (week) =>
        `  ${week.firstDate} to ${week.lastDate}  ${formatBytes(week.delivered).padStart(10)}  offload ${formatPercent(week.offload)}`,
    ),
  ];
}

export function opsText(summary: ReportSummary): string[] {
  const { ops } = summary;
  if (ops === null) return [];
  const lines = [''];
  if (ops.lake) {
    lines.push(
      `Lake (${ops.lake.location}):`,
      ...ops.lake.datasets.map((health) => `  ${healthLine(health)}`),
    );
  }
  if (ops.athena) {
    lines.push(
      `Query the day in Athena (workgroup ${ops.athena.workGroup}, database ${ops.athena.database})${ops.athena.url ? `: ${ops.athena.url}` : ''}`,
      ...ops.athena.sql.split('\n').map((line) => `  ${line}`),
    );
  }
  lines.push(
    `Something wrong? See ${runbookText(ops.runbookUrl)}.${ops.apiRequests === null ? '' : ` This report took ${ops.apiRequests} Peer5 API requests.`}`,
  );
  return lines;
}

/** `▼ −6.9 pts vs last Mon`: a change with the arrow its materiality gives it. */
export function assessedText(
  summary: ReportSummary,
  metric: 'offload' | 'delivered' | 'rebufferRatio',
): string {
  const parts: string[] = [];
  for (const name of ['sameWeekdayLastWeek', 'trailing', 'previousDay'] as const) {
    const assessed = summary.insights.headline.comparisons[name]?.[metric];
    const text = assessed ? assessedChangeText(assessed) : null;
    if (assessed && text)
      parts.push(
        `${arrowOfTone(assessed.tone)} ${text} vs ${comparisonDescription(summary, name).replace(/ \(.*\)$/, '')}`,
      );
  }
  return parts.join(', ');
}
