import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  CHART_COLORS,
  CHART_HEIGHT,
  CHART_SCALE,
  CHART_WIDTH,
  renderOffloadChart,
} from '../../lambdas/core/report/chart.ts';
import { hexToRgb } from '../../lambdas/core/report/raster.ts';
import type { HourFigures } from '../../lambdas/core/report/summary.ts';

function hoursWith(delivered: (index: number) => number, offload: number): HourFigures[] {
  return Array.from({ length: 24 }, (_, index) => {
    const total = delivered(index);
    return {
      start: Date.UTC(2026, 10, 25, index),
      label: `${String(index).padStart(2, '0')}:00`,
      utcOffset: '+00:00',
      http: total * (1 - offload),
      p2p: total * offload,
      delivered: total,
      offload: total > 0 ? offload : null,
    };
  });
}

function countColor(image: PNG, hex: string, tolerance = 6): number {
  const [r, g, b] = hexToRgb(hex);
  let count = 0;
  for (let index = 0; index < image.width * image.height; index += 1) {
    const offset = index * 4;
    if (
      Math.abs((image.data[offset] as number) - r) <= tolerance &&
      Math.abs((image.data[offset + 1] as number) - g) <= tolerance &&
      Math.abs((image.data[offset + 2] as number) - b) <= tolerance
    ) {
      count += 1;
    }
  }
  return count;
}

describe('the hourly chart', () => {
  it('is a PNG of the advertised size that decodes', () => {
    const png = renderOffloadChart(hoursWith((index) => (index + 1) * 2 ** 30, 0.6));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const image = PNG.sync.read(png);
    expect(image.width).toBe(CHART_WIDTH * CHART_SCALE);
    expect(image.height).toBe(CHART_HEIGHT * CHART_SCALE);
  });

  it('draws the P2P and HTTP bars and the offload line in their legend colours', () => {
    const image = PNG.sync.read(renderOffloadChart(hoursWith((index) => (index + 1) * 2 ** 30, 0.6)));
    expect(countColor(image, CHART_COLORS.p2p)).toBeGreaterThan(20_000);
    expect(countColor(image, CHART_COLORS.http)).toBeGreaterThan(10_000);
    expect(countColor(image, CHART_COLORS.offload)).toBeGreaterThan(2_000);
  });

  it('stacks P2P above HTTP in proportion to the bytes', () => {
    const image = PNG.sync.read(renderOffloadChart(hoursWith(() => 2 ** 40, 0.25)));
    // Down the middle of the first bar, count each colour: P2P should be a third of HTTP.
    const x = Math.round((58 + (CHART_WIDTH - 58 - 40) / 48) * CHART_SCALE);
    const column = { p2p: 0, http: 0 };
    const [pr, pg, pb] = hexToRgb(CHART_COLORS.p2p);
    const [hr, hg, hb] = hexToRgb(CHART_COLORS.http);
    for (let y = 0; y < image.height; y += 1) {
      const offset = (y * image.width + x) * 4;
      const pixel = [image.data[offset], image.data[offset + 1], image.data[offset + 2]];
      if (pixel[0] === pr && pixel[1] === pg && pixel[2] === pb) column.p2p += 1;
      if (pixel[0] === hr && pixel[1] === hg && pixel[2] === hb) column.http += 1;
    }
    expect(column.http).toBeGreaterThan(0);
    expect(column.p2p / column.http).toBeGreaterThan(0.28);
    expect(column.p2p / column.http).toBeLessThan(0.38);
  });

  it('still renders a readable image for a day without traffic', () => {
    const image = PNG.sync.read(renderOffloadChart(hoursWith(() => 0, 0)));
    expect(image.width).toBe(CHART_WIDTH * CHART_SCALE);
    expect(countColor(image, CHART_COLORS.p2p)).toBe(0);
    expect(countColor(image, CHART_COLORS.label, 0)).toBeGreaterThan(500);
  });
});
