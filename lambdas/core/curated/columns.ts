/**
 * Column storage for a day of rows: fixed-size blocks of typed arrays, so a million rows cost their
 * bytes (8 per metric, 4 per timestamp or dimension) and growing never copies what is already held,
 * and text dimensions as ids into a per-column dictionary (a day repeats a few thousand values).
 */

/** Rows per block: growth costs at most one partly filled block per column. */
export const BLOCK_ROWS = 1 << 16;
const BLOCK_SHIFT = 16;
const BLOCK_MASK = BLOCK_ROWS - 1;

type Block = Int32Array | Float64Array | BigInt64Array;

/** A growable column of one typed-array kind, addressed by row number. */
export class BlockColumn<T extends Block> {
  private readonly blocks: T[] = [];
  constructor(private readonly make: (length: number) => T) {}

  /** Makes room for row `row`, which must be the next one (rows are appended in order). */
  grow(row: number): void {
    if ((row & BLOCK_MASK) === 0) this.blocks.push(this.make(BLOCK_ROWS));
  }

  block(row: number): T {
    return this.blocks[row >>> BLOCK_SHIFT] as T;
  }

  static offset(row: number): number {
    return row & BLOCK_MASK;
  }
}

export type Int32Column = BlockColumn<Int32Array>;
export type Float64Column = BlockColumn<Float64Array>;
export type BigInt64Column = BlockColumn<BigInt64Array>;

export const int32Column = (): Int32Column => new BlockColumn((n) => new Int32Array(n));
export const float64Column = (): Float64Column => new BlockColumn((n) => new Float64Array(n));
export const bigInt64Column = (): BigInt64Column => new BlockColumn((n) => new BigInt64Array(n));

/** The id of an unknown (null) value in a dictionary column. */
export const NULL_ID = -1;

/** Distinct text values of one dimension column, each with its UTF-8 bytes. */
export class TextDictionary {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];

  idOf(value: string | null): number {
    if (value === null) return NULL_ID;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  /** Each value's UTF-8 bytes, by id: the writer takes bytes, and shares them across rows. */
  encoded(): Uint8Array[] {
    const encoder = new TextEncoder();
    return this.values.map((value) => encoder.encode(value));
  }

  /**
   * The sort rank of each id, shifted by one so that index 0 is NULL's rank: values in UTF-8 byte
   * order (which is Unicode code point order, as Athena/Trino and DuckDB order VARCHAR and as Parquet
   * orders BYTE_ARRAY statistics), NULL after every value (NULLS LAST, both engines' default).
   */
  ranks(encoded: readonly Uint8Array[]): Int32Array {
    const order = encoded.map((_, id) => id);
    order.sort((a, b) => Buffer.compare(encoded[a] as Uint8Array, encoded[b] as Uint8Array));
    const ranks = new Int32Array(order.length + 1);
    ranks[0] = order.length;
    order.forEach((id, rank) => {
      ranks[id + 1] = rank;
    });
    return ranks;
  }
}
