import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  CHART_COLORS,
  CHART_HEIGHT,
  CHART_LABEL_SIZE,
  CHART_SCALE,
  CHART_WIDTH,
  type GhostHour,
  ghostSeries,
  renderOffloadChart,
} from '../../lambdas/core/report/chart.ts';
import { CHART_FONT } from '../../lambdas/core/report/chart-font.ts';
import { hexToRgb } from '../../lambdas/core/report/raster.ts';
import type { HourFigures } from '../../lambdas/core/report/summary.ts';

function hoursWith(delivered: (index: number) => number, offload: number, count = 24): HourFigures[] {
  return Array.from({ length: count }, (_, index) => {
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

function ghostOf(hours: readonly HourFigures[], factor: number, offload: number): GhostHour[] {
  return hours.map((hour) => ({ label: hour.label, delivered: hour.delivered * factor, offload }));
}

function isColor(image: PNG, x: number, y: number, hex: string, tolerance: number): boolean {
  const [r, g, b] = hexToRgb(hex);
  const offset = (y * image.width + x) * 4;
  return (
    Math.abs((image.data[offset] as number) - r) <= tolerance &&
    Math.abs((image.data[offset + 1] as number) - g) <= tolerance &&
    Math.abs((image.data[offset + 2] as number) - b) <= tolerance
  );
}

function countColor(image: PNG, hex: string, tolerance = 6, columns?: readonly [number, number]): number {
  let count = 0;
  for (let y = 0; y < image.height; y += 1) {
    for (let x = columns?.[0] ?? 0; x < (columns?.[1] ?? image.width); x += 1) {
      if (isColor(image, x, y, hex, tolerance)) count += 1;
    }
  }
  return count;
}

interface InkBox {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/** Boxes around the separate runs of inked rows within some columns: one per label stacked there. */
function inkRows(image: PNG, x0: number, x1: number): InkBox[] {
  const boxes: InkBox[] = [];
  let current: InkBox | null = null;
  for (let y = 0; y < image.height; y += 1) {
    let left = Number.POSITIVE_INFINITY;
    let right = Number.NEGATIVE_INFINITY;
    for (let x = x0; x < x1; x += 1) {
      if ((image.data[(y * image.width + x) * 4] as number) < 250) {
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
    if (right < left) {
      if (current) boxes.push(current);
      current = null;
    } else if (current) {
      current = {
        top: current.top,
        bottom: y,
        left: Math.min(current.left, left),
        right: Math.max(current.right, right),
      };
    } else {
      current = { top: y, bottom: y, left, right };
    }
  }
  if (current) boxes.push(current);
  return boxes;
}

const busyDay = hoursWith((index) => (index + 1) * 2 ** 30, 0.6);
const labelSize = CHART_LABEL_SIZE * CHART_SCALE;
/** The right-hand strip holds only the percentage labels; the left one only the byte labels. */
const rightStrip = [CHART_WIDTH * CHART_SCALE - 80, CHART_WIDTH * CHART_SCALE] as const;
const leftStrip = [0, 100] as const;

describe('the hourly chart', () => {
  it('is a PNG of the advertised size that decodes', () => {
    const png = renderOffloadChart(busyDay);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const image = PNG.sync.read(png);
    expect(image.width).toBe(CHART_WIDTH * CHART_SCALE);
    expect(image.height).toBe(CHART_HEIGHT * CHART_SCALE);
  });

  it('draws the P2P and HTTP bars and the offload line in their legend colours', () => {
    const image = PNG.sync.read(renderOffloadChart(busyDay));
    expect(countColor(image, CHART_COLORS.p2p)).toBeGreaterThan(20_000);
    expect(countColor(image, CHART_COLORS.http)).toBeGreaterThan(10_000);
    expect(countColor(image, CHART_COLORS.offload)).toBeGreaterThan(2_000);
  });

  it('stacks P2P above HTTP in proportion to the bytes', () => {
    const image = PNG.sync.read(renderOffloadChart(hoursWith(() => 2 ** 40, 0.25)));
    // Down the middle of the first bar (the column with the most P2P), count each colour.
    const columns = Array.from({ length: 200 }, (_, x) => ({
      x,
      p2p: countColor(image, CHART_COLORS.p2p, 0, [x, x + 1]),
      http: countColor(image, CHART_COLORS.http, 0, [x, x + 1]),
    }));
    const middle = columns.reduce((best, column) => (column.p2p > best.p2p ? column : best));
    expect(middle.http).toBeGreaterThan(0);
    expect(middle.p2p / middle.http).toBeGreaterThan(0.28);
    expect(middle.p2p / middle.http).toBeLessThan(0.38);
  });

  it('still renders a readable image for a day without traffic', () => {
    const image = PNG.sync.read(renderOffloadChart(hoursWith(() => 0, 0)));
    expect(image.width).toBe(CHART_WIDTH * CHART_SCALE);
    expect(countColor(image, CHART_COLORS.p2p)).toBe(0);
    expect(countColor(image, CHART_COLORS.label, 0)).toBeGreaterThan(500);
  });
});

describe('the chart labels', () => {
  const image = PNG.sync.read(renderOffloadChart(busyDay));

  it('are anti-aliased text: solid strokes with many grey levels at their edges', () => {
    const [lr, lg, lb] = hexToRgb(CHART_COLORS.label);
    const tones = new Set<string>();
    for (let y = 0; y < image.height; y += 1) {
      for (let x = rightStrip[0]; x < rightStrip[1]; x += 1) {
        const offset = (y * image.width + x) * 4;
        const pixel = [image.data[offset], image.data[offset + 1], image.data[offset + 2]] as number[];
        if (pixel.every((value) => value === 255)) continue;
        // Every inked pixel lies between the background and the label colour.
        const t = (255 - (pixel[0] as number)) / (255 - lr);
        expect(Math.abs((pixel[1] as number) - (255 - t * (255 - lg)))).toBeLessThan(3);
        expect(Math.abs((pixel[2] as number) - (255 - t * (255 - lb)))).toBeLessThan(3);
        tones.add(pixel.join(','));
      }
    }
    expect(tones.size).toBeGreaterThan(60);
    expect(countColor(image, CHART_COLORS.label, 0, rightStrip)).toBeGreaterThan(200);
  });

  it('set the percentages at the label size, evenly spaced, whole and in order', () => {
    const boxes = inkRows(image, ...rightStrip);
    expect(boxes).toHaveLength(5);
    const capHeight = CHART_FONT.capHeight(labelSize);
    ['100%', '75%', '50%', '25%', '0%'].forEach((label, index) => {
      const box = boxes[index] as InkBox;
      // Digits stand on the baseline at cap height; the percent sign pokes out a pixel either side.
      expect(box.bottom - box.top + 1).toBeGreaterThanOrEqual(Math.floor(capHeight));
      expect(box.bottom - box.top + 1).toBeLessThanOrEqual(Math.ceil(capHeight) + 2);
      const width = CHART_FONT.textWidth(label, labelSize);
      expect(box.right - box.left + 1).toBeGreaterThan(width - 5);
      expect(box.right - box.left + 1).toBeLessThanOrEqual(Math.ceil(width));
      // Not cut off at the edge of the image.
      expect(box.right).toBeLessThan(image.width - 1);
    });
    const gaps = boxes.slice(1).map((box, index) => box.bottom - (boxes[index] as InkBox).bottom);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
  });

  it('label the bytes with units, inside the image', () => {
    const boxes = inkRows(image, ...leftStrip);
    expect(boxes).toHaveLength(5);
    // 24 GiB at most: steps of 10 GiB up to 40 GiB, the widest label on top.
    const widths = boxes.map((box) => box.right - box.left + 1);
    expect(widths[0]).toBeGreaterThan(CHART_FONT.textWidth('40 GiB', labelSize) - 5);
    expect(Math.min(...boxes.map((box) => box.left))).toBeGreaterThan(0);
  });

  it('label every third hour below the bars, well apart', () => {
    const rows = inkRows(image, 0, image.width);
    const hourRow = rows[rows.length - 1] as InkBox;
    expect(hourRow.bottom - hourRow.top + 1).toBeLessThanOrEqual(
      Math.ceil(CHART_FONT.capHeight(labelSize)) + 1,
    );
    // Ink runs across the row; the digits of one label sit a few pixels apart, labels much further.
    const runs: { left: number; right: number }[] = [];
    for (let x = 0; x < image.width; x += 1) {
      let inked = false;
      for (let y = hourRow.top; y <= hourRow.bottom; y += 1) {
        if ((image.data[(y * image.width + x) * 4] as number) < 250) inked = true;
      }
      const last = runs[runs.length - 1];
      if (inked && last && x - last.right <= 8) last.right = x;
      else if (inked) runs.push({ left: x, right: x });
    }
    expect(runs).toHaveLength(8);
    const width = CHART_FONT.textWidth('00', labelSize);
    for (const run of runs) expect(run.right - run.left + 1).toBeLessThanOrEqual(Math.ceil(width));
    const gaps = runs.slice(1).map((run, index) => run.left - (runs[index] as (typeof runs)[number]).right);
    expect(Math.min(...gaps)).toBeGreaterThan(width);
  });
});

describe('the ghost of the same day last week', () => {
  const hours = hoursWith((index) => (index + 4) * 2 ** 30, 0.6);

  it('is absent without last week’s figures', () => {
    const image = PNG.sync.read(renderOffloadChart(hours));
    expect(countColor(image, CHART_COLORS.ghostOffload)).toBe(0);
    expect(countColor(image, CHART_COLORS.ghostDelivered)).toBe(0);
    expect(ghostSeries()).toEqual({ offload: false, delivered: false });
  });

  it('draws last week’s offload as a dashed line and its bytes as an outline over each bar', () => {
    const ghost = ghostOf(hours, 1.2, 0.3);
    const image = PNG.sync.read(renderOffloadChart(hours, { ghost }));
    expect(countColor(image, CHART_COLORS.ghostOffload)).toBeGreaterThan(800);
    expect(countColor(image, CHART_COLORS.ghostDelivered)).toBeGreaterThan(1_500);
    expect(ghostSeries({ ghost })).toEqual({ offload: true, delivered: true });
    // Dashed: along the flat ghost line (the row with most of its colour) the colour comes and goes.
    const rowInk = (row: number): number =>
      Array.from({ length: image.width }, (_, x) =>
        isColor(image, x, row, CHART_COLORS.ghostOffload, 30),
      ).filter(Boolean).length;
    const y = Array.from({ length: image.height }, (_, row) => row).reduce((best, row) =>
      rowInk(row) > rowInk(best) ? row : best,
    );
    let dashes = 0;
    for (let x = 1; x < image.width; x += 1) {
      if (
        isColor(image, x, y, CHART_COLORS.ghostOffload, 30) &&
        !isColor(image, x - 1, y, CHART_COLORS.ghostOffload, 30)
      ) {
        dashes += 1;
      }
    }
    expect(dashes).toBeGreaterThan(30);
  });

  it('draws only the series it is given', () => {
    const offloadOnly = hours.map((hour) => ({ label: hour.label, offload: 0.3 }));
    const image = PNG.sync.read(renderOffloadChart(hours, { ghost: offloadOnly }));
    expect(countColor(image, CHART_COLORS.ghostOffload)).toBeGreaterThan(800);
    expect(countColor(image, CHART_COLORS.ghostDelivered)).toBe(0);
    expect(ghostSeries({ ghost: offloadOnly })).toEqual({ offload: true, delivered: false });
  });

  it('scales the byte axis to last week when last week was bigger', () => {
    const p2pWithout = countColor(PNG.sync.read(renderOffloadChart(hours)), CHART_COLORS.p2p, 0);
    const bigWeek = ghostOf(hours, 3, 0.6);
    const p2pWith = countColor(
      PNG.sync.read(renderOffloadChart(hours, { ghost: bigWeek })),
      CHART_COLORS.p2p,
      0,
    );
    expect(p2pWith / p2pWithout).toBeLessThan(0.6);
  });

  it('matches hours by local time, leaving a gap where last week had no such hour', () => {
    // The day the clocks went back has 25 hours; last week had 24, with one 02:00.
    const labels = ['00', '01', '02', '02', ...Array.from({ length: 21 }, (_, index) => String(index + 3))];
    const day = hoursWith((index) => (index + 20) * 2 ** 30, 0.6, 25).map((hour, index) => ({
      ...hour,
      label: `${(labels[index] ?? '').padStart(2, '0')}:00`,
    }));
    const lastWeek = hoursWith((index) => (index + 20) * 2 ** 30 * 1.5, 0.6).map((hour) => ({
      label: hour.label,
      delivered: hour.delivered,
    }));
    const image = PNG.sync.read(renderOffloadChart(day, { ghost: lastWeek }));
    // The bars' columns, found along a row just above the zero line where every bar is HTTP.
    const row = (CHART_HEIGHT - 30) * CHART_SCALE;
    const outlines: number[] = [];
    let start: number | null = null;
    for (let x = 0; x < image.width; x += 1) {
      const bar = isColor(image, x, row, CHART_COLORS.http, 0);
      if (bar && start === null) start = x;
      if (!bar && start !== null) {
        outlines.push(countColor(image, CHART_COLORS.ghostDelivered, 8, [start, x]));
        start = null;
      }
    }
    expect(outlines).toHaveLength(25);
    // The second 02:00 (index 3) has no hour last week; every other bar has its outline.
    expect(outlines[3]).toBe(0);
    expect(outlines.filter((count) => count > 0)).toHaveLength(24);
  });
});

describe('the chart file', () => {
  it('stays small enough to inline, even on a busy 25-hour day with a ghost', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const hours = hoursWith(() => (0.2 + random()) * 3 * 2 ** 40, 0.5, 25).map((hour) => {
      const offload = random();
      return { ...hour, http: hour.delivered * (1 - offload), p2p: hour.delivered * offload, offload };
    });
    const ghost = hours.map((hour) => ({
      label: hour.label,
      delivered: (0.2 + random()) * 3 * 2 ** 40,
      offload: random(),
    }));
    const typical = renderOffloadChart(busyDay, { ghost: ghostOf(busyDay, 0.9, 0.5) });
    const busy = renderOffloadChart(hours, { ghost });
    expect(typical.length).toBeLessThan(80 * 1024);
    expect(busy.length).toBeLessThan(160 * 1024);
  });
});
