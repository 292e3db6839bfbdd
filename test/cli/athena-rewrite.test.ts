import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { rewriteAthenaTree } from '../../bin/cli/athena-rewrite.ts';
import { queryLocalLake } from '../../bin/cli/query.ts';

const query = async (sql: string) =>
  (await queryLocalLake({ sql, lakeRoot: tmpdir(), prefix: '', database: 'peer5_reporter', datasets: [] }))
    .rows;

/** A parse tree as json_serialize_sql prints it, for `left + right`. */
function plusTree(left: string, right: string): string {
  return (
    '{"error":false,"statements":[{"node":{"type":"SELECT_NODE","select_list":[{"class":"FUNCTION",' +
    `"type":"FUNCTION","alias":"","query_location":18446744073709551615,"function_name":"+","schema":"",` +
    `"children":[${left},${right}],"is_operator":true}]}}]}`
  );
}

const DATE_CONSTANT =
  '{"class":"CONSTANT","type":"VALUE_CONSTANT","value":{"type":{"id":"VARCHAR"},"is_null":false,"value":"2020-01-01"}}';
const BIG_CONSTANT =
  '{"class":"CONSTANT","type":"VALUE_CONSTANT","value":{"type":{"id":"BIGINT"},"is_null":false,"value":9007199254740993}}';
const ONE_DAY =
  '{"class":"FUNCTION","type":"FUNCTION","function_name":"to_days","schema":"","children":[],"is_operator":false}';

describe('the Athena rewrite of the parse tree', () => {
  it('sends arithmetic with an interval literal to the Athena shim', () => {
    const rewritten = rewriteAthenaTree(plusTree(DATE_CONSTANT, ONE_DAY));
    expect(rewritten).toContain('"function_name":"athena_plus"');
    expect(rewritten).toContain('"is_operator":false');
  });

  it('keeps every number exactly as DuckDB wrote it, beyond what a double holds', () => {
    const rewritten = rewriteAthenaTree(plusTree(BIG_CONSTANT, ONE_DAY)) ?? '';
    expect(rewritten).toContain('"value":9007199254740993');
    expect(rewritten).toContain('"query_location":18446744073709551615');
  });

  it('leaves arithmetic without intervals, and SQL DuckDB could not parse, to run as written', () => {
    expect(rewriteAthenaTree(plusTree(BIG_CONSTANT, BIG_CONSTANT))).toBeNull();
    expect(rewriteAthenaTree('{"error":true,"error_message":"syntax error"}')).toBeNull();
    expect(rewriteAthenaTree('not json')).toBeNull();
  });

  it('runs the rewritten SQL with strings, comments and large numbers unchanged', async () => {
    const rows = await query(
      "SELECT 'x + interval ''1'' day' AS text, CAST(9007199254740993 AS VARCHAR) AS big, " +
        "date '2020-01-01' + interval '1' day AS day -- and + interval '1' day",
    );
    expect(rows).toEqual([{ text: "x + interval '1' day", big: '9007199254740993', day: '2020-01-02' }]);
  });

  it('runs statements DuckDB cannot print back as written', async () => {
    expect(await query('DESCRIBE SELECT 1 AS one')).toEqual([
      expect.objectContaining({ column_name: 'one', column_type: 'INTEGER' }),
    ]);
  });

  it('reports a syntax error with DuckDB’s own message', async () => {
    await expect(query('SELEC 1')).rejects.toThrow(/syntax error at or near "SELEC"/);
  });
});
