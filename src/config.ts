// Configuration, read from the environment once at start, validated, then frozen.
// No other module reads process.env.
import { z } from 'zod';

const optionalSecret = z
  .string()
  .trim()
  .min(8, 'must be at least 8 characters')
  .max(200, 'must be at most 200 characters')
  .regex(/^[A-Za-z0-9_\-]+$/, 'may contain only letters, digits, "_" and "-"')
  .optional();

const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PRICKLE_DATA_DIR: z.string().min(1).default('./data'),
  PRICKLE_PROJECT_TOKEN: optionalSecret,
  PRICKLE_PERSONAL_API_KEY: optionalSecret,
  // Group type slots per project. PostHog allows 5 (indexes 0..4); the events table has
  // one key column per slot, so this is also the number of $group_N columns.
  PRICKLE_MAX_GROUP_TYPES: z.coerce.number().int().min(1).max(5).default(5),
  // The web app's first user, created at the first start (the password is generated and printed
  // once when not given).
  PRICKLE_ADMIN_EMAIL: z.string().trim().regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address').max(320).default('admin@localhost'),
  PRICKLE_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').max(1000).optional(),
  PRICKLE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly projectToken: string | undefined;
  readonly personalApiKey: string | undefined;
  readonly maxGroupTypes: number;
  readonly adminEmail: string;
  readonly adminPassword: string | undefined;
  readonly logLevel: string;
  /** Largest accepted request body on /batch, in bytes (20 MB, as PostHog's capture). */
  readonly batchBodyLimit: number;
  /** Largest accepted request body on the other capture endpoints, in bytes (2 MB). */
  readonly eventBodyLimit: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty variables count as unset, as most shells and compose files produce them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const v = parsed.data;
  return Object.freeze({
    port: v.PORT,
    host: v.HOST,
    dataDir: v.PRICKLE_DATA_DIR,
    projectToken: v.PRICKLE_PROJECT_TOKEN,
    personalApiKey: v.PRICKLE_PERSONAL_API_KEY,
    maxGroupTypes: v.PRICKLE_MAX_GROUP_TYPES,
    adminEmail: v.PRICKLE_ADMIN_EMAIL,
    adminPassword: v.PRICKLE_ADMIN_PASSWORD,
    logLevel: v.PRICKLE_LOG_LEVEL,
    batchBodyLimit: 20 * 1024 * 1024,
    eventBodyLimit: 2 * 1024 * 1024,
  });
}
