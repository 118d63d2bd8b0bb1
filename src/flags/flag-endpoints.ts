// Public flag endpoints (spec 5.4, 7.1): /flags and /decide (project token), /array/:token/config
// for posthog-js, and the local-evaluation definitions for posthog-node (personal API key).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { decodeJsonPayload } from '../http/decode-body.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { ProjectState } from '../ingest/project-state.js';
import { firstHeader, useRawBodies, type RawBodyRouteConfig } from '../http/raw-body.js';
import type { PersonalApiKey, Properties } from '../store/store.js';
import { flagAnswerShape, remoteConfig } from './flag-answer.js';
import type { FlagRegistry } from './flag-registry.js';
import type { FlagThread } from './flag-thread.js';
import { flagEvaluationContext } from './flag-request-context.js';
import type { ProjectDirectory } from '../projects.js';

export interface FlagEndpointsDeps {
  readonly flags: FlagRegistry;
  readonly flagThread: FlagThread;
  readonly queue: IngestQueue;
  readonly projects: ProjectDirectory;
  /** Checks a personal API key (the private API's `Auth` does; flags sit below the API and name only this). */
  readonly auth: { authenticate(req: FastifyRequest): Promise<PersonalApiKey> };
  readonly bodyLimit: number;
}

const isPlainObject = (v: unknown): v is Properties => v !== null && typeof v === 'object' && !Array.isArray(v);

interface FlagsRequest {
  readonly state: ProjectState;
  readonly distinctId: string;
  readonly groups: Record<string, string | number>;
  readonly personProperties: Properties;
  readonly groupProperties: Record<string, Properties>;
  readonly flagKeys: string[] | undefined;
}

function parseFlagsRequest(body: unknown, deps: FlagEndpointsDeps): FlagsRequest {
  if (!isPlainObject(body)) throw new HttpError('malformed_body', 'The request body must be a JSON object.');
  const token = body.token ?? body.$token ?? body.api_key;
  if (typeof token !== 'string' || token === '') throw new HttpError('invalid_token', 'No project token: send it as "token" in the body.');
  const project = deps.projects.byToken(token);
  const state = project && deps.queue.projectState(project.id);
  if (!state) throw new HttpError('invalid_token', 'Unknown project token.');
  const rawId = body.distinct_id ?? body.$distinct_id;
  if (rawId === undefined || rawId === null || rawId === '') throw new HttpError('invalid_input', 'distinct_id is required.', 'distinct_id');
  const distinctId = (typeof rawId === 'string' ? rawId : JSON.stringify(rawId)).slice(0, 200);
  const groupsIn = body.groups ?? body.$groups;
  const groups: Record<string, string | number> = {};
  if (isPlainObject(groupsIn)) {
    for (const [type, key] of Object.entries(groupsIn)) if (typeof key === 'string' || typeof key === 'number') groups[type] = key;
  }
  const groupPropsIn = body.group_properties ?? body.$group_properties;
  const personPropsIn = body.person_properties ?? body.$properties;
  const keys = body.flag_keys ?? body.flag_keys_to_evaluate;
  return {
    state,
    distinctId,
    groups,
    personProperties: isPlainObject(personPropsIn) ? personPropsIn : {},
    groupProperties: isPlainObject(groupPropsIn) ? (Object.fromEntries(Object.entries(groupPropsIn).filter(([, v]) => isPlainObject(v))) as Record<string, Properties>) : {},
    flagKeys: Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : undefined,
  };
}

export async function registerFlagEndpoints(app: FastifyInstance, deps: FlagEndpointsDeps): Promise<void> {
  await app.register(async (scope) => {
    useRawBodies(scope);
    const config: RawBodyRouteConfig = { rawBodyLimit: deps.bodyLimit };

    const handle = (endpoint: 'flags' | 'decide') => async (req: FastifyRequest, reply: FastifyReply) => {
      const query = req.query as Record<string, unknown>;
      const body = await decodeJsonPayload({
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        query,
        contentType: firstHeader(req.headers['content-type']),
        contentEncoding: firstHeader(req.headers['content-encoding']),
        limit: deps.bodyLimit,
      });
      const request = parseFlagsRequest(body, deps);
      const answer = await deps.flagThread.answer({
        projectId: request.state.projectId,
        context: await flagEvaluationContext(deps.queue.actors, request.state, request),
        flagKeys: request.flagKeys,
        shape: flagAnswerShape(endpoint, Number(typeof query.v === 'string' ? query.v : '0') || 0),
        withConfig: query.config === 'true',
      });
      // The buffer goes back to the flags thread once the response is done (written to the
      // socket, or the connection gone).
      reply.raw.once('close', answer.release);
      return reply.type('application/json; charset=utf-8').send(answer.body);
    };
    for (const endpoint of ['flags', 'decide'] as const) {
      scope.route({ method: ['GET', 'POST'], url: `/${endpoint}`, config, handler: handle(endpoint) });
    }
  });

  // posthog-js loads its remote config first; a small JSON object is enough.
  const config = async (req: FastifyRequest) => {
    const { token } = req.params as { token: string };
    const project = deps.projects.byToken(token);
    if (!project) throw new HttpError('invalid_token', 'Unknown project token.');
    return { token, ...remoteConfig((await deps.flags.list(project.id)).length > 0) };
  };
  app.get('/array/:token/config', config);
  app.get('/array/:token/config.js', async (req, reply) => {
    const body = await config(req);
    return reply.type('application/javascript').send(`(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(body.token)}]={config:${JSON.stringify(body)},siteApps:[]}})();`);
  });

  // Local evaluation for posthog-node: definitions, group type mapping, ETag/304.
  const definitions = async (req: FastifyRequest, reply: FastifyReply) => {
    const key = await deps.auth.authenticate(req);
    const query = req.query as Record<string, unknown>;
    const projectId = typeof query.token === 'string' ? deps.projects.byToken(query.token)?.id : key.projectId;
    const state = projectId === undefined ? undefined : deps.queue.projectState(projectId);
    if (!state || state.projectId !== key.projectId) throw new HttpError('permission_denied', "This personal API key does not belong to that project's token.");
    // Index keys become strings in JSON, as posthog-node expects ("0": "company").
    const mapping = state.groupTypeNamesByIndex();
    const etag = `"${await deps.flags.revision(state.projectId)}-${Object.entries(mapping).flat().join('.')}"`;
    reply.header('ETag', etag);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return { flags: await deps.flags.definitions(state.projectId), group_type_mapping: mapping, cohorts: {} };
  };
  app.get('/flags/definitions', definitions);
  app.get('/api/feature_flag/local_evaluation', definitions);
}
