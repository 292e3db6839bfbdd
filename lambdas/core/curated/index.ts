/**
 * Curated tables: one Parquet file per UTC day of a dataset, built from the day's lake windows.
 * day.ts, schema.ts, write.ts and plan.ts are pure (windows in as decoded records, Parquet bytes out);
 * curate.ts reads the lake's windows and writes the files through a LakeSink.
 */
export * from './curate.ts';
export * from './day.ts';
export * from './forecast.ts';
export * from './plan.ts';
export * from './schema.ts';
export * from './write.ts';
