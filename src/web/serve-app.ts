// Serves the built web app (web/dist) at "/": files as they are, and index.html for the app's own
// paths (a GET asking for HTML that matched no route), so links into the app reload cleanly.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Prickle</title>
<p>The web app is not built. <code>npm start</code> builds it; or run <code>npm run build:web</code>.</p>`;

/** Registers the static files; returns the handler for unmatched GETs that want a page. */
export async function registerWebApp(app: FastifyInstance): Promise<(req: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined> {
  const built = fs.existsSync(path.join(WEB_DIST, 'index.html'));
  if (built) {
    // Hashed asset names never change content: cache them for a year; index.html never.
    await app.register(fastifyStatic, {
      root: WEB_DIST,
      wildcard: false,
      index: false,
      setHeaders: (reply, file) => reply.header('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
  }
  return (req, reply) => {
    const wantsPage = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html') && !req.url.startsWith('/api/');
    if (!wantsPage) return undefined;
    reply.header('Cache-Control', 'no-cache');
    if (!built) return reply.code(503).type('text/html').send(NOT_BUILT);
    return reply.type('text/html').sendFile('index.html');
  };
}
