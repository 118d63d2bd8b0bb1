// Projects, persons, events, property definitions and ingestion warnings.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { Project, PropertyValueCount, Store } from '../store/store.js';
import type { Auth } from './auth.js';
import { generateSecret, newPersonalApiKey } from './secrets.js';
import { serializeEventWithPerson, serializePerson, serializePropertyDefinition, serializeWarning } from '../query/serialize.js';
import { parseInput, projectPrefixes } from './validate.js';
import type { ProjectDirectory } from '../projects.js';

export interface ProjectRoutesDeps {
  readonly store: Store;
  readonly queue: IngestQueue;
  readonly projects: ProjectDirectory;
  readonly auth: Auth;
  readonly maxGroupTypes: number;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function serializeProject(p: Project) {
  return { id: p.id, uuid: null, name: p.name, api_token: p.apiToken, timezone: p.timezone, created_at: p.createdAt.toISOString() };
}

/** Creates a project with its public token and a personal API key bound to it. */
export async function createProject(
  store: Store,
  queue: IngestQueue,
  projects: ProjectDirectory,
  name: string,
  token: string,
  personalKey: string,
): Promise<Project> {
  return queue.exclusive(async () => {
    const project: Project = { id: await store.nextProjectId(), name, apiToken: token, timezone: 'UTC', createdAt: new Date() };
    await store.createProject(project);
    await store.createPersonalApiKey(newPersonalApiKey(project.id, personalKey, `${name} key`));
    queue.addProject(project);
    projects.put(project);
    return project;
  });
}

function decodeEventCursor(value: string | undefined): { timestamp: Date; uuid: string } | undefined {
  if (!value) return undefined;
  try {
    const cursor = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { t?: unknown; u?: unknown };
    const ms = typeof cursor.t === 'string' ? Date.parse(cursor.t) : NaN;
    if (Number.isNaN(ms) || typeof cursor.u !== 'string') throw new Error('bad cursor');
    return { timestamp: new Date(ms), uuid: cursor.u };
  } catch {
    throw new HttpError('invalid_input', 'cursor is not a cursor this API returned.', 'cursor');
  }
}

const dateParam = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), { error: 'must be an ISO 8601 date' })
  .transform((v) => new Date(v))
  .optional();

/** One suggested property value: PostHog's `{name}`, with how many events or persons have it. */
export function serializePropertyValue(value: PropertyValueCount) {
  return { name: value.value, count: value.count };
}

/** Suggestions per request, as PostHog's value pickers get. */
const EVENT_VALUES_DAYS = 30;
const PROPERTY_VALUES_LIMIT = 20;

const propertyValuesQuery = z.object({ key: z.string({ error: 'is required' }).min(1, { error: 'is required' }), value: z.string().optional() });

export function registerProjectRoutes(app: FastifyInstance, deps: ProjectRoutesDeps): void {
  const { store, queue, projects, auth, maxGroupTypes } = deps;
  const project = (req: FastifyRequest) => auth.projectIdFor(req, (req.params as { projectId: string }).projectId);
  const projectRecord = (projectId: number) => {
    const record = projects.get(projectId);
    if (!record) throw new HttpError('not_found', 'Project not found.');
    return record;
  };

  const createBody = z.object({ name: z.string().trim().min(1, { error: 'must not be empty' }).max(200) });
  app.post('/api/projects', async (req, reply) => {
    await auth.principal(req);
    const { name } = parseInput(createBody, req.body);
    const personalApiKey = generateSecret('phx');
    const created = await createProject(store, queue, projects, name, generateSecret('phc'), personalApiKey);
    // The key is shown once; only its hash is stored.
    return reply.code(201).send({ ...serializeProject(created), personal_api_key: personalApiKey });
  });

  app.get('/api/projects', async (req) => {
    const results = auth.projectIdsOf(await auth.principal(req)).map((id) => serializeProject(projectRecord(id)));
    return { count: results.length, next: null, previous: null, results };
  });

  const updateBody = z.object({
    name: z.string().trim().min(1, { error: 'must not be empty' }).max(200).optional(),
    timezone: z
      .string()
      .refine(isTimeZone, { error: 'must be an IANA time zone such as UTC or Europe/Paris' })
      .optional(),
  });

  for (const prefix of projectPrefixes) {
    app.get(prefix, async (req) => serializeProject(projectRecord(await project(req))));

    app.patch(prefix, async (req) => {
      const projectId = await project(req);
      const changes = parseInput(updateBody, req.body);
      const updated = await queue.exclusive(async () => {
        await store.updateProject(projectId, changes);
        const next = { ...projectRecord(projectId), ...changes };
        projects.put(next);
        return next;
      });
      return serializeProject(updated);
    });

    app.get(`${prefix}/ingestion_warnings`, async (req) => {
      const projectId = await project(req);
      return { results: (await store.listIngestionWarnings(projectId)).map(serializeWarning) };
    });

    const definitionsQuery = z
      .object({
        type: z.enum(['event', 'person', 'group']).default('event'),
        group_type_index: z.coerce.number().int().min(0).max(maxGroupTypes - 1, { error: `must be between 0 and ${maxGroupTypes - 1}` }).optional(),
        search: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        offset: z.coerce.number().int().min(0).default(0),
      })
      .refine((q) => (q.type === 'group') === (q.group_type_index !== undefined), {
        error: 'group_type_index is required with type=group, and only then',
        path: ['group_type_index'],
      });
    app.get(`${prefix}/property_definitions`, async (req) => {
      const projectId = await project(req);
      const q = parseInput(definitionsQuery, req.query);
      const { count, results } = await store.listPropertyDefinitions({
        projectId,
        type: q.type,
        groupTypeIndex: q.group_type_index ?? -1,
        search: q.search || undefined,
        limit: q.limit,
        offset: q.offset,
      });
      return { count, next: null, previous: null, results: results.map(serializePropertyDefinition) };
    });

    const personsQuery = z.object({
      search: z.string().optional(),
      distinct_id: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      offset: z.coerce.number().int().min(0).default(0),
    });
    app.get(`${prefix}/persons`, async (req) => {
      const projectId = await project(req);
      const q = parseInput(personsQuery, req.query);
      const rows = await store.listPersons({ projectId, search: q.search || undefined, distinctId: q.distinct_id, limit: q.limit + 1, offset: q.offset });
      const results = rows.slice(0, q.limit).map(serializePerson);
      const next =
        rows.length > q.limit
          ? (() => {
              const url = new URL(req.url, `${req.protocol}://${req.host}`);
              url.searchParams.set('offset', String(q.offset + q.limit));
              url.searchParams.set('limit', String(q.limit));
              return url.toString();
            })()
          : null;
      return { next, previous: null, results };
    });

    app.get(`${prefix}/persons/values`, async (req) => {
      const projectId = await project(req);
      const q = parseInput(propertyValuesQuery, req.query);
      return (await store.personPropertyValues(projectId, q.key, q.value || undefined, PROPERTY_VALUES_LIMIT)).map(serializePropertyValue);
    });

    app.get(`${prefix}/events/values`, async (req) => {
      const projectId = await project(req);
      const q = parseInput(propertyValuesQuery, req.query);
      // Suggestions come from the last 30 days, as recent values are the likely ones and a scan of
      // every event ever stored would grow with the project.
      const since = new Date(Date.now() - EVENT_VALUES_DAYS * 86_400_000);
      return (await store.eventPropertyValues(projectId, q.key, q.value || undefined, PROPERTY_VALUES_LIMIT, since)).map(serializePropertyValue);
    });

    app.get(`${prefix}/persons/:personId`, async (req) => {
      const projectId = await project(req);
      const { personId } = req.params as { personId: string };
      const [byId] = UUID.test(personId) ? await store.getPersons(projectId, [personId.toLowerCase()]) : [];
      const person = byId ?? (await store.listPersons({ projectId, distinctId: personId, limit: 1, offset: 0 }))[0];
      if (!person) throw new HttpError('not_found', 'Person not found.');
      return serializePerson(person);
    });

    const eventsQuery = z.object({
      event: z.string().optional(),
      distinct_id: z.string().optional(),
      person_id: z.string().optional(),
      group_type_index: z.coerce.number().int().min(0).max(maxGroupTypes - 1).optional(),
      group_key: z.string().optional(),
      after: dateParam,
      before: dateParam,
      cursor: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    });
    app.get(`${prefix}/events`, async (req) => {
      const projectId = await project(req);
      const q = parseInput(eventsQuery, req.query);
      if ((q.group_type_index === undefined) !== (q.group_key === undefined)) {
        throw new HttpError('invalid_input', 'group_type_index and group_key go together.', 'group_key');
      }
      const events = await store.listEvents({
        projectId,
        event: q.event,
        distinctId: q.distinct_id,
        personId: q.person_id,
        group: q.group_type_index !== undefined && q.group_key !== undefined ? { groupTypeIndex: q.group_type_index, groupKey: q.group_key } : undefined,
        after: q.after,
        before: q.before,
        afterRow: decodeEventCursor(q.cursor),
        limit: q.limit + 1,
      });
      const page = events.slice(0, q.limit);
      let next: string | null = null;
      if (events.length > q.limit) {
        // (timestamp, uuid) keyset: events sharing a timestamp are neither skipped nor repeated.
        const last = page[page.length - 1];
        const url = new URL(req.url, `${req.protocol}://${req.host}`);
        url.searchParams.set('cursor', Buffer.from(JSON.stringify({ t: last.timestamp.toISOString(), u: last.uuid })).toString('base64url'));
        next = url.toString();
      }
      // Each event's person, for a page of events in one look-up.
      const personIds = [...new Set(page.map((e) => e.personId))];
      const persons = personIds.length > 0 ? await store.getPersons(projectId, personIds) : [];
      const byId = new Map(persons.map((p) => [p.id, p]));
      return { next, results: page.map((e) => serializeEventWithPerson(e, byId.get(e.personId))) };
    });
  }
}
