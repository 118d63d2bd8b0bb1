// What differs between SQL engines, as hooks the query compiler calls. Each store backend
// provides one (store/<backend>/<backend>-dialect.ts). Values stay parameters.
import type { Placeholders, Sql } from './sql.js';

export type Interval = 'hour' | 'day' | 'week' | 'month';
/** The tables queries read, by the names of the logical model (each backend maps them to its own relations). */
export type LogicalTable =
  | 'events'
  | 'persons'
  | 'groups'
  | 'person_overrides'
  | 'person_distinct_ids'
  | 'property_definitions'
  | 'ingestion_warnings';
export type Aggregate = 'count' | 'min' | 'max' | 'sum' | 'avg';

export interface Dialect extends Placeholders {
  /** The relation holding a logical table's current rows. */
  table(name: LogicalTable): Sql;
  /** A property of a JSON properties column as text; NULL when missing or JSON null. */
  propertyText(column: Sql, key: string): Sql;
  /**
   * A property as text only when it is a string, number or boolean (`true`, numbers as written);
   * NULL when missing, JSON null, an object or an array.
   */
  propertyScalarText(column: Sql, key: string): Sql;
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
  /** Continuous (interpolated) quantile, 0..1, over the rows where `condition` holds (all rows without one). */
  quantile(expression: Sql, level: number, condition?: Sql): Sql;
  /** A stored UTC timestamp as microseconds since the epoch, as a double (exact to 2^53). */
  epochMicros(utcTimestamp: Sql): Sql;
  /** A parameter (a Date) as a zone-less timestamp, comparable with localTime() and stored times. */
  timestampValue(value: Sql): Sql;
  /** An inline table of rows (each the same number of values), aliased `alias(columns...)`. */
  valuesTable(rows: readonly (readonly Sql[])[], alias: string, columns: readonly string[]): Sql;
  /**
   * The person id an event has now: `override` from a LEFT JOIN to person_overrides when it
   * matched, else the event's own. (An engine whose LEFT JOIN fills '' rather than NULL tests for that.)
   */
  currentPersonId(override: Sql, eventPersonId: Sql): Sql;

  // Funnels (query/funnels/compile.ts). ClickHouse would answer most of a funnel with windowFunnel;
  // these hooks are the pieces the generic formulation needs.
  /** Does an integer mask share a bit with `bits` (a non-negative integer below 2^31)? */
  hasAnyBit(mask: Sql, bits: number): Sql;
  /** `expression` on the row `offset` rows after this one in a window's order (NULL past the end). */
  lead(expression: Sql, offset: number, partitionBy: Sql, orderBy: Sql): Sql;
  /** An aggregate over only the rows where `condition` holds; `argument` null counts rows. */
  aggregateIf(aggregate: Aggregate, argument: Sql | null, condition: Sql): Sql;
  /** The value on the row with the smallest (`argMin`) or largest keys, compared in order, among rows where `condition` holds. */
  argMin(value: Sql, keys: readonly Sql[], condition?: Sql): Sql;
  argMax(value: Sql, keys: readonly Sql[], condition?: Sql): Sql;
  /**
   * `left` joined to at most one `right` row per left row: among those where `on` holds, the one
   * whose `rightValue` is the smallest above `leftValue` (`after`; `atOrAfter` also takes an
   * equal one) or the largest below it (`before`). No match leaves the right columns NULL.
   * Both sides are aliased relations.
   */
  nearestJoin(left: Sql, right: Sql, on: Sql, rightValue: Sql, direction: 'after' | 'atOrAfter' | 'before', leftValue: Sql): Sql;
  /** The non-NULL values, sorted ascending, as one list value (see listElement). */
  sortedList(values: readonly Sql[]): Sql;
  /** The element at a 0-based index of a list value, NULL past its end. */
  listElement(list: Sql, index: number): Sql;
}
