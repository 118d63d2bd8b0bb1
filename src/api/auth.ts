// Who is calling the private API: a personal API key (`Authorization: Bearer <key>`), which
// belongs to one project and reaches only that project's data (`@current` names it), or a
// signed-in web app user (session cookie), who reaches every project of this instance
// (`@current` is the first).
import type {} from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import type { PersonalApiKey, Store } from '../store/store.js';
import { hashSecret } from './secrets.js';
import { SESSION_COOKIE, type User, type Users } from './users.js';

export type Principal = { readonly kind: 'key'; readonly key: PersonalApiKey } | { readonly kind: 'session'; readonly user: User };

export interface AuthOptions {
  readonly users: Users;
  /** Ids of the instance's projects, lowest first. */
  readonly projectIds: () => number[];
}

export class Auth {
  private readonly cache = new Map<string, PersonalApiKey | null>();

  constructor(
    private readonly store: Store,
    private readonly options: AuthOptions,
  ) {}

  /** Drops a revoked key from the cache, so it stops working at once. */
  forget(secretHash: string): void {
    this.cache.delete(secretHash);
  }

  private async lookup(secret: string): Promise<PersonalApiKey | null> {
    const hash = hashSecret(secret);
    if (this.cache.has(hash)) return this.cache.get(hash) ?? null;
    const key = await this.store.findPersonalApiKey(hash);
    // Only hits are cached: a key created later must work at once.
    if (key) this.cache.set(hash, key);
    return key;
  }

  async isPersonalApiKey(secret: string): Promise<boolean> {
    return (await this.lookup(secret)) !== null;
  }

  /** The personal API key of an API request, or 401 (for endpoints only keys may use). */
  async authenticate(req: FastifyRequest): Promise<PersonalApiKey> {
    const header = req.headers.authorization;
    if (!header) throw new HttpError('not_authenticated', 'Authentication credentials were not provided: send "Authorization: Bearer <personal API key>".');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new HttpError('authentication_failed', 'The Authorization header must be "Bearer <personal API key>".');
    const key = await this.lookup(match[1]);
    if (!key) throw new HttpError('authentication_failed', 'Personal API key is invalid.');
    return key;
  }

  /** The caller: a personal API key when the request has an Authorization header, else a session; or 401. */
  async principal(req: FastifyRequest): Promise<Principal> {
    if (req.headers.authorization) return { kind: 'key', key: await this.authenticate(req) };
    const user = await this.sessionUser(req);
    if (user) return { kind: 'session', user };
    throw new HttpError('not_authenticated', 'Sign in, or send "Authorization: Bearer <personal API key>".');
  }

  /**
   * The signed-in user of a request, or null. A cookie sent by a page of another origin does not
   * count: the browser attaches it, but the request is not the web app's.
   */
  async sessionUser(req: FastifyRequest): Promise<User | null> {
    const token = req.cookies?.[SESSION_COOKIE];
    if (!token) return null;
    const origin = req.headers.origin;
    if (origin !== undefined && originHost(origin) !== req.headers.host) return null;
    return this.options.users.sessionUser(token);
  }

  /** The project ids a caller may reach. */
  projectIdsOf(principal: Principal): number[] {
    return principal.kind === 'key' ? [principal.key.projectId] : this.options.projectIds();
  }

  /** Authenticates and checks the `:projectId` path parameter (`@current`, or an id the caller may reach). */
  async projectIdFor(req: FastifyRequest, projectParam: string): Promise<number> {
    const principal = await this.principal(req);
    const reachable = this.projectIdsOf(principal);
    if (projectParam === '@current') {
      if (reachable.length === 0) throw new HttpError('not_found', 'This instance has no project yet.');
      return reachable[0];
    }
    if (/^\d+$/.test(projectParam) && reachable.includes(Number(projectParam))) return Number(projectParam);
    if (!/^\d+$/.test(projectParam) || principal.kind === 'session') throw new HttpError('not_found', `Project "${projectParam}" does not exist.`);
    throw new HttpError('permission_denied', "You don't have access to this project.");
  }
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
