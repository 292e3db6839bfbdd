/** Scheduled every hour: exports the hourly datasets (see export-run.ts). */
import { RUN_KIND } from './environment.ts';
import { exportHandler } from './export-run.ts';
import { scheduledPacerOf } from './middleware.ts';

export const handler = exportHandler(RUN_KIND.hourlyExport, scheduledPacerOf(process.env));
