/**
 * Rewrites of Athena SQL that no macro can make, done on DuckDB's own parse tree (the JSON of
 * `json_serialize_sql`, printed back with `json_deserialize_sql`), so strings, comments and quoted
 * names are never touched:
 * - `x + interval` and `x - interval` call athena_plus and athena_minus (athena-functions.ts), so
 *   that a date moved by whole days stays a date, as in Trino (DuckDB's `+` gives a timestamp);
 * - `extract(DOW FROM x)` and the other Trino fields DuckDB names differently count as Trino's do:
 *   DuckDB's `dow` has Sunday 0, Trino's is the ISO day, Monday 1 to Sunday 7;
 * - `date_parse(text, format)` calls athena_date_parse with the format rewritten for strptime, which
 *   takes only a constant format and so cannot sit in a macro of its own.
 * Pure: no I/O, the caller runs DuckDB.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** What DuckDB's parser makes of `INTERVAL '1' DAY` and its kin: to_days(...) and so on. */
const INTERVAL_FUNCTIONS = new Set(
  [
    'millennia',
    'centuries',
    'decades',
    'years',
    'quarters',
    'months',
    'weeks',
    'days',
    'hours',
    'minutes',
    'seconds',
    'milliseconds',
    'microseconds',
  ].map((unit) => `to_${unit}`),
);

const ARITHMETIC_SHIMS: Readonly<Record<string, string>> = { '+': 'athena_plus', '-': 'athena_minus' };

/** Trino's extract fields that DuckDB's date_part reads differently, and DuckDB's name for each. */
const EXTRACT_FIELDS: Readonly<Record<string, string>> = {
  dow: 'isodow',
  day_of_week: 'isodow',
  day_of_month: 'day',
  day_of_year: 'doy',
  year_of_week: 'isoyear',
  yow: 'isoyear',
};

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntervalLiteral(node: Json | undefined): boolean {
  if (!isObject(node)) return false;
  if (node.class === 'FUNCTION') {
    return node.is_operator === false && INTERVAL_FUNCTIONS.has(String(node.function_name));
  }
  if (node.class === 'CAST') return isObject(node.cast_type) && node.cast_type.id === 'INTERVAL';
  if (node.class === 'CONSTANT') {
    const value = node.value;
    return isObject(value) && isObject(value.type) && value.type.id === 'INTERVAL';
  }
  return false;
}

/** A call of `name` on `children`, shaped like the function node `template`. */
function call(template: JsonObject, name: string, children: Json[]): JsonObject {
  return {
    ...template,
    alias: '',
    function_name: name,
    schema: '',
    catalog: '',
    is_operator: false,
    children,
  };
}

/** Rewrites one expression node in place; returns whether it changed. */
function rewriteNode(node: JsonObject): boolean {
  if (node.class !== 'FUNCTION') return false;
  const children = Array.isArray(node.children) ? node.children : [];
  if (node.function_name === 'date_parse' && node.is_operator === false && children.length === 2) {
    const [text, format] = children as [Json, Json];
    node.function_name = 'athena_date_parse';
    node.children = [
      text,
      call(node, 'athena_strptime_format', [format]),
      call(node, 'athena_reads_two_digit_year', [format]),
      call(node, 'athena_unsupported_specifier', [format]),
    ];
    return true;
  }
  const shim = ARITHMETIC_SHIMS[String(node.function_name)];
  if (shim !== undefined && node.is_operator === true && children.length === 2) {
    if (!children.some(isIntervalLiteral)) return false;
    node.function_name = shim;
    node.is_operator = false;
    node.schema = '';
    return true;
  }
  const [field] = children;
  if (node.function_name === 'date_part' && isObject(field) && field.class === 'CONSTANT') {
    const constant = field.value;
    if (!isObject(constant) || typeof constant.value !== 'string') return false;
    const duckdb = EXTRACT_FIELDS[constant.value.toLowerCase()];
    if (duckdb === undefined) return false;
    constant.value = duckdb;
    return true;
  }
  return false;
}

/** Walks the whole tree, children first; returns how many nodes changed. */
function rewriteTree(value: Json): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + rewriteTree(item), 0);
  if (!isObject(value)) return 0;
  let changed = 0;
  for (const child of Object.values(value)) changed += rewriteTree(child);
  return changed + (rewriteNode(value) ? 1 : 0);
}

/** A JSON string or number: strings first, so that digits inside a string are left alone. */
const JSON_TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * JSON.parse turns numbers into doubles, which would change a large integer in the user's SQL (and
 * DuckDB's 2^64 - 1 "no location"). Each number travels as a string with a marker that the text
 * does not hold, and is put back as written.
 */
function markerFor(text: string): string {
  let marker = 'athena-number:';
  while (text.includes(marker)) marker = `${marker}:`;
  return marker;
}

/**
 * The parse tree (json_serialize_sql's output) rewritten for Athena semantics, or null when there is
 * nothing to rewrite or DuckDB could not parse the SQL (DuckDB then runs it as written and reports
 * its own error).
 */
export function rewriteAthenaTree(serialized: string): string | null {
  const marker = markerFor(serialized);
  let tree: Json;
  try {
    tree = JSON.parse(
      serialized.replaceAll(JSON_TOKENS, (token) => (token.startsWith('"') ? token : `"${marker}${token}"`)),
    ) as Json;
  } catch {
    return null;
  }
  if (!isObject(tree) || tree.error !== false || rewriteTree(tree) === 0) return null;
  return JSON.stringify(tree).replaceAll(JSON_TOKENS, (token) =>
    token.startsWith(`"${marker}`) ? token.slice(marker.length + 1, -1) : token,
  );
}
