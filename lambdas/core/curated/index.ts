/**
 * Curated tables: one Parquet file per UTC day of a dataset, built from the day's lake windows.
 * Pure: windows in as decoded records, Parquet bytes out, and whether a day is ready (plan.ts);
 * reading the lake's windows and writing the files is lake/curate.ts's, through a LakeSink.
 */
export * from './day.ts';
export * from './plan.ts';
export * from './schema.ts';
export * from './write.ts';
