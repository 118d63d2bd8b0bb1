// An ActorsQuery's answer in PostHog's shape: the page's actors serialized (persons and groups
// read from the store, those without a profile or group row listed anyway), one row per actor
// with the selected columns (spec 4.5).
import type { QueryContext } from '../context.js';
import { serializeGroupActor, serializePerson } from '../serialize.js';
import type { Column } from './compile.js';

/** One page of actors, in order, as a source answers it. */
export interface ActorPage {
  readonly kind: 'person' | 'group';
  readonly groupTypeIndex?: number;
  readonly ids: readonly string[];
  /** Matching events per actor (trend points only), parallel to ids. */
  readonly eventCounts?: readonly number[];
  /** One distinct id per actor, to name persons that have no profile (personless events). */
  readonly distinctIds?: readonly string[];
  readonly hasMore: boolean;
}

const COLUMN_TYPES: Record<Column, string> = {
  actor: 'json',
  actor_id: 'string',
  event_count: 'integer',
  created_at: 'datetime',
  matched_recordings: 'json',
};

/** The answer to an ActorsQuery: the page's actors, each as the selected columns. */
export async function shapeActors(ctx: QueryContext, page: ActorPage, select: readonly string[], columns: readonly Column[], limit: number, offset: number) {
  const actors = await serializeActors(ctx, page);
  const results = actors.map((actor, i) =>
    columns.map((column) => {
      switch (column) {
        case 'actor':
          return actor;
        case 'actor_id':
          return actor.id;
        case 'event_count':
          return page.eventCounts?.[i] ?? null;
        case 'created_at':
          return actor.created_at;
        case 'matched_recordings':
          return [];
      }
    }),
  );
  return { results, columns: select, types: columns.map((c) => COLUMN_TYPES[c]), hasMore: page.hasMore, limit, offset };
}

/**
 * Actors in page order. A group key seen on events but never identified ($groupidentify) has no
 * group row; it is listed anyway, with empty properties and a null created_at, so the list
 * matches the trend's count. Likewise a person id without a profile (personless events).
 */
async function serializeActors(ctx: QueryContext, page: ActorPage) {
  if (page.kind === 'group') {
    const index = page.groupTypeIndex!;
    const found = await ctx.store.findGroups(ctx.projectId, page.ids.map((groupKey) => ({ groupTypeIndex: index, groupKey })));
    const byKey = new Map(found.map((g) => [g.groupKey, serializeGroupActor(g)]));
    return page.ids.map((key) => byKey.get(key) ?? unidentifiedGroup(index, key));
  }
  const found = await ctx.store.getPersons(ctx.projectId, page.ids);
  const byId = new Map(found.map((p) => [p.id, serializePerson(p)]));
  return page.ids.map((id, i) => byId.get(id) ?? personWithoutProfile(id, page.distinctIds?.[i]));
}

function unidentifiedGroup(groupTypeIndex: number, groupKey: string) {
  return {
    type: 'group' as const,
    id: groupKey,
    group_key: groupKey,
    group_type_index: groupTypeIndex,
    created_at: null,
    properties: {},
    matched_recordings: [],
    value_at_data_point: null,
  };
}

function personWithoutProfile(id: string, distinctId: string | undefined) {
  return {
    type: 'person' as const,
    id,
    uuid: id,
    name: distinctId ?? id,
    distinct_ids: distinctId === undefined ? [] : [distinctId],
    properties: {},
    is_identified: false,
    created_at: null,
    matched_recordings: [],
    value_at_data_point: null,
  };
}
