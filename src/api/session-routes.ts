// Web app sign-in (POST /api/login, /api/logout, GET /api/users/@me) and a project's personal
// API keys (list, create, revoke), which the settings page manages.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import type { PersonalApiKey, Store } from '../store/store.js';
import type { Auth } from './auth.js';
import { generateSecret, newPersonalApiKey } from './secrets.js';
import { SESSION_COOKIE, SESSION_SECONDS, type Users } from './users.js';
import { parseInput } from './validate.js';
import type { ProjectDirectory } from '../projects.js';

export interface SessionRoutesDeps {
  readonly store: Store;
  readonly projects: ProjectDirectory;
  readonly auth: Auth;
  readonly users: Users;
}

const loginBody = z.object({
  email: z.string({ error: 'email is required' }).trim().min(1, { error: 'email is required' }).max(320),
  password: z.string({ error: 'password is required' }).min(1, { error: 'password is required' }).max(1000),
});

const keyBody = z.object({ label: z.string().trim().min(1, { error: 'label must not be empty' }).max(200) });

export function serializeKey(k: PersonalApiKey) {
  return { id: k.id, label: k.label, mask_value: k.maskValue, created_at: k.createdAt.toISOString() };
}

export function registerSessionRoutes(app: FastifyInstance, deps: SessionRoutesDeps): void {
  const { store, projects, auth, users } = deps;
  const cookieOptions = (req: FastifyRequest) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure: req.protocol === 'https' });

  app.post('/api/login', async (req, reply) => {
    const { email, password } = parseInput(loginBody, req.body);
    const user = await users.verify(email, password);
    if (!user) throw new HttpError('authentication_failed', 'Wrong email or password.');
    const token = await users.startSession(user);
    reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(req), maxAge: SESSION_SECONDS });
    return { email: user.email };
  });

  app.post('/api/logout', async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) await users.endSession(token);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
    return reply.code(204).send();
  });

  app.get('/api/users/@me', async (req) => {
    const principal = await auth.principal(req);
    const reachable = auth.projectIdsOf(principal).flatMap((id) => {
      const project = projects.get(id);
      return project ? [{ id: project.id, name: project.name, api_token: project.apiToken, timezone: project.timezone }] : [];
    });
    return { email: principal.kind === 'session' ? principal.user.email : null, authenticated_with: principal.kind === 'session' ? 'session' : 'personal_api_key', projects: reachable };
  });

  const prefix = '/api/projects/:projectId/personal_api_keys';
  const project = (req: FastifyRequest) => auth.projectIdFor(req, (req.params as { projectId: string }).projectId);

  app.get(prefix, async (req) => {
    const results = (await store.listPersonalApiKeys(await project(req))).map(serializeKey);
    return { count: results.length, next: null, previous: null, results };
  });

  app.post(prefix, async (req, reply) => {
    const projectId = await project(req);
    const { label } = parseInput(keyBody, req.body);
    const secret = generateSecret('phx');
    const key = newPersonalApiKey(projectId, secret, label);
    await store.createPersonalApiKey(key);
    // The secret is shown this once; only its hash is kept.
    return reply.code(201).send({ ...serializeKey(key), value: secret });
  });

  app.delete(`${prefix}/:keyId`, async (req, reply) => {
    const projectId = await project(req);
    const { keyId } = req.params as { keyId: string };
    const key = (await store.listPersonalApiKeys(projectId)).find((k) => k.id === keyId);
    if (!key || !(await store.deletePersonalApiKey(projectId, keyId))) throw new HttpError('not_found', 'No such personal API key in this project.');
    auth.forget(key.secretHash);
    return reply.code(204).send();
  });
}
