import { readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeChartFont, extractChartFont, readChartFontSource } from '../../bin/chart-font.generate.ts';
import { CHART_COLORS } from '../../lambdas/core/report/chart.ts';
import { CHART_FONT, decodeChartFont } from '../../lambdas/core/report/chart-font.ts';
import { INTER_REGULAR } from '../../lambdas/core/report/chart-font-data.ts';
import { hexToRgb, Raster } from '../../lambdas/core/report/raster.ts';

/** A label as the chart sets it (12 CSS px at 2x), checked into the repository after looking at it. */
const REFERENCE = new URL('./support/chart-label.png', import.meta.url);
const REFERENCE_TEXT = '150 GiB · 75% · 03 · No traffic';
const SIZE = 24;

function renderLabel(text: string): Raster {
  const raster = new Raster(Math.ceil(CHART_FONT.textWidth(text, SIZE)) + 8, 32, hexToRgb('#ffffff'));
  raster.fillContours(
    CHART_FONT.outline(text, { x: 4, baseline: 24, size: SIZE }),
    hexToRgb(CHART_COLORS.label),
  );
  return raster;
}

describe('the chart font', () => {
  it('is what the generator extracts from the pinned Inter release', () => {
    const extracted = extractChartFont(readChartFontSource());
    expect(INTER_REGULAR).toEqual(encodeChartFont(extracted));
    expect(decodeChartFont(INTER_REGULAR)).toEqual(extracted);
  });

  it('has a glyph for every character an axis label or message can hold', () => {
    const labels = ['0123456789', '.% ', 'B KiB MiB GiB TiB PiB EiB', 'No traffic', '−–·'];
    const { glyphs } = decodeChartFont(INTER_REGULAR);
    for (const char of labels.join('')) expect(glyphs[char], char).toBeDefined();
  });

  it('kerns pairs the way Inter does', () => {
    const apart = CHART_FONT.textWidth('T', SIZE) + CHART_FONT.textWidth('o', SIZE);
    expect(CHART_FONT.textWidth('To', SIZE)).toBeLessThan(apart - 1);
    // Tabular digits: every number of the same length is as wide as any other.
    expect(CHART_FONT.textWidth('11', SIZE)).toBe(CHART_FONT.textWidth('80', SIZE));
  });

  it('draws a character it lacks as a question mark, keeping the width', () => {
    expect(CHART_FONT.textWidth('€', SIZE)).toBe(CHART_FONT.textWidth('?', SIZE));
    expect(CHART_FONT.outline('€', { x: 0, baseline: 20, size: SIZE }).length).toBeGreaterThan(0);
  });

  it('places capitals on the baseline at the cap height, and aligns right and centre on the point given', () => {
    const contours = CHART_FONT.outline('H', { x: 100, baseline: 50, size: SIZE, align: 'right' });
    const xs = contours.flatMap((contour) => contour.filter((_, index) => index % 2 === 0));
    const ys = contours.flatMap((contour) => contour.filter((_, index) => index % 2 === 1));
    expect(Math.max(...ys)).toBeCloseTo(50, 5);
    expect(50 - Math.min(...ys)).toBeCloseTo(CHART_FONT.capHeight(SIZE), 5);
    expect(Math.max(...xs)).toBeLessThan(100);
    expect(Math.max(...xs)).toBeGreaterThan(100 - 4);
    const centred = CHART_FONT.outline('H', { x: 100, baseline: 50, size: SIZE, align: 'center' });
    const centredXs = centred.flatMap((contour) => contour.filter((_, index) => index % 2 === 0));
    expect((Math.min(...centredXs) + Math.max(...centredXs)) / 2).toBeCloseTo(100, 0);
  });

  it('renders a label that matches the reference image', () => {
    const raster = renderLabel(REFERENCE_TEXT);
    const actual = PNG.sync.read(raster.toPng());
    // After a deliberate change: UPDATE_CHART_REFERENCE=1 npx vitest run test/report/chart-font.test.ts, then look at it.
    if (process.env.UPDATE_CHART_REFERENCE === '1') writeFileSync(REFERENCE, raster.toPng());
    const reference = PNG.sync.read(readFileSync(REFERENCE));
    expect([actual.width, actual.height]).toEqual([reference.width, reference.height]);
    let difference = 0;
    for (let index = 0; index < actual.data.length; index += 1) {
      difference += Math.abs((actual.data[index] as number) - (reference.data[index] as number));
    }
    // Off by at most a level on average: a change to the outlines or the fill shows at once.
    expect(difference / actual.data.length).toBeLessThan(1);
  });
});
