import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { settingsSchema } from '../../lambdas/core/config.ts';
import { INSIGHT_SETTING_FIELDS } from '../../lambdas/core/insights/settings.ts';

/** The schema under `.default()` / `.optional()`: what `config.ts` reads a text setting as. */
function innerType(schema: z.ZodType): string {
  let def = schema.def as { type: string; innerType?: z.ZodType };
  while ((def.type === 'default' || def.type === 'optional') && def.innerType) {
    def = def.innerType.def as typeof def;
  }
  return def.type;
}

describe('the insight settings as fields of the product’s settings', () => {
  it('are fields of the product’s settings schema, each the insights’ own', () => {
    for (const [name, field] of Object.entries(INSIGHT_SETTING_FIELDS)) {
      expect(settingsSchema.shape[name as keyof typeof settingsSchema.shape]).toBe(field);
    }
    const parsed = settingsSchema.parse({
      sender: 'reports@example.com',
      recipients: ['ops@example.com'],
      cdnPricePerGb: [{ upToGb: 1000, pricePerGb: 0.05 }, { pricePerGb: 0.03 }],
      currency: 'EUR',
    });
    expect(parsed.cdnPricePerGb?.[1]).toEqual({ upToGb: null, pricePerGb: 0.03 });
    expect(parsed.watchDropPts).toBe(5);
  });

  it('reads as JSON, a string or a number where the settings take text', () => {
    // config.ts parses text as a number for "number", as JSON for anything it does not know.
    expect(innerType(INSIGHT_SETTING_FIELDS.cdnPricePerGb)).toBe('pipe');
    expect(innerType(INSIGHT_SETTING_FIELDS.currency)).toBe('string');
    for (const name of [
      'materialOffloadPts',
      'materialDeliveredPercent',
      'materialRebufferPts',
      'watchDropPts',
      'watchMinTrafficShare',
    ] as const) {
      expect(innerType(INSIGHT_SETTING_FIELDS[name])).toBe('number');
    }
  });

  it('describes every setting for the generated settings table', () => {
    for (const schema of Object.values(INSIGHT_SETTING_FIELDS))
      expect(schema.description?.length).toBeGreaterThan(20);
  });
});
