/**
 * Rows the API client read in place from the bytes of a CSV body: the bytes themselves, each row's
 * timestamp, and where each of its fields lies, with no object or string per row. The lake's
 * encoder copies such a row's bytes into the lake's dialect when every field is already written the
 * way the lake writes it (most rows); a consumer that wants rows as objects reads `rowAt`, or
 * iterates, and gets plain ExportRows equal to what the general parser makes of the same lines.
 */
import type { Dimension, ExportRow, Metric } from './contract.ts';

/** `fractions` of a row whose metric text is not what the lake writes (the encoder formats it). */
export const METRICS_NOT_CANONICAL = -1;

export class CsvLines implements Iterable<ExportRow> {
  /** Entries per row in `fields`: see the layout in the constructor. */
  readonly stride: number;

  /** Entries per row in `fields` for rows of `dimensions` dimensions. */
  static strideFor(dimensions: number): number {
    return 5 + 2 * dimensions;
  }

  /**
   * Per row `i`, `fields` holds from `i * stride`: the start and end of the timestamp's text; the
   * start and end of each dimension's text in `dimensions` order, without its quotes but with a
   * quote inside still doubled (start -1 for an unquoted empty field, the API's null); the start
   * of the metrics' text; the line's end (its `\n`); and its fractions: bit m set when metric m is
   * written with a fraction, or METRICS_NOT_CANONICAL when a metric's text is not its
   * `String(value)` or the timestamp's is not `String(timestamp)` (a leading zero, say).
   */
  constructor(
    readonly bytes: Buffer,
    readonly length: number,
    readonly timestamps: Float64Array,
    readonly fields: Int32Array,
    readonly dimensions: readonly Dimension[],
    readonly metrics: readonly Metric[],
  ) {
    this.stride = CsvLines.strideFor(dimensions.length);
  }

  /** Where row `i`'s line starts in `bytes`. */
  lineStart(i: number): number {
    return this.fields[i * this.stride] as number;
  }

  /** Where row `i`'s line ends in `bytes`: its `\n`. */
  lineEnd(i: number): number {
    return this.fields[(i + 1) * this.stride - 2] as number;
  }

  /** Row `i`'s fractions, as the constructor says. */
  fractions(i: number): number {
    return this.fields[(i + 1) * this.stride - 1] as number;
  }

  /** Row `i` as a plain ExportRow. */
  rowAt(i: number): ExportRow {
    const { bytes, fields, dimensions, metrics } = this;
    let at = i * this.stride + 2;
    const dimensionValues: Partial<Record<Dimension, string | null>> = {};
    for (const dimension of dimensions) {
      const start = fields[at] as number;
      if (start < 0) {
        dimensionValues[dimension] = null;
      } else {
        const text = bytes.toString('utf8', start, fields[at + 1]);
        dimensionValues[dimension] = text.includes('"') ? text.replaceAll('""', '"') : text;
      }
      at += 2;
    }
    const metricValues: Partial<Record<Metric, number>> = {};
    const texts = bytes.toString('latin1', fields[at], fields[at + 1]).split(',');
    for (let m = 0; m < metrics.length; m++) metricValues[metrics[m] as Metric] = Number(texts[m]);
    return { timestamp: this.timestamps[i] as number, dimensions: dimensionValues, metrics: metricValues };
  }

  *[Symbol.iterator](): Iterator<ExportRow> {
    for (let i = 0; i < this.length; i++) yield this.rowAt(i);
  }
}

/** What a source hands on at once: rows as objects, or rows read in place. */
export type ExportBatch = readonly ExportRow[] | CsvLines;

/** The timestamp of row `i` of a batch. */
export function timestampAt(batch: ExportBatch, i: number): number {
  return batch instanceof CsvLines ? (batch.timestamps[i] as number) : (batch[i] as ExportRow).timestamp;
}
