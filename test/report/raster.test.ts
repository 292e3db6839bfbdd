import { describe, expect, it } from 'vitest';
import { type Contour, Raster } from '../../lambdas/core/report/raster.ts';

const WHITE = [255, 255, 255] as const;
const BLACK = [0, 0, 0] as const;

/** The ink of a black-on-white raster, in pixels: a pixel 40% covered adds 0.4. */
function ink(raster: Raster): number {
  let total = 0;
  for (let index = 0; index < raster.width * raster.height; index += 1) {
    total += (255 - (raster.data[index * 4] as number)) / 255;
  }
  return total;
}

function greyLevels(raster: Raster): Set<number> {
  const levels = new Set<number>();
  for (let index = 0; index < raster.width * raster.height; index += 1) {
    const value = raster.data[index * 4] as number;
    if (value > 0 && value < 255) levels.add(value);
  }
  return levels;
}

function rectangle(x0: number, y0: number, x1: number, y1: number): Contour {
  return [x0, y0, x1, y0, x1, y1, x0, y1];
}

function circle(cx: number, cy: number, radius: number, clockwise = true): Contour {
  const points: number[] = [];
  for (let index = 0; index < 720; index += 1) {
    const angle = ((clockwise ? 1 : -1) * index * 2 * Math.PI) / 720;
    points.push(cx + radius * Math.cos(angle), cy + radius * Math.sin(angle));
  }
  return points;
}

/** Each pixel is rounded to a byte, so a shape's measured area is off by at most this per edge pixel. */
const ROUNDING = 0.5 / 255;

describe('filling outlines', () => {
  it('covers each pixel by the exact area of a rectangle with fractional edges', () => {
    const raster = new Raster(40, 30, WHITE);
    raster.fillContours([rectangle(10.25, 5.5, 30.75, 20.25)], BLACK);
    expect(ink(raster)).toBeCloseTo(20.5 * 14.75, 1);
    expect(raster.data[(10 * 40 + 20) * 4]).toBe(0);
    // The left column is a quarter outside, so three quarters inked.
    expect(raster.data[(10 * 40 + 10) * 4]).toBe(Math.round(255 * 0.25));
  });

  it('matches the area of a slanted triangle and of a circle', () => {
    const triangle = new Raster(50, 50, WHITE);
    triangle.fillContours([[3.3, 4.1, 41.7, 12.9, 17.2, 44.6]], BLACK);
    const area = Math.abs((41.7 - 3.3) * (44.6 - 4.1) - (17.2 - 3.3) * (12.9 - 4.1)) / 2;
    expect(Math.abs(ink(triangle) - area)).toBeLessThan(150 * ROUNDING + 0.01);

    const disc = new Raster(40, 40, WHITE);
    disc.fillContours([circle(19.4, 20.2, 12.3)], BLACK);
    expect(ink(disc) / (Math.PI * 12.3 ** 2)).toBeCloseTo(1, 3);
  });

  it('anti-aliases edges with many levels of grey', () => {
    const disc = new Raster(40, 40, WHITE);
    disc.fillContours([circle(19.4, 20.2, 12.3)], BLACK);
    expect(greyLevels(disc).size).toBeGreaterThan(40);
  });

  it('counts overlapping contours of the same winding once and leaves holes of the other winding empty', () => {
    const overlap = new Raster(40, 40, WHITE);
    overlap.fillContours([rectangle(5, 5, 25, 25), rectangle(15, 15, 35, 35)], BLACK);
    expect(ink(overlap)).toBeCloseTo(400 + 400 - 100, 3);

    const ring = new Raster(40, 40, WHITE);
    ring.fillContours([circle(20, 20, 15), circle(20, 20, 8, false)], BLACK);
    expect(ink(ring) / (Math.PI * (15 ** 2 - 8 ** 2))).toBeCloseTo(1, 2);
    expect(ring.data[(20 * 40 + 20) * 4]).toBe(255);
  });

  it('clips outlines that reach past the raster', () => {
    const raster = new Raster(20, 20, WHITE);
    raster.fillContours([rectangle(-10, -10, 10, 10)], BLACK);
    expect(ink(raster)).toBeCloseTo(100, 3);
  });
});

describe('lines', () => {
  const points = [
    { x: 5, y: 10.3 },
    { x: 195, y: 10.3 },
  ];

  it('draws a dashed line as dashes of the given length with gaps between', () => {
    const raster = new Raster(200, 20, WHITE);
    raster.polyline(points, 3, BLACK, { on: 12, off: 8 });
    const row = Array.from({ length: 200 }, (_, x) => (raster.data[(10 * 200 + x) * 4] as number) < 128);
    const dashes = row.filter((inked, x) => inked && !row[x - 1]).length;
    // 190 px of a 20 px pattern: ten dashes, each 12 px plus its round caps.
    expect(dashes).toBe(10);
    const solid = new Raster(200, 20, WHITE);
    solid.polyline(points, 3, BLACK);
    expect(ink(raster) / ink(solid)).toBeGreaterThan(0.6);
    expect(ink(raster) / ink(solid)).toBeLessThan(0.8);
  });

  it('runs the dash pattern on across the corners of a polyline', () => {
    const bent = new Raster(100, 100, WHITE);
    bent.polyline(
      [
        { x: 10, y: 10 },
        { x: 50, y: 10 },
        { x: 50, y: 90 },
      ],
      2,
      BLACK,
      { on: 6, off: 6 },
    );
    // 120 px of path, half of it drawn, plus a round cap per dash.
    const solid = new Raster(100, 100, WHITE);
    solid.polyline(
      [
        { x: 10, y: 10 },
        { x: 50, y: 10 },
        { x: 50, y: 90 },
      ],
      2,
      BLACK,
    );
    expect(ink(bent) / ink(solid)).toBeGreaterThan(0.5);
    expect(ink(bent) / ink(solid)).toBeLessThan(0.75);
  });

  it('anti-aliases a slanted line', () => {
    const raster = new Raster(100, 100, WHITE);
    raster.polyline(
      [
        { x: 5, y: 5 },
        { x: 95, y: 60 },
      ],
      2.5,
      BLACK,
    );
    expect(greyLevels(raster).size).toBeGreaterThan(15);
  });
});
