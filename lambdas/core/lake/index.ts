/**
 * The data lake writer: windows, CSV, sinks, run planning, catch-up and late data. The S3 sink is
 * in `./s3-sink.ts` so that importing this module never pulls in the AWS SDK.
 */
export * from './csv.ts';
export * from './keys.ts';
export * from './local-sink.ts';
export * from './plan.ts';
export * from './read.ts';
export * from './run.ts';
export * from './sink.ts';
export * from './state.ts';
export * from './writer.ts';
