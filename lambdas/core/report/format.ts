/**
 * How figures are written in every part of the email (subject, HTML, text, chart labels), so the
 * same number reads the same everywhere.
 */
import { lazily } from '../lazy.ts';

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** Bytes in binary units with one decimal: `1.5 TiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes))} B`;
  let unit = 0;
  let value = bytes;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // 1023.96 GiB would print as "1024.0 GiB": move up a unit instead.
  if (Number(value.toFixed(1)) >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${BINARY_UNITS[unit]}`;
}

function withoutNegativeZero(text: string): string {
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}

/** A ratio as a percentage: `0.632` -> `63.2%`; null (no traffic) -> `n/a`. */
export function formatPercent(ratio: number | null, digits = 1): string {
  if (ratio === null) return 'n/a';
  return `${withoutNegativeZero((ratio * 100).toFixed(digits))}%`;
}

/** The rebuffer ratio needs two decimals: most days sit well under 1%. */
export function formatRebufferRatio(ratio: number | null): string {
  return formatPercent(ratio, 2);
}

function signed(value: number, digits: number): string {
  const text = withoutNegativeZero(value.toFixed(digits));
  if (Number(text) === 0) return `±${text}`;
  return value > 0 ? `+${text}` : text;
}

/** A change of a ratio, in percentage points: `+1.4 pts`. */
export function formatPointsChange(points: number, digits = 1): string {
  return `${signed(points, digits)} pts`;
}

/** A change of a volume, in percent: `-12.5%`. */
export function formatPercentChange(percent: number): string {
  return `${signed(percent, 1)}%`;
}

const sessionsFormat = lazily(
  () => new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
);

/** Average concurrent sessions: `1,234.5`. */
export function formatSessions(sessions: number): string {
  return sessionsFormat().format(sessions);
}

/** The largest value as a short axis label, in the unit `formatBytes` would choose for `max`. */
export function byteAxisUnit(max: number): { readonly unit: string; readonly divisor: number } {
  let unit = 0;
  let divisor = 1;
  while (max / divisor >= 1024 && unit < BINARY_UNITS.length - 1) {
    divisor *= 1024;
    unit += 1;
  }
  return { unit: BINARY_UNITS[unit] as string, divisor };
}
