// Web app sign-in: users with scrypt-hashed passwords, and sessions held in an HttpOnly,
// SameSite=Lax cookie. Only a SHA-256 of the session token is stored.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Store } from '../store/store.js';
import { hashSecret } from './secrets.js';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, length: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/** scrypt cost: 2^15 iterations of 8-block mixing, 32 MB, about 100 ms a guess on this class of machine. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

export const SESSION_COOKIE = 'prickle_session';
/** Sessions last 14 days from sign-in. */
export const SESSION_SECONDS = 14 * 24 * 3600;

export interface User {
  readonly id: string;
  readonly email: string;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

const normalizeEmail = (email: string) => email.trim().toLowerCase();

export class Users {
  constructor(private readonly store: Store) {}

  async count(): Promise<number> {
    return (await this.store.listDocuments('user')).length;
  }

  async create(email: string, password: string): Promise<User> {
    const id = normalizeEmail(email);
    const now = new Date();
    await this.store.putDocument({ kind: 'user', id, projectId: null, body: { email: email.trim(), passwordHash: await hashPassword(password) }, createdAt: now, updatedAt: now });
    return { id, email: email.trim() };
  }

  /** The user when the email and password match; null otherwise (the same time either way, nearly). */
  async verify(email: string, password: string): Promise<User | null> {
    const document = await this.store.getDocument('user', normalizeEmail(email));
    const stored = typeof document?.body.passwordHash === 'string' ? document.body.passwordHash : DUMMY_HASH;
    const ok = await verifyPassword(password, stored);
    return ok && document ? { id: document.id, email: String(document.body.email) } : null;
  }

  /** Starts a session; the token goes in the cookie, only its hash is stored. */
  async startSession(user: User): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.store.putDocument({
      kind: 'session',
      id: hashSecret(token),
      projectId: null,
      body: { userId: user.id, email: user.email, expiresAt: new Date(now.getTime() + SESSION_SECONDS * 1000).toISOString() },
      createdAt: now,
      updatedAt: now,
    });
    return token;
  }

  async sessionUser(token: string): Promise<User | null> {
    const document = await this.store.getDocument('session', hashSecret(token));
    if (!document || Date.parse(String(document.body.expiresAt)) <= Date.now()) return null;
    return { id: String(document.body.userId), email: String(document.body.email) };
  }

  async endSession(token: string): Promise<void> {
    await this.store.deleteDocument('session', hashSecret(token));
  }
}

// Verifying against a fixed hash when the email is unknown keeps sign-in from telling which
// emails have accounts by how fast it answers.
const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
