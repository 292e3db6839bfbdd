/**
 * The simulator's randomness: every random-looking choice is a pure function of (seed, segment,
 * hour, salt), so the same seed gives the same numbers on every run and every machine.
 */

export function mix32(value: number): number {
  let x = value | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A 32-bit hash of three integers. */
export function hash(a: number, b: number, c: number): number {
  const h = mix32(a ^ 0x9e3779b9);
  return mix32(mix32(h ^ Math.imul(b | 0, 0x27d4eb2f)) ^ Math.imul(c | 0, 0x165667b1));
}

export const UINT32_RANGE = 4_294_967_296;

/** A uniform number in [0, 1) from a hash. */
export function unit(a: number, b: number, c: number): number {
  return hash(a, b, c) / UINT32_RANGE;
}

/** One of the entries, each as likely as its weight, chosen by `u` in [0, 1). */
export function pickWeighted<T>(entries: readonly (readonly [T, number])[], u: number): T {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let target = u * total;
  for (const [value, weight] of entries) {
    target -= weight;
    if (target < 0) return value;
  }
  const last = entries.at(-1);
  if (!last) throw new RangeError('pickWeighted needs at least one entry');
  return last[0];
}

/** One of the values, all equally likely, chosen by `u` in [0, 1). */
export function pickFromList<T>(values: readonly T[], u: number): T {
  return pickWeighted(
    values.map((value) => [value, 1] as const),
    u,
  );
}
