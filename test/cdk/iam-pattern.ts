/** An IAM pattern (`?` = one character, `*` = any) as a RegExp, as IAM matches a resource. */
export function iamPattern(pattern: string): RegExp {
  const source = [...pattern]
    .map((char) => (char === '?' ? '.' : char === '*' ? '.*' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}
