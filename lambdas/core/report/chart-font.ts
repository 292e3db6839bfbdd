/**
 * Lays out a line of text in the chart's font as filled outlines in pixel coordinates, for the
 * raster to fill with anti-aliasing. The outlines come from `chart-font-data.ts`, extracted from
 * Inter at development time, so nothing is parsed or downloaded at run time.
 */
import { INTER_REGULAR } from './chart-font-data.ts';
import type { Contour } from './raster.ts';

export interface ChartFontData {
  readonly unitsPerEm: number;
  readonly capHeight: number;
  readonly xHeight: number;
  /** Per character: its advance and its outline as SVG path data, in font units with y up. */
  readonly glyphs: Readonly<Record<string, { readonly advance: number; readonly path: string }>>;
  /** Advance adjustments in font units, keyed by the two characters of the pair. */
  readonly kerning: Readonly<Record<string, number>>;
}

/** `ChartFontData` as the generated module stores it: one line of text per glyph and per kerning row. */
export interface EncodedChartFont {
  readonly unitsPerEm: number;
  readonly capHeight: number;
  readonly xHeight: number;
  readonly glyphs: readonly string[];
  readonly kerning: readonly string[];
}

/** Reads the generated module's lines back (see `encodeChartFont`). */
export function decodeChartFont(encoded: EncodedChartFont): ChartFontData {
  const glyphs: Record<string, { advance: number; path: string }> = {};
  for (const line of encoded.glyphs) {
    const char = Array.from(line)[0] ?? '';
    const rest = line.slice(char.length + 1);
    const space = rest.indexOf(' ');
    glyphs[char] = { advance: Number(rest.slice(0, space)), path: rest.slice(space + 1) };
  }
  const kerning: Record<string, number> = {};
  for (const line of encoded.kerning) {
    const [left = '', ...entries] = line.split(' ');
    for (const entry of entries) {
      const right = Array.from(entry)[0] ?? '';
      kerning[left + right] = Number(entry.slice(right.length));
    }
  }
  return {
    unitsPerEm: encoded.unitsPerEm,
    capHeight: encoded.capHeight,
    xHeight: encoded.xHeight,
    glyphs,
    kerning,
  };
}

/** A character outside the font is drawn as this one, so a label never loses its width. */
const REPLACEMENT = '?';
/** Largest distance, in pixels, between a curve and the straight segments drawn for it. */
const FLATNESS = 0.05;

type Command =
  | { readonly op: 'M'; readonly x: number; readonly y: number }
  | { readonly op: 'L'; readonly x: number; readonly y: number }
  | { readonly op: 'Q'; readonly cx: number; readonly cy: number; readonly x: number; readonly y: number }
  | {
      readonly op: 'C';
      readonly c1x: number;
      readonly c1y: number;
      readonly c2x: number;
      readonly c2y: number;
      readonly x: number;
      readonly y: number;
    }
  | { readonly op: 'Z' };

const ARITY = { M: 2, L: 2, Q: 4, C: 6, Z: 0 } as const;

function parsePath(path: string): Command[] {
  const tokens = path.match(/[MLQCZ]|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi) ?? [];
  const commands: Command[] = [];
  let index = 0;
  while (index < tokens.length) {
    const op = (tokens[index] ?? '').toUpperCase() as keyof typeof ARITY;
    const arity = ARITY[op];
    if (arity === undefined) throw new SyntaxError(`Unexpected ${tokens[index]} in a glyph path`);
    const n = tokens.slice(index + 1, index + 1 + arity).map(Number);
    index += 1 + arity;
    const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = n;
    if (op === 'M') commands.push({ op, x: a, y: b });
    else if (op === 'L') commands.push({ op, x: a, y: b });
    else if (op === 'Q') commands.push({ op, cx: a, cy: b, x: c, y: d });
    else if (op === 'C') commands.push({ op, c1x: a, c1y: b, c2x: c, c2y: d, x: e, y: f });
    else commands.push({ op });
  }
  return commands;
}

export class ChartFont {
  private readonly commands = new Map<string, Command[]>();

  constructor(private readonly data: ChartFontData) {}

  /** The height of capitals and digits, in pixels at `size`. */
  capHeight(size: number): number {
    return (this.data.capHeight * size) / this.data.unitsPerEm;
  }

  private glyphKey(char: string): string {
    return this.data.glyphs[char] ? char : REPLACEMENT;
  }

  /** Each character's pen position from the start of the line, in font units, and the total. */
  private advances(text: string): {
    readonly chars: string[];
    readonly offsets: number[];
    readonly width: number;
  } {
    const chars = Array.from(text, (char) => this.glyphKey(char));
    const offsets: number[] = [];
    let pen = 0;
    chars.forEach((char, index) => {
      offsets.push(pen);
      pen += this.data.glyphs[char]?.advance ?? 0;
      const next = chars[index + 1];
      if (next !== undefined) pen += this.data.kerning[char + next] ?? 0;
    });
    return { chars, offsets, width: pen };
  }

  /** The advance width of `text` in pixels at `size`. */
  textWidth(text: string, size: number): number {
    return (this.advances(text).width * size) / this.data.unitsPerEm;
  }

  /**
   * The outlines of `text` with its baseline at `baseline` and its start at `x` (or its centre or
   * end, per `align`), as closed polygons in pixels with y down.
   */
  outline(
    text: string,
    options: { readonly x: number; readonly baseline: number; readonly size: number; readonly align?: Align },
  ): Contour[] {
    const scale = options.size / this.data.unitsPerEm;
    const { chars, offsets, width } = this.advances(text);
    const shift = { left: 0, center: width / 2, right: width }[options.align ?? 'left'];
    const contours: Contour[] = [];
    chars.forEach((char, index) => {
      const originX = options.x + ((offsets[index] ?? 0) - shift) * scale;
      contours.push(...this.flatten(char, originX, options.baseline, scale));
    });
    return contours;
  }

  private flatten(char: string, originX: number, baseline: number, scale: number): Contour[] {
    let commands = this.commands.get(char);
    if (!commands) {
      commands = parsePath(this.data.glyphs[char]?.path ?? '');
      this.commands.set(char, commands);
    }
    const px = (x: number): number => originX + x * scale;
    const py = (y: number): number => baseline - y * scale;
    const contours: Contour[] = [];
    let current: number[] = [];
    let x0 = 0;
    let y0 = 0;
    const close = (): void => {
      if (current.length >= 6) contours.push(current);
      current = [];
    };
    for (const command of commands) {
      if (command.op === 'Z') {
        close();
        continue;
      }
      if (command.op === 'M' || command.op === 'L') {
        if (command.op === 'M') close();
        current.push(px(command.x), py(command.y));
      } else if (command.op === 'Q') {
        const bend = Math.hypot(x0 - 2 * command.cx + command.x, y0 - 2 * command.cy + command.y) * scale;
        const steps = Math.max(1, Math.ceil(Math.sqrt(bend / (8 * FLATNESS))));
        for (let step = 1; step <= steps; step += 1) {
          const t = step / steps;
          const u = 1 - t;
          current.push(
            px(u * u * x0 + 2 * u * t * command.cx + t * t * command.x),
            py(u * u * y0 + 2 * u * t * command.cy + t * t * command.y),
          );
        }
      } else {
        const bend =
          Math.max(
            Math.hypot(x0 - 2 * command.c1x + command.c2x, y0 - 2 * command.c1y + command.c2y),
            Math.hypot(command.c1x - 2 * command.c2x + command.x, command.c1y - 2 * command.c2y + command.y),
          ) * scale;
        const steps = Math.max(1, Math.ceil(Math.sqrt((3 * bend) / (4 * FLATNESS))));
        for (let step = 1; step <= steps; step += 1) {
          const t = step / steps;
          const u = 1 - t;
          current.push(
            px(
              u * u * u * x0 +
                3 * u * u * t * command.c1x +
                3 * u * t * t * command.c2x +
                t * t * t * command.x,
            ),
            py(
              u * u * u * y0 +
                3 * u * u * t * command.c1y +
                3 * u * t * t * command.c2y +
                t * t * t * command.y,
            ),
          );
        }
      }
      x0 = command.x;
      y0 = command.y;
    }
    close();
    return contours;
  }
}

export type Align = 'left' | 'center' | 'right';

/** Inter Regular: the chart's only face. */
export const CHART_FONT = new ChartFont(decodeChartFont(INTER_REGULAR));
