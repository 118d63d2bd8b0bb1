// ActorsQuery: the persons or groups behind a point of an insight, one page at a time. The source
// is an InsightActorsQuery over a TrendsQuery point (trends-actors.ts) or a FunnelsActorsQuery
// over a funnel step (funnels.ts); both answer actor ids in order, serialized here (spec 4.5).
import { z } from 'zod';
import { serializeGroupActor, serializePerson } from '../serialize.js';
import { HttpError } from '../../errors.js';
import { funnelActors, funnelsQuerySchema } from '../funnels/funnels.js';
import { propertiesSchema, trendsQuerySchema } from '../query-schema.js';
import { trendActors, type ActorOrderKey } from '../trends/trends-actors.js';
import type { QueryContext } from '../context.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const insightActorsQuerySchema = z.object({
  kind: z.literal('InsightActorsQuery'),
  source: z.discriminatedUnion('kind', [trendsQuerySchema], { error: 'InsightActorsQuery supports TrendsQuery sources only' }),
  day: z.string({ error: 'day must be a date string, as in the trend\'s days' }).nullish(),
  series: z.number().int().min(0, { error: 'series must be a series index (0 or more)' }).nullish(),
  breakdown: z.union([z.string(), z.number()], { error: 'breakdown must be one breakdown value' }).nullish(),
  compare: z.enum(['current', 'previous'], { error: 'compare must be current or previous' }).nullish(),
});

const funnelsActorsQuerySchema = z.object({
  kind: z.literal('FunnelsActorsQuery'),
  source: funnelsQuerySchema,
  funnelStep: z
    .number({ error: 'funnelStep is required: a 1-based step, or -N for actors who reached step N-1 but not N' })
    .int()
    .refine((n) => n !== 0 && n !== -1, { error: 'funnelStep must be 1 or more, or -2 or less (dropped off before that step)' }),
  funnelStepBreakdown: z.union([scalar, z.array(scalar)]).nullish(),
  funnelCustomSteps: z.array(z.number()).nullish(),
  funnelTrendsDropOff: z.boolean().nullish(),
  funnelTrendsEntrancePeriodStart: z.string().nullish(),
});

export const actorsQuerySchema = z.object({
  kind: z.literal('ActorsQuery'),
  source: z.discriminatedUnion('kind', [insightActorsQuerySchema, funnelsActorsQuerySchema], {
    error: 'source must be an InsightActorsQuery (over a TrendsQuery) or a FunnelsActorsQuery',
  }),
  select: z.array(z.string()).min(1, { error: 'select needs at least one column' }).nullish(),
  limit: z.number().int().min(1).max(MAX_LIMIT, { error: `limit must be at most ${MAX_LIMIT}` }).nullish(),
  offset: z.number().int().min(0).nullish(),
  orderBy: z.array(z.string()).nullish(),
  search: z.string().nullish(),
  properties: propertiesSchema,
  fixedProperties: propertiesSchema,
});
export type ActorsQuery = z.infer<typeof actorsQuerySchema>;

/** One page of actors, in order, as a source answers it. */
interface ActorPage {
  readonly kind: 'person' | 'group';
  readonly groupTypeIndex?: number;
  readonly ids: readonly string[];
  /** Matching events per actor (trend points only), parallel to ids. */
  readonly eventCounts?: readonly number[];
  /** One distinct id per actor, to name persons that have no profile (personless events). */
  readonly distinctIds?: readonly string[];
  readonly hasMore: boolean;
}

type Column = 'actor' | 'actor_id' | 'event_count' | 'created_at' | 'matched_recordings';
const COLUMNS: Record<string, Column> = {
  actor: 'actor',
  person: 'actor',
  id: 'actor_id',
  actor_id: 'actor_id',
  event_count: 'event_count',
  created_at: 'created_at',
  matched_recordings: 'matched_recordings',
};
const COLUMN_TYPES: Record<Column, string> = {
  actor: 'json',
  actor_id: 'string',
  event_count: 'integer',
  created_at: 'datetime',
  matched_recordings: 'json',
};

/** A select or orderBy expression without PostHog's trailing "-- label" comment. */
const bare = (expression: string) => expression.replace(/\s+--.*$/, '').trim();

function parseSelect(select: readonly string[]): Column[] {
  return select.map((expression, i) => {
    const column = COLUMNS[bare(expression)];
    if (!column) {
      throw new HttpError('invalid_input', `select "${expression}" is not supported: use ${Object.keys(COLUMNS).join(', ')}.`, `select.${i}`);
    }
    return column;
  });
}

/** orderBy entries like "event_count DESC" (several may share one string, comma-separated). */
function parseOrder(orderBy: readonly string[] | null | undefined): { key: ActorOrderKey; desc: boolean }[] {
  if (!orderBy || orderBy.length === 0) return [{ key: 'event_count', desc: true }];
  return orderBy.flatMap((entry, i) =>
    entry.split(',').map((part) => {
      const m = /^([a-z_]+)(?:\s+(asc|desc))?$/i.exec(bare(part));
      const key = m ? COLUMNS[m[1].toLowerCase()] : undefined;
      if (!m || (key !== 'event_count' && key !== 'actor_id')) {
        throw new HttpError('invalid_input', `orderBy "${part.trim()}" is not supported: order by event_count or actor_id, ASC or DESC.`, `orderBy.${i}`);
      }
      return { key, desc: (m[2] ?? 'asc').toLowerCase() === 'desc' };
    }),
  );
}

const isEmpty = (properties: ActorsQuery['properties']) => !properties || (Array.isArray(properties) ? properties.length === 0 : properties.values.length === 0);

/** Fields of the FunnelsActorsQuery itself that funnels.ts names; any other field belongs to the insight. */
const SOURCE_FIELDS = new Set(['funnelStep', 'funnelStepBreakdown']);

/**
 * Errors from running the nested insight name its fields from the insight (or from the actors
 * source); name them from the request instead, e.g. series.0.math -> source.source.series.0.math.
 */
async function underSource<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpError && error.attr && !error.attr.startsWith('source.')) {
      const prefix = SOURCE_FIELDS.has(error.attr) ? 'source' : 'source.source';
      const detail = error.detail.startsWith(error.attr) ? `${prefix}.${error.detail}` : error.detail;
      throw new HttpError(error.code, detail, `${prefix}.${error.attr}`);
    }
    throw error;
  }
}

async function sourcePage(ctx: QueryContext, query: ActorsQuery, limit: number, offset: number): Promise<ActorPage> {
  const source = query.source;
  if (source.kind === 'InsightActorsQuery') {
    const order = parseOrder(query.orderBy);
    const page = await underSource(() =>
      trendActors(
        ctx,
        {
          source: source.source,
          series: source.series ?? 0,
          day: source.day ?? undefined,
          breakdown: source.breakdown === null || source.breakdown === undefined ? undefined : String(source.breakdown),
          compare: source.compare ?? undefined,
        },
        { limit, offset, order, search: query.search || undefined },
      ),
    );
    return {
      kind: page.kind,
      groupTypeIndex: page.groupTypeIndex,
      ids: page.actors.map((a) => a.id),
      eventCounts: page.actors.map((a) => a.eventCount),
      distinctIds: page.actors.map((a) => a.distinctId),
      hasMore: page.hasMore,
    };
  }
  // Funnel actors come in the funnel's own order (by id), with no per-actor event count.
  if (query.orderBy && query.orderBy.length > 0) throw new HttpError('invalid_input', 'orderBy is not supported for FunnelsActorsQuery.', 'orderBy');
  if (query.search) throw new HttpError('invalid_input', 'search is not supported for FunnelsActorsQuery.', 'search');
  for (const field of ['funnelCustomSteps', 'funnelTrendsDropOff', 'funnelTrendsEntrancePeriodStart'] as const) {
    if (source[field] !== null && source[field] !== undefined) {
      throw new HttpError('invalid_input', `${field} (funnel trends and custom steps) is not supported.`, `source.${field}`);
    }
  }
  return underSource(() => funnelActors(ctx, source.source, source.funnelStep, source.funnelStepBreakdown ?? null, limit, offset));
}

export async function runActors(ctx: QueryContext, query: ActorsQuery): Promise<Record<string, unknown>> {
  const select = query.select ?? ['actor'];
  const columns = parseSelect(select);
  for (const field of ['properties', 'fixedProperties'] as const) {
    if (!isEmpty(query[field])) throw new HttpError('invalid_input', 'Filtering actors by properties is not supported; filter the insight instead.', field);
  }
  const limit = query.limit ?? DEFAULT_LIMIT;
  const offset = query.offset ?? 0;
  if (query.source.kind === 'FunnelsActorsQuery' && columns.includes('event_count')) {
    throw new HttpError('invalid_input', 'event_count is only available for trend points.', `select.${columns.indexOf('event_count')}`);
  }

  const page = await sourcePage(ctx, query, limit, offset);
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
