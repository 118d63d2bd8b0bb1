// What differs between SQL engines, as hooks the query compiler calls. Each store backend
// provides one (store/<backend>/<backend>-dialect.ts). Values stay parameters.
import type { Sql } from './sql.js';

export type Interval = 'hour' | 'day' | 'week' | 'month';
export type LogicalTable = 'events' | 'persons' | 'groups' | 'person_overrides';

export interface Dialect {
  /** The relation holding a logical table's current rows. */
  table(name: LogicalTable): Sql;
  /** A property of a JSON properties column as text; NULL when missing or JSON null. */
  propertyText(column: Sql, key: string): Sql;
  /** A stored UTC timestamp as wall-clock time in the time zone (IANA name). */
  localTime(utcTimestamp: Sql, timeZone: string): Sql;
  /** Start of the interval holding a wall-clock timestamp; weeks start on Sunday, as PostHog's default. */
  truncate(interval: Interval, localTimestamp: Sql): Sql;
  /** Text to a number, NULL when it is not one. */
  toNumber(text: Sql): Sql;
  /** Text to a timestamp, NULL when it is not one. */
  toTimestamp(text: Sql): Sql;
  /** Case-insensitive LIKE with '!' escaping. */
  ilike(text: Sql, pattern: string): Sql;
  regexMatch(text: Sql, pattern: string): Sql;
  /** Continuous (interpolated) quantile, 0..1. */
  quantile(expression: Sql, level: number): Sql;
  /** A stored UTC timestamp as microseconds since the epoch, as a double (exact to 2^53). */
  epochMicros(utcTimestamp: Sql): Sql;
}
