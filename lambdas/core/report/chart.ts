/**
 * The report's chart: delivered bytes per local hour as stacked HTTP and P2P bars, with the hour's
 * offload as a line on a 0-100% right axis. Drawn at twice its display size for sharp phones.
 */
import { byteAxisUnit } from './format.ts';
import { GLYPH_HEIGHT, hexToRgb, Raster } from './raster.ts';
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
} as const;

/** Display size in CSS pixels; the PNG holds `CHART_SCALE` times as many. */
export const CHART_WIDTH = 560;
export const CHART_HEIGHT = 240;
export const CHART_SCALE = 2;

const PLOT = { left: 58, right: 40, top: 14, bottom: 24 } as const;
const GRID_STEPS = 4;

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

export function renderOffloadChart(hours: readonly HourFigures[]): Buffer {
  const s = CHART_SCALE;
  const raster = new Raster(CHART_WIDTH * s, CHART_HEIGHT * s, hexToRgb(CHART_COLORS.background));
  const labelColor = hexToRgb(CHART_COLORS.label);
  const left = PLOT.left * s;
  const right = (CHART_WIDTH - PLOT.right) * s;
  const top = PLOT.top * s;
  const bottom = (CHART_HEIGHT - PLOT.bottom) * s;
  const dot = s;
  const textHeight = GLYPH_HEIGHT * dot;

  const maxDelivered = Math.max(0, ...hours.map((hour) => hour.delivered));
  const { unit, divisor } = byteAxisUnit(maxDelivered);
  const step = maxDelivered > 0 ? niceStep(maxDelivered / divisor) : 1;
  const axisMax = step * GRID_STEPS * divisor;
  const yOfBytes = (bytes: number): number => bottom - (bytes / axisMax) * (bottom - top);
  const yOfRatio = (ratio: number): number => bottom - ratio * (bottom - top);

  for (let index = 0; index <= GRID_STEPS; index += 1) {
    const y = Math.round(bottom - (index / GRID_STEPS) * (bottom - top));
    const color = hexToRgb(index === 0 ? CHART_COLORS.axis : CHART_COLORS.grid);
    raster.fillRect(left, y - s / 2, right, y + s / 2, color);
    // Without traffic the byte scale means nothing; only the zero line is labelled.
    const bytesLabel =
      index === 0 ? '0' : maxDelivered > 0 ? `${axisNumber(index * step, step)} ${unit}` : '';
    raster.text(
      left - 6 * s - Raster.textWidth(bytesLabel, dot),
      y - textHeight / 2,
      bytesLabel,
      dot,
      labelColor,
    );
    raster.text(right + 6 * s, y - textHeight / 2, `${(index * 100) / GRID_STEPS}%`, dot, labelColor);
  }

  const slot = hours.length > 0 ? (right - left) / hours.length : 0;
  const barWidth = slot * 0.72;
  const httpColor = hexToRgb(CHART_COLORS.http);
  const p2pColor = hexToRgb(CHART_COLORS.p2p);
  const points: ({ x: number; y: number } | null)[] = [];
  hours.forEach((hour, index) => {
    const center = left + slot * (index + 0.5);
    const x0 = center - barWidth / 2;
    const x1 = center + barWidth / 2;
    const httpTop = yOfBytes(hour.http);
    raster.fillRect(x0, httpTop, x1, bottom - s / 2, httpColor);
    raster.fillRect(x0, yOfBytes(hour.http + hour.p2p), x1, httpTop, p2pColor);
    points.push(hour.offload === null ? null : { x: center, y: yOfRatio(hour.offload) });
    // Every third hour gets a label; the HTML explains the axis.
    if (index % 3 === 0) {
      const label = hour.label.slice(0, 2);
      raster.text(center - Raster.textWidth(label, dot) / 2, bottom + 7 * s, label, dot, labelColor);
    }
  });

  const offloadColor = hexToRgb(CHART_COLORS.offload);
  const white = hexToRgb(CHART_COLORS.background);
  // A white halo keeps the line readable where it crosses the bars.
  raster.polyline(points, 5.5 * s, white);
  raster.polyline(points, 2.5 * s, offloadColor);
  for (const point of points) {
    if (point) raster.disc(point.x, point.y, 2.6 * s, offloadColor);
  }

  if (maxDelivered === 0) {
    const message = 'NO TRAFFIC';
    const messageDot = 2 * s;
    raster.text(
      (left + right - Raster.textWidth(message, messageDot)) / 2,
      (top + bottom - GLYPH_HEIGHT * messageDot) / 2,
      message,
      messageDot,
      labelColor,
    );
  }
  return raster.toPng();
}
