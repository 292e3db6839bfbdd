/**
 * A row that the API client read from a CSV body by its fast path, carrying beside its values the
 * text of its metric fields when every one of them is already written the way the lake writes a
 * number (`String(value)`): the lake's encoder then copies that text instead of formatting each
 * number again. The text and what it needs to be used are private fields, so the row compares,
 * spreads and serializes exactly like a plain ExportRow.
 */
import type { Dimension, ExportRow, Metric } from './contract.ts';

export class CsvExportRow implements ExportRow {
  readonly #metricsText: string;
  readonly #metricNames: readonly string[];
  readonly #fractions: number;

  /**
   * `metricsText` holds the metric fields in `metricNames` order, comma-separated, each its
   * value's `String()`; bit i of `fractions` is set when the i-th of them has a fraction.
   */
  constructor(
    readonly timestamp: number,
    readonly dimensions: Readonly<Partial<Record<Dimension, string | null>>>,
    readonly metrics: Readonly<Partial<Record<Metric, number>>>,
    metricsText: string,
    metricNames: readonly string[],
    fractions: number,
  ) {
    this.#metricsText = metricsText;
    this.#metricNames = metricNames;
    this.#fractions = fractions;
  }

  /**
   * The row's metric text, when `row` carries one for the metrics `names` (by identity: the
   * caller checks the order once per list) and no metric of the `whole` bit mask has a fraction;
   * undefined otherwise, and the caller formats the values itself.
   */
  static metricsText(row: ExportRow, names: readonly string[], whole: number): string | undefined {
    if (!(row instanceof CsvExportRow)) return undefined;
    if (row.#metricNames !== names || (row.#fractions & whole) !== 0) return undefined;
    return row.#metricsText;
  }

  /** The metric names `row` carries text for, if any: the caller checks their order once. */
  static metricNames(row: ExportRow): readonly string[] | undefined {
    return row instanceof CsvExportRow ? row.#metricNames : undefined;
  }
}
