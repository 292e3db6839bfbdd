/**
 * The insights' settings as zod fields, ready to be spread into the product's settings schema
 * (`lambdas/core/config.ts`) so each is validated once:
 *
 *   export const settingsSchema = z.object({ ...existingFields, ...INSIGHT_SETTING_FIELDS });
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

export const INSIGHT_SETTING_FIELDS = {
  cdnPricePerGb: cdnPricePerGbSchema,
  currency: currencySchema,
  materialOffloadPts: materialOffloadPtsSchema,
  materialDeliveredPercent: materialDeliveredPercentSchema,
  materialRebufferPts: materialRebufferPtsSchema,
  watchDropPts: watchDropPtsSchema,
  watchMinTrafficShare: watchMinTrafficShareSchema,
  watchRecipients: watchRecipientsSchema,
} as const;
