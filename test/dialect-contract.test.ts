// What each Dialect hook promises (src/sql/dialect.ts), run on the real engines: every hook's SQL
// executes over hand-made rows on DuckDB (a store) and on ClickHouse (chdb, in-process), and
// both must pass the same assertions, as a future backend's dialect should. Rows are built
// through the dialect (valuesTable) with casts to each engine's types. Property filters go
// through EventScope, so the NULL and escaping rules are checked where user values enter.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventScope } from '../src/query/event-scope.js';
import type { PropertyFilter } from '../src/query/query-schema.js';
import type { Dialect, Interval } from '../src/sql/dialect.js';
import { raw, sql, type Sql } from '../src/sql/sql.js';
import { createTables, runQuery } from '../src/store/clickhouse/chdb-runner.js';
import { clickhouseDialect } from '../src/store/clickhouse/clickhouse-dialect.js';
import { DuckDBStore } from '../src/store/duckdb/duckdb-store.js';

/** The types the harness casts its inputs to. */
type InputType = 'text' | 'integer' | 'timestamp';

interface Engine {
  readonly dialect: Dialect;
  /** Each input type's name in the engine. */
  readonly types: Record<InputType, string>;
  rows(query: Sql): Promise<Record<string, unknown>[]>;
  /** The tables the logical tables read, where opening the engine did not create them. */
  createTables(): Promise<void>;
  close(): Promise<void>;
}

async function openDuckDB(): Promise<Engine> {
  const store = await DuckDBStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-dialect-')));
  return {
    dialect: store.dialect,
    types: { text: 'VARCHAR', integer: 'INTEGER', timestamp: 'TIMESTAMP' },
    rows: (query) => {
      const { sql: text, params } = query.build(store.dialect);
      return store.query(text, params);
    },
    createTables: async () => {},
    close: () => store.close(),
  };
}

async function openClickHouse(): Promise<Engine> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-dialect-clickhouse-'));
  const session = new Session(dir);
  return {
    dialect: clickhouseDialect,
    types: { text: 'String', integer: 'Int32', timestamp: "DateTime64(6, 'UTC')" },
    rows: async (query) => runQuery(session, query.build(clickhouseDialect)),
    createTables: async () => createTables(session),
    close: async () => {
      session.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ENGINES = [
  { name: 'DuckDB', open: openDuckDB },
  { name: 'ClickHouse', open: openClickHouse },
];

describe.each(ENGINES)('the dialect contract on $name', ({ open }) => {
  let engine: Engine;
  let d: Dialect;

  beforeAll(async () => {
    engine = await open();
    d = engine.dialect;
  });

  afterAll(async () => {
    await engine?.close();
  });

  const rows = (query: Sql) => engine.rows(query);

  /** A value as the engine's `type`. */
  const cast = (value: Sql, type: InputType) => sql`CAST(${value} AS ${raw(engine.types[type])})`;
  /** Rows of literal SQL values as the relation `alias(columns...)`. */
  const values = (literals: readonly (readonly string[])[], alias: string, columns: readonly string[]) =>
    d.valuesTable(
      literals.map((row) => row.map(raw)),
      alias,
      columns,
    );

  /** `expression(t.x)` for each input (typed `type`), in input order. */
  async function each(inputs: readonly unknown[], type: InputType, expression: (x: Sql) => Sql): Promise<unknown[]> {
    const table = d.valuesTable(
      inputs.map((v, i) => [raw(String(i)), cast(sql`${v}`, type)]),
      't',
      ['i', 'x'],
    );
    const result = await rows(sql`SELECT ${expression(raw('t.x'))} AS v FROM ${table} ORDER BY t.i`);
    return result.map((r) => r.v);
  }

  /** One aggregate over the numbers, as a JS number (NULL stays null). */
  async function aggregate(numbers: readonly number[], expression: (x: Sql) => Sql): Promise<number | null> {
    const table = values(
      numbers.map((n) => [String(n)]),
      't',
      ['x'],
    );
    const [row] = await rows(sql`SELECT ${expression(raw('x'))} AS v FROM ${table}`);
    return row.v === null ? null : Number(row.v);
  }

  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v);

  describe('propertyText: a property of a JSON column as text', () => {
    const read = (json: string[], key: string) => each(json, 'text', (x) => d.propertyText(x, key));

    it('is NULL for a JSON null and for a missing key, and keeps an empty string', async () => {
      expect(await read(['{"a": null}', '{}', '{"a": ""}', '{"a": "x"}'], 'a')).toEqual([null, null, '', 'x']);
    });

    it('renders numbers, booleans and objects as their JSON text', async () => {
      expect(await read(['{"a": 1}', '{"a": 1.5}', '{"a": true}', '{"a": {"b": 1}}', '{"a": [1, 2]}'], 'a')).toEqual(['1', '1.5', 'true', '{"b":1}', '[1,2]']);
    });

    it('takes a key with dots, quotes or backslashes as one key, never as a path', async () => {
      expect(await read(['{"a.b": "flat", "a": {"b": "nested"}}'], 'a.b')).toEqual(['flat']);
      expect(await read(['{"we\\"ird": "quoted"}'], 'we"ird')).toEqual(['quoted']);
      expect(await read(['{"back\\\\slash": "escaped"}'], 'back\\slash')).toEqual(['escaped']);
      expect(await read(['{"$browser": "Firefox"}'], '$browser')).toEqual(['Firefox']);
    });
  });

  describe('propertyScalarText: a property as text only when it is a scalar', () => {
    const read = (json: string[], key: string) => each(json, 'text', (x) => d.propertyScalarText(x, key));

    it('renders strings, numbers and booleans as propertyText does', async () => {
      expect(await read(['{"a": "x"}', '{"a": ""}', '{"a": 1}', '{"a": 1.5}', '{"a": true}', '{"a": false}'], 'a')).toEqual(['x', '', '1', '1.5', 'true', 'false']);
    });

    it('is NULL for a JSON null, a missing key, an object and an array', async () => {
      expect(await read(['{"a": null}', '{}', '{"a": {"b": 1}}', '{"a": [1, 2]}'], 'a')).toEqual([null, null, null, null]);
    });

    it('takes a key with dots or quotes as one key', async () => {
      expect(await read(['{"a.b": "flat", "a": {"b": "nested"}}'], 'a.b')).toEqual(['flat']);
      expect(await read(['{"we\\"ird": 2}'], 'we"ird')).toEqual(['2']);
    });
  });

  describe('property filters over JSON null and missing properties', () => {
    // Rows: {"a": null}, {}, {"a": "x"}, {"a": ""}. JSON null reads as missing, as PostHog's HogQL
    // property access does (it turns a raw 'null' into NULL), so null is neither set nor equal to anything.
    const PROPERTIES = ['{"a": null}', '{}', '{"a": "x"}', '{"a": ""}'];
    async function matching(filter: Omit<PropertyFilter, 'key' | 'type'>): Promise<number[]> {
      const scope = new EventScope(d, 1, 5, 'UTC');
      const condition = scope.filter({ key: 'a', type: 'event', ...filter } as PropertyFilter, 'properties.0');
      const table = d.valuesTable(
        PROPERTIES.map((p, i) => [raw(String(i)), cast(sql`${p}`, 'text')]),
        'e',
        ['i', 'properties'],
      );
      const result = await rows(sql`SELECT e.i FROM ${table} WHERE ${condition} ORDER BY e.i`);
      return result.map((r) => Number(r.i));
    }

    it('is_set holds for present values, empty strings included, and not for JSON null', async () => {
      expect(await matching({ operator: 'is_set' })).toEqual([2, 3]);
    });

    it('is_not_set holds for JSON null and for a missing key', async () => {
      expect(await matching({ operator: 'is_not_set' })).toEqual([0, 1]);
    });

    it('exact matches only the value; is_not keeps rows without the property', async () => {
      expect(await matching({ operator: 'exact', value: 'x' })).toEqual([2]);
      expect(await matching({ operator: 'exact', value: '' })).toEqual([3]);
      expect(await matching({ operator: 'is_not', value: 'x' })).toEqual([0, 1, 3]);
    });
  });

  describe('localTime and truncate', () => {
    const bucket = (interval: Interval, timeZone: string, utc: string[]) =>
      each(
        utc.map((s) => new Date(s)),
        'timestamp',
        (x) => d.truncate(interval, d.localTime(x, timeZone)),
      ).then((vs) => vs.map(iso));

    it('leaves UTC timestamps as they are in UTC', async () => {
      expect((await each([new Date('2026-03-08T07:30:00Z')], 'timestamp', (x) => d.localTime(x, 'UTC'))).map(iso)).toEqual(['2026-03-08T07:30:00.000Z']);
    });

    it('starts weeks on Sunday, as PostHog does by default', async () => {
      // 2026-01-04 is a Sunday.
      const starts = await bucket('week', 'UTC', ['2026-01-04T00:00:00Z', '2026-01-07T12:00:00Z', '2026-01-10T23:59:59Z', '2026-01-11T00:00:00Z', '2026-01-03T23:59:59Z']);
      expect(starts).toEqual(['2026-01-04T00:00:00.000Z', '2026-01-04T00:00:00.000Z', '2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z', '2025-12-28T00:00:00.000Z']);
    });

    it('truncates to the hour, day and month of the wall clock', async () => {
      const t = ['2026-02-14T13:45:12Z'];
      expect(await bucket('hour', 'UTC', t)).toEqual(['2026-02-14T13:00:00.000Z']);
      expect(await bucket('day', 'UTC', t)).toEqual(['2026-02-14T00:00:00.000Z']);
      expect(await bucket('month', 'UTC', t)).toEqual(['2026-02-01T00:00:00.000Z']);
    });

    // Results are wall-clock times, returned as naive timestamps (shown here with a Z).
    it('buckets days by the local midnight on both sides of the spring-forward change (New York, 2026-03-08)', async () => {
      const days = await bucket('day', 'America/New_York', [
        '2026-03-08T04:59:59Z', // 23:59:59 EST, Mar 7
        '2026-03-08T05:00:00Z', // 00:00 EST, Mar 8
        '2026-03-09T03:59:59Z', // 23:59:59 EDT, Mar 8 (a 23-hour day)
        '2026-03-09T04:00:00Z', // 00:00 EDT, Mar 9
      ]);
      expect(days).toEqual(['2026-03-07T00:00:00.000Z', '2026-03-08T00:00:00.000Z', '2026-03-08T00:00:00.000Z', '2026-03-09T00:00:00.000Z']);
      // The clock skips from 01:59 to 03:00.
      expect(await bucket('hour', 'America/New_York', ['2026-03-08T06:59:00Z', '2026-03-08T07:00:00Z'])).toEqual(['2026-03-08T01:00:00.000Z', '2026-03-08T03:00:00.000Z']);
    });

    it('buckets days by the local midnight on both sides of the fall-back change (New York, 2026-11-01), and folds the repeated hour', async () => {
      const days = await bucket('day', 'America/New_York', [
        '2026-11-01T03:59:59Z', // 23:59:59 EDT, Oct 31
        '2026-11-01T04:00:00Z', // 00:00 EDT, Nov 1
        '2026-11-02T04:59:59Z', // 23:59:59 EST, Nov 1 (a 25-hour day)
        '2026-11-02T05:00:00Z', // 00:00 EST, Nov 2
      ]);
      expect(days).toEqual(['2026-10-31T00:00:00.000Z', '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z']);
      // 01:30 EDT and 01:30 EST are an hour apart but the same wall-clock hour.
      expect(await bucket('hour', 'America/New_York', ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z'])).toEqual(['2026-11-01T01:00:00.000Z', '2026-11-01T01:00:00.000Z']);
    });

    it('starts a local week on the Sunday of the wall clock, not of UTC', async () => {
      // Sunday 2026-03-08 01:00 in New York is 06:00Z; Saturday 2026-03-07 23:00 there is Sunday 04:00Z.
      expect(await bucket('week', 'America/New_York', ['2026-03-08T06:00:00Z', '2026-03-08T04:00:00Z'])).toEqual(['2026-03-08T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    });
  });

  describe('ilike: case-insensitive LIKE with "!" escaping', () => {
    it('matches case-insensitively, with % and _ as wildcards in the pattern', async () => {
      expect(await each(['Firefox', 'firefox mobile', 'Chrome'], 'text', (x) => d.ilike(x, 'FIRE%'))).toEqual([true, true, false]);
      expect(await each(['axb', 'a_b', 'ab'], 'text', (x) => d.ilike(x, 'a_b'))).toEqual([true, true, false]);
    });

    it('takes "!%", "!_" and "!!" as the literal characters', async () => {
      expect(await each(['50% off', '50 off', '500 off'], 'text', (x) => d.ilike(x, '50!%%'))).toEqual([true, false, false]);
      expect(await each(['a_b', 'axb'], 'text', (x) => d.ilike(x, 'a!_b'))).toEqual([true, false]);
      expect(await each(['wow!', 'wow'], 'text', (x) => d.ilike(x, 'wow!!'))).toEqual([true, false]);
    });

    it('lets an icontains filter match %, _, ! and backslash in the user\'s value literally', async () => {
      const TEXTS = ['50% off', '500 off', 'a_b', 'AXB', 'A_B', 'wow!', 'wow', 'back\\slash', 'backslash'];
      const matching = async (value: string) => {
        const scope = new EventScope(d, 1, 5, 'UTC');
        const condition = scope.filter({ key: 'a', type: 'event', operator: 'icontains', value }, 'properties.0');
        const table = d.valuesTable(
          TEXTS.map((t) => [cast(sql`${JSON.stringify({ a: t })}`, 'text')]),
          'e',
          ['properties'],
        );
        const result = await rows(sql`SELECT ${d.propertyText(raw('e.properties'), 'a')} AS a FROM ${table} WHERE ${condition} ORDER BY a`);
        return result.map((r) => r.a);
      };
      expect(await matching('0%')).toEqual(['50% off']);
      expect(await matching('a_b')).toEqual(['A_B', 'a_b']);
      expect(await matching('!')).toEqual(['wow!']);
      expect(await matching('k\\s')).toEqual(['back\\slash']);
    });
  });

  describe('toNumber, toTimestamp, regexMatch, epochMicros', () => {
    it('reads numbers from text, NULL for anything else', async () => {
      expect(await each(['1.5', '-2', '1e3', 'abc', ''], 'text', (x) => d.toNumber(x))).toEqual([1.5, -2, 1000, null, null]);
    });

    it('reads timestamps from text, NULL for anything else', async () => {
      const parsed = await each(['2026-01-05 10:00:00', '2026-01-05', 'not a date'], 'text', (x) => d.toTimestamp(x));
      expect(parsed.map(iso)).toEqual(['2026-01-05T10:00:00.000Z', '2026-01-05T00:00:00.000Z', null]);
    });

    it('searches for a regular expression anywhere in the text, case-sensitively', async () => {
      expect(await each(['Firefox', 'FOX', 'fox'], 'text', (x) => d.regexMatch(x, 'fox'))).toEqual([true, false, true]);
      expect(await each(['Firefox', 'foxy'], 'text', (x) => d.regexMatch(x, '^fox'))).toEqual([false, true]);
    });

    it('gives microseconds since the epoch as an exact double', async () => {
      const [row] = await rows(sql`SELECT ${d.epochMicros(cast(sql`${'2026-01-01 00:00:00.000123'}`, 'timestamp'))} AS v`);
      expect(row.v).toBe(1_767_225_600_000_123);
    });
  });

  describe('quantile: continuous, interpolated between the two nearest values', () => {
    // The spec does not say. The hook promises interpolation; ClickHouse's quantile (PostHog's
    // median and p90) interpolates as well: its documentation answers 1.5 for 1, 1, 2, 3.
    it('answers 2.5 as the median of 1, 2, 3, 4 and 3.7 as their 90th percentile', async () => {
      expect(await aggregate([1, 2, 3, 4], (x) => d.quantile(x, 0.5))).toBe(2.5);
      expect(await aggregate([1, 1, 2, 3], (x) => d.quantile(x, 0.5))).toBe(1.5);
      expect(await aggregate([1, 2, 3, 4], (x) => d.quantile(x, 0.9))).toBeCloseTo(3.7, 12);
    });

    it('reads only the rows where the condition holds, NULL when none does', async () => {
      expect(await aggregate([1, 2, 3, 4, 100], (x) => d.quantile(x, 0.5, sql`${x} < 100`))).toBe(2.5);
      expect(await aggregate([1, 2, 3], (x) => d.quantile(x, 0.5, sql`${x} > 10`))).toBeNull();
    });
  });

  describe('funnel hooks', () => {
    it('hasAnyBit: a mask shares at least one bit with the bits', async () => {
      expect(await each([5, 5, 5, 0], 'integer', (x) => d.hasAnyBit(x, 4))).toEqual([true, true, true, false]);
      expect(await each([5, 1 << 30], 'integer', (x) => d.hasAnyBit(x, 2))).toEqual([false, false]);
      expect(await each([5, 1 << 30], 'integer', (x) => d.hasAnyBit(x, 6 | (1 << 30)))).toEqual([true, true]);
    });

    it('aggregateIf: counts rows, or aggregates the argument, over only the rows where the condition holds', async () => {
      const over2 = (x: Sql) => sql`${x} > 2`;
      expect(await aggregate([1, 2, 3, 4], (x) => d.aggregateIf('count', null, over2(x)))).toBe(2);
      expect(await aggregate([1, 2, 3, 4], (x) => d.aggregateIf('sum', x, over2(x)))).toBe(7);
      expect(await aggregate([1, 2, 3, 4], (x) => d.aggregateIf('min', x, over2(x)))).toBe(3);
      expect(await aggregate([1, 2, 3, 4], (x) => d.aggregateIf('max', x, over2(x)))).toBe(4);
      expect(await aggregate([1, 2, 3, 4], (x) => d.aggregateIf('avg', x, over2(x)))).toBe(3.5);
      expect(await aggregate([1, 2, 3, 4], (x) => d.aggregateIf('count', null, sql`${x} > 9`))).toBe(0);
      // Over no rows, as in SQL: count is 0, the others NULL (not an engine's default 0).
      expect(await aggregate([1, 2, 3, 4], (x) => d.aggregateIf('sum', x, sql`${x} > 9`))).toBeNull();
      expect(await aggregate([1, 2, 3, 4], (x) => d.aggregateIf('min', x, sql`${x} > 9`))).toBeNull();
    });

    it('lead: the value offset rows later within the partition, in order, NULL past its end', async () => {
      const table = values(
        [["'a'", '3', "'a3'"], ["'a'", '1', "'a1'"], ["'b'", '1', "'b1'"], ["'a'", '2', "'a2'"]],
        't',
        ['actor', 't', 'v'],
      );
      const result = await rows(sql`SELECT actor, t, ${d.lead(raw('v'), 1, raw('actor'), raw('t'))} AS next, ${d.lead(raw('v'), 2, raw('actor'), raw('t'))} AS after_next
        FROM ${table} ORDER BY actor, t`);
      expect(result.map((r) => [r.actor, r.t, r.next, r.after_next])).toEqual([
        ['a', 1, 'a2', 'a3'],
        ['a', 2, 'a3', null],
        ['a', 3, null, null],
        ['b', 1, null, null],
      ]);
    });

    it('argMin/argMax: the value on the row with the smallest or largest keys, compared in order, among the rows where the condition holds', async () => {
      const ROWS = values(
        [["'x'", '2', '1', 'TRUE'], ["'y'", '1', '5', 'TRUE'], ["'z'", '1', '3', 'FALSE'], ["'w'", '3', '0', 'TRUE']],
        't',
        ['v', 'k1', 'k2', 'c'],
      );
      const [row] = await rows(sql`SELECT
          ${d.argMin(raw('v'), [raw('k1'), raw('k2')])} AS min_both,
          ${d.argMin(raw('v'), [raw('k1'), raw('k2')], raw('c'))} AS min_both_if,
          ${d.argMin(raw('v'), [raw('k2')])} AS min_k2,
          ${d.argMax(raw('v'), [raw('k1'), raw('k2')])} AS max_both,
          ${d.argMax(raw('v'), [raw('k2')], raw('NOT c'))} AS max_k2_if_not,
          ${d.argMax(raw('v'), [raw('k1')], raw('k1 > 9'))} AS max_none
        FROM ${ROWS}`);
      expect(row).toEqual({ min_both: 'z', min_both_if: 'y', min_k2: 'w', max_both: 'w', max_k2_if_not: 'z', max_none: null });
    });

    it('nearestJoin: at most one right row per left row, the nearest after, at-or-after or before, NULL without one', async () => {
      const left = values(
        [["'a'", '10'], ["'a'", '20'], ["'b'", '5'], ["'c'", '1']],
        'l',
        ['actor', 't'],
      );
      const right = values(
        [["'a'", '10'], ["'a'", '15'], ["'a'", '30'], ["'b'", '1'], ["'b'", '5']],
        'r',
        ['actor', 't'],
      );
      const nearest = async (direction: 'after' | 'atOrAfter' | 'before') => {
        const joined = d.nearestJoin(left, right, raw('r.actor = l.actor'), raw('r.t'), direction, raw('l.t'));
        const result = await rows(sql`SELECT l.actor, l.t, r.t AS match FROM ${joined} ORDER BY l.actor, l.t`);
        return result.map((r) => [r.actor, r.t, r.match]);
      };
      expect(await nearest('after')).toEqual([['a', 10, 15], ['a', 20, 30], ['b', 5, null], ['c', 1, null]]);
      expect(await nearest('atOrAfter')).toEqual([['a', 10, 10], ['a', 20, 30], ['b', 5, 5], ['c', 1, null]]);
      expect(await nearest('before')).toEqual([['a', 10, null], ['a', 20, 15], ['b', 5, 1], ['c', 1, null]]);
    });

    it('sortedList and listElement: the non-NULL values ascending, read by 0-based index, NULL past the end', async () => {
      const list = d.sortedList([raw('3'), raw('NULL'), raw('1'), raw('2')]);
      const [row] = await rows(sql`SELECT ${list} AS list, ${d.listElement(list, 0)} AS first, ${d.listElement(list, 2)} AS third, ${d.listElement(list, 3)} AS past`);
      expect(row).toEqual({ list: [1, 2, 3], first: 1, third: 3, past: null });
      const [empty] = await rows(sql`SELECT ${d.listElement(d.sortedList([cast(raw('NULL'), 'integer')]), 0)} AS v`);
      expect(empty.v).toBeNull();
      // Past the end of a list of values that cannot be NULL, too (an engine may give its type's default).
      const [past] = await rows(sql`SELECT ${d.listElement(d.sortedList([raw('2'), raw('1')]), 2)} AS v`);
      expect(past.v).toBeNull();
    });
  });

  describe('table: the relation of each logical table', () => {
    it('names a relation with the columns the compiler reads', async () => {
      await engine.createTables();
      const columns = { events: 'project_id, timestamp, person_id, properties', persons: 'project_id, id, properties', groups: 'project_id, group_type_index, group_key, properties', person_overrides: 'project_id, old_person_id, new_person_id' } as const;
      for (const [name, list] of Object.entries(columns)) {
        const result = await rows(sql`SELECT ${raw(list)} FROM ${d.table(name as keyof typeof columns)} LIMIT 0`);
        expect(result, name).toEqual([]);
      }
    });
  });
});
