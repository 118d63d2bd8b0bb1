// DuckDB's SQL for the query compiler's hooks.
import type { Dialect, Interval, LogicalTable } from '../../query/dialect.js';
import { raw, sql, type Sql } from '../../query/sql.js';

const TABLES: Record<LogicalTable, string> = {
  events: 'events',
  persons: 'current_persons',
  groups: 'current_groups',
  person_overrides: 'person_overrides',
};

export const duckdbDialect: Dialect = {
  table: (name) => raw(TABLES[name]),
  propertyText: (column, key) => sql`json_extract_string(${column}, ${`$."${key.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`})`,
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
  quantile: (expression, level) => sql`quantile_cont(${expression}, ${raw(String(level))})`,
  epochMicros: (utc) => sql`CAST(epoch_us(${utc}) AS DOUBLE)`,
};
