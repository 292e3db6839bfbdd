/**
 * The fast path of a CSV body: reads runs of plain lines in place from the body's bytes into a
 * CsvLines batch, with no record, string or regular expression per line. A plain line is the form
 * the API sends: the timestamp and the metrics as bare digits (a metric with an optional fraction),
 * each dimension quoted (a quote inside doubled), or bare, or empty. The first line that is not plain
 * ends the run; the body reader hands it to the record parser and the row checker's `fromCsv`,
 * which accept or refuse it with their own messages. Reads only: the row checker's `checkLines`
 * then makes, in the body's order, the checks this reading leaves (a line read here passes every
 * other check `fromCsv` makes).
 */

import { CHAR } from '../../core/char-codes.ts';
import type { Dimension, Metric } from '../../core/contract.ts';
import { CsvLines, METRICS_NOT_CANONICAL } from '../../core/csv-lines.ts';
import { MAX_BUFFERED_VALUE } from './body-error.ts';
import type { CsvLinesReader } from './csv-body.ts';

const { COMMA, QUOTE, DOT, ZERO, NINE, NEWLINE } = CHAR;

/** Digits a number of the fast path may have: below 2^53, so `Number(text)` is exact or correctly rounded. */
const MAX_DIGITS = 15;
/** Zeros after the point from which `String(value)` switches to exponent notation (below 1e-6). */
const EXPONENT_ZEROS = 6;
/** Metrics whose fractions fit the bit mask; a row with more is never copied as text. */
const MASK_BITS = 31;
/**
 * Entries of the typed arrays the runs' fields are carved from. A batch's arrays are views into a
 * slab shared by many batches: one allocation of memory outside the heap per slab rather than per
 * batch keeps V8 from running full collections for the external memory as batches go by.
 */
const SLAB_FIELDS = 64 * 1024;
const SLAB_TIMESTAMPS = 8 * 1024;

export class CsvLineRunReader implements CsvLinesReader<CsvLines> {
  stoppedAt = 0;
  private readonly stride: number;
  private fieldSlab: Int32Array = new Int32Array(SLAB_FIELDS);
  private fieldsUsed = 0;
  private timestampSlab: Float64Array = new Float64Array(SLAB_TIMESTAMPS);
  private timestampsUsed = 0;

  constructor(
    private readonly dimensions: readonly Dimension[],
    private readonly metrics: readonly Metric[],
  ) {
    this.stride = CsvLines.strideFor(dimensions.length);
  }

  read(bytes: Buffer, start: number, end: number): CsvLines | undefined {
    const { stride } = this;
    const dimensionCount = this.dimensions.length;
    const lastMetric = this.metrics.length - 1;
    let fields = this.fieldSlab;
    let fieldsBase = this.fieldsUsed;
    let timestamps = this.timestampSlab;
    let timestampsBase = this.timestampsUsed;
    let rows = 0;
    let taken = start;
    lines: while (taken < end) {
      let at = taken;
      let timestamp = 0;
      let code = bytes[at] as number;
      while (code >= ZERO && code <= NINE) {
        timestamp = timestamp * 10 + (code - ZERO);
        code = bytes[++at] as number;
      }
      const timestampDigits = at - taken;
      if (timestampDigits === 0 || timestampDigits > MAX_DIGITS || code !== COMMA) break;
      let fraction = timestampDigits > 1 && bytes[taken] === ZERO ? METRICS_NOT_CANONICAL : 0;
      if (fieldsBase + (rows + 1) * stride > fields.length) {
        const size = Math.max(SLAB_FIELDS, 2 * (rows + 1) * stride);
        fields = moved(fields, new Int32Array(size), fieldsBase, rows * stride);
        fieldsBase = 0;
      }
      if (timestampsBase + rows + 1 > timestamps.length) {
        const size = Math.max(SLAB_TIMESTAMPS, 2 * (rows + 1));
        timestamps = moved(timestamps, new Float64Array(size), timestampsBase, rows);
        timestampsBase = 0;
      }
      let slot = fieldsBase + rows * stride;
      fields[slot] = taken;
      fields[slot + 1] = at;
      slot += 2;
      at++;
      for (let d = 0; d < dimensionCount; d++) {
        code = bytes[at] as number;
        if (code === QUOTE) {
          let close = at;
          // To the closing quote: a `""` inside is an escaped quote, kept as it is in the text.
          do {
            code = bytes[++close] as number;
            while (code !== QUOTE && code !== NEWLINE) code = bytes[++close] as number;
            if (code !== QUOTE) break lines;
            code = bytes[++close] as number;
          } while (code === QUOTE);
          if (code !== COMMA) break lines;
          close--;
          fields[slot] = at + 1;
          fields[slot + 1] = close;
          at = close + 2;
        } else {
          let comma = at;
          while (code !== COMMA && code !== QUOTE && code !== NEWLINE) code = bytes[++comma] as number;
          if (code !== COMMA) break lines;
          fields[slot] = comma === at ? -1 : at;
          fields[slot + 1] = comma;
          at = comma + 1;
        }
        slot += 2;
      }
      fields[slot] = at;
      for (let m = 0; m <= lastMetric; m++) {
        const first = at;
        code = bytes[at] as number;
        while (code >= ZERO && code <= NINE) code = bytes[++at] as number;
        const whole = at - first;
        if (whole === 0 || whole > MAX_DIGITS) break lines;
        if (whole > 1 && bytes[first] === ZERO) fraction = METRICS_NOT_CANONICAL;
        if (code === DOT) {
          const point = at;
          code = bytes[++at] as number;
          while (code >= ZERO && code <= NINE) code = bytes[++at] as number;
          const decimals = at - point - 1;
          if (decimals === 0 || whole + decimals > MAX_DIGITS) break lines;
          if (
            bytes[at - 1] === ZERO ||
            (whole === 1 && bytes[first] === ZERO && leadingZeros(bytes, point + 1) >= EXPONENT_ZEROS)
          ) {
            fraction = METRICS_NOT_CANONICAL;
          }
          if (fraction !== METRICS_NOT_CANONICAL)
            fraction = m < MASK_BITS ? fraction | (1 << m) : METRICS_NOT_CANONICAL;
        }
        if (code !== (m === lastMetric ? NEWLINE : COMMA)) break lines;
        at++;
      }
      // A longer line goes to the record parser, which names the field that is too long.
      if (at - taken > MAX_BUFFERED_VALUE) break;
      fields[slot + 1] = at - 1;
      fields[slot + 2] = lastMetric >= MASK_BITS ? METRICS_NOT_CANONICAL : fraction;
      timestamps[timestampsBase + rows] = timestamp;
      rows++;
      taken = at;
    }
    this.stoppedAt = taken;
    // Kept with what is used of them even when no line was taken: a slab made for a line that then
    // stopped is empty, and the next read fills it rather than making another.
    this.fieldSlab = fields;
    this.timestampSlab = timestamps;
    this.fieldsUsed = fieldsBase + rows * stride;
    this.timestampsUsed = timestampsBase + rows;
    if (rows === 0) return undefined;
    return new CsvLines(
      bytes,
      rows,
      timestamps.subarray(timestampsBase, this.timestampsUsed),
      fields.subarray(fieldsBase, this.fieldsUsed),
      this.dimensions,
      this.metrics,
    );
  }
}

/** `fresh`, a new slab, with the `count` entries of the run in progress at `from` copied to its start. */
function moved<Slab extends Int32Array | Float64Array>(
  slab: Slab,
  fresh: Slab,
  from: number,
  count: number,
): Slab {
  fresh.set(slab.subarray(from, from + count));
  return fresh;
}

function leadingZeros(bytes: Buffer, from: number): number {
  let at = from;
  while (bytes[at] === ZERO) at++;
  return at - from;
}
