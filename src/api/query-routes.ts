// POST /api/projects/:id/query/: PostHog's query API, dispatching on the query's kind.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import { actorsQuerySchema, runActors } from '../query/actors.js';
import { eventsQuerySchema, runEventsQuery } from '../query/events-query.js';
import { funnelsQuerySchema, runFunnels } from '../query/funnels.js';
import { trendsQuerySchema } from '../query/query-schema.js';
import { assertRegexPatternsValid } from '../query/regex-patterns.js';
import { runTrends, type QueryContext } from '../query/trends.js';
import type { Store } from '../store/store.js';
import type { Auth } from './auth.js';
import { groupDisplayName } from '../query/serialize.js';
import { parseInput, projectPrefixes } from './validate.js';

export interface QueryRoutesDeps {
  readonly store: Store;
  readonly queue: IngestQueue;
  readonly auth: Auth;
  readonly maxGroupTypes: number;
}

const bodySchema = z.object({
  query: z.object({ kind: z.string({ error: 'query.kind is required' }) }).loose(),
});

export function registerQueryRoutes(app: FastifyInstance, deps: QueryRoutesDeps): void {
  const { store, queue, auth, maxGroupTypes } = deps;

  const context = (projectId: number): QueryContext => {
    const project = queue.project(projectId)?.project;
    if (!project) throw new HttpError('not_found', 'Project not found.');
    return {
      store,
      projectId,
      timeZone: project.timezone,
      maxGroupTypes,
      now: new Date(),
      groupNames: async (groupTypeIndex, keys) => {
        const groups = await store.findGroups(projectId, keys.map((groupKey) => ({ groupTypeIndex, groupKey })));
        return new Map(groups.map((g) => [g.groupKey, groupDisplayName(g)]));
      },
    };
  };

  for (const prefix of projectPrefixes) {
    app.post(`${prefix}/query`, async (req: FastifyRequest) => {
      const projectId = await auth.projectIdFor(req, (req.params as { projectId: string }).projectId);
      const { query } = parseInput(bodySchema, req.body);
      const ctx = context(projectId);
      const checked = async <T>(parsed: T): Promise<T> => {
        await assertRegexPatternsValid(store, parsed);
        return parsed;
      };
      switch (query.kind) {
        case 'TrendsQuery': {
          const trends = await checked(parseInput(trendsQuerySchema, query));
          return { results: await runTrends(ctx, trends), is_cached: false, timezone: ctx.timeZone, last_refresh: ctx.now.toISOString() };
        }
        case 'FunnelsQuery': {
          const funnels = await checked(parseInput(funnelsQuerySchema, query));
          return { results: await runFunnels(ctx, funnels), is_cached: false, timezone: ctx.timeZone, last_refresh: ctx.now.toISOString() };
        }
        case 'ActorsQuery':
          return runActors(ctx, await checked(parseInput(actorsQuerySchema, query)));
        case 'EventsQuery':
          return runEventsQuery(ctx, await checked(parseInput(eventsQuerySchema, query)));
        default:
          throw new HttpError('invalid_input', `Query kind "${query.kind}" is not supported.`, 'query.kind');
      }
    });
  }
}
