// An EventsQuery's rows in PostHog's shape: each event serialized as the events API gives it
// ($group_N in properties), then one row per event with the selected columns.
import type { QueryContext } from '../context.js';
import { serializeEvent } from '../serialize.js';
import type { Column } from './compile.js';
import type { EventsQuery } from './schema.js';

const columnType = (c: Column): string =>
  c.kind === 'event' || c.kind === 'person' || c.kind === 'properties' ? 'json' : c.kind === 'field' && c.field === 'timestamp' ? 'datetime' : 'string';

/** The answer to an EventsQuery: compileEventsPage's rows (one past the page when there are more) as the page of events, each as the selected columns. */
export async function shapeEvents(
  ctx: QueryContext,
  query: EventsQuery,
  columns: readonly Column[],
  rows: readonly Record<string, unknown>[],
  limit: number,
  offset: number,
): Promise<Record<string, unknown>> {
  const events = rows.slice(0, limit).map((r) =>
    serializeEvent({
      uuid: String(r.uuid),
      projectId: ctx.projectId,
      event: String(r.event),
      distinctId: String(r.distinct_id),
      personId: String(r.person_id),
      timestamp: r.timestamp instanceof Date ? r.timestamp : new Date(String(r.timestamp)),
      propertiesJson: String(r.properties),
      groupKeys: Array.from({ length: ctx.maxGroupTypes }, (_, i) => String(r[`group_${i}`] ?? '')),
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
