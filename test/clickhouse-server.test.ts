// The ClickHouse server the scale-out tests will run on (support/clickhouse/): a real 26.7 server
// from the pinned chdb engine, reached over its HTTP interface as a client in another process
// would, with SQL the ClickHouse dialect compiled and its typed parameters bound by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/sql/sql.js';
import { CLICKHOUSE_QUERY_SETTINGS, clickhouseDialect, namedParameters } from '../src/store/clickhouse/clickhouse-dialect.js';
import { startClickHouseServer, type ClickHouseServer } from './support/clickhouse/clickhouse-server.js';

let server: ClickHouseServer;

beforeAll(async () => {
  server = await startClickHouseServer();
});

afterAll(async () => {
  await server?.stop();
});

/** Runs SQL over HTTP: parameters as param_<name>, the dialect's settings, a SELECT's rows as JSON objects. */
async function query(text: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
  const url = new URL(server.url);
  for (const [name, value] of Object.entries({ ...CLICKHOUSE_QUERY_SETTINGS, output_format_json_quote_64bit_integers: 0 })) url.searchParams.set(name, String(value));
  for (const [name, value] of Object.entries(params)) url.searchParams.set(`param_${name}`, String(value));
  const res = await fetch(url, { method: 'POST', body: /^\s*SELECT\b/i.test(text) ? `${text} FORMAT JSONEachRow` : text });
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return body
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('ClickHouse server for tests', () => {
  it('is a current ClickHouse (26.x), listening on loopback', async () => {
    const [row] = await query('SELECT version() AS version');
    expect(String(row.version)).toMatch(/^26\./);
  });

  it('takes compiled SQL with typed parameters bound by name', async () => {
    const at = new Date('2026-03-08T06:59:00.123Z');
    const { sql: text, params } = sql`SELECT ${"it's"} AS text, ${42} AS n, ${1.5} AS x, ${true} AS yes, ${clickhouseDialect.epochMicros(sql`${at}`)} AS micros`.build(clickhouseDialect);
    expect(text).toContain('{p0:String}');
    const [row] = await query(text, namedParameters(params));
    expect(row).toEqual({ text: "it's", n: 42, x: 1.5, yes: true, micros: at.getTime() * 1000 });
  });

  it('keeps what was written across requests, for any number of clients', async () => {
    await query('CREATE TABLE t (k String, v Int64) ENGINE = MergeTree ORDER BY k');
    await Promise.all(Array.from({ length: 8 }, (_, i) => query('INSERT INTO t VALUES ({k:String}, {v:Int64})', { k: `k${i}`, v: i })));
    expect(await query('SELECT count() AS c, sum(v) AS s FROM t')).toEqual([{ c: 8, s: 28 }]);
  });

  it('stops on SIGTERM and frees its port', async () => {
    const other = await startClickHouseServer();
    await fetch(`${other.url}/ping`);
    expect(await other.stop()).not.toBeNull();
    await expect(fetch(`${other.url}/ping`)).rejects.toThrow();
  });
});
