// ClickHouse's SQL (26.7) for the query compiler's hooks: the semantics of DuckDB's dialect,
// hook by hook, checked by test/dialect-contract.test.ts on both engines.
//
// NULLs. The compilers' SQL is standard about NULL: a row without a match in an outer join has
// NULL right columns (nearestJoin promises it, and the funnel and scope SQL around the hooks test
// for it), and a cast of NULL is NULL (the funnel compiler's CAST(NULL AS VARCHAR)). ClickHouse
// fills type defaults ('' and 0) unless join_use_nulls = 1, and refuses to cast NULL to a type
// that cannot hold it unless cast_keep_nullable = 1, so every query runs with
// CLICKHOUSE_QUERY_SETTINGS. currentPersonId also takes '' for no override, so it holds either way.
//
// Time. Stored timestamps are DateTime64(6, 'UTC'). ClickHouse has no zone-less timestamp: a local
// (wall-clock) time is a DateTime64(6, 'UTC') whose UTC reading is the wall clock, as DuckDB's
// naive TIMESTAMP is; timestampValue() parameters are the same type, so they compare as in DuckDB.
import type { Aggregate, Dialect, Interval, LogicalTable } from '../../sql/dialect.js';
import { join, raw, sql, type Sql } from '../../sql/sql.js';

/**
 * Settings every query compiled with this dialect runs with. chdb keeps a query's settings for
 * the queries after it in the same session, so an executor passes these on every call.
 */
export const CLICKHOUSE_QUERY_SETTINGS: Readonly<Record<string, string | number>> = Object.freeze({
  join_use_nulls: 1,
  cast_keep_nullable: 1,
});

// Persons, groups, distinct ids, overrides and definitions are ReplacingMergeTree tables
// (schema.ts): their current rows are read through FINAL (which also drops is_deleted rows).
// Warnings are appended as increments and summed when read. Columns as DuckDB's relations.
const TABLES: Record<LogicalTable, string> = {
  events: 'events',
  persons: '(SELECT project_id, id, properties, is_identified, created_at, version FROM persons FINAL)',
  groups: '(SELECT project_id, group_type_index, group_key, properties, created_at, updated_at, version FROM groups FINAL)',
  person_overrides: '(SELECT project_id, old_person_id, new_person_id FROM person_overrides FINAL)',
  person_distinct_ids: '(SELECT project_id, distinct_id, person_id FROM person_distinct_ids FINAL)',
  property_definitions: '(SELECT project_id, type, group_type_index, name, property_type, created_at FROM property_definitions FINAL)',
  // Qualified names inside the aggregates: an alias named like a column would shadow it there.
  ingestion_warnings: `(SELECT w.project_id AS project_id, w.type AS type, w.key AS key, argMax(w.details, w.last_seen) AS details,
  sum(w.count) AS count, min(w.first_seen) AS first_seen, max(w.last_seen) AS last_seen
  FROM ingestion_warnings w GROUP BY w.project_id, w.type, w.key)`,
};

const TIMESTAMP = "DateTime64(6, 'UTC')";

/** The type of a parameter's placeholder, from its JS value. */
export function parameterType(value: unknown): string {
  if (value === null || value === undefined) return 'Nullable(Nothing)';
  if (value instanceof Date) return TIMESTAMP;
  switch (typeof value) {
    case 'string':
      return 'String';
    case 'boolean':
      return 'Bool';
    case 'bigint':
      return 'Int64';
    case 'number':
      return Number.isSafeInteger(value) ? 'Int64' : 'Float64';
    default:
      throw new Error(`no ClickHouse parameter type for a ${typeof value} value`);
  }
}

/**
 * The compiled parameters by placeholder name, as chdb and the HTTP interface bind them. A Date
 * goes as text: a number bound to a DateTime64 would be read as ticks.
 */
export function namedParameters(params: readonly unknown[]): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  params.forEach((value, i) => {
    named[`p${i}`] = value instanceof Date ? value.toISOString().replace('T', ' ').replace('Z', '') : value;
  });
  return named;
}

/**
 * A LIKE pattern with '!' escaping in ClickHouse's, whose escape character is the backslash
 * (and which has no ESCAPE clause): '!%', '!_' and '!!' stay literal, a backslash is literal,
 * '!' before any other character is that character, as in DuckDB. A trailing '!' becomes a
 * trailing backslash, which ClickHouse rejects as DuckDB does.
 */
export function likePattern(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '!') {
      const next = pattern[++i];
      out += next === undefined ? '\\' : next === '%' || next === '_' || next === '\\' ? `\\${next}` : next;
    } else out += c === '\\' ? '\\\\' : c;
  }
  return out;
}

// A condition as Bool (ClickHouse's comparisons and matches are UInt8).
const bool = (condition: Sql) => sql`toBool(${condition})`;
/** The aggregate `name` (with `parameters`, as `quantile(0.5)`), with the If combinator when there is a condition. */
const conditional = (name: string, args: readonly Sql[], condition: Sql | undefined, parameters = '') =>
  sql`${raw(`${name}${condition ? 'If' : ''}${parameters}`)}(${join(condition ? [...args, condition] : [...args], ', ')})`;
// A tuple compares element by element, so several keys order as one.
const keyOf = (keys: readonly Sql[]) => (keys.length === 1 ? keys[0] : sql`tuple(${join(keys, ', ')})`);
const NEAREST = { after: '>', atOrAfter: '>=', before: '<' } as const;
const TRUNCATE: Record<Interval, (local: Sql) => Sql> = {
  hour: (local) => sql`toStartOfHour(${local})`,
  day: (local) => sql`toStartOfDay(${local})`,
  // Mode 0: weeks start on Sunday.
  week: (local) => sql`toStartOfWeek(${local}, 0)`,
  month: (local) => sql`toStartOfMonth(${local})`,
};
// Aggregates over no rows are NULL, as in SQL (ClickHouse's give 0, or NaN, without OrNull).
const AGGREGATE: Record<Exclude<Aggregate, 'count'>, string> = { min: 'minOrNull', max: 'maxOrNull', sum: 'sumOrNull', avg: 'avgOrNull' };

export const clickhouseDialect: Dialect = {
  table: (name) => raw(TABLES[name]),
  // JSONExtract as Nullable(String): a string's value, other values as JSON text, NULL for JSON
  // null and a missing key. The key is one top-level key, never a path.
  propertyText: (column, key) => sql`JSONExtract(${column}, ${key}, 'Nullable(String)')`,
  propertyScalarText: (column, key) =>
    sql`if(JSONType(${column}, ${key}) IN ('Object', 'Array'), NULL, JSONExtract(${column}, ${key}, 'Nullable(String)'))`,
  localTime: (utc, timeZone) =>
    // The zone's offset at that instant moves the UTC reading onto the wall clock.
    timeZone === 'UTC' ? utc : sql`addSeconds(${utc}, timeZoneOffset(toTimeZone(${utc}, ${timeZone})))`,
  // toStartOf* give DateTime or Date; every bucket is the timestamp type.
  truncate: (interval, local) => sql`toDateTime64(${TRUNCATE[interval](local)}, 6, 'UTC')`,
  // DuckDB's cast allows surrounding spaces; ClickHouse's parse does not.
  toNumber: (text) => sql`toFloat64OrNull(trimBoth(${text}))`,
  // Text starting with a date, as DuckDB's cast takes (a bare number is not one: best effort
  // would read it as a Unix time); ISO 'T' and a zone suffix are read too.
  toTimestamp: (text) =>
    sql`if(match(${text}, '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T]|$)'), parseDateTime64BestEffortOrNull(${text}, 6, 'UTC'), NULL)`,
  ilike: (text, pattern) => bool(sql`ilike(${text}, ${likePattern(pattern)})`),
  // ClickHouse's '.' matches a line break unless (?-s); DuckDB's (RE2's default) does not.
  regexMatch: (text, pattern) => bool(sql`match(${text}, ${`(?-s)${pattern}`})`),
  // quantileExactInclusive interpolates linearly between the nearest values (as quantile_cont);
  // ClickHouse's quantile is an approximation.
  quantile: (expression, level, condition) => conditional('quantileExactInclusiveOrNull', [expression], condition, `(${level})`),
  epochMicros: (utc) => sql`toFloat64(toUnixTimestamp64Micro(${utc}))`,
  placeholder: (index, value) => `{p${index}:${parameterType(value)}}`,
  timestampValue: (value) => sql`toDateTime64(${value}, 6, 'UTC')`,
  // One array of tuples, unnested: one SELECT whatever the number of rows (each row a UNION ALL
  // branch would be planned on its own). Element types unify as a VALUES list's do.
  valuesTable: (rows, alias, columns) =>
    sql`(SELECT ${raw(columns.map((c, i) => `tupleElement(values_row, ${i + 1}) AS ${c}`).join(', '))} FROM (SELECT arrayJoin([${join(
      rows.map((row) => sql`tuple(${join([...row], ', ')})`),
      ', ',
    )}]) AS values_row)) AS ${raw(alias)}`,
  currentPersonId: (override, eventPersonId) => sql`coalesce(nullIf(${override}, ''), ${eventPersonId})`,
  hasAnyBit: (mask, bits) => bool(sql`bitAnd(${mask}, ${raw(String(bits))}) <> 0`),
  // leadInFrame reads inside the frame and gives its default past it: NULL, over a nullable value.
  lead: (expression, offset, partitionBy, orderBy) =>
    sql`leadInFrame(toNullable(${expression}), ${raw(String(offset))}, NULL) OVER (PARTITION BY ${partitionBy} ORDER BY ${orderBy} ROWS BETWEEN CURRENT ROW AND ${raw(String(offset))} FOLLOWING)`,
  aggregateIf: (aggregate, argument, condition) =>
    conditional(aggregate === 'count' ? 'count' : AGGREGATE[aggregate], argument ? [argument] : [], condition),
  argMin: (value, keys, condition) => conditional('argMinOrNull', [value, keyOf(keys)], condition),
  argMax: (value, keys, condition) => conditional('argMaxOrNull', [value, keyOf(keys)], condition),
  // An ASOF join: the closest right row by the inequality, among those matching the equalities.
  // Unmatched rows' right columns are NULL by join_use_nulls (CLICKHOUSE_QUERY_SETTINGS).
  nearestJoin: (left, right, on, rightValue, direction, leftValue) =>
    sql`${left} ASOF LEFT JOIN ${right} ON ${on} AND ${rightValue} ${raw(NEAREST[direction])} ${leftValue}`,
  sortedList: (values) => sql`arraySort(arrayFilter(element -> element IS NOT NULL, [${join(values, ', ')}]))`,
  // An index past the end gives the element type's default with [], NULL with arrayElementOrNull.
  listElement: (list, index) => sql`arrayElementOrNull(${list}, ${raw(String(index + 1))})`,
};
