/**
 * A tiny RGBA raster with anti-aliased shapes and a 5x7 bitmap font: enough to draw the report's
 * chart as a PNG, because Gmail and Outlook block SVG and the email must carry no external assets.
 */
import { PNG } from 'pngjs';

export type Rgb = readonly [number, number, number];

export function hexToRgb(hex: string): Rgb {
  const value = Number.parseInt(hex.replace('#', ''), 16);
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

// Each glyph is 7 rows of 5 columns; '#' is ink.
const GLYPHS: Record<string, string> = {
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '####. #...# #...# #...# #...# #...# ####.',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  '-': '..... ..... ..... ##### ..... ..... .....',
  ' ': '..... ..... ..... ..... ..... ..... .....',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Advance per character, in font dots: the glyph plus one dot of spacing. */
export const GLYPH_ADVANCE = 6;

const GLYPH_ROWS = new Map(Object.entries(GLYPHS).map(([char, rows]) => [char, rows.split(' ')]));

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

  /** An anti-aliased polyline `lineWidth` wide, with round joins; null points break the line. */
  polyline(points: readonly ({ x: number; y: number } | null)[], lineWidth: number, color: Rgb): void {
    const half = lineWidth / 2;
    const touched: number[] = [];
    const mark = (x: number, y: number, value: number): void => {
      if (x < 0 || y < 0 || x >= this.width || y >= this.height || value <= 0) return;
      const index = y * this.width + x;
      if (this.coverage[index] === 0) touched.push(index);
      this.coverage[index] = Math.max(this.coverage[index] as number, Math.min(1, value));
    };
    const segment = (a: { x: number; y: number }, b: { x: number; y: number }): void => {
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
    for (let index = 0; index < points.length; index += 1) {
      const point = points[index];
      if (!point) continue;
      const next = points[index + 1];
      segment(point, next ?? point);
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

  /** Width of `text` in pixels at `dot` pixels per font dot. */
  static textWidth(text: string, dot: number): number {
    return text.length === 0 ? 0 : (text.length * GLYPH_ADVANCE - 1) * dot;
  }

  /** Draws `text` with its top-left corner at (x, y); characters outside the font are skipped. */
  text(x: number, y: number, text: string, dot: number, color: Rgb): void {
    let cursor = x;
    for (const char of text) {
      const rows = GLYPH_ROWS.get(char) ?? GLYPH_ROWS.get(char.toUpperCase());
      rows?.forEach((row, rowIndex) => {
        for (let column = 0; column < GLYPH_WIDTH; column += 1) {
          if (row[column] !== '#') continue;
          const left = cursor + column * dot;
          const top = y + rowIndex * dot;
          this.fillRect(left, top, left + dot, top + dot, color);
        }
      });
      cursor += GLYPH_ADVANCE * dot;
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    return PNG.sync.write(png, { colorType: 2 });
  }
}
