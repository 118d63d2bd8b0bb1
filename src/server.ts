// Builds the HTTP server: capture, private API, health, errors, CORS.
import fastifyCookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import { Auth } from './api/auth.js';
import { registerFlagRoutes } from './api/flag-routes.js';
import { registerGroupRoutes } from './api/group-routes.js';
import { registerInsightRoutes } from './api/insight-routes.js';
import { registerProjectRoutes } from './api/project-routes.js';
import { registerQueryRoutes } from './api/query-routes.js';
import { registerSessionRoutes } from './api/session-routes.js';
import { Users } from './api/users.js';
import type { Config } from './config.js';
import { HttpError } from './errors.js';
import { jsonNestingDepth, MAX_JSON_DEPTH, TOO_DEEP_MESSAGE } from './json-depth.js';
import { registerFlagEndpoints } from './flags/flag-endpoints.js';
import { FlagRegistry } from './flags/flag-registry.js';
import { FlagThread } from './flags/flag-thread.js';
import { registerCaptureRoutes } from './ingest/capture-routes.js';
import { DecoderPool } from './ingest/decoder-pool.js';
import { IngestQueue } from './ingest/ingest-queue.js';
import type { Store } from './store/store.js';
import { registerWebApp } from './web/serve-app.js';
import { ProjectDirectory } from './projects.js';

/** Paths the SDKs call from browsers: capture, flags, remote config (PostHog's public endpoints). */
const SDK_PATH = /^\/(?:e|i\/v0\/e|capture|track|engage|batch|flags|decide|array\/[^/]+\/config(?:\.js)?)\/?(?:[?#]|$)/;

export const isSdkPath = (url: string): boolean => SDK_PATH.test(url);

export interface Server {
  readonly app: FastifyInstance;
  readonly queue: IngestQueue;
  readonly projects: ProjectDirectory;
  readonly auth: Auth;
  readonly users: Users;
}

/** Maps framework errors (body too large, bad JSON, unsupported type) to our error codes. */
function toHttpError(error: FastifyError): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError('payload_too_large', 'Request body is too large.');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new HttpError('unsupported_media_type', error.message);
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return new HttpError('malformed_body', 'Request body is not valid JSON.');
  }
  if (error.statusCode === 413) return new HttpError('payload_too_large', 'Request body is too large.');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new HttpError('invalid_input', error.message);
  }
  return undefined;
}

export async function buildServer(config: Config, store: Store): Promise<Server> {
  const app = Fastify({
    logger: { level: config.logLevel },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    bodyLimit: config.eventBodyLimit,
    // Per-request log lines would cost more than ingestion itself at tens of thousands of requests/s.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: true,
  });
  // The private API's JSON bodies: fastify's parser (prototype poisoning refused), after the same
  // nesting limit as SDK bodies, so deep nesting is a 400 rather than a stack overflow later.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    if (jsonNestingDepth(body as Buffer) > MAX_JSON_DEPTH) return done(new HttpError('malformed_body', TOO_DEEP_MESSAGE), undefined);
    parseJson(req, (body as Buffer).toString('utf8'), done);
  });
  const queue = await IngestQueue.open(
    store,
    {
      maxGroupTypes: config.maxGroupTypes,
      dataDir: config.dataDir,
      maxBacklogBytes: config.memory.ingestBacklog,
      memoryLimitBytes: config.memory.limit,
      actorCacheBytes: config.memory.actorCache,
    },
    app.log,
  );
  const decoder = new DecoderPool();
  app.addHook('onClose', () => decoder.close());
  const users = new Users(store);
  const projects = await ProjectDirectory.load(store);
  const auth = new Auth(store, { users, projectIds: () => projects.ids() });
  await app.register(fastifyCookie);

  // CORS. The SDK endpoints are permissive, as PostHog's: browsers on any site send events and
  // ask for flags, with credentials and odd headers. Everything else (private API, web app) is
  // same-origin only: a page on another origin gets no CORS headers at all, so it can neither
  // read the private API with the session cookie nor pass a preflight.
  app.addHook('onRequest', async (req, reply) => {
    if (!isSdkPath(req.url)) {
      if (req.method === 'OPTIONS') return reply.code(204).send();
      return;
    }
    const origin = req.headers.origin;
    reply.header('Access-Control-Allow-Origin', origin ?? '*');
    if (origin) {
      reply.header('Access-Control-Allow-Credentials', 'true');
      reply.header('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      reply.header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      reply.header('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? '*');
      reply.header('Access-Control-Max-Age', '86400');
      return reply.code(200).send();
    }
  });

  // Private API reads see every event acknowledged before them (the engine commits behind the
  // acknowledgements; see IngestQueue), waiting at most READ_BARRIER_MS.
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/api/')) await queue.awaitCommitted();
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const known = toHttpError(error);
    // SDKs retry a 503; Retry-After tells them when.
    if (known?.code === 'unavailable') reply.header('Retry-After', '1');
    if (known) return reply.code(known.status).send(known.toBody());
    req.log.error({ err: error, reqId: req.id }, 'unhandled error');
    const generic = new HttpError('error', `A server error occurred (request ${req.id}).`);
    return reply.code(generic.status).send(generic.toBody());
  });
  const servePage = await registerWebApp(app);
  app.setNotFoundHandler((req, reply) => {
    if (servePage(req, reply)) return reply;
    const error = new HttpError('not_found', `No route for ${req.method} ${req.url.split('?')[0]}.`);
    return reply.code(error.status).send(error.toBody());
  });

  app.get('/_health', async () => ({ status: 'ok' }));
  await registerCaptureRoutes(app, { queue, projects, decoder, auth, eventBodyLimit: config.eventBodyLimit, batchBodyLimit: config.batchBodyLimit });
  const deps = { store, queue, projects, auth, maxGroupTypes: config.maxGroupTypes };
  registerSessionRoutes(app, { ...deps, users });
  registerGroupRoutes(app, deps);
  registerProjectRoutes(app, deps);
  registerQueryRoutes(app, deps);
  registerInsightRoutes(app, deps);
  const flags = new FlagRegistry(store);
  registerFlagRoutes(app, { flags, auth, queue, maxGroupTypes: config.maxGroupTypes });
  const flagThread = new FlagThread(flags);
  app.addHook('onClose', () => flagThread.close());
  await registerFlagEndpoints(app, { flags, flagThread, queue, projects, auth, bodyLimit: config.eventBodyLimit });
  return { app, queue, projects, auth, users };
}
