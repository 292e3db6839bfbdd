/**
 * A value made on first use and kept. For the Intl formatters the report modules use: the first
 * Intl object a process makes loads ICU's data (about 7 MB of memory), which a command or function
 * that imports the module without formatting anything (`--help`, an export Lambda) should not pay.
 */
export function lazily<T>(make: () => T): () => T {
  let made: { readonly value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}
