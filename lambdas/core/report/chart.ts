/**
 * The report's chart: delivered bytes per local hour as stacked HTTP and P2P bars, with the hour's
 * offload as a line on a 0-100% right axis, and optionally the same hours a week earlier as a
 * ghost. Drawn at twice its display size for sharp phones, with anti-aliased Inter text.
 */
import { type Align, CHART_FONT } from './chart-font.ts';
import { byteAxisUnit } from './format.ts';
import { hexToRgb, type Point, Raster, type Rgb } from './raster.ts';
import type { HourFigures } from './summary.ts';

/** Colours shared by the chart and the HTML legend. */
export const CHART_COLORS = {
  background: '#ffffff',
  grid: '#e5e7eb',
  axis: '#9ca3af',
  label: '#6b7280',
  http: '#94a3b8',
  p2p: '#10b981',
  offload: '#f59e0b',
  ghostOffload: '#b45309',
  ghostDelivered: '#334155',
} as const;

/** Display size in CSS pixels; the PNG holds `CHART_SCALE` times as many. */
export const CHART_WIDTH = 560;
export const CHART_HEIGHT = 240;
export const CHART_SCALE = 2;

/** Text size of the axis labels, in CSS pixels: the size of the email's own small print. */
export const CHART_LABEL_SIZE = 12;

/** The ghost's dash, in CSS pixels. */
export const GHOST_DASH = { on: 4, off: 3 } as const;

const PLOT = { left: 52, right: 40, top: 12, bottom: 24 } as const;
/** Space between an axis label and the plot, in CSS pixels. */
const LABEL_GAP = 6;
const GRID_STEPS = 4;

/** One hour of the ghost: any figures of the same local hour a week earlier. */
export interface GhostHour {
  /** Local `HH:MM`, matched with the day's hour of the same label (in order, when it repeats). */
  readonly label: string;
  readonly delivered?: number | null;
  readonly offload?: number | null;
}

export interface OffloadChartOptions {
  /**
   * The same local hours of the same weekday a week earlier: last week's offload is drawn as a
   * dashed line, last week's delivered bytes as an outline over each bar. `HourFigures` fit.
   */
  readonly ghost?: readonly GhostHour[];
}

/** Which ghost series the chart draws for these options, so a legend can say the same. */
export function ghostSeries(options: OffloadChartOptions = {}): { offload: boolean; delivered: boolean } {
  const ghost = options.ghost ?? [];
  return {
    offload: ghost.some((hour) => finite(hour.offload)),
    delivered: ghost.some((hour) => finite(hour.delivered) && hour.delivered > 0),
  };
}

/** Last week's hour for each of the day's hours, matched by local label: DST days have 23 or 25. */
function alignGhost(hours: readonly HourFigures[], ghost: readonly GhostHour[]): (GhostHour | null)[] {
  const byLabel = new Map<string, GhostHour[]>();
  for (const hour of ghost) byLabel.set(hour.label, [...(byLabel.get(hour.label) ?? []), hour]);
  return hours.map((hour) => byLabel.get(hour.label)?.shift() ?? null);
}

/** A round step (1, 2, 2.5 or 5 times a power of ten) so that GRID_STEPS of them reach `max`. */
function niceStep(max: number): number {
  const rough = max / GRID_STEPS;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].find((factor) => factor * power >= rough) ?? 10;
  return step * power;
}

function axisNumber(value: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step)));
  return Number(value.toFixed(decimals)).toString();
}

function finite(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function renderOffloadChart(hours: readonly HourFigures[], options: OffloadChartOptions = {}): Buffer {
  const s = CHART_SCALE;
  const raster = new Raster(CHART_WIDTH * s, CHART_HEIGHT * s, hexToRgb(CHART_COLORS.background));
  const labelColor = hexToRgb(CHART_COLORS.label);
  const labelSize = CHART_LABEL_SIZE * s;
  const capHeight = CHART_FONT.capHeight(labelSize);
  const gap = LABEL_GAP * s;
  const text = (value: string, x: number, baseline: number, align: Align, size = labelSize): void => {
    // A whole-pixel baseline keeps the bottoms of the letters crisp.
    raster.fillContours(
      CHART_FONT.outline(value, { x, baseline: Math.round(baseline), size, align }),
      labelColor,
    );
  };
  const ghost = alignGhost(hours, options.ghost ?? []);

  const maxDelivered = Math.max(
    0,
    ...hours.map((hour) => hour.delivered),
    ...ghost.map((hour) => (finite(hour?.delivered) ? hour.delivered : 0)),
  );
  const { unit, divisor } = byteAxisUnit(maxDelivered);
  const step = maxDelivered > 0 ? niceStep(maxDelivered / divisor) : 1;
  const axisMax = step * GRID_STEPS * divisor;
  // Without traffic the byte scale means nothing; only the zero line is labelled.
  const byteLabels = Array.from({ length: GRID_STEPS + 1 }, (_, index) =>
    index === 0 ? '0' : maxDelivered > 0 ? `${axisNumber(index * step, step)} ${unit}` : '',
  );
  // The plot sits between the widest labels on either side, so none is ever cut off.
  const widest = Math.max(...byteLabels.map((label) => CHART_FONT.textWidth(label, labelSize)));
  const left = Math.max(PLOT.left * s, Math.ceil(widest + gap + s));
  const ratioLabels = byteLabels.map((_, index) => `${(index * 100) / GRID_STEPS}%`);
  const widestRatio = Math.max(...ratioLabels.map((label) => CHART_FONT.textWidth(label, labelSize)));
  const right = Math.min((CHART_WIDTH - PLOT.right) * s, Math.floor(CHART_WIDTH * s - widestRatio - gap - s));
  const top = PLOT.top * s;
  const bottom = (CHART_HEIGHT - PLOT.bottom) * s;
  const yOfBytes = (bytes: number): number => bottom - (bytes / axisMax) * (bottom - top);
  const yOfRatio = (ratio: number): number => bottom - ratio * (bottom - top);

  byteLabels.forEach((label, index) => {
    const y = Math.round(bottom - (index / GRID_STEPS) * (bottom - top));
    const color = hexToRgb(index === 0 ? CHART_COLORS.axis : CHART_COLORS.grid);
    raster.fillRect(left, y - s / 2, right, y + s / 2, color);
    const baseline = y + capHeight / 2;
    text(label, left - gap, baseline, 'right');
    text(ratioLabels[index] ?? '', right + gap, baseline, 'left');
  });

  const slot = hours.length > 0 ? (right - left) / hours.length : 0;
  const barWidth = slot * 0.72;
  const httpColor = hexToRgb(CHART_COLORS.http);
  const p2pColor = hexToRgb(CHART_COLORS.p2p);
  const points: (Point | null)[] = [];
  const ghostPoints: (Point | null)[] = [];
  hours.forEach((hour, index) => {
    const center = left + slot * (index + 0.5);
    const x0 = center - barWidth / 2;
    const x1 = center + barWidth / 2;
    const httpTop = yOfBytes(hour.http);
    raster.fillRect(x0, httpTop, x1, bottom - s / 2, httpColor);
    raster.fillRect(x0, yOfBytes(hour.http + hour.p2p), x1, httpTop, p2pColor);
    points.push(finite(hour.offload) ? { x: center, y: yOfRatio(hour.offload) } : null);
    const last = ghost[index];
    ghostPoints.push(finite(last?.offload) ? { x: center, y: yOfRatio(last.offload) } : null);
    if (finite(last?.delivered) && last.delivered > 0) {
      ghostBar(
        raster,
        x0,
        x1,
        yOfBytes(last.delivered),
        yOfBytes(hour.delivered),
        hexToRgb(CHART_COLORS.ghostDelivered),
      );
    }
    // Every third hour gets a label; the HTML explains the axis.
    if (index % 3 === 0) text(hour.label.slice(0, 2), center, bottom + gap + capHeight, 'center');
  });

  const white = hexToRgb(CHART_COLORS.background);
  // A white halo keeps each line readable where it crosses the bars.
  if (ghostPoints.some((point) => point !== null)) {
    const dash = { on: GHOST_DASH.on * s, off: GHOST_DASH.off * s };
    raster.polyline(ghostPoints, 4 * s, white, dash);
    raster.polyline(ghostPoints, 1.5 * s, hexToRgb(CHART_COLORS.ghostOffload), dash);
  }
  const offloadColor = hexToRgb(CHART_COLORS.offload);
  raster.polyline(points, 5.5 * s, white);
  raster.polyline(points, 2.5 * s, offloadColor);
  for (const point of points) {
    if (point) raster.disc(point.x, point.y, 2.6 * s, offloadColor);
  }

  if (maxDelivered === 0) {
    const messageSize = 2 * labelSize;
    text(
      'No traffic',
      (left + right) / 2,
      (top + bottom + CHART_FONT.capHeight(messageSize)) / 2,
      'center',
      messageSize,
    );
  }
  return raster.toPng();
}

/**
 * Last week's bytes over this bar: a line across it at last week's height and, where last week
 * was higher, the sides of the box down to this week's top, so the bar reads as filled or not.
 */
function ghostBar(raster: Raster, x0: number, x1: number, y: number, barTop: number, color: Rgb): void {
  const line = CHART_SCALE;
  raster.fillRect(x0, y - line / 2, x1, y + line / 2, color);
  if (y < barTop) {
    raster.fillRect(x0, y, x0 + line, barTop, color);
    raster.fillRect(x1 - line, y, x1, barTop, color);
  }
}
