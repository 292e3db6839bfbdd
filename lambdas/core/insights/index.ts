/**
 * Offload insights, the pure core: why a figure moved (drivers, blame), whether it is news
 * (materiality, headline), what P2P saved (pricing, savings), the day's peaks, and the hourly
 * offload watch (check, incident state, messages). No I/O: the report, the watch Lambda and the CLI
 * hand in data already read.
 */
export * from './blame.ts';
export * from './drivers.ts';
export * from './headline.ts';
export * from './incident.ts';
export * from './incident-days.ts';
export * from './materiality.ts';
export * from './peaks.ts';
export * from './pricing.ts';
export * from './savings.ts';
export * from './segments.ts';
export * from './settings.ts';
export * from './watch.ts';
export * from './watch-message.ts';
export * from './wording.ts';
