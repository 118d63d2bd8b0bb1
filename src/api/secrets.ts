// Secrets: project tokens, personal API keys and session tokens are random; only their SHA-256
// is stored. Shared by auth.ts (checking) and users.ts (sessions), which otherwise import each other.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { PersonalApiKey } from '../store/store.js';

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
