/**
 * "Did you mean ...?": the one rule for telling a misspelt name from an unknown one, shared by
 * the settings (CDK context, the CLI's config file), the Lambda events and the CLI's commands and
 * flags, so a typo is caught the same way wherever it is made.
 */

/** Edits (insertions, deletions, substitutions) that turn one text into the other. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Names at most this many edits from a known name are taken for a misspelling of it. */
const MISSPELLING_DISTANCE = 2;

/**
 * The known name `text` was most likely meant to be: the same name in other letter case, or one at
 * most two edits away (the closest, the first of equals). Undefined when `text` is itself known or
 * when nothing looks like it.
 */
export function nameLike<T extends string>(text: string, names: readonly T[]): T | undefined {
  if ((names as readonly string[]).includes(text)) return undefined;
  const lower = text.toLowerCase();
  let best: { name: T; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= MISSPELLING_DISTANCE && (best === undefined || distance < best.distance)) {
      best = { name, distance };
    }
  }
  return best?.name;
}

/**
 * An "Unknown option '--x'" message (as node:util's parseArgs words it), with a did-you-mean
 * when `--x` looks like one of `flags` (names without dashes). Other messages pass unchanged.
 */
export function withFlagSuggestion(message: string, flags: readonly string[]): string {
  const unknown = /^Unknown option '--([^'=]+)'/.exec(message);
  const meant = unknown?.[1] === undefined ? undefined : nameLike(unknown[1], flags);
  return meant === undefined ? message : `${message}; did you mean "--${meant}"?`;
}
