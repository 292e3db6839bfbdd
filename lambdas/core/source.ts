/**
 * What the lake writer and the report need from the Peer5 API, as an interface, so the core can
 * be driven by the HTTP client in production and tests alike.
 */
import type { ExportRequest, ExportRow } from './contract.ts';

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
}

/** Supplies the API token; `refresh` asks for a fresh copy after the API answered 401. */
export type TokenProvider = (options: { readonly refresh: boolean }) => Promise<string>;
