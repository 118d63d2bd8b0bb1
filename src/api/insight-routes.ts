// Saved insights (a name and a TrendsQuery or FunnelsQuery), kept as store documents of kind
// "insight" keyed by a short id, and the project's event names with counts for the web app's
// event pickers. Both reach only the caller's project.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { insightQuerySchemas } from '../query/registry.js';
import { walkQuery } from '../query/query-walk.js';
import type { StoredDocument, Store } from '../store/store.js';
import type { Auth } from './auth.js';
import { parseInput, projectPrefixes } from './validate.js';
import { and, raw, sql } from '../sql/sql.js';

export interface InsightRoutesDeps {
  readonly store: Store;
  readonly auth: Auth;
  readonly maxGroupTypes: number;
}

const MAX_NAME_LENGTH = 400;

const insightQuerySchema = z.discriminatedUnion('kind', insightQuerySchemas, {
  error: 'query.kind must be TrendsQuery or FunnelsQuery',
});
export type InsightQuery = z.infer<typeof insightQuerySchema>;

const nameSchema = z
  .string({ error: 'name is required' })
  .trim()
  .min(1, { error: 'name must not be empty' })
  .max(MAX_NAME_LENGTH, { error: `name must be at most ${MAX_NAME_LENGTH} characters` });

const createSchema = z.object({ name: nameSchema, query: insightQuerySchema });
const updateSchema = z.object({ name: nameSchema.optional(), query: insightQuerySchema.optional() });

/**
 * Every group type index a query names (group_type_index, math_, breakdown_ and
 * aggregation_group_type_index, wherever they sit), with the field naming it.
 */
function groupTypeIndexes(query: InsightQuery): [number, string][] {
  const found: [number, string][] = [];
  walkQuery(query, (node, attr) => {
    for (const [key, value] of Object.entries(node)) {
      if (key.endsWith('group_type_index') && typeof value === 'number') found.push([value, `query.${attr === '' ? '' : `${attr}.`}${key}`]);
    }
  });
  return found;
}

function checkGroupTypeIndexes(query: InsightQuery, maxGroupTypes: number): void {
  for (const [index, attr] of groupTypeIndexes(query)) {
    if (index < 0 || index >= maxGroupTypes) throw new HttpError('invalid_input', `${attr}: group type index must be 0 to ${maxGroupTypes - 1}.`, attr);
  }
}

/** 8 characters of [A-Za-z0-9], as PostHog's short ids. */
function newShortId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The API's shape of a saved insight; `id` and `short_id` are the same short id. */
export function serializeInsight(document: StoredDocument) {
  return {
    id: document.id,
    short_id: document.id,
    name: String(document.body.name),
    query: document.body.query as InsightQuery,
    created_at: document.createdAt.toISOString(),
    updated_at: document.updatedAt.toISOString(),
  };
}

export function serializeEventDefinition(row: Record<string, unknown>) {
  const lastSeen = row.last_seen_at;
  return {
    id: String(row.event),
    name: String(row.event),
    count: Number(row.count),
    last_seen_at: lastSeen instanceof Date ? lastSeen.toISOString() : lastSeen === null || lastSeen === undefined ? null : String(lastSeen),
  };
}

const eventDefinitionsQuery = z.object({
  search: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

export function registerInsightRoutes(app: FastifyInstance, deps: InsightRoutesDeps): void {
  const { store, auth, maxGroupTypes } = deps;
  const project = (req: FastifyRequest) => auth.projectIdFor(req, (req.params as { projectId: string }).projectId);

  /** The project's insight by id, or 404 (another project's insight is as good as missing). */
  const findInsight = async (projectId: number, id: string): Promise<StoredDocument> => {
    const document = await store.getDocument('insight', id);
    if (!document || document.projectId !== projectId) throw new HttpError('not_found', `Insight "${id}" does not exist.`);
    return document;
  };

  for (const prefix of projectPrefixes) {
    app.get(`${prefix}/insights`, async (req) => {
      const projectId = await project(req);
      const results = (await store.listDocuments('insight', projectId)).filter((d) => d.projectId === projectId).map(serializeInsight);
      return { count: results.length, next: null, previous: null, results };
    });

    app.post(`${prefix}/insights`, async (req, reply) => {
      const projectId = await project(req);
      const input = parseInput(createSchema, req.body);
      checkGroupTypeIndexes(input.query, maxGroupTypes);
      const now = new Date();
      let id = newShortId();
      while (await store.getDocument('insight', id)) id = newShortId();
      const document: StoredDocument = { kind: 'insight', id, projectId, body: { name: input.name, query: input.query }, createdAt: now, updatedAt: now };
      await store.putDocument(document);
      return reply.code(201).send(serializeInsight(document));
    });

    app.get(`${prefix}/insights/:insightId`, async (req) => {
      const projectId = await project(req);
      return serializeInsight(await findInsight(projectId, (req.params as { insightId: string }).insightId));
    });

    app.patch(`${prefix}/insights/:insightId`, async (req) => {
      const projectId = await project(req);
      const existing = await findInsight(projectId, (req.params as { insightId: string }).insightId);
      const input = parseInput(updateSchema, req.body);
      if (input.query) checkGroupTypeIndexes(input.query, maxGroupTypes);
      const document: StoredDocument = {
        ...existing,
        body: { ...existing.body, ...(input.name === undefined ? {} : { name: input.name }), ...(input.query === undefined ? {} : { query: input.query }) },
        updatedAt: new Date(),
      };
      await store.putDocument(document);
      return serializeInsight(document);
    });

    app.delete(`${prefix}/insights/:insightId`, async (req, reply) => {
      const projectId = await project(req);
      const existing = await findInsight(projectId, (req.params as { insightId: string }).insightId);
      await store.deleteDocument('insight', existing.id);
      return reply.code(204).send();
    });

    app.get(`${prefix}/event_definitions`, async (req) => {
      const projectId = await project(req);
      const q = parseInput(eventDefinitionsQuery, req.query);
      const d = store.dialect;
      const conditions = [sql`project_id = ${projectId}`];
      if (q.search) conditions.push(d.ilike(raw('event'), `%${q.search.replaceAll('!', '!!').replaceAll('%', '!%').replaceAll('_', '!_')}%`));
      const compiled = sql`SELECT event, count(*) AS count, max(timestamp) AS last_seen_at FROM ${d.table('events')} e
         WHERE ${and(conditions)}
         GROUP BY event ORDER BY count(*) DESC, event LIMIT ${q.limit}`.build(d);
      const rows = await store.query(compiled.sql, compiled.params);
      const results = rows.map(serializeEventDefinition);
      return { count: results.length, next: null, previous: null, results };
    });
  }
}
