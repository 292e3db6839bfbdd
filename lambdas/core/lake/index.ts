/**
 * The data lake writer: windows, CSV, the sink interface, run planning, catch-up and late data.
 * The sinks themselves (S3, a local folder) are adapters, in `lambdas/adapters/`.
 */
export * from './backfill-range.ts';
export * from './csv.ts';
export * from './curate.ts';
export * from './curate-forecast.ts';
export * from './execute.ts';
export * from './keys.ts';
export * from './layout.ts';
export * from './markers.ts';
export * from './plan.ts';
export * from './reach.ts';
export * from './read.ts';
export * from './run.ts';
export * from './run-types.ts';
export * from './sink.ts';
export * from './state.ts';
export * from './writer.ts';
