/**
 * Vitest's global setup: builds the functions' bundles for the handler tests once per change of
 * the sources, before any worker needs them (see test/handlers/bundle-cache.ts).
 */
import { cachedBundles } from '../handlers/bundle-cache.ts';

export default function setup(): void {
  cachedBundles();
}
