/** Scheduled once a day (UTC): exports the daily datasets (see export-run.ts). */
import { exportHandler } from './export-run.ts';

export const handler = exportHandler();
