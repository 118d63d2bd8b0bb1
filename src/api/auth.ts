// Personal API keys: `Authorization: Bearer <key>`. A key belongs to one project and reaches
// only that project's data; `@current` names it.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import type { PersonalApiKey, Store } from '../store/store.js';

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export const generateSecret = (prefix: 'phc' | 'phx'): string => `${prefix}_${randomBytes(24).toString('base64url')}`;

export function newPersonalApiKey(projectId: number, secret: string, label: string): PersonalApiKey {
  return {
    id: randomUUID(),
    projectId,
    label,
    secretHash: hashSecret(secret),
    maskValue: `${secret.slice(0, 6)}...${secret.slice(-4)}`,
    createdAt: new Date(),
  };
}

export class Auth {
  private readonly cache = new Map<string, PersonalApiKey | null>();

  constructor(private readonly store: Store) {}

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

  /** The key of an API request, or 401. */
  async authenticate(req: FastifyRequest): Promise<PersonalApiKey> {
    const header = req.headers.authorization;
    if (!header) throw new HttpError('not_authenticated', 'Authentication credentials were not provided: send "Authorization: Bearer <personal API key>".');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new HttpError('authentication_failed', 'The Authorization header must be "Bearer <personal API key>".');
    const key = await this.lookup(match[1]);
    if (!key) throw new HttpError('authentication_failed', 'Personal API key is invalid.');
    return key;
  }

  /** Authenticates and checks the `:projectId` path parameter (`@current` or the key's project id). */
  async projectIdFor(req: FastifyRequest, projectParam: string): Promise<number> {
    const key = await this.authenticate(req);
    if (projectParam === '@current' || projectParam === String(key.projectId)) return key.projectId;
    if (!/^\d+$/.test(projectParam)) throw new HttpError('not_found', `Project "${projectParam}" does not exist.`);
    throw new HttpError('permission_denied', "You don't have access to this project.");
  }
}
