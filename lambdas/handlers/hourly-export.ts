/** Scheduled every hour: exports the hourly datasets (see export-run.ts). */
import { exportHandler } from './export-run.ts';

export const handler = exportHandler();
