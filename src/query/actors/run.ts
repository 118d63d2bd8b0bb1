// ActorsQuery: the persons or groups behind a point of an insight, one page at a time. The source
// is an InsightActorsQuery over a TrendsQuery point (trendActors, trends/run.ts) or a
// FunnelsActorsQuery over a funnel step (funnelActors, funnels/run.ts); both answer actor ids in
// order, serialized in shape.ts (spec 4.5).
import { HttpError } from '../../errors.js';
import type { QueryContext } from '../context.js';
import { funnelActors } from '../funnels/run.js';
import { trendActors } from '../trends/run.js';
import { parseOrder, parseSelect } from './compile.js';
import type { ActorsQuery } from './schema.js';
import { shapeActors, type ActorPage } from './shape.js';

const DEFAULT_LIMIT = 100;

const isEmpty = (properties: ActorsQuery['properties']) => !properties || (Array.isArray(properties) ? properties.length === 0 : properties.values.length === 0);

/** Fields of the FunnelsActorsQuery itself that funnelActors names; any other field belongs to the insight. */
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
  return shapeActors(ctx, page, select, columns, limit, offset);
}
