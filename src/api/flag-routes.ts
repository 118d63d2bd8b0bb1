// Feature flag management (spec 5.1): list, create, retrieve, update, soft delete; and "evaluate",
// which answers for one flag what /flags would answer for a distinct id and groups (the web app's
// "Test this flag").
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { evaluateFlag, type FlagResult } from '../flags/evaluate-flag.js';
import { flagFiltersSchema, type FlagDefinition, type FlagFilters } from '../flags/flag-definition.js';
import { toDefinition, type FlagRegistry } from '../flags/flag-registry.js';
import { flagEvaluationContext } from '../flags/flag-request-context.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { FeatureFlagRecord } from '../store/store.js';
import type { Auth } from './auth.js';
import { parseInput, projectPrefixes } from './validate.js';

export interface FlagRoutesDeps {
  readonly flags: FlagRegistry;
  readonly auth: Auth;
  readonly queue: IngestQueue;
  readonly maxGroupTypes: number;
}

/** The API's view of a flag: the definition SDKs get, plus timestamps. */
export function serializeFlag(f: FeatureFlagRecord) {
  return { ...toDefinition(f), created_at: f.createdAt.toISOString(), updated_at: f.updatedAt.toISOString() };
}

/** The evaluate endpoint's answer: the /flags v2 entry for the flag, with its payload (null when off). */
export function serializeEvaluation(r: FlagResult) {
  return { key: r.key, enabled: r.enabled, variant: r.variant, reason: r.reason, payload: r.payload };
}

const KEY = /^[a-zA-Z0-9_-]+$/;

const createBody = z.object({
  key: z.string({ error: 'is required' }).min(1, { error: 'must not be empty' }).max(400).regex(KEY, { error: 'may contain only letters, digits, "_" and "-"' }),
  name: z.string().max(400).nullish(),
  active: z.boolean().nullish(),
  filters: z.unknown().optional(),
  ensure_experience_continuity: z.boolean().nullish(),
});
const updateBody = createBody.partial().extend({ deleted: z.boolean().nullish() });

const evaluateSubject = z.object({
  distinct_id: z.string().max(200).nullish(),
  groups: z.record(z.string(), z.union([z.string().min(1, { error: 'group key must not be empty' }), z.number()])).nullish(),
});
const needsSubject = (b: z.output<typeof evaluateSubject>) => Boolean(b.distinct_id) || Object.keys(b.groups ?? {}).length > 0;
const subjectError = { error: 'send a distinct_id, or groups for a flag matched by group', path: ['distinct_id'] };
const evaluateBody = evaluateSubject.refine(needsSubject, subjectError);
// An unsaved flag ("Test this flag" on the edit form): its key, filters and active state, and the
// subject. `filters` is validated as on save, separately, so its errors name the field alike.
const evaluateDraftBody = evaluateSubject
  .extend({ key: createBody.shape.key, active: z.boolean().nullish(), filters: z.unknown() })
  .refine(needsSubject, subjectError);

export function registerFlagRoutes(app: FastifyInstance, deps: FlagRoutesDeps): void {
  const { flags, auth, queue, maxGroupTypes } = deps;
  const filtersBody = z.object({ filters: flagFiltersSchema({ maxGroupTypes }) });
  // Validated (and defaults filled) once, here; evaluation trusts stored filters.
  const parseFlagFilters = (filters: unknown) => parseInput(filtersBody, { filters }).filters as Record<string, unknown>;
  const project = (req: FastifyRequest) => auth.projectIdFor(req, (req.params as { projectId: string }).projectId);
  const flagId = (req: FastifyRequest) => {
    const { id } = req.params as { id: string };
    if (!/^\d+$/.test(id)) throw new HttpError('not_found', 'Feature flag not found.');
    return Number(id);
  };
  const existing = async (projectId: number, id: number) => {
    const flag = await flags.get(projectId, id);
    if (!flag) throw new HttpError('not_found', 'Feature flag not found.');
    return flag;
  };
  const checkKeyFree = async (projectId: number, key: string, id?: number) => {
    const other = await flags.byKey(projectId, key);
    if (other && other.id !== id) throw new HttpError('invalid_input', 'There is already a feature flag with this key.', 'key');
  };

  for (const prefix of projectPrefixes) {
    app.get(`${prefix}/feature_flags`, async (req) => {
      const results = (await flags.list(await project(req))).map(serializeFlag);
      return { count: results.length, next: null, previous: null, results };
    });

    app.get(`${prefix}/feature_flags/:id`, async (req) => serializeFlag(await existing(await project(req), flagId(req))));

    app.post(`${prefix}/feature_flags`, async (req, reply) => {
      const projectId = await project(req);
      const body = parseInput(createBody, req.body);
      const filters = parseFlagFilters(body.filters ?? { groups: [{ properties: [], rollout_percentage: 0 }] });
      const created = await flags.mutate(async () => {
        await checkKeyFree(projectId, body.key);
        const now = new Date();
        const flag: FeatureFlagRecord = {
          projectId,
          id: await flags.nextId(projectId),
          key: body.key,
          name: body.name ?? '',
          active: body.active ?? true,
          deleted: false,
          version: 1,
          ensureExperienceContinuity: body.ensure_experience_continuity ?? false,
          filters,
          createdAt: now,
          updatedAt: now,
        };
        await flags.save(flag);
        return flag;
      });
      return reply.code(201).send(serializeFlag(created));
    });

    app.patch(`${prefix}/feature_flags/:id`, async (req) => {
      const projectId = await project(req);
      const id = flagId(req);
      const body = parseInput(updateBody, req.body);
      const filters = body.filters === undefined ? undefined : parseFlagFilters(body.filters);
      const updated = await flags.mutate(async () => {
        const current = await existing(projectId, id);
        if (body.key !== undefined) await checkKeyFree(projectId, body.key, id);
        const flag: FeatureFlagRecord = {
          ...current,
          key: body.key ?? current.key,
          name: body.name ?? current.name,
          active: body.active ?? current.active,
          deleted: body.deleted ?? current.deleted,
          ensureExperienceContinuity: body.ensure_experience_continuity ?? current.ensureExperienceContinuity,
          filters: filters ?? current.filters,
          version: current.version + 1,
          updatedAt: new Date(),
        };
        await flags.save(flag);
        return flag;
      });
      return serializeFlag(updated);
    });

    // What /flags answers for this flag, given a distinct id and groups: the same context (stored
    // person and group properties) and the same compiled flags. A group flag needs no distinct id.
    app.post(`${prefix}/feature_flags/:id/evaluate`, async (req) => {
      const projectId = await project(req);
      const id = flagId(req);
      const body = parseInput(evaluateBody, req.body);
      const flag = await existing(projectId, id);
      const state = queue.projectState(projectId);
      if (!state) throw new HttpError('not_found', 'Project not found.');
      const context = await flagEvaluationContext(queue.actors, state, { distinctId: body.distinct_id ?? '', groups: body.groups ?? {} });
      const [result] = (await flags.compiled(projectId)).evaluate(context, new Set([flag.key]));
      if (!result) throw new HttpError('not_found', 'Feature flag not found.');
      return serializeEvaluation(result);
    });

    // The same for a flag as edited but not saved: the filters validated as on save, evaluated in
    // the same context by the same evaluator.
    app.post(`${prefix}/feature_flags/evaluate`, async (req) => {
      const projectId = await project(req);
      const body = parseInput(evaluateDraftBody, req.body);
      const filters = parseFlagFilters(body.filters);
      const state = queue.projectState(projectId);
      if (!state) throw new HttpError('not_found', 'Project not found.');
      const draft: FlagDefinition = {
        id: 0,
        key: body.key,
        name: '',
        active: body.active ?? true,
        deleted: false,
        version: 0,
        ensure_experience_continuity: false,
        filters: filters as FlagFilters,
      };
      const context = await flagEvaluationContext(queue.actors, state, { distinctId: body.distinct_id ?? '', groups: body.groups ?? {} });
      return serializeEvaluation(evaluateFlag(draft, context));
    });

    // PostHog deletes flags softly (PATCH {deleted: true}); DELETE does the same here.
    app.delete(`${prefix}/feature_flags/:id`, async (req, reply) => {
      const projectId = await project(req);
      const id = flagId(req);
      await flags.mutate(async () => {
        const current = await existing(projectId, id);
        await flags.save({ ...current, deleted: true, version: current.version + 1, updatedAt: new Date() });
      });
      return reply.code(204).send();
    });
  }
}
