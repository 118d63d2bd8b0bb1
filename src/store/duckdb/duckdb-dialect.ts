// DuckDB's SQL for the query compiler's hooks.
import type { Dialect, Interval, LogicalTable } from '../../sql/dialect.js';
import { join, raw, sql, type Sql } from '../../sql/sql.js';

const TABLES: Record<LogicalTable, string> = {
  events: 'events',
  persons: 'current_persons',
  groups: 'current_groups',
  person_overrides: 'person_overrides',
  person_distinct_ids: 'current_person_distinct_ids',
  property_definitions: 'property_definitions',
  ingestion_warnings: 'ingestion_warnings',
};

/** JSONPath of the top-level key `key` as written, dots and quotes included. */
const keyPath = (key: string) => `$."${key.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

const NEAREST = { after: '>', atOrAfter: '>=', before: '<' } as const;
const where = (condition: Sql | undefined) => (condition ? sql` FILTER (WHERE ${condition})` : raw(''));
// A row value compares field by field, so several keys order as one.
const keyOf = (keys: readonly Sql[]) => (keys.length === 1 ? keys[0] : sql`(${join(keys, ', ')})`);

export const duckdbDialect: Dialect = {
  table: (name) => raw(TABLES[name]),
  propertyText: (column, key) => sql`json_extract_string(${column}, ${keyPath(key)})`,
  propertyScalarText: (column, key) =>
    sql`CASE WHEN json_type(${column}, ${keyPath(key)}) NOT IN ('NULL', 'OBJECT', 'ARRAY') THEN json_extract_string(${column}, ${keyPath(key)}) END`,
  localTime: (utc, timeZone) =>
    // Stored timestamps are naive UTC; UTC needs no conversion (and none is cheapest).
    timeZone === 'UTC' ? utc : sql`timezone(${timeZone}, ${utc} AT TIME ZONE 'UTC')`,
  truncate: (interval: Interval, local: Sql) =>
    interval === 'week'
      ? sql`(date_trunc('week', ${local} + INTERVAL 1 DAY) - INTERVAL 1 DAY)`
      : sql`date_trunc(${raw(`'${interval}'`)}, ${local})`,
  toNumber: (text) => sql`TRY_CAST(${text} AS DOUBLE)`,
  toTimestamp: (text) => sql`TRY_CAST(${text} AS TIMESTAMP)`,
  ilike: (text, pattern) => sql`${text} ILIKE ${pattern} ESCAPE '!'`,
  regexMatch: (text, pattern) => sql`regexp_matches(${text}, ${pattern})`,
  quantile: (expression, level, condition) => sql`quantile_cont(${expression}, ${raw(String(level))})${where(condition)}`,
  epochMicros: (utc) => sql`CAST(epoch_us(${utc}) AS DOUBLE)`,
  placeholder: () => '?',
  timestampValue: (value) => sql`${value}::TIMESTAMP`,
  valuesTable: (rows, alias, columns) => sql`(VALUES ${join(rows.map((row) => sql`(${join([...row], ', ')})`), ', ')}) AS ${raw(`${alias}(${columns.join(', ')})`)}`,
  currentPersonId: (override, eventPersonId) => sql`coalesce(${override}, ${eventPersonId})`,
  hasAnyBit: (mask, bits) => sql`(${mask} & ${raw(String(bits))}) <> 0`,
  lead: (expression, offset, partitionBy, orderBy) => sql`lead(${expression}, ${raw(String(offset))}) OVER (PARTITION BY ${partitionBy} ORDER BY ${orderBy})`,
  aggregateIf: (aggregate, argument, condition) => sql`${raw(aggregate)}(${argument ?? raw('*')})${where(condition)}`,
  argMin: (value, keys, condition) => sql`arg_min(${value}, ${keyOf(keys)})${where(condition)}`,
  argMax: (value, keys, condition) => sql`arg_max(${value}, ${keyOf(keys)})${where(condition)}`,
  // An ASOF join: one sorted merge per partition instead of a range join.
  nearestJoin: (left, right, on, rightValue, direction, leftValue) =>
    sql`${left} ASOF LEFT JOIN ${right} ON ${on} AND ${rightValue} ${raw(NEAREST[direction])} ${leftValue}`,
  sortedList: (values) => sql`list_sort(list_filter([${join(values, ', ')}], x -> x IS NOT NULL))`,
  listElement: (list, index) => sql`${list}[${raw(String(index + 1))}]`,
};
