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

/** The storage backends PRICKLE_STORE may name. */
export const STORE_BACKENDS = ['duckdb'] as const;
export type StoreBackend = (typeof STORE_BACKENDS)[number];

const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PRICKLE_DATA_DIR: z.string().min(1).default('./data'),
  // The storage backend (src/store/open-store.ts); the embedded one is the only one so far.
  PRICKLE_STORE: z.enum(STORE_BACKENDS, { error: `must be one of ${STORE_BACKENDS.join(', ')}` }).default('duckdb'),
  PRICKLE_PROJECT_TOKEN: optionalSecret,
  PRICKLE_PERSONAL_API_KEY: optionalSecret,
  // Group type slots per project. PostHog allows 5 (indexes 0..4); the events table has
  // one key column per slot, so this is also the number of $group_N columns.
  PRICKLE_MAX_GROUP_TYPES: z.coerce.number().int().min(1).max(5).default(5),
  // The web app's first user, created at the first start (the password is generated and printed
  // once when not given).
  PRICKLE_ADMIN_EMAIL: z.string().trim().regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address').max(320).default('admin@localhost'),
  PRICKLE_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').max(1000).optional(),
  // The server's memory bound, bytes or with a unit (512MB, 1GB): the engine's cache, ingestion's
  // person/group cache and its backlog are sized from it, and capture answers 503 near it.
  PRICKLE_MEMORY_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|KIB|MIB|GIB)?$/i, 'must be a size such as 1073741824, 768MB or 1GB')
    .transform(parseSize)
    .refine((bytes) => bytes >= 256 * 1024 * 1024, 'must be at least 256MB')
    .default(1024 * 1024 * 1024),
  PRICKLE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([A-Z]*)$/i.exec(text)!;
  const units: Record<string, number> = { '': 1, B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3 };
  return Math.floor(Number(match[1]) * units[match[2].toUpperCase()]);
}

export interface MemoryBudget {
  /** The whole bound (PRICKLE_MEMORY_LIMIT), bytes. */
  readonly limit: number;
  /** DuckDB's buffer manager (its memory_limit): table data, query state, spills past it. */
  readonly engine: number;
  /** Ingestion's cache of persons and groups. */
  readonly actorCache: number;
  /** Accepted capture records not yet in the engine; past it capture answers 503. */
  readonly ingestBacklog: number;
}

/**
 * Shares of the bound. The JavaScript heap, which holds the actor cache and the backlog, is
 * capped at 40% by `npm start` (scripts/start.sh: Node takes it only on its command line); the
 * rest is the young generation, the worker threads, buffers and the allocator.
 */
export function memoryBudget(limit: number): MemoryBudget {
  return Object.freeze({
    limit,
    engine: Math.floor(limit * 0.25),
    actorCache: Math.floor(limit * 0.1),
    ingestBacklog: Math.floor(limit * 0.04),
  });
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly store: StoreBackend;
  readonly projectToken: string | undefined;
  readonly personalApiKey: string | undefined;
  readonly maxGroupTypes: number;
  readonly adminEmail: string;
  readonly adminPassword: string | undefined;
  readonly logLevel: string;
  readonly memory: MemoryBudget;
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
    store: v.PRICKLE_STORE,
    projectToken: v.PRICKLE_PROJECT_TOKEN,
    personalApiKey: v.PRICKLE_PERSONAL_API_KEY,
    maxGroupTypes: v.PRICKLE_MAX_GROUP_TYPES,
    adminEmail: v.PRICKLE_ADMIN_EMAIL,
    adminPassword: v.PRICKLE_ADMIN_PASSWORD,
    logLevel: v.PRICKLE_LOG_LEVEL,
    memory: memoryBudget(v.PRICKLE_MEMORY_LIMIT),
    batchBodyLimit: 20 * 1024 * 1024,
    eventBodyLimit: 2 * 1024 * 1024,
  });
}
