/**
 * The Athena (Trino) functions the local query engine provides, each checked against what Trino's
 * documentation says it returns. Quoted examples are from Trino's function reference
 * (docs/src/main/sphinx/functions/*.md in the Trino repository, trino.io/docs/current/functions);
 * Athena's session time zone is UTC, so where an example shows the doc's session zone
 * (America/Vancouver) the expected value is the same wall-clock time in UTC. DuckDB keeps no zone
 * per value, so a timestamp with time zone prints in UTC (`+00`), Trino's prints its zone.
 */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { queryLocalLake } from '../../bin/cli/query.ts';

async function rows(sql: string, now?: number): Promise<Record<string, unknown>[]> {
  const options = { sql, lakeRoot: tmpdir(), prefix: '', database: 'peer5_reporter', datasets: [] };
  return [...(await queryLocalLake(now === undefined ? options : { ...options, now })).rows];
}

/** Each expression as a column of one row: `{ c0: ..., c1: ... }`. */
async function values(expressions: readonly string[], now?: number): Promise<unknown[]> {
  const [row] = await rows(
    `SELECT ${expressions.map((sql, index) => `${sql} AS c${index}`).join(', ')}`,
    now,
  );
  return expressions.map((_, index) => row?.[`c${index}`]);
}

/** Checks `[expression, expected]` pairs in one query. */
async function expectValues(cases: readonly (readonly [string, unknown])[], now?: number): Promise<void> {
  const actual = await values(
    cases.map(([sql]) => sql),
    now,
  );
  expect(Object.fromEntries(cases.map(([sql], index) => [sql, actual[index]]))).toEqual(
    Object.fromEntries(cases.map(([sql, expected]) => [sql, expected])),
  );
}

describe('the clock of a local query', () => {
  const now = Date.parse('2026-11-25T08:00:00.123Z');

  it('returns --now from current_date, current_timestamp, now() and their kin, in UTC with milliseconds', async () => {
    // "current_date: Returns the current date as of the start of the query"; "current_timestamp:
    // ... with 3 digits of subsecond precision"; "now(): This is an alias for current_timestamp".
    await expectValues(
      [
        ['current_date', '2026-11-25'],
        ['current_timestamp', '2026-11-25 08:00:00.123+00'],
        ['now()', '2026-11-25 08:00:00.123+00'],
        ['localtimestamp', '2026-11-25 08:00:00.123'],
        ['current_time', '08:00:00.123+00'],
        ['localtime', '08:00:00.123'],
        ['current_timezone()', 'UTC'],
        ["current_date - interval '1' day", '2026-11-24'],
        ["date_format(current_date - interval '7' day, '%Y-%m-%d')", '2026-11-18'],
      ],
      now,
    );
  });

  it('takes the UTC day, not the laptop’s, just before midnight UTC', async () => {
    await expectValues([['current_date', '2026-11-25']], Date.parse('2026-11-25T23:59:59.999Z'));
  });
});

describe('date and time arithmetic', () => {
  it("matches Trino's operator table, where a date plus days stays a date", async () => {
    // Trino, "Date and time operators": every row of the table that has no interval result.
    await expectValues([
      ["date '2012-08-08' + interval '2' day", '2012-08-10'],
      ["time '01:00' + interval '3' hour", '04:00:00'],
      ["timestamp '2012-08-08 01:00' + interval '29' hour", '2012-08-09 06:00:00'],
      ["timestamp '2012-10-31 01:00' + interval '1' month", '2012-11-30 01:00:00'],
      ["date '2012-08-08' - interval '2' day", '2012-08-06'],
      ["time '01:00' - interval '3' hour", '22:00:00'],
      ["timestamp '2012-08-08 01:00' - interval '29' hour", '2012-08-06 20:00:00'],
      ["timestamp '2012-10-31 01:00' - interval '1' month", '2012-09-30 01:00:00'],
    ]);
  });

  it('returns a date for CAST(dt AS date) + INTERVAL, as Athena does', async () => {
    const result = await rows(
      "SELECT CAST(dt AS date) + INTERVAL '1' DAY AS next_day, typeof(CAST(dt AS date) + INTERVAL '1' DAY) AS type, " +
        "interval '1' month + CAST(dt AS date) AS month_later FROM (VALUES ('2012-01-31')) AS t(dt)",
    );
    expect(result).toEqual([{ next_day: '2012-02-01', type: 'DATE', month_later: '2012-02-29' }]);
  });

  it('refuses to move a date by hours, as Trino does', async () => {
    await expect(rows("SELECT date '2012-08-08' + interval '3' hour")).rejects.toThrow(
      'Cannot add hour, minutes or seconds to a date',
    );
    await expect(rows("SELECT date '2012-08-08' - interval '90' minute")).rejects.toThrow(
      'Cannot subtract hour, minutes or seconds from a date',
    );
  });

  it("adds with date_add(unit, value, x) as in Trino's examples, the type out as in", async () => {
    await expectValues([
      ["date_add('second', 86, TIMESTAMP '2020-03-01 00:00:00')", '2020-03-01 00:01:26'],
      ["date_add('hour', 9, TIMESTAMP '2020-03-01 00:00:00')", '2020-03-01 09:00:00'],
      ["date_add('day', -1, TIMESTAMP '2020-03-01 00:00:00 UTC')", '2020-02-29 00:00:00'],
      ["date_add('month', 1, DATE '2020-01-31')", '2020-02-29'],
      ["typeof(date_add('week', 1, DATE '2020-01-31'))", 'DATE'],
      ["date_add('quarter', 1, TIMESTAMPTZ '2020-01-31 00:00:00+00')", '2020-04-30 00:00:00+00'],
    ]);
    await expect(rows("SELECT date_add('hour', 1, DATE '2020-01-31')")).rejects.toThrow(
      "'hour' is not a valid DATE field",
    );
  });

  it('counts the day of the week from Monday 1 to Sunday 7 with day_of_week, dow and extract', async () => {
    // "day_of_week(x): Returns the ISO day of the week from x. The value ranges from 1 (Monday) to
    // 7 (Sunday)"; extract's DAY_OF_WEEK and DOW fields are day_of_week. 2026-01-04 is a Sunday.
    await expectValues([
      ["day_of_week(DATE '2026-01-05')", 1],
      ["day_of_week(TIMESTAMP '2026-01-04 23:00:00')", 7],
      ["dow(DATE '2026-01-04')", 7],
      ["extract(DOW FROM DATE '2026-01-04')", 7],
      ["extract(DAY_OF_WEEK FROM DATE '2026-01-05')", 1],
      ["extract(YEAR_OF_WEEK FROM DATE '2021-01-01')", 2020],
    ]);
  });
});

describe('parsing and formatting', () => {
  it("parses with date_parse and MySQL specifiers, as Trino's table says", async () => {
    await expectValues([
      // The documented example: date_parse('2022/10/20/05', '%Y/%m/%d/%H') -> 2022-10-20 05:00:00.000
      ["date_parse('2022/10/20/05', '%Y/%m/%d/%H')", '2022-10-20 05:00:00'],
      // %y: "two-digit year format assumes range 1970 .. 2069, so "70" will result in year 1970 but
      // "69" will produce 2069".
      ["date_parse('70', '%y')", '1970-01-01 00:00:00'],
      ["date_parse('69', '%y')", '2069-01-01 00:00:00'],
      // %f: "1 - 9 digits for parsing ... timestamp is truncated to milliseconds"; %c, %e, %l, %i,
      // %s and %p unpadded and padded numbers, %M month names, %T and %r whole times.
      ["date_parse('1/2/2022 1:02:03.123456789 PM', '%c/%e/%Y %l:%i:%s.%f %p')", '2022-01-02 13:02:03.123'],
      ["date_parse('October 20 2022 13:04:05', '%M %d %Y %T')", '2022-10-20 13:04:05'],
      ["date_parse('Oct 20 2022 01:04:05 PM', '%b %d %Y %r')", '2022-10-20 13:04:05'],
      ["date_parse(NULL, '%Y')", null],
    ]);
  });

  it('parses every row of a column with one format', async () => {
    const result = await rows(
      "SELECT date_parse(day, '%Y-%m-%d') AS at FROM (VALUES ('2026-11-19'), ('2026-11-20')) AS t(day) ORDER BY 1",
    );
    expect(result).toEqual([{ at: '2026-11-19 00:00:00' }, { at: '2026-11-20 00:00:00' }]);
  });

  it('rejects the date_parse specifiers Trino does not support, naming each', async () => {
    // "The following specifiers are not currently supported: %D %U %u %V %w %X"
    for (const code of ['%D', '%U', '%u', '%V', '%w', '%X']) {
      await expect(rows(`SELECT date_parse('2026 1', '%Y ${code}')`)).rejects.toThrow(
        `date_parse: ${code} not supported in date format string`,
      );
    }
  });

  it("formats with date_format as in Trino's example", async () => {
    // date_format(TIMESTAMP '2022-10-20 05:10:00', '%m-%d-%Y %H') -> 10-20-2022 05
    await expectValues([["date_format(TIMESTAMP '2022-10-20 05:10:00', '%m-%d-%Y %H')", '10-20-2022 05']]);
  });

  it('formats with format_datetime and Joda patterns, letter by letter', async () => {
    // Joda-Time's DateTimeFormat table (Trino: "a format string that is compatible with JodaTime's
    // DateTimeFormat pattern format"), on Tuesday 1996-07-09 00:30:55.978 UTC. Numbers pad to the
    // count of letters; yy is two digits; text is short below 4 letters and full from 4; M from 3 is
    // text; S is the fraction truncated or padded to the count; Z is -0800 style, ZZ -08:00, ZZZ the
    // zone id.
    const at = "TIMESTAMP '1996-07-09 00:30:55.978'";
    const letters: [pattern: string, expected: string][] = [
      ['G', 'AD'],
      ['C', '19'],
      ['Y', '1996'],
      ['x', '1996'],
      ['w', '28'],
      ['e', '2'],
      ['E', 'Tue'],
      ['EEEE', 'Tuesday'],
      ['y', '1996'],
      ['yy', '96'],
      ['yyyyy', '01996'],
      ['D', '191'],
      ['M', '7'],
      ['MM', '07'],
      ['MMM', 'Jul'],
      ['MMMM', 'July'],
      ['d', '9'],
      ['dd', '09'],
      ['a', 'AM'],
      ['K', '0'],
      ['h', '12'],
      ['H', '0'],
      ['HH', '00'],
      ['k', '24'],
      ['m', '30'],
      ['s', '55'],
      ['S', '9'],
      ['SS', '97'],
      ['SSS', '978'],
      ['SSSSSS', '978000'],
      ['z', 'UTC'],
      ['zzzz', 'Coordinated Universal Time'],
      ['Z', '+0000'],
      ['ZZ', '+00:00'],
      ['ZZZ', 'UTC'],
    ];
    await expectValues(
      letters.map(([pattern, expected]) => [`format_datetime(${at}, '${pattern}')`, expected]),
    );
  });

  it('formats the pattern examples of the Joda and Java documentation', async () => {
    // Joda's key_format page: forPattern("d MMMM, yyyy") "might output "6 October, 2013"". Java's
    // SimpleDateFormat examples (the letters Joda shares) for 2001-07-04 12:08:56, in UTC here
    // instead of Pacific time.
    const at = "TIMESTAMP '2001-07-04 12:08:56'";
    await expectValues([
      ["format_datetime(DATE '2013-10-06', 'd MMMM, yyyy')", '6 October, 2013'],
      [`format_datetime(${at}, 'EEE, MMM d, ''''yy')`, "Wed, Jul 4, '01"],
      [`format_datetime(${at}, 'h:mm a')`, '12:08 PM'],
      [`format_datetime(${at}, 'hh ''o''''clock'' a, zzzz')`, "12 o'clock PM, Coordinated Universal Time"],
      [`format_datetime(${at}, 'K:mm a, z')`, '0:08 PM, UTC'],
      [`format_datetime(${at}, 'yyyyy.MMMMM.dd GGG hh:mm aaa')`, '02001.July.04 AD 12:08 PM'],
      [`format_datetime(${at}, 'EEE, d MMM yyyy HH:mm:ss Z')`, 'Wed, 4 Jul 2001 12:08:56 +0000'],
      [`format_datetime(${at}, 'yyMMddHHmmssZ')`, '010704120856+0000'],
      [`format_datetime(from_unixtime(994248536), 'yyyy-MM-dd''T''HH:mm:ss')`, '2001-07-04T12:08:56'],
      ["format_datetime(NULL, 'yyyy')", null],
    ]);
  });

  it('rejects a pattern letter Joda does not know, naming it', async () => {
    await expect(rows("SELECT format_datetime(TIMESTAMP '2001-07-04 12:08:56', 'yyyy Q')")).rejects.toThrow(
      'format_datetime: Illegal pattern component: Q',
    );
  });

  it("reads ISO 8601 text with from_iso8601_timestamp, in the session's UTC without an offset", async () => {
    // from_iso8601_timestamp('2020-05-11') -> 2020-05-11 00:00:00.000 <session zone>;
    // ('2020-05-11T11:15:05') -> 2020-05-11 11:15:05.000 <session zone>;
    // ('2020-05-11T11:15:05.055+01:00') -> 2020-05-11 11:15:05.055 +01:00, the instant 10:15:05.055 UTC.
    await expectValues([
      ["from_iso8601_timestamp('2020-05-11')", '2020-05-11 00:00:00+00'],
      ["from_iso8601_timestamp('2020-05-11T11:15:05')", '2020-05-11 11:15:05+00'],
      ["from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00')", '2020-05-11 10:15:05.055+00'],
    ]);
  });

  it('converts Unix seconds both ways with from_unixtime and to_unixtime', async () => {
    // "unixtime is the number of seconds since 1970-01-01 00:00:00 UTC"; "to_unixtime(timestamp) ->
    // double: Returns timestamp as a UNIX timestamp".
    await expectValues([
      ["to_unixtime(TIMESTAMP '1970-01-01 00:00:01')", 1],
      ['to_unixtime(from_unixtime(1764003723.456))', 1764003723.456],
      ["to_unixtime(from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00'))", 1589192105.055],
      ["typeof(to_unixtime(TIMESTAMP '1970-01-01 00:00:01'))", 'DOUBLE'],
    ]);
  });

  it('shows from_unixtime(x, zone) and from_unixtime(x, hours, minutes) at the wall-clock time of that zone', async () => {
    // "Returns the UNIX timestamp unixtime as a timestamp with time zone using zone for the time
    // zone": 1764003723 is 2025-11-24 17:02:03 UTC, 18:02:03 in Berlin (UTC+1 in November).
    await expectValues([
      ["from_unixtime(1764003723, 'Europe/Berlin')", '2025-11-24 18:02:03'],
      ["date_format(from_unixtime(1764003723, 'America/Los_Angeles'), '%Y-%m-%d %H:%i')", '2025-11-24 09:02'],
      ["hour(from_unixtime(1764003723, 'Asia/Kolkata'))", 22],
      ['from_unixtime(1764003723, 5, 30)', '2025-11-24 22:32:03'],
    ]);
  });
});

describe('URLs, arrays and percentiles', () => {
  it('extracts the host of a URL with url_extract_host', async () => {
    // Trino's URL syntax "[protocol:][//host[:port]][path][?query][#fragment]", on the URLs of its
    // url_extract_protocol examples; no `//`, no host.
    await expectValues([
      ["url_extract_host('http://localhost:8080/req_path')", 'localhost'],
      ["url_extract_host('https://127.0.0.1:8080/req_path')", '127.0.0.1'],
      ["url_extract_host('ftp://path/file')", 'path'],
      ["url_extract_host('https://user:secret@www.example.com:8443/watch?v=1&t=2,3#top')", 'www.example.com'],
      ["url_extract_host('//cdn.example.com/video.m3u8')", 'cdn.example.com'],
      ["url_extract_host('www.example.com/watch')", null],
      ['url_extract_host(NULL)', null],
    ]);
  });

  it('counts the elements of an array or a map with cardinality', async () => {
    // "cardinality(x) -> bigint: Returns the cardinality (size) of the array x" (and of the map x).
    await expectValues([
      ['cardinality(ARRAY[1, 2, 3])', 3],
      ["cardinality(ARRAY['a', NULL])", 2],
      ['cardinality(ARRAY[])', 0],
      ["cardinality(MAP(ARRAY['a', 'b'], ARRAY[1, 2]))", 2],
      ["cardinality(split('a/b/c', '/'))", 3],
      ['cardinality(CAST(NULL AS INTEGER[]))', null],
    ]);
  });

  it('returns approx_percentile of the type of x, one value or an array of them', async () => {
    // "approx_percentile(x, percentage) -> [same as x]"; "approx_percentile(x, percentages) ->
    // array<[same as x]>". Trino documents no values (it is approximate): on 1..1000 the true
    // percentiles are 100, 500 and 900.
    const [row] = await rows(
      'SELECT approx_percentile(x, 0.5) AS median, typeof(approx_percentile(x, 0.5)) AS type, ' +
        'approx_percentile(x, ARRAY[0.1, 0.9]) AS deciles FROM range(1, 1001) AS t(x)',
    );
    expect(row?.type).toBe('BIGINT');
    expect(Math.abs(Number(row?.median) - 500)).toBeLessThanOrEqual(5);
    expect(row?.deciles).toEqual([expect.any(Number), expect.any(Number)]);
    const [low = 0, high = 0] = (row?.deciles ?? []) as number[];
    expect(Math.abs(low - 100)).toBeLessThanOrEqual(5);
    expect(Math.abs(high - 900)).toBeLessThanOrEqual(5);
  });
});
