// PostHog-compatible capture endpoints (spec 2.1): every path, with and without a trailing slash,
// GET/POST (OPTIONS is answered by the CORS hook), raw bodies decoded by decodeCaptureRequest.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import type { DecoderPool } from './decoder-pool.js';
import { firstHeader, useRawBodies, type RawBodyRouteConfig } from '../http/raw-body.js';
import type { IngestQueue } from './ingest-queue.js';
import type { ProjectDirectory } from '../projects.js';

const EVENT_PATHS = ['/e', '/i/v0/e', '/capture', '/track', '/engage'];
const BATCH_PATHS = ['/batch'];

export interface CaptureDeps {
  readonly queue: IngestQueue;
  readonly projects: ProjectDirectory;
  readonly decoder: DecoderPool;
  /** Tells a personal API key sent by mistake from an unknown token (the private API's `Auth` does). */
  readonly auth: { isPersonalApiKey(token: string): Promise<boolean> };
  readonly eventBodyLimit: number;
  readonly batchBodyLimit: number;
}

export async function registerCaptureRoutes(app: FastifyInstance, deps: CaptureDeps): Promise<void> {
  await app.register(async (scope) => {
    useRawBodies(scope);
    const route = (path: string, limit: number) => {
      const config: RawBodyRouteConfig = { rawBodyLimit: limit };
      scope.route({
        method: ['GET', 'POST'],
        url: path,
        config,
        handler: (req, reply) => capture(req, reply, limit, path === '/engage', deps),
      });
    };
    for (const path of EVENT_PATHS) route(path, deps.eventBodyLimit);
    for (const path of BATCH_PATHS) route(path, deps.batchBodyLimit);
  });
}

async function resolveToken(envelopeToken: string | undefined, eventTokens: string[], deps: CaptureDeps): Promise<number> {
  let token = envelopeToken;
  if (token === undefined) {
    if (eventTokens.length > 1) throw new HttpError('invalid_token', 'Events in one request carry different project tokens.');
    token = eventTokens[0];
  }
  if (token === undefined) {
    throw new HttpError('invalid_token', 'No project token: send it as "api_key" in the body or "token" in each event.');
  }
  const project = deps.projects.byToken(token);
  if (project) return project.id;
  if (await deps.auth.isPersonalApiKey(token)) {
    throw new HttpError('invalid_token', 'A personal API key cannot be used to send events; use the project token (phc_...).');
  }
  throw new HttpError('invalid_token', 'Unknown project token.');
}

async function capture(req: FastifyRequest, reply: FastifyReply, limit: number, isEngage: boolean, deps: CaptureDeps) {
  // Refuse before decoding when ingestion is behind: decoding is most of the work and memory.
  deps.queue.assertAccepting();
  const query = req.query as Record<string, unknown>;
  const decoded = await deps.decoder.decode({
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    query,
    contentType: firstHeader(req.headers['content-type']),
    contentEncoding: firstHeader(req.headers['content-encoding']),
    limit,
    isEngage,
  });
  if (decoded.accepted === 0 && decoded.dropped === 0) throw new HttpError('no_events', 'The request contains no events.');
  const projectId = await resolveToken(decoded.envelopeToken, decoded.eventTokens, deps);
  await deps.queue.submit(projectId, decoded.logPayload);
  if (query.beacon === '1') return reply.code(204).send();
  return reply.send({ status: 1 });
}
