/**
 * What the lake writer and the report need from the Peer5 API, as an interface, so the core can
 * be driven by the HTTP client in production and tests alike.
 */
import type { ExportRequest, ExportRow } from './contract.ts';
import type { ExportBatch } from './csv-lines.ts';

/**
 * A query over any [from, to): unlike an `ExportRequest` it may be longer than one API call
 * allows; the source plans it into API-legal requests.
 */
export type ExportQuery = ExportRequest;

export interface ExportStreamOptions {
  /** Aborts the stream, for example when a Lambda is about to run out of time. */
  readonly signal?: AbortSignal;
}

export interface ExportSource {
  /**
   * Streams every row of the query in the API's order (timestamp, then dimension values),
   * planned into as few API-legal requests as possible, each retried as needed.
   */
  rows(query: ExportQuery, options?: ExportStreamOptions): AsyncIterable<ExportRow>;
  /**
   * The same rows in the same order, in batches (a source that has them in chunks hands each chunk
   * on whole), so a consumer of millions of rows pays one async hop per batch rather than per row.
   * A batch is rows as objects, or rows read in place from CSV bytes (CsvLines), which a consumer
   * can copy without building objects. A source without it is read through `rows`, one row a batch.
   */
  batches?(query: ExportQuery, options?: ExportStreamOptions): AsyncIterable<ExportBatch>;
}

/** The query's rows in batches: the source's own when it has them, else one row a batch. */
export async function* batchesOf(
  source: ExportSource,
  query: ExportQuery,
  options?: ExportStreamOptions,
): AsyncGenerator<ExportBatch> {
  if (source.batches) {
    yield* source.batches(query, options);
    return;
  }
  for await (const row of source.rows(query, options)) yield [row];
}

/** Supplies the API token; `refresh` asks for a fresh copy after the API answered 401. */
export type TokenProvider = (options: { readonly refresh: boolean }) => Promise<string>;
