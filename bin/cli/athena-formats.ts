/**
 * Athena (Trino) format strings, rewritten for DuckDB inside SQL, so a format may be any expression
 * and not only a literal. Two families:
 * - MySQL style (`%Y-%m-%d`), read by `date_format` and `date_parse`: rewritten into DuckDB's
 *   strftime/strptime codes;
 * - Joda style (`yyyy-MM-dd`), read by `format_datetime`: each pattern letter is printed by its own
 *   expression, since strftime has no code for several of them (`k`, `K`, `C`, `S` and counts).
 * Both run in a UTC session, like Athena's.
 */

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Trino's MySQL-style specifiers (Trino's "MySQL date functions" table) and the DuckDB code that
 * prints the same text:
 *
 *   %a Sun..Sat      -> %a     %H 00..23          -> %H     %p AM/PM              -> %p
 *   %b Jan..Dec      -> %b     %h, %I 01..12      -> %I     %r 01:04:05 PM        -> %I:%M:%S %p
 *   %c month 1..12   -> %-m    %i minutes 00..59  -> %M     %S, %s seconds 00..59 -> %S
 *   %d day 01..31    -> %d     %j day of year     -> %j     %T 13:04:05           -> %H:%M:%S
 *   %e day 1..31     -> %-d    %k hour 0..23      -> %-H    %v ISO week 01..53    -> %V
 *   %f 123000        -> %g000  %l hour 1..12      -> %-I    %W Sunday..Saturday   -> %A
 *   %M January..     -> %B     %m month 01..12    -> %m     %x ISO week year      -> %G
 *   %Y 2026          -> %Y     %y 26              -> %y     %% a literal %        -> %%
 *
 * `%f` prints milliseconds and three zeros because Trino keeps milliseconds only. Trino rejects
 * %D %U %u %V %w %X ("not supported in date format string"), so the shims do too (null below).
 * Any other `%x` stands for `x`, as in Trino.
 */
const MYSQL_SPECIFIERS: Readonly<Record<string, string | null>> = {
  '%a': '%a',
  '%b': '%b',
  '%c': '%-m',
  '%d': '%d',
  '%e': '%-d',
  '%f': '%g000',
  '%H': '%H',
  '%h': '%I',
  '%I': '%I',
  '%i': '%M',
  '%j': '%j',
  '%k': '%-H',
  '%l': '%-I',
  '%M': '%B',
  '%m': '%m',
  '%p': '%p',
  '%r': '%I:%M:%S %p',
  '%S': '%S',
  '%s': '%S',
  '%T': '%H:%M:%S',
  '%v': '%V',
  '%W': '%A',
  '%x': '%G',
  '%Y': '%Y',
  '%y': '%y',
  '%%': '%%',
  '%D': null,
  '%U': null,
  '%u': null,
  '%V': null,
  '%w': null,
  '%X': null,
};

/** For parsing, `%f` reads 1 to 9 digits of fraction (Trino's table), which DuckDB's `%n` does. */
const MYSQL_PARSE_SPECIFIERS: Readonly<Record<string, string | null>> = { ...MYSQL_SPECIFIERS, '%f': '%n' };

/** A MySQL-style format split into `%x` specifiers and runs of literal text (which hold no `%`). */
function mysqlTokensSql(format: string): string {
  return `regexp_extract_all(${format}, '(?s)%.|[^%]+|%')`;
}

/**
 * A DuckDB expression that rewrites the MySQL-style format `format` (an SQL expression) into a
 * strftime (for `date_parse`, strptime) one. date_format raises on a specifier Trino rejects;
 * date_parse cannot, since error() would keep its format from folding into the constant strptime
 * needs, so it checks with mysqlUnsupportedSql first.
 */
export function mysqlFormatSql(format: string, fn: 'date_format' | 'date_parse'): string {
  const specifiers = fn === 'date_parse' ? MYSQL_PARSE_SPECIFIERS : MYSQL_SPECIFIERS;
  const cases = Object.entries(specifiers).map(([trino, duckdb]) => {
    const result =
      duckdb !== null
        ? sqlString(duckdb)
        : fn === 'date_format'
          ? `error(${unsupportedMessage(fn, sqlString(trino))})`
          : "''";
    return `WHEN ${sqlString(trino)} THEN ${result}`;
  });
  // A lone trailing `%` stands for nothing, as in Trino.
  const token = [
    `CASE t ${cases.join(' ')}`,
    `WHEN '%' THEN ''`,
    `ELSE CASE WHEN starts_with(t, '%') THEN substr(t, 2) ELSE t END END`,
  ].join(' ');
  return `array_to_string(list_transform(${mysqlTokensSql(format)}, lambda t: ${token}), '')`;
}

/** Trino's words for a specifier it rejects (`specifier` is an SQL expression). */
export function unsupportedMessage(fn: string, specifier: string): string {
  return `${sqlString(`${fn}: `)} || ${specifier} || ' not supported in date format string (Athena rejects it too)'`;
}

/** The first specifier of a MySQL-style format that Trino rejects, or NULL. */
export function mysqlUnsupportedSql(format: string): string {
  const rejected = Object.entries(MYSQL_SPECIFIERS)
    .filter(([, duckdb]) => duckdb === null)
    .map(([trino]) => sqlString(trino));
  return `list_filter(${mysqlTokensSql(format)}, lambda t: list_contains([${rejected.join(', ')}], t))[1]`;
}

/**
 * Whether a MySQL-style format reads a two-digit year. Trino reads `%y` 00..69 as 2000..2069 and
 * 70..99 as 1970..1999; DuckDB reads 69 as 1969, so `date_parse` moves that one year.
 */
export function mysqlHasTwoDigitYearSql(format: string): string {
  return `list_contains(${mysqlTokensSql(format)}, '%y')`;
}

/**
 * Joda pattern letters (Joda-Time's DateTimeFormat table) and the text each prints for `v`, a
 * timestamp in UTC, with `n` the number of letters. A number is zero-padded to `n` digits; `yy`
 * and `xx` print two digits of the year; text (E, M from 3) is short below 4 letters, full from 4;
 * `S` prints `n` digits of the fraction, truncated; `Z` prints the offset, `ZZ` with a colon,
 * `ZZZ` the zone id; `z` the zone's short name, `zzzz` its full one.
 */
/** A year as Joda prints it: `yy` is the last two digits, any other count the padded year. */
function yearOf(year: string, n: string): string {
  return `CASE WHEN ${n} = 2 THEN athena_pad(${year} % 100, 2) ELSE athena_pad(${year}, ${n}) END`;
}

const JODA_LETTERS: Readonly<Record<string, (v: string, n: string) => string>> = {
  G: (v) => `CASE WHEN year(${v}) > 0 THEN 'AD' ELSE 'BC' END`,
  C: (v, n) => `athena_pad(year(${v}) // 100, ${n})`,
  // Year of era: the same as the year from year 1 on.
  Y: (v, n) => yearOf(`year(${v})`, n),
  x: (v, n) => yearOf(`isoyear(${v})`, n),
  w: (v, n) => `athena_pad(week(${v}), ${n})`,
  e: (v, n) => `athena_pad(isodow(${v}), ${n})`,
  E: (v, n) => `CASE WHEN ${n} >= 4 THEN dayname(${v}) ELSE left(dayname(${v}), 3) END`,
  y: (v, n) => yearOf(`year(${v})`, n),
  D: (v, n) => `athena_pad(dayofyear(${v}), ${n})`,
  M: (v, n) =>
    `CASE WHEN ${n} >= 4 THEN monthname(${v}) WHEN ${n} = 3 THEN left(monthname(${v}), 3) ELSE athena_pad(month(${v}), ${n}) END`,
  d: (v, n) => `athena_pad(day(${v}), ${n})`,
  a: (v) => `CASE WHEN hour(${v}) < 12 THEN 'AM' ELSE 'PM' END`,
  K: (v, n) => `athena_pad(hour(${v}) % 12, ${n})`,
  h: (v, n) => `athena_pad((hour(${v}) + 11) % 12 + 1, ${n})`,
  H: (v, n) => `athena_pad(hour(${v}), ${n})`,
  k: (v, n) => `athena_pad(CASE WHEN hour(${v}) = 0 THEN 24 ELSE hour(${v}) END, ${n})`,
  m: (v, n) => `athena_pad(minute(${v}), ${n})`,
  s: (v, n) => `athena_pad(second(${v}), ${n})`,
  // DuckDB's millisecond() counts from the start of the minute.
  S: (v, n) =>
    `left(rpad(lpad(CAST(millisecond(${v}) % 1000 AS VARCHAR), 3, '0'), CAST(${n} AS INTEGER), '0'), CAST(${n} AS INTEGER))`,
  z: (_v, n) => `CASE WHEN ${n} >= 4 THEN 'Coordinated Universal Time' ELSE 'UTC' END`,
  Z: (_v, n) => `CASE WHEN ${n} = 1 THEN '+0000' WHEN ${n} = 2 THEN '+00:00' ELSE 'UTC' END`,
};

/**
 * Pads a number with zeros to `n` digits without cutting a longer one (lpad would). A helper macro
 * the Joda expressions call.
 */
export const ATHENA_PAD_MACRO =
  "CREATE OR REPLACE TEMP MACRO athena_pad(x, n) AS CASE WHEN length(CAST(x AS VARCHAR)) >= n THEN CAST(x AS VARCHAR) ELSE lpad(CAST(x AS VARCHAR), CAST(n AS INTEGER), '0') END";

/**
 * A DuckDB expression that prints `value` (an SQL expression) with the Joda pattern `format`.
 * Tokens: a quoted run (`'at'`, with `''` for a quote inside), a run of one pattern letter, any
 * other single letter (which Joda rejects), or a run of other characters, printed as they are.
 */
export function jodaFormatSql(value: string, format: string): string {
  const runs = Object.keys(JODA_LETTERS)
    .map((letter) => `${letter}+`)
    .join('|');
  const tokens = `regexp_extract_all(${format}, ${sqlString(`'(?:[^']|'')*'?|${runs}|[A-Za-z]|[^A-Za-z']+`)})`;
  const v = `CAST(${value} AS TIMESTAMP)`;
  const letters = Object.entries(JODA_LETTERS).map(
    ([letter, print]) => `WHEN ${sqlString(letter)} THEN ${print(v, 'length(t)')}`,
  );
  const token = [
    `CASE WHEN t = '''''' THEN ''''`,
    `WHEN starts_with(t, '''') AND length(t) >= 2 AND ends_with(t, '''') THEN replace(substr(t, 2, length(t) - 2), '''''', '''')`,
    `WHEN starts_with(t, '''') THEN replace(substr(t, 2), '''''', '''')`,
    `WHEN regexp_matches(t, '^[A-Za-z]') THEN CASE left(t, 1) ${letters.join(' ')}`,
    `ELSE error('format_datetime: Illegal pattern component: ' || t) END`,
    `ELSE t END`,
  ].join(' ');
  return `CASE WHEN ${value} IS NULL OR ${format} IS NULL THEN NULL ELSE array_to_string(list_transform(${tokens}, lambda t: ${token}), '') END`;
}
