/**
 * Athena (Trino) functions that DuckDB lacks or reads differently, as session macros. A macro that
 * shares a name with a DuckDB function replaces it for the session (DuckDB looks in the temporary
 * schema first), which is how `now()` and `current_date` follow `--now`.
 *
 * These are shims for the SQL analysts write against this lake, not a Trino emulator: other
 * Trino-only SQL still fails here, with DuckDB's message.
 */
import {
  ATHENA_PAD_MACRO,
  jodaFormatSql,
  mysqlFormatSql,
  mysqlHasTwoDigitYearSql,
  mysqlUnsupportedSql,
  sqlString,
  unsupportedMessage,
} from './athena-formats.ts';

export interface AthenaFunction {
  /** The Athena name. */
  readonly name: string;
  /** The calls it takes, for the README's table. */
  readonly usage: string;
  /** What differs from Athena, for the README's table ('' when nothing does). */
  readonly differences: string;
  readonly sql: string;
}

/** The units Trino's date_add takes, and the DuckDB interval of `value` of each. */
const DATE_ADD_UNITS: Readonly<Record<string, string>> = {
  millisecond: 'to_milliseconds(value)',
  second: 'to_seconds(value)',
  minute: 'to_minutes(value)',
  hour: 'to_hours(value)',
  day: 'to_days(CAST(value AS INTEGER))',
  week: 'to_weeks(CAST(value AS INTEGER))',
  month: 'to_months(CAST(value AS INTEGER))',
  quarter: 'to_quarters(CAST(value AS INTEGER))',
  year: 'to_years(CAST(value AS INTEGER))',
};
const TIME_OF_DAY_UNITS = ['millisecond', 'second', 'minute', 'hour'];

/** Macros the shims call; they are no Athena functions. */
const HELPER_MACROS: readonly string[] = [
  ATHENA_PAD_MACRO,
  `CREATE OR REPLACE TEMP MACRO athena_interval(unit, value) AS CASE lower(unit) ${Object.entries(
    DATE_ADD_UNITS,
  )
    .map(([unit, interval]) => `WHEN ${sqlString(unit)} THEN ${interval}`)
    .join(' ')} ELSE error('date_add: ''' || unit || ''' is not a valid TIMESTAMP field') END`,
  // A date moved by an interval stays a date in Trino, which refuses a move by part of a day. The
  // interval arithmetic rewrite (athena-rewrite.ts) sends `date ± interval` here.
  `CREATE OR REPLACE TEMP MACRO athena_date_of(moved, message) AS CASE WHEN moved IS NULL THEN NULL WHEN CAST(moved AS TIME) = TIME '00:00:00' THEN CAST(moved AS DATE) ELSE error(message) END`,
  `CREATE OR REPLACE TEMP MACRO athena_strptime_format(format) AS ${mysqlFormatSql('format', 'date_parse')}`,
  `CREATE OR REPLACE TEMP MACRO athena_reads_two_digit_year(format) AS ${mysqlHasTwoDigitYearSql('format')}`,
  `CREATE OR REPLACE TEMP MACRO athena_unsupported_specifier(format) AS ${mysqlUnsupportedSql('format')}`,
  // Trino keeps milliseconds, and reads a two-digit year 00..69 as 2000..2069 (DuckDB: 69 is 1969).
  'CREATE OR REPLACE TEMP MACRO athena_two_digit_year(parsed, two_digit) AS CASE WHEN two_digit AND year(parsed) = 1969 THEN parsed + INTERVAL 100 YEAR ELSE parsed END',
  `CREATE OR REPLACE TEMP MACRO athena_plus(a DATE, b INTERVAL) AS athena_date_of(a + b, 'Cannot add hour, minutes or seconds to a date'),
    (a INTERVAL, b DATE) AS athena_date_of(a + b, 'Cannot add hour, minutes or seconds to a date'),
    (a, b) AS a + b`,
  `CREATE OR REPLACE TEMP MACRO athena_minus(a DATE, b INTERVAL) AS athena_date_of(a - b, 'Cannot subtract hour, minutes or seconds from a date'),
    (a, b) AS a - b`,
];

export const ATHENA_FUNCTIONS: readonly AthenaFunction[] = [
  {
    name: 'date_format',
    usage: '`date_format(timestamp, format)`',
    differences: '',
    // The rewritten format is no constant to DuckDB, which only the time-zone-aware strftime
    // takes; in the UTC session the cast keeps the wall-clock time of a plain timestamp or date.
    sql: `CREATE OR REPLACE TEMP MACRO date_format(value, format) AS strftime(CAST(value AS TIMESTAMPTZ), ${mysqlFormatSql('format', 'date_format')})`,
  },
  {
    name: 'date_parse',
    usage: '`date_parse(string, format)`',
    differences: 'the format must be a literal',
    // strptime needs a constant format, and DuckDB refuses a macro that hands it an expression of a
    // parameter, so athena-rewrite.ts turns date_parse(text, format) into this call, where
    // `format` is athena_strptime_format(format): a constant when the format is.
    sql: [
      'CREATE OR REPLACE TEMP MACRO athena_date_parse(text, format, two_digit_year, unsupported) AS',
      `CASE WHEN unsupported IS NOT NULL THEN error(${unsupportedMessage('date_parse', 'unsupported')})`,
      "ELSE athena_two_digit_year(date_trunc('millisecond', strptime(text, format)), two_digit_year) END",
    ].join(' '),
  },
  {
    name: 'format_datetime',
    usage: '`format_datetime(timestamp, format)`',
    differences: "`z` and `Z` print UTC's name and offset, the session zone",
    sql: `CREATE OR REPLACE TEMP MACRO format_datetime(value, format) AS ${jodaFormatSql('value', 'format')}`,
  },
  {
    name: 'from_iso8601_timestamp',
    usage: '`from_iso8601_timestamp(string)`',
    differences: "the same instant, shown in UTC rather than in the string's offset",
    // Without an offset the time is in the session zone, UTC; with one, the same instant in UTC.
    sql: 'CREATE OR REPLACE TEMP MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)',
  },
  {
    name: 'from_unixtime',
    usage:
      '`from_unixtime(unixtime)`, `from_unixtime(unixtime, zone)`, `from_unixtime(unixtime, hours, minutes)`',
    differences:
      "with a zone or offset: the wall-clock time there, as a timestamp without zone (it formats, extracts and truncates as Athena's does; compare instants without the zone)",
    // DuckDB keeps no zone per value: with a zone, the result is the wall-clock time there (a
    // timestamp without zone), so it prints, formats, truncates and groups as Athena's does.
    sql: [
      'CREATE OR REPLACE TEMP MACRO from_unixtime(unixtime) AS to_timestamp(unixtime),',
      '(unixtime, zone) AS timezone(zone, to_timestamp(unixtime)),',
      '(unixtime, hours, minutes) AS CAST(to_timestamp(unixtime) AS TIMESTAMP) + to_hours(hours) + to_minutes(minutes)',
    ].join(' '),
  },
  {
    name: 'to_unixtime',
    usage: '`to_unixtime(timestamp)`',
    differences: '',
    sql: 'CREATE OR REPLACE TEMP MACRO to_unixtime(value) AS epoch(value)',
  },
  {
    name: 'date_add',
    usage: '`date_add(unit, value, timestamp)`',
    differences: '',
    // The same type out as in; a date takes whole days only, as in Trino.
    sql: [
      'CREATE OR REPLACE TEMP MACRO date_add(unit, value, x DATE) AS',
      `CASE WHEN lower(unit) IN (${TIME_OF_DAY_UNITS.map(sqlString).join(', ')})`,
      `THEN error('date_add: ''' || unit || ''' is not a valid DATE field')`,
      'ELSE CAST(x + athena_interval(unit, value) AS DATE) END,',
      '(unit, value, x) AS x + athena_interval(unit, value)',
    ].join(' '),
  },
  {
    name: 'day_of_week',
    usage: '`day_of_week(x)`',
    differences: '',
    sql: 'CREATE OR REPLACE TEMP MACRO day_of_week(value) AS isodow(value)',
  },
  {
    name: 'dow',
    usage: '`dow(x)`',
    differences: '',
    sql: 'CREATE OR REPLACE TEMP MACRO dow(value) AS isodow(value)',
  },
  {
    name: 'url_extract_host',
    usage: '`url_extract_host(url)`',
    differences:
      'read with a pattern, not a URI parser: a malformed URL may give a host where Athena gives NULL',
    // [protocol:][//host[:port]][path][?query][#fragment]: no `//`, no host (NULL), as in Trino.
    sql: `CREATE OR REPLACE TEMP MACRO url_extract_host(url) AS nullif(regexp_extract(url, ${sqlString(
      '^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//(?:[^/?#@]*@)?(\\[[^\\]]*\\]|[^/?#:]*)',
    )}, 1), '')`,
  },
  {
    name: 'cardinality',
    usage: '`cardinality(array)`, `cardinality(map)`',
    differences: '',
    // DuckDB's cardinality takes maps only and len lists only; a macro cannot branch on the type,
    // but their JSON forms (an array, an object) tell them apart.
    sql: [
      'CREATE OR REPLACE TEMP MACRO cardinality(value) AS CASE WHEN value IS NULL THEN NULL',
      "WHEN json_type(to_json(value)) = 'ARRAY' THEN json_array_length(to_json(value))",
      "WHEN json_type(to_json(value)) = 'OBJECT' THEN len(json_keys(to_json(value)))",
      "ELSE error('cardinality: needs an array or a map') END",
    ].join(' '),
  },
  {
    name: 'approx_percentile',
    usage: '`approx_percentile(x, percentage)`, `approx_percentile(x, percentages)`',
    differences: "no weighted form; DuckDB's own t-digest, so approximate values can differ slightly",
    sql: 'CREATE OR REPLACE TEMP MACRO approx_percentile(value, percentage) AS approx_quantile(value, percentage)',
  },
  {
    name: 'approx_distinct',
    usage: '`approx_distinct(x)`',
    differences: "DuckDB's own HyperLogLog, so approximate counts can differ slightly",
    sql: 'CREATE OR REPLACE TEMP MACRO approx_distinct(value) AS approx_count_distinct(value)',
  },
  {
    name: 'current_timezone',
    usage: '`current_timezone()`',
    differences: "always `UTC`, Athena's session zone",
    sql: "CREATE OR REPLACE TEMP MACRO current_timezone() AS 'UTC'",
  },
];

/** The SQL-standard clock functions (no parentheses in Trino) that follow `--now`. */
export const CLOCK_FUNCTIONS = [
  'current_date',
  'current_time',
  'current_timestamp',
  'localtime',
  'localtimestamp',
  'now()',
];

/**
 * The clock as of `now` (epoch ms), in UTC and with Trino's millisecond precision. DuckDB parses
 * `current_timestamp` as get_current_timestamp(), `localtimestamp` as current_localtimestamp(),
 * `current_time` as get_current_time() and `localtime` as current_localtime().
 */
function clockMacros(now: number): string[] {
  const iso = new Date(now).toISOString(); // 2026-11-25T08:00:00.123Z
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 23);
  const instant = `TIMESTAMPTZ ${sqlString(`${day} ${time}+00`)}`;
  const macros: Record<string, string> = {
    now: instant,
    get_current_timestamp: instant,
    transaction_timestamp: instant,
    current_date: `DATE ${sqlString(day)}`,
    today: `DATE ${sqlString(day)}`,
    current_localtimestamp: `TIMESTAMP ${sqlString(`${day} ${time}`)}`,
    get_current_time: `TIMETZ ${sqlString(`${time}+00`)}`,
    current_localtime: `TIME ${sqlString(time)}`,
  };
  return Object.entries(macros).map(([name, value]) => `CREATE OR REPLACE TEMP MACRO ${name}() AS ${value}`);
}

/** Session set-up that makes DuckDB answer Athena SQL as Athena does, with the clock at `now`. */
export function athenaSessionSql(now: number): string[] {
  // Athena's session time zone is UTC: current_date, date_trunc and the timestamps from_unixtime
  // returns follow it, wherever the analyst's laptop is.
  return [
    "SET TimeZone = 'UTC'",
    ...clockMacros(now),
    ...HELPER_MACROS,
    ...ATHENA_FUNCTIONS.map((fn) => fn.sql),
  ];
}
