// Group types and groups (spec 4.1-4.4).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { Store } from '../store/store.js';
import type { Auth } from './auth.js';
import { serializeGroup, serializeGroupActor, serializeGroupType, serializePerson } from '../query/serialize.js';
import { parseInput, projectPrefixes } from './validate.js';

export interface GroupRoutesDeps {
  readonly store: Store;
  readonly queue: IngestQueue;
  readonly auth: Auth;
  readonly maxGroupTypes: number;
}

const PAGE_SIZE = 100;
const RELATED_DAYS = 90;

const groupTypeIndex = (max: number) =>
  z.coerce.number({ error: 'must be a number' }).int().min(0).max(max - 1, { error: `must be between 0 and ${max - 1}` });

interface Cursor {
  c: number;
  k: string;
}

function encodeCursor(createdAt: Date, groupKey: string): string {
  const cursor: Cursor = { c: createdAt.getTime() * 1000, k: groupKey };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** Invalid or foreign cursors restart from the first page, as PostHog does. */
function decodeCursor(value: string | undefined): { createdAt: Date; groupKey: string } | undefined {
  if (!value) return undefined;
  try {
    const cursor = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Cursor;
    if (typeof cursor.c !== 'number' || typeof cursor.k !== 'string') return undefined;
    return { createdAt: new Date(cursor.c / 1000), groupKey: cursor.k };
  } catch {
    return undefined;
  }
}

function absoluteUrl(req: FastifyRequest, path: string, params: Record<string, string>): string {
  const url = new URL(path, `${req.protocol}://${req.host}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

export function registerGroupRoutes(app: FastifyInstance, deps: GroupRoutesDeps): void {
  const { store, queue, auth, maxGroupTypes } = deps;
  const indexSchema = groupTypeIndex(maxGroupTypes);
  const project = (req: FastifyRequest) => auth.projectIdFor(req, (req.params as { projectId: string }).projectId);

  const requireGroupType = (projectId: number, index: number) => {
    const type = queue.projectState(projectId)?.groupTypesByIndex.get(index);
    if (!type) throw new HttpError('not_found', `Group type ${index} does not exist in this project.`);
    return type;
  };

  const listTypes = (projectId: number) =>
    [...(queue.projectState(projectId)?.groupTypesByIndex.values() ?? [])]
      .sort((a, b) => a.groupTypeIndex - b.groupTypeIndex)
      .map(serializeGroupType);

  for (const prefix of projectPrefixes) {
    app.get(`${prefix}/groups_types`, async (req) => listTypes(await project(req)));

    const updateMetadataBody = z
      .array(
        z.object({
          group_type_index: indexSchema,
          name_singular: z.string().max(400).nullable().optional(),
          name_plural: z.string().max(400).nullable().optional(),
        }),
      )
      .min(1, { error: 'send at least one group type' });
    app.patch(`${prefix}/groups_types/update_metadata`, async (req) => {
      const projectId = await project(req);
      const updates = parseInput(updateMetadataBody, req.body);
      for (const u of updates) requireGroupType(projectId, u.group_type_index);
      await queue.exclusive(async () => {
        for (const u of updates) {
          const current = requireGroupType(projectId, u.group_type_index);
          const singular = u.name_singular === undefined ? current.nameSingular : u.name_singular || null;
          const plural = u.name_plural === undefined ? current.namePlural : u.name_plural || null;
          await store.renameGroupType(projectId, u.group_type_index, singular, plural);
          queue.projectState(projectId)?.renameGroupType(u.group_type_index, singular, plural);
        }
      });
      return listTypes(projectId);
    });

    app.delete(`${prefix}/groups_types/:index`, async (req, reply) => {
      const projectId = await project(req);
      const { index } = parseInput(z.object({ index: indexSchema }), req.params);
      requireGroupType(projectId, index);
      await queue.exclusive(async () => {
        await store.deleteGroupType(projectId, index);
        queue.projectState(projectId)?.removeGroupType(index);
      });
      return reply.code(204).send();
    });

    const listQuery = z.object({
      group_type_index: indexSchema,
      search: z.string().optional(),
      group_key: z.string().optional(),
      cursor: z.string().optional(),
    });
    app.get(`${prefix}/groups`, async (req) => {
      const projectId = await project(req);
      const raw = req.query as Record<string, string | undefined>;
      if (raw.group_type_index === undefined || raw.group_type_index === '') {
        throw new HttpError('invalid_input', 'You must pass ?group_type_index= in this URL.', 'group_type_index');
      }
      const q = parseInput(listQuery, raw);
      const rows = await store.listGroups({
        projectId,
        groupTypeIndex: q.group_type_index,
        search: q.search || undefined,
        groupKeyContains: q.group_key || undefined,
        after: decodeCursor(q.cursor),
        limit: PAGE_SIZE + 1,
      });
      const page = rows.slice(0, PAGE_SIZE);
      const last = page[page.length - 1];
      const next =
        rows.length > PAGE_SIZE && last
          ? absoluteUrl(req, req.url.split('?')[0], {
              ...Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => e[1] !== undefined)),
              cursor: encodeCursor(last.createdAt, last.groupKey),
            })
          : null;
      return { next, previous: null, results: page.map(serializeGroup) };
    });

    const findQuery = z.object({ group_type_index: indexSchema, group_key: z.string({ error: 'is required' }) });
    app.get(`${prefix}/groups/find`, async (req) => {
      const projectId = await project(req);
      const q = parseInput(findQuery, req.query);
      const group = await store.findGroup(projectId, q.group_type_index, q.group_key);
      if (!group) throw new HttpError('not_found', 'Group not found.');
      return { ...serializeGroup(group), notebook: null };
    });

    const relatedQuery = z.object({
      group_type_index: z.union([indexSchema, z.literal('')]).optional(),
      id: z.string({ error: 'is required' }).min(1),
    });
    app.get(`${prefix}/groups/related`, async (req) => {
      const projectId = await project(req);
      const q = parseInput(relatedQuery, req.query);
      const since = new Date(Date.now() - RELATED_DAYS * 24 * 3600 * 1000);
      const related =
        q.group_type_index === undefined || q.group_type_index === ''
          ? await store.relatedToPerson(projectId, q.id, since)
          : await store.relatedToGroup(projectId, q.group_type_index, q.id, since);
      const [persons, groups] = await Promise.all([
        store.getPersons(projectId, related.personIds),
        store.findGroups(projectId, related.groups),
      ]);
      return [...persons.map(serializePerson), ...groups.map(serializeGroupActor)];
    });

    const valuesQuery = z.object({ group_type_index: indexSchema, key: z.string({ error: 'is required' }).min(1), value: z.string().optional() });
    app.get(`${prefix}/groups/property_values`, async (req) => {
      const projectId = await project(req);
      const q = parseInput(valuesQuery, req.query);
      const values = await store.groupPropertyValues(projectId, q.group_type_index, q.key, q.value || undefined, 20);
      return { results: values.map((v) => ({ name: v.value, count: v.count })), refreshing: false };
    });
  }
}
