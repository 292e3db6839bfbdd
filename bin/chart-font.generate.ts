/**
 * Writes `lambdas/core/report/chart-font-data.ts`: the outlines, advances and kerning of every
 * character the chart can draw, read from Inter Regular with fontkit at development time. The Lambda bundle then carries
 * about 40 KB of outlines instead of a font parser and a font file, and the full GPOS kerning is
 * applied here once (opentype.js cannot read Inter's extension lookups, where most of it lives).
 *
 * Run after changing CHART_CHARACTERS or upgrading the font: `npx tsx bin/chart-font.generate.ts`.
 * It lives outside `lambdas/core/` because it reads and writes files; the core has no I/O.
 * A test checks that the committed module still equals what this script extracts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as fontkit from 'fontkit';
import type { ChartFontData, EncodedChartFont } from '../lambdas/core/report/chart-font.ts';

/** Printable ASCII plus the minus sign, en dash and middle dot that labels may use. */
export const CHART_CHARACTERS = `${Array.from({ length: 0x7f - 0x20 }, (_, index) => String.fromCharCode(0x20 + index)).join('')}\u2212\u2013\u00b7`;

/** Inter 4 Regular, Latin subset, as Fontsource packages it (SIL Open Font License 1.1). */
export const FONT_SOURCE = '@fontsource/inter/files/inter-latin-400-normal.woff';
const LICENSE_SOURCE = '@fontsource/inter/LICENSE';

/** Tabular digits, so numbers on an axis line up; everything else keeps its proportional form. */
const DIGIT_FEATURES = { tnum: true };
const KERNING_FEATURES = { kern: true, liga: false, calt: false, clig: false };

export function readChartFontSource(): Buffer {
  return readFileSync(createRequire(import.meta.url).resolve(FONT_SOURCE));
}

function openFont(bytes: Buffer): fontkit.Font {
  const font = fontkit.create(bytes);
  if (!('layout' in font)) throw new TypeError(`${FONT_SOURCE} is a font collection, not one font`);
  return font;
}

/** Extracts the chart's glyphs from a font file. Pure: the same bytes give the same data. */
export function extractChartFont(bytes: Buffer, characters: string = CHART_CHARACTERS): ChartFontData {
  const font = openFont(bytes);
  const glyphOf = new Map<string, fontkit.Glyph>();
  for (const char of characters) {
    const run = font.layout(char, /[0-9]/.test(char) ? DIGIT_FEATURES : {});
    const glyph = run.glyphs[0];
    if (run.glyphs.length !== 1 || !glyph || glyph.id === 0) {
      throw new RangeError(`${FONT_SOURCE} has no single glyph for ${JSON.stringify(char)}`);
    }
    glyphOf.set(char, glyph);
  }
  const glyphs: Record<string, { advance: number; path: string }> = {};
  for (const [char, glyph] of glyphOf)
    glyphs[char] = { advance: glyph.advanceWidth, path: glyph.path.toSVG() };

  // fontkit lays out glyphs as well as strings (its types only say strings), so the chosen glyphs
  // keep their tabular digits. Every ordered pair goes into one run, far faster than ten thousand
  // short ones: letters and digits kern the same in any context, and the few punctuation pairs
  // that vary with their neighbours get the values they take in the middle of a line.
  const layoutGlyphs = font.layout.bind(font) as unknown as (
    glyphs: fontkit.Glyph[],
    features: typeof KERNING_FEATURES,
  ) => fontkit.GlyphRun;
  const pairs = [...glyphOf].flatMap(([left, leftGlyph]) =>
    [...glyphOf].map(([right, rightGlyph]) => ({ key: left + right, leftGlyph, rightGlyph })),
  );
  const run = layoutGlyphs(
    pairs.flatMap((pair) => [pair.leftGlyph, pair.rightGlyph]),
    KERNING_FEATURES,
  );
  const kerning: Record<string, number> = {};
  pairs.forEach((pair, index) => {
    const advance = run.positions[index * 2]?.xAdvance ?? pair.leftGlyph.advanceWidth;
    const adjustment = advance - pair.leftGlyph.advanceWidth;
    if (adjustment !== 0) kerning[pair.key] = adjustment;
  });
  return {
    unitsPerEm: font.unitsPerEm,
    capHeight: font.capHeight,
    xHeight: font.xHeight,
    glyphs,
    kerning,
  };
}

/**
 * The data as lines of text, one per glyph and one per left-hand kerning character, so the module
 * stays short and readable: `decodeChartFont` reads it back.
 */
export function encodeChartFont(data: ChartFontData): EncodedChartFont {
  const glyphs = Object.entries(data.glyphs).map(([char, glyph]) => `${char} ${glyph.advance} ${glyph.path}`);
  const byLeft = new Map<string, string[]>();
  for (const [pair, adjustment] of Object.entries(data.kerning)) {
    const [left = '', right = ''] = Array.from(pair);
    if (left === ' ' || right === ' ') throw new RangeError('A kerning pair with a space cannot be encoded');
    byLeft.set(left, [...(byLeft.get(left) ?? []), `${right}${adjustment}`]);
  }
  const kerning = [...byLeft].map(([left, entries]) => `${left} ${entries.join(' ')}`);
  return { unitsPerEm: data.unitsPerEm, capHeight: data.capHeight, xHeight: data.xHeight, glyphs, kerning };
}

function moduleSource(data: ChartFontData, version: string, copyright: string): string {
  return `/**
 * Generated by bin/chart-font.generate.ts from ${FONT_SOURCE} (Inter ${version}): do not edit.
 * Glyph lines: the character, its advance and its outline (SVG path data, font units, y up).
 * Kerning lines: the left character, then each right character with the adjustment to the advance.
 */
/*! Inter font outlines: ${copyright}. Licensed under the SIL Open Font License, Version 1.1 (https://openfontlicense.org); the licence is in chart-font-OFL.txt. */
import type { EncodedChartFont } from './chart-font.ts';

export const INTER_REGULAR: EncodedChartFont = ${JSON.stringify(encodeChartFont(data), null, 2)};
`;
}

function main(): void {
  const bytes = readChartFontSource();
  const font = openFont(bytes);
  const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
  const target = here('../lambdas/core/report/chart-font-data.ts');
  const version =
    String(font.version)
      .replace(/^Version /, '')
      .split(';')[0] ?? '';
  writeFileSync(target, moduleSource(extractChartFont(bytes), version, font.copyright));
  writeFileSync(
    here('../lambdas/core/report/chart-font-OFL.txt'),
    readFileSync(createRequire(import.meta.url).resolve(LICENSE_SOURCE)),
  );
  execFileSync('npx', ['biome', 'format', '--write', target], { stdio: 'inherit' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
