/** Scheduled once a day (UTC): exports the daily datasets (see export-run.ts). */
import { RUN_KIND } from './environment.ts';
import { exportHandler } from './export-run.ts';
import { scheduledPacerOf } from './middleware.ts';

export const handler = exportHandler(RUN_KIND.dailyExport, scheduledPacerOf(process.env));
