/**
 * A test-only source that stages an offload drop on one segment: within [from, to), the segment's
 * P2P bytes are scaled by `p2pFactor` and its HTTP bytes rise by what P2P lost, so delivered bytes
 * are unchanged. Every query, whatever its split, is adjusted by the segment's own rows of the same
 * split (asked with the segment as filters), so totals still equal the sum of every split.
 */
import type { Dimension, ExportRow, Filters } from '../../../lambdas/core/contract.ts';
import type { ExportQuery, ExportSource, ExportStreamOptions } from '../../../lambdas/core/source.ts';

export interface StagedDrop {
  readonly where: Readonly<Partial<Record<Dimension, string>>>;
  readonly from: number;
  readonly to: number;
  readonly p2pFactor: number;
}

function rowKey(row: ExportRow, dimensions: readonly Dimension[]): string {
  return JSON.stringify([row.timestamp, ...dimensions.map((dimension) => row.dimensions[dimension] ?? null)]);
}

export class StagedDropSource implements ExportSource {
  constructor(
    private readonly inner: ExportSource,
    private readonly drop: StagedDrop,
  ) {}

  async *rows(query: ExportQuery, options?: ExportStreamOptions): AsyncIterable<ExportRow> {
    const dimensions = query.dimensions ?? [];
    const filters: Filters = { ...query.filters };
    for (const [dimension, value] of Object.entries(this.drop.where)) {
      filters[dimension as Dimension] = [value as string];
    }
    const moved = new Map<string, number>();
    for await (const row of this.inner.rows({ ...query, filters }, options)) {
      if (row.timestamp < this.drop.from || row.timestamp >= this.drop.to) continue;
      moved.set(rowKey(row, dimensions), Math.round((row.metrics.p2p ?? 0) * (1 - this.drop.p2pFactor)));
    }
    for await (const row of this.inner.rows(query, options)) {
      const shift = moved.get(rowKey(row, dimensions));
      if (shift === undefined || !query.metrics.includes('p2p')) {
        yield row;
        continue;
      }
      yield {
        ...row,
        metrics: {
          ...row.metrics,
          p2p: (row.metrics.p2p ?? 0) - shift,
          http: (row.metrics.http ?? 0) + shift,
        },
      };
    }
  }
}
