/**
 * A small RGBA raster with anti-aliased shapes: rectangles, lines (solid or dashed), discs and
 * filled outlines such as glyphs. Enough to draw the report's chart as a PNG, because Gmail and
 * Outlook block SVG and the email must carry no external assets.
 */
import { PNG } from 'pngjs';

export type Rgb = readonly [number, number, number];

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A closed polygon as x, y pairs in pixels, y down. */
export type Contour = readonly number[];

/** Lengths in pixels of each dash and of the gap after it. */
export interface Dash {
  readonly on: number;
  readonly off: number;
}

export function hexToRgb(hex: string): Rgb {
  const value = Number.parseInt(hex.replace('#', ''), 16);
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

/**
 * Adds one edge's signed area to an accumulation buffer `width` cells wide: after a running sum
 * along each row, every cell holds the exact fraction of the pixel inside the outline. This is the
 * signed-area scanline method of font-rs and stb_truetype; it needs no sampling and no sorting.
 */
function accumulateEdge(cells: Float32Array, width: number, from: Point, to: Point): void {
  if (from.y === to.y) return;
  const direction = from.y < to.y ? 1 : -1;
  const [top, bottom] = direction === 1 ? [from, to] : [to, from];
  const dxdy = (bottom.x - top.x) / (bottom.y - top.y);
  let x = top.x;
  for (let y = Math.floor(top.y); y < Math.ceil(bottom.y); y += 1) {
    const row = y * width;
    const dy = Math.min(y + 1, bottom.y) - Math.max(y, top.y);
    const xNext = x + dxdy * dy;
    const d = dy * direction;
    const left = Math.min(x, xNext);
    const right = Math.max(x, xNext);
    const leftCell = Math.floor(left);
    const rightCell = Math.ceil(right);
    const at = (cell: number, value: number): void => {
      cells[row + cell] = (cells[row + cell] as number) + value;
    };
    if (rightCell <= leftCell + 1) {
      // The edge stays within one pixel column on this row.
      const middle = 0.5 * (x + xNext) - leftCell;
      at(leftCell, d - d * middle);
      at(leftCell + 1, d * middle);
    } else {
      const slope = 1 / (right - left);
      const leftFraction = left - leftCell;
      const first = 0.5 * slope * (1 - leftFraction) ** 2;
      const rightFraction = right - rightCell + 1;
      const last = 0.5 * slope * rightFraction ** 2;
      at(leftCell, d * first);
      if (rightCell === leftCell + 2) {
        at(leftCell + 1, d * (1 - first - last));
      } else {
        const second = slope * (1.5 - leftFraction);
        at(leftCell + 1, d * (second - first));
        for (let cell = leftCell + 2; cell < rightCell - 1; cell += 1) at(cell, d * slope);
        const beforeLast = second + (rightCell - leftCell - 3) * slope;
        at(rightCell - 1, d * (1 - beforeLast - last));
      }
      at(rightCell, d * last);
    }
    x = xNext;
  }
}

/** Cuts a run of points into the pieces that a dash pattern draws, continuing the pattern across corners. */
function dashPieces(run: readonly Point[], dash: Dash): Point[][] {
  const pieces: Point[][] = [];
  let drawing = true;
  let left = dash.on;
  let piece: Point[] = run[0] ? [run[0]] : [];
  for (let index = 1; index < run.length; index += 1) {
    const a = run[index - 1] as Point;
    const b = run[index] as Point;
    const length = Math.hypot(b.x - a.x, b.y - a.y);
    let travelled = 0;
    while (length - travelled > left) {
      travelled += left;
      const t = travelled / length;
      const point = { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
      if (drawing) {
        piece.push(point);
        pieces.push(piece);
        piece = [];
      } else {
        piece = [point];
      }
      drawing = !drawing;
      left = drawing ? dash.on : dash.off;
    }
    left -= length - travelled;
    if (drawing) piece.push(b);
  }
  if (drawing && piece.length > 1) pieces.push(piece);
  return pieces;
}

export class Raster {
  readonly data: Buffer;
  /** Anti-aliasing coverage of the shape being drawn, blended once so overlaps don't darken. */
  private readonly coverage: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.data = Buffer.alloc(width * height * 4);
    this.coverage = new Float32Array(width * height);
    for (let index = 0; index < width * height; index += 1) {
      this.data[index * 4] = background[0];
      this.data[index * 4 + 1] = background[1];
      this.data[index * 4 + 2] = background[2];
      this.data[index * 4 + 3] = 255;
    }
  }

  blend(x: number, y: number, color: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const a = Math.min(1, alpha);
    const offset = (y * this.width + x) * 4;
    for (let channel = 0; channel < 3; channel += 1) {
      const current = this.data[offset + channel] as number;
      this.data[offset + channel] = Math.round(current + ((color[channel] as number) - current) * a);
    }
  }

  /** Fills [x0, x1) x [y0, y1) with fractional edges blended by the area they cover. */
  fillRect(x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
    const left = Math.max(0, Math.floor(x0));
    const right = Math.min(this.width, Math.ceil(x1));
    const top = Math.max(0, Math.floor(y0));
    const bottom = Math.min(this.height, Math.ceil(y1));
    for (let y = top; y < bottom; y += 1) {
      const coverY = Math.min(y + 1, y1) - Math.max(y, y0);
      for (let x = left; x < right; x += 1) {
        const coverX = Math.min(x + 1, x1) - Math.max(x, x0);
        this.blend(x, y, color, coverX * coverY);
      }
    }
  }

  /**
   * Fills closed outlines (a glyph's contours, say) by the exact area each pixel has inside them.
   * Overlapping contours of the same winding count once.
   */
  fillContours(contours: readonly Contour[], color: Rgb): void {
    let minX = Number.POSITIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (const contour of contours) {
      for (let index = 0; index + 1 < contour.length; index += 2) {
        minX = Math.min(minX, contour[index] as number);
        maxX = Math.max(maxX, contour[index] as number);
        minY = Math.min(minY, contour[index + 1] as number);
        maxY = Math.max(maxY, contour[index + 1] as number);
      }
    }
    if (!(maxX > minX && maxY > minY)) return;
    // A buffer just around the outlines, two cells wider for the spill of the right-most edge.
    const originX = Math.floor(minX);
    const originY = Math.floor(minY);
    const width = Math.ceil(maxX) - originX + 2;
    const height = Math.ceil(maxY) - originY;
    const cells = new Float32Array(width * height + 1);
    for (const contour of contours) {
      const count = Math.floor(contour.length / 2);
      for (let index = 0; index < count; index += 1) {
        const next = (index + 1) % count;
        accumulateEdge(
          cells,
          width,
          { x: (contour[index * 2] as number) - originX, y: (contour[index * 2 + 1] as number) - originY },
          { x: (contour[next * 2] as number) - originX, y: (contour[next * 2 + 1] as number) - originY },
        );
      }
    }
    for (let y = 0; y < height; y += 1) {
      let sum = 0;
      for (let x = 0; x < width; x += 1) {
        sum += cells[y * width + x] as number;
        const cover = Math.min(1, Math.abs(sum));
        if (cover > 1 / 512) this.blend(originX + x, originY + y, color, cover);
      }
    }
  }

  /**
   * An anti-aliased polyline `lineWidth` wide with round joins and caps; null points break it.
   * With `dash`, only the dashes are drawn, and the pattern runs on across points.
   */
  polyline(points: readonly (Point | null)[], lineWidth: number, color: Rgb, dash?: Dash): void {
    const half = lineWidth / 2;
    const touched: number[] = [];
    const mark = (x: number, y: number, value: number): void => {
      if (x < 0 || y < 0 || x >= this.width || y >= this.height || value <= 0) return;
      const index = y * this.width + x;
      if (this.coverage[index] === 0) touched.push(index);
      this.coverage[index] = Math.max(this.coverage[index] as number, Math.min(1, value));
    };
    const segment = (a: Point, b: Point): void => {
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const lengthSquared = dx * dx + dy * dy;
      const left = Math.floor(Math.min(a.x, b.x) - half - 1);
      const right = Math.ceil(Math.max(a.x, b.x) + half + 1);
      const top = Math.floor(Math.min(a.y, b.y) - half - 1);
      const bottom = Math.ceil(Math.max(a.y, b.y) + half + 1);
      for (let y = top; y <= bottom; y += 1) {
        for (let x = left; x <= right; x += 1) {
          const px = x + 0.5;
          const py = y + 0.5;
          const t =
            lengthSquared === 0
              ? 0
              : Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / lengthSquared));
          const distance = Math.hypot(px - (a.x + t * dx), py - (a.y + t * dy));
          mark(x, y, half + 0.5 - distance);
        }
      }
    };
    const runs: Point[][] = [[]];
    for (const point of points) {
      if (point) runs[runs.length - 1]?.push(point);
      else runs.push([]);
    }
    for (const run of runs) {
      const pieces = dash && run.length > 1 ? dashPieces(run, dash) : [run];
      for (const piece of pieces) {
        piece.forEach((point, index) => {
          segment(point, piece[index + 1] ?? point);
        });
      }
    }
    for (const index of touched) {
      this.blend(index % this.width, Math.floor(index / this.width), color, this.coverage[index] as number);
      this.coverage[index] = 0;
    }
  }

  /** An anti-aliased filled circle. */
  disc(cx: number, cy: number, radius: number, color: Rgb): void {
    for (let y = Math.floor(cy - radius - 1); y <= Math.ceil(cy + radius + 1); y += 1) {
      for (let x = Math.floor(cx - radius - 1); x <= Math.ceil(cx + radius + 1); x += 1) {
        const distance = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        this.blend(x, y, color, radius + 0.5 - distance);
      }
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    // Paeth filtering on every row encodes in under half the time of trying all five filters, for
    // a file about 2% larger.
    return PNG.sync.write(png, { colorType: 2, filterType: 4 });
  }
}
