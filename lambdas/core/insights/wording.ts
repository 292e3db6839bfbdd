/**
 * Signed figures as the insights write them: the report's own formats (`format.ts`), with the
 * typographic minus sign (U+2212) the subject uses ("−6.9 pts") in place of the hyphen.
 * Only a leading sign is replaced, so a text with dates in it is never touched.
 */
import { formatPercentChange, formatPointsChange } from '../report/format.ts';

export const MINUS_SIGN = '\u2212';

/** `-6.9 pts` -> `−6.9 pts`; `-$1.20` -> `−$1.20`; anything else as it is. */
export function withMinusSign(text: string): string {
  return text.startsWith('-') ? `${MINUS_SIGN}${text.slice(1)}` : text;
}

/** A change in percentage points: `−6.9 pts`, `+0.80 pts`, `±0.0 pts`. */
export function pointsChangeText(points: number, digits = 1): string {
  return withMinusSign(formatPointsChange(points, digits));
}

/** A change in percent: `−13.0%`. */
export function percentChangeText(percent: number): string {
  return withMinusSign(formatPercentChange(percent));
}

/** A share of a change, as a whole percentage: `71%`; `−20%` for a segment that moved against it. */
export function shareExplainedText(share: number): string {
  const rounded = Math.round(share * 100);
  return withMinusSign(`${rounded === 0 ? 0 : rounded}%`);
}
