/**
 * The insights' settings as zod fields, spread into the product's settings schema
 * (`lambdas/core/config.ts`) so each is validated once: the report's group there now, the watch's
 * group when the watch runs.
 *
 * Messages state the rule; the settings schema's issue path names the setting (and, in
 * `cdnPricePerGb`, the tier and field: `cdnPricePerGb[1].upToGb`). As text (`-c key=value`, the
 * Lambda environment), `cdnPricePerGb` is JSON (a number is valid JSON), `currency` a string, the
 * others numbers.
 */
import {
  materialDeliveredPercentSchema,
  materialOffloadPtsSchema,
  materialRebufferPtsSchema,
} from './materiality.ts';
import { cdnPricePerGbSchema, currencySchema } from './pricing.ts';
import { watchDropPtsSchema, watchMinTrafficShareSchema, watchRecipientsSchema } from './watch.ts';

/** What the daily report reads: the price of a GB, its currency, and when a change is news. */
export const REPORT_INSIGHT_SETTING_FIELDS = {
  cdnPricePerGb: cdnPricePerGbSchema,
  currency: currencySchema,
  materialOffloadPts: materialOffloadPtsSchema,
  materialDeliveredPercent: materialDeliveredPercentSchema,
  materialRebufferPts: materialRebufferPtsSchema,
} as const;

/** What the hourly offload watch reads. */
export const WATCH_SETTING_FIELDS = {
  watchDropPts: watchDropPtsSchema,
  watchMinTrafficShare: watchMinTrafficShareSchema,
  watchRecipients: watchRecipientsSchema,
} as const;

export const INSIGHT_SETTING_FIELDS = { ...REPORT_INSIGHT_SETTING_FIELDS, ...WATCH_SETTING_FIELDS } as const;
