// EventsQuery to SQL: the page of events (newest first unless asked otherwise) matching the
// query's bounds, event name, person and property filters (EventScope maps a `$group_N` key to
// its column), with the current person and every group key. The query's select and orderBy are
// read here too.
import { HttpError } from '../../errors.js';
import type { QueryContext } from '../context.js';
import { fromNaive } from '../date-range.js';
import { EventScope, GROUP_KEY_PROPERTY } from '../event-scope.js';
import { bareExpression } from '../query-schema.js';
import { and, join, raw, sql, type Sql } from '../../sql/sql.js';
import type { EventsQuery } from './schema.js';

export type Column =
  | { kind: 'event' }
  | { kind: 'field'; field: 'event' | 'timestamp' | 'distinct_id' | 'uuid' | 'person_id' }
  | { kind: 'person' }
  | { kind: 'groupKey'; index: number }
  /** properties.<key>, or coalesce() of several: the first present. */
  | { kind: 'properties'; keys: string[] };

const FIELDS = ['event', 'timestamp', 'distinct_id', 'uuid', 'person_id'] as const;
const PROPERTY = /^properties\.(.+)$/;

export function parseColumn(expression: string, attr: string, maxGroupTypes: number): Column {
  // PostHog labels columns with a trailing "-- Label" comment.
  const text = bareExpression(expression);
  const unsupported = () =>
    new HttpError(
      'invalid_input',
      `select "${expression}" is not supported: use *, event, timestamp, distinct_id, uuid, person, person_id, properties.<key>, coalesce(properties.<a>, properties.<b>, ...) or $group_N.`,
      attr,
    );
  if (text === '*') return { kind: 'event' };
  if (text === 'person') return { kind: 'person' };
  if ((FIELDS as readonly string[]).includes(text)) return { kind: 'field', field: text as (typeof FIELDS)[number] };
  const group = GROUP_KEY_PROPERTY.exec(text);
  if (group) {
    const index = Number(group[1]);
    if (index >= maxGroupTypes) throw new HttpError('invalid_input', `${text}: group type index must be between 0 and ${maxGroupTypes - 1}.`, attr);
    return { kind: 'groupKey', index };
  }
  const property = PROPERTY.exec(text);
  if (property) return { kind: 'properties', keys: [property[1]] };
  const coalesce = /^coalesce\((.*)\)$/i.exec(text);
  if (coalesce) {
    const keys = coalesce[1].split(',').map((part) => PROPERTY.exec(part.trim())?.[1]);
    if (keys.length > 0 && keys.every((k): k is string => k !== undefined)) return { kind: 'properties', keys };
  }
  throw unsupported();
}

export function parseOrder(orderBy: readonly string[] | null | undefined): 'ASC' | 'DESC' {
  if (!orderBy || orderBy.length === 0) return 'DESC';
  const m = /^timestamp(?:\s+(asc|desc))?$/i.exec(orderBy[0].trim());
  if (!m || orderBy.length > 1) {
    throw new HttpError('invalid_input', 'orderBy must be ["timestamp DESC"] or ["timestamp ASC"].', 'orderBy');
  }
  return (m[1] ?? 'asc').toUpperCase() as 'ASC' | 'DESC';
}

const RELATIVE = /^-(\d+)([hdwmqy])$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * An `after`/`before` bound as an instant. Relative values (-24h, -7d, -1m...) count back from
 * now exactly, as PostHog's relative_date_parse does without truncation. A date alone is a whole
 * day in the project's time zone: `after` starts at its midnight, `before` ends at the next one.
 * A datetime without a zone is wall-clock time in the project's time zone.
 */
export function parseBound(value: string, attr: 'after' | 'before', ctx: QueryContext): Date {
  const relative = RELATIVE.exec(value);
  if (relative) {
    const n = Number(relative[1]);
    const d = new Date(ctx.now.getTime());
    const unit = relative[2];
    if (unit === 'h') return new Date(d.getTime() - n * 3_600_000);
    if (unit === 'd') d.setUTCDate(d.getUTCDate() - n);
    if (unit === 'w') d.setUTCDate(d.getUTCDate() - 7 * n);
    if (unit === 'm') d.setUTCMonth(d.getUTCMonth() - n);
    if (unit === 'q') d.setUTCMonth(d.getUTCMonth() - 3 * n);
    if (unit === 'y') d.setUTCFullYear(d.getUTCFullYear() - n);
    return d;
  }
  const invalid = () => new HttpError('invalid_input', `${attr} "${value}" is not a date: use an ISO date or datetime, or -Nh/-Nd/-Nw/-Nm/-Ny.`, attr);
  if (DATE_ONLY.test(value)) {
    const midnight = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(midnight.getTime())) throw invalid();
    if (attr === 'before') midnight.setUTCDate(midnight.getUTCDate() + 1);
    return fromNaive(midnight, ctx.timeZone);
  }
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value);
  const ms = Date.parse(hasZone ? value : `${value}Z`);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}[T ]/.test(value)) throw invalid();
  return hasZone ? new Date(ms) : fromNaive(new Date(ms), ctx.timeZone);
}

export interface EventsPage {
  /** Exclusive bounds; no lower bound for `after: "all"`. */
  readonly after: Date | undefined;
  readonly before: Date;
  readonly direction: 'ASC' | 'DESC';
  readonly limit: number;
  readonly offset: number;
}

/** Rows of stored event fields, `person_id` and `group_0`..: `limit + 1` at most (the extra one says there are more). */
export function compileEventsPage(ctx: QueryContext, query: EventsQuery, page: EventsPage): Sql {
  const { after, before, direction, limit, offset } = page;
  const scope = new EventScope(ctx.store.dialect, ctx.projectId, ctx.maxGroupTypes, ctx.timeZone);
  const person = scope.personId();
  const conditions = and([
    sql`e.project_id = ${ctx.projectId}`,
    ...(after ? [sql`e.timestamp > ${after}`] : []),
    sql`e.timestamp < ${before}`,
    ...(query.event ? [sql`e.event = ${query.event}`] : []),
    ...(query.personId ? [sql`${person} = ${query.personId}`] : []),
    scope.filters(query.properties, 'properties'),
    scope.filters(query.fixedProperties, 'fixedProperties'),
  ]);
  const groupKeys = Array.from({ length: ctx.maxGroupTypes }, (_, i) => sql`${scope.groupKey(i)} AS ${raw(`group_${i}`)}`);
  const order = raw(direction);
  return sql`SELECT e.uuid, e.event, e.distinct_id, ${person} AS person_id, e.timestamp, e.properties, e.created_at, ${join(groupKeys, ', ')}
    ${scope.from()} WHERE ${conditions}
    ORDER BY e.timestamp ${order}, e.uuid ${order} LIMIT ${limit + 1} OFFSET ${offset}`;
}
