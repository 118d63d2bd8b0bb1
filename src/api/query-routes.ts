// POST /api/projects/:id/query/: PostHog's query API, dispatching on the query's kind through
// the registry (query/registry.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { assertRegexPatternsValid } from '../query/regex-patterns.js';
import { queryKind } from '../query/registry.js';
import { type QueryContext } from '../query/context.js';
import type { Store } from '../store/store.js';
import type { Auth } from './auth.js';
import { groupDisplayName } from '../query/serialize.js';
import { parseInput, projectPrefixes } from './validate.js';
import type { ProjectDirectory } from '../projects.js';

export interface QueryRoutesDeps {
  readonly store: Store;
  readonly projects: ProjectDirectory;
  readonly auth: Auth;
  readonly maxGroupTypes: number;
}

const bodySchema = z.object({
  query: z.object({ kind: z.string({ error: 'query.kind is required' }) }).loose(),
});

export function registerQueryRoutes(app: FastifyInstance, deps: QueryRoutesDeps): void {
  const { store, projects, auth, maxGroupTypes } = deps;

  const context = (projectId: number): QueryContext => {
    const project = projects.get(projectId);
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
      const kind = queryKind(query.kind);
      if (!kind) throw new HttpError('invalid_input', `Query kind "${query.kind}" is not supported.`, 'query.kind');
      const parsed = parseInput(kind.schema, query);
      await assertRegexPatternsValid(store, parsed);
      return kind.run(ctx, parsed);
    });
  }
}
