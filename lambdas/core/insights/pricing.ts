/**
 * What the CDN charges: the `cdnPricePerGb` and `currency` settings, and the cost of a month's
 * volume under them.
 *
 * `cdnPricePerGb` is either one price for every GB, or monthly volume tiers priced the way CDNs
 * bill them (graduated): each tier prices the GB of the month's cumulative volume from the previous
 * tier's `upToGb` to its own; the last tier may omit `upToGb` to price everything above. When the
 * last tier does have an `upToGb`, volume beyond it is priced at that tier's price too (a contract
 * rarely says otherwise, and stopping the count would understate the bill).
 *
 *   0.02
 *   [{"upToGb": 10000, "pricePerGb": 0.085}, {"upToGb": 50000, "pricePerGb": 0.08}, {"pricePerGb": 0.06}]
 *
 * A GB is 10^9 bytes (decimal, SI). Prices are quoted per GB and the API counts bytes, so bytes /
 * 10^9 × price is the figure a reader can check by hand. A provider that bills per 2^30 bytes
 * (1.0737 × 10^9) charges less per decimal GB: divide its price by 1.073741824 to match.
 *
 * Amounts are kept unrounded; `formatMoney` rounds them to the currency's minor units (Intl's
 * fraction digits: 2 for USD, 0 for JPY, 3 for BHD) only when they are shown.
 */
import * as z from 'zod';
import { lazily } from '../lazy.ts';
import { withMinusSign } from './wording.ts';

/** Decimal gigabyte: see the module comment. */
export const BYTES_PER_GB = 1e9;

export interface PriceTier {
  /** Upper end of the tier in GB of monthly volume; null for the open-ended last tier. */
  readonly upToGb: number | null;
  readonly pricePerGb: number;
}

/** A price as tiers, lowest first; a single price is one open-ended tier. */
export type CdnPrice = readonly PriceTier[];

const PRICE_RULE =
  'must be a price per GB (a number such as 0.02) or a list of monthly volume tiers such as [{"upToGb": 10000, "pricePerGb": 0.085}, {"pricePerGb": 0.06}]';

const pricePerGbSchema = z
  .number({ error: 'must be a price per GB: a number of at least 0' })
  .nonnegative('must be a price per GB of at least 0');

const tierSchema = z
  .object({
    upToGb: z
      .number({ error: 'must be the number of GB of monthly volume the tier ends at' })
      .positive('must be more than 0 GB')
      .optional(),
    pricePerGb: z
      .number({
        error: (issue) =>
          issue.input === undefined
            ? 'is required: the price of a GB in this tier'
            : 'must be a price per GB: a number of at least 0',
      })
      .nonnegative('must be a price per GB of at least 0'),
  })
  .strict();

const tiersSchema = z
  .array(tierSchema, { error: PRICE_RULE })
  .min(1, 'must list at least one tier')
  .superRefine((tiers, ctx) => {
    tiers.forEach((tier, index) => {
      if (tier.upToGb === undefined) {
        if (index < tiers.length - 1) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'upToGb'],
            message:
              'is required on every tier but the last: only the last tier may omit upToGb to be open-ended',
          });
        }
        return;
      }
      const previous = tiers[index - 1]?.upToGb;
      if (previous !== undefined && tier.upToGb <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'upToGb'],
          message: `must be more than the previous tier's upToGb (${previous}): tiers ascend`,
        });
      }
    });
  });

/**
 * The `cdnPricePerGb` setting, normalised to tiers. Takes any JSON value (so a text setting is read
 * as JSON: `-c cdnPricePerGb=0.02` or a tier list) and reports issues at the tier and field.
 */
export const cdnPriceSchema = z.unknown().transform((value, ctx): CdnPrice => {
  const result =
    typeof value === 'number'
      ? pricePerGbSchema.safeParse(value)
      : Array.isArray(value)
        ? tiersSchema.safeParse(value)
        : null;
  if (result === null) {
    ctx.addIssue({ code: 'custom', message: PRICE_RULE });
    return z.NEVER;
  }
  if (!result.success) {
    for (const issue of result.error.issues) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    }
    return z.NEVER;
  }
  const parsed = result.data;
  if (typeof parsed === 'number') return [{ upToGb: null, pricePerGb: parsed }];
  return parsed.map((tier) => ({ upToGb: tier.upToGb ?? null, pricePerGb: tier.pricePerGb }));
});

export const cdnPricePerGbSchema = cdnPriceSchema
  .optional()
  .describe(
    'What your CDN charges per GB (10^9 bytes) in currency: a number, or monthly volume tiers [{"upToGb": N, "pricePerGb": X}, ...] whose last tier may omit upToGb. The report then shows what P2P saved. Unset: bytes only.',
  );

export const DEFAULT_CURRENCY = 'USD';

const currencies = lazily(() => new Set(Intl.supportedValuesOf('currency')));

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && currencies().has(code);
}

export const currencySchema = z
  .string({ error: 'must be an ISO 4217 currency code such as "USD" or "EUR"' })
  .refine(isCurrency, {
    error: (issue) => {
      const upper = typeof issue.input === 'string' ? issue.input.trim().toUpperCase() : '';
      return isCurrency(upper) && upper !== issue.input
        ? `must be an ISO 4217 currency code in capitals; did you mean "${upper}"?`
        : 'must be an ISO 4217 currency code such as "USD" or "EUR"';
    },
  })
  .default(DEFAULT_CURRENCY)
  .describe('ISO 4217 code of the currency cdnPricePerGb is in, e.g. "EUR".');

/** What the CDN charges for a month's volume of `bytes`, unrounded. */
export function cdnCostOf(bytes: number, price: CdnPrice): number {
  const gb = bytes / BYTES_PER_GB;
  let cost = 0;
  let lower = 0;
  price.forEach((tier, index) => {
    const upper =
      index === price.length - 1 ? Number.POSITIVE_INFINITY : (tier.upToGb ?? Number.POSITIVE_INFINITY);
    if (gb > lower) cost += (Math.min(gb, upper) - lower) * tier.pricePerGb;
    lower = upper;
  });
  return cost;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string): Intl.NumberFormat {
  let format = moneyFormats.get(currency);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    moneyFormats.set(currency, format);
  }
  return format;
}

/** Digits after the decimal point of the currency's minor unit: 2 for USD, 0 for JPY. */
export function minorUnitsOf(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** `$1,234.57`, `€12.00`, `¥1,235`, `−$3.10`: rounded to the minor unit here and only here. */
export function formatMoney(amount: number, currency: string): string {
  const text = moneyFormat(currency).format(amount);
  // A loss that rounds to zero would print as "-$0.00".
  return /^-\D*0([.,]0+)?$/.test(text) ? text.slice(1) : withMinusSign(text);
}
