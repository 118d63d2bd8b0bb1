// EventsQuery: one page of raw events with the columns asked for, newest first, as PostHog's event
// tables ask for them (the activity page, a person's or a group's events). Only property filters
// are accepted, never raw HogQL; a group's events are those with the filter
// {key: '$group_N', value: <group key>, type: 'event'} (EventScope maps the key to its column).
import { z } from 'zod';
import { serializeEvent } from '../serialize.js';
import { HttpError } from '../../errors.js';
import { fromNaive } from '../date-range.js';
import { EventScope } from '../event-scope.js';
import { propertiesSchema } from '../query-schema.js';
import { and, join, raw, sql } from '../../sql/sql.js';
import type { QueryContext } from '../context.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** PostHog's defaults: the last 24 hours, and nothing stamped in the future (5 s of clock skew allowed). */
const DEFAULT_AFTER = '-24h';
const FUTURE_SKEW_MS = 5_000;

const GROUP_KEY = /^\$group_(\d)$/;

/**
 * PostHog's UI names a group's key filter in three ways over time: type 'event', 'event_metadata'
 * or 'group' with key '$group_N'. All mean the event's group key column, so read them as 'event'.
 */
function groupKeyFiltersAsEventFilters(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(groupKeyFiltersAsEventFilters);
  if (value === null || typeof value !== 'object') return value;
  const filter = value as Record<string, unknown>;
  if (Array.isArray(filter.values)) return { ...filter, values: filter.values.map(groupKeyFiltersAsEventFilters) };
  if (typeof filter.key === 'string' && GROUP_KEY.test(filter.key) && (filter.type === 'group' || filter.type === 'event_metadata')) {
    const { group_type_index: _ignored, ...rest } = filter;
    return { ...rest, type: 'event' };
  }
  return value;
}

const filtersSchema = z.preprocess(groupKeyFiltersAsEventFilters, propertiesSchema);

export const eventsQuerySchema = z.object({
  kind: z.literal('EventsQuery'),
  select: z.array(z.string(), { error: 'select must be a list of columns' }).min(1, { error: 'select needs at least one column' }),
  where: z.array(z.string()).nullish(),
  properties: filtersSchema,
  fixedProperties: filtersSchema,
  event: z.string().nullish(),
  personId: z.string().nullish(),
  after: z.string().nullish(),
  before: z.string().nullish(),
  orderBy: z.array(z.string()).nullish(),
  limit: z.number().int().min(1).max(MAX_LIMIT, { error: `limit must be at most ${MAX_LIMIT}` }).nullish(),
  offset: z.number().int().min(0).nullish(),
});
export type EventsQuery = z.infer<typeof eventsQuerySchema>;

type Column =
  | { kind: 'event' }
  | { kind: 'field'; field: 'event' | 'timestamp' | 'distinct_id' | 'uuid' | 'person_id' }
  | { kind: 'person' }
  | { kind: 'groupKey'; index: number }
  /** properties.<key>, or coalesce() of several: the first present. */
  | { kind: 'properties'; keys: string[] };

const FIELDS = ['event', 'timestamp', 'distinct_id', 'uuid', 'person_id'] as const;
const PROPERTY = /^properties\.(.+)$/;

function parseColumn(expression: string, attr: string, maxGroupTypes: number): Column {
  // PostHog labels columns with a trailing "-- Label" comment.
  const text = expression.replace(/\s+--.*$/, '').trim();
  const unsupported = () =>
    new HttpError(
      'invalid_input',
      `select "${expression}" is not supported: use *, event, timestamp, distinct_id, uuid, person, person_id, properties.<key>, coalesce(properties.<a>, properties.<b>, ...) or $group_N.`,
      attr,
    );
  if (text === '*') return { kind: 'event' };
  if (text === 'person') return { kind: 'person' };
  if ((FIELDS as readonly string[]).includes(text)) return { kind: 'field', field: text as (typeof FIELDS)[number] };
  const group = GROUP_KEY.exec(text);
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

const columnType = (c: Column): string =>
  c.kind === 'event' || c.kind === 'person' || c.kind === 'properties' ? 'json' : c.kind === 'field' && c.field === 'timestamp' ? 'datetime' : 'string';

function parseOrder(orderBy: readonly string[] | null | undefined): 'ASC' | 'DESC' {
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
function parseBound(value: string, attr: 'after' | 'before', ctx: QueryContext): Date {
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

export async function runEventsQuery(ctx: QueryContext, query: EventsQuery): Promise<Record<string, unknown>> {
  if (query.where && query.where.some((w) => w.trim() !== '')) {
    throw new HttpError('invalid_input', 'HogQL where clauses are not supported: filter with properties (property filters) instead.', 'where');
  }
  const columns = query.select.map((expression, i) => parseColumn(expression, `select.${i}`, ctx.maxGroupTypes));
  const direction = parseOrder(query.orderBy);
  const limit = query.limit ?? DEFAULT_LIMIT;
  const offset = query.offset ?? 0;
  const afterText = query.after || DEFAULT_AFTER;
  const after = afterText === 'all' ? undefined : parseBound(afterText, 'after', ctx);
  const before = query.before ? parseBound(query.before, 'before', ctx) : new Date(ctx.now.getTime() + FUTURE_SKEW_MS);

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
  const { sql: text, params } = sql`SELECT e.uuid, e.event, e.distinct_id, ${person} AS person_id, e.timestamp, e.properties, e.created_at, ${join(groupKeys, ', ')}
    ${scope.from()} WHERE ${conditions}
    ORDER BY e.timestamp ${order}, e.uuid ${order} LIMIT ${limit + 1} OFFSET ${offset}`.build(ctx.store.dialect);
  const rows = await ctx.store.query(text, params);

  const events = rows.slice(0, limit).map((r) =>
    serializeEvent({
      uuid: String(r.uuid),
      projectId: ctx.projectId,
      event: String(r.event),
      distinctId: String(r.distinct_id),
      personId: String(r.person_id),
      timestamp: r.timestamp instanceof Date ? r.timestamp : new Date(String(r.timestamp)),
      propertiesJson: String(r.properties),
      groupKeys: groupKeys.map((_, i) => String(r[`group_${i}`] ?? '')),
      createdAt: r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at)),
    }),
  );
  const persons = columns.some((c) => c.kind === 'person') ? await personsOf(ctx, events.map((e) => e.person_id)) : new Map();

  const results = events.map((e) =>
    columns.map((c) => {
      switch (c.kind) {
        case 'event':
          return { uuid: e.uuid, event: e.event, properties: e.properties, timestamp: e.timestamp, distinct_id: e.distinct_id, person_id: e.person_id, elements_chain: '' };
        case 'field':
          return e[c.field];
        case 'person': {
          const p = persons.get(e.person_id);
          return { uuid: e.person_id, distinct_id: e.distinct_id, created_at: p?.createdAt.toISOString() ?? null, properties: p?.properties ?? {} };
        }
        case 'groupKey':
          // As PostHog's $group_N column: '' when the event has no group of that type.
          return e.properties[`$group_${c.index}`] ?? '';
        case 'properties': {
          const key = c.keys.find((k) => e.properties[k] !== undefined && e.properties[k] !== null);
          return key === undefined ? null : e.properties[key];
        }
      }
    }),
  );
  return { columns: query.select, results, types: columns.map(columnType), hasMore: rows.length > limit, limit, offset };
}

async function personsOf(ctx: QueryContext, ids: readonly string[]) {
  const persons = await ctx.store.getPersons(ctx.projectId, [...new Set(ids)]);
  return new Map(persons.map((p) => [p.id, p]));
}
