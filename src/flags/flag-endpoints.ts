// Public flag endpoints (spec 5.4, 7.1): /flags and /decide (project token), /array/:token/config
// for posthog-js, and the local-evaluation definitions for posthog-node (personal API key).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Auth } from '../api/auth.js';
import { HttpError } from '../errors.js';
import { decodeJsonPayload } from '../ingest/decode-request.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { ProjectState } from '../ingest/project-state.js';
import { firstHeader, useRawBodies, type RawBodyRouteConfig } from '../ingest/raw-body.js';
import type { Properties } from '../store/store.js';
import type { FlagResult } from './evaluate-flag.js';
import type { FlagRegistry } from './flag-registry.js';
import { flagEvaluationContext } from './flag-request-context.js';

export interface FlagEndpointsDeps {
  readonly flags: FlagRegistry;
  readonly queue: IngestQueue;
  readonly auth: Auth;
  readonly bodyLimit: number;
}

const isPlainObject = (v: unknown): v is Properties => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The minimal remote config posthog-js needs to start (spec 5.4). */
function remoteConfig(hasFeatureFlags: boolean) {
  return {
    hasFeatureFlags,
    supportedCompression: ['gzip', 'gzip-js'],
    sessionRecording: false,
    surveys: false,
    heatmaps: false,
    capturePerformance: false,
    autocaptureExceptions: false,
    isAuthenticated: false,
    toolbarParams: {},
    config: { enable_collect_everything: true },
  };
}

function groupTypeMapping(state: ProjectState): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const [index, type] of state.groupTypesByIndex) mapping[String(index)] = type.groupType;
  return mapping;
}

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
  const state = deps.queue.projectByToken(token);
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

/** Evaluates every flag (or the requested keys) with stored properties overridden by the request's. */
async function evaluateAll(request: FlagsRequest, deps: FlagEndpointsDeps): Promise<FlagResult[]> {
  const flagSet = await deps.flags.compiled(request.state.project.id);
  const context = flagEvaluationContext(request.state, request);
  return flagSet.evaluate(context, request.flagKeys ? new Set(request.flagKeys) : undefined);
}

const flagValue = (r: FlagResult) => (r.enabled ? (r.variant ?? true) : false);

// Results are interned per flag version and outcome, so each one's v2 JSON is encoded once.
const v2Fragments = new WeakMap<FlagResult, Buffer>();

function v2Fragment(r: FlagResult): Buffer {
  let fragment = v2Fragments.get(r);
  if (fragment === undefined) {
    const value = { key: r.key, enabled: r.enabled, variant: r.variant, reason: r.reason, metadata: r.metadata };
    fragment = Buffer.from(`${JSON.stringify(r.key)}:${JSON.stringify(value)}`);
    v2Fragments.set(r, fragment);
  }
  return fragment;
}

/**
 * Buffers for /flags answers (~50 KB with 200 flags), reused once the socket has taken the bytes.
 * A fresh buffer per answer costs page faults on every request; these stay mapped.
 */
class ResponseBuffers {
  private readonly free = new Map<number, Buffer[]>();

  /** A buffer of `length` bytes; give it back with `release` once it has been written. */
  take(length: number): { buffer: Buffer; release: () => void } {
    const size = Math.max(4096, 2 ** Math.ceil(Math.log2(length)));
    let pool = this.free.get(size);
    if (!pool) this.free.set(size, (pool = []));
    const slab = pool.pop() ?? Buffer.allocUnsafeSlow(size);
    return {
      buffer: slab.subarray(0, length),
      release: () => {
        // Enough for every request in flight at once; beyond that, the garbage collector's.
        if (pool.length < 256) pool.push(slab);
      },
    };
  }
}

const responseBuffers = new ResponseBuffers();

/**
 * The v2 answer as UTF-8 JSON, copied together from the results' cached fragments into one
 * buffer of the right size (cheaper than joining and encoding ~50 KB of text per request).
 */
function v2Json(results: FlagResult[], extra: Record<string, unknown>): { buffer: Buffer; release: () => void } {
  const head = JSON.stringify(extra).slice(1, -1);
  const opening = Buffer.from(`{${head}${head ? ',' : ''}"flags":{`);
  const closing = Buffer.from(`},"errorsWhileComputingFlags":false,"requestId":"${randomUUID()}","evaluatedAt":${Date.now()}}`);
  const fragments = results.map(v2Fragment);
  let length = opening.length + closing.length + Math.max(0, fragments.length - 1);
  for (const fragment of fragments) length += fragment.length;
  const taken = responseBuffers.take(length);
  const json = taken.buffer;
  json.set(opening, 0);
  let at = opening.length;
  for (let i = 0; i < fragments.length; i++) {
    if (i > 0) json[at++] = 0x2c; // ","
    json.set(fragments[i], at);
    at += fragments[i].length;
  }
  json.set(closing, at);
  return taken;
}

function v1Body(results: FlagResult[]) {
  return {
    featureFlags: Object.fromEntries(results.map((r) => [r.key, flagValue(r)])),
    featureFlagPayloads: Object.fromEntries(results.filter((r) => r.enabled && r.payload !== null).map((r) => [r.key, r.payload])),
    errorsWhileComputingFlags: false,
    requestId: randomUUID(),
    evaluatedAt: Date.now(),
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
      const results = await evaluateAll(request, deps);
      const version = Number(typeof query.v === 'string' ? query.v : '0') || 0;
      const withConfig = query.config === 'true' ? remoteConfig(results.length > 0) : {};
      if ((endpoint === 'flags' && version >= 2) || version >= 4) {
        const { buffer, release } = v2Json(results, withConfig);
        // Reused only after 'finish' (the bytes are with the OS); a connection that closes
        // before that leaves its buffer to the garbage collector.
        reply.raw.once('finish', release);
        return reply.type('application/json; charset=utf-8').send(buffer);
      }
      let answer: Record<string, unknown>;
      if (endpoint === 'flags' || version === 3) answer = v1Body(results);
      else if (version === 2) answer = { featureFlags: Object.fromEntries(results.filter((r) => r.enabled).map((r) => [r.key, flagValue(r)])) };
      else answer = { featureFlags: results.filter((r) => r.enabled).map((r) => r.key) };
      return reply.send({ ...withConfig, ...answer });
    };
    for (const endpoint of ['flags', 'decide'] as const) {
      scope.route({ method: ['GET', 'POST'], url: `/${endpoint}`, config, handler: handle(endpoint) });
    }
  });

  // posthog-js loads its remote config first; a small JSON object is enough.
  const config = async (req: FastifyRequest) => {
    const { token } = req.params as { token: string };
    const state = deps.queue.projectByToken(token);
    if (!state) throw new HttpError('invalid_token', 'Unknown project token.');
    return { token, ...remoteConfig((await deps.flags.list(state.project.id)).length > 0) };
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
    const state = typeof query.token === 'string' ? deps.queue.projectByToken(query.token) : deps.queue.project(key.projectId);
    if (!state || state.project.id !== key.projectId) throw new HttpError('permission_denied', "This personal API key does not belong to that project's token.");
    const mapping = groupTypeMapping(state);
    const etag = `"${await deps.flags.revision(state.project.id)}-${Object.entries(mapping).flat().join('.')}"`;
    reply.header('ETag', etag);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return { flags: await deps.flags.definitions(state.project.id), group_type_mapping: mapping, cohorts: {} };
  };
  app.get('/flags/definitions', definitions);
  app.get('/api/feature_flag/local_evaluation', definitions);
}
