/**
 * Curated tables: one Parquet file per UTC day of a dataset, built from the day's lake windows.
 * Pure: windows in as decoded records, Parquet bytes out; reading and writing objects is the caller's.
 */
export * from './day.ts';
export * from './schema.ts';
export * from './write.ts';
