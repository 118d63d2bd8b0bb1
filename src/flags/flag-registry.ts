// The current feature flags of each project, cached in memory for the /flags hot path. Every
// change goes through here, so the cache and the definitions' ETag are never stale: a changed
// flag applies from the very next request.
import { createHash } from 'node:crypto';
import type { FeatureFlagRecord, Store } from '../store/store.js';
import type { FlagDefinition, FlagFilters } from './flag-definition.js';
import { FlagSet } from './evaluate-flag.js';

/** A stored flag as PostHog's definition JSON; filters were validated when the flag was saved. */
export function toDefinition(f: FeatureFlagRecord): FlagDefinition {
  return {
    id: f.id,
    key: f.key,
    name: f.name,
    active: f.active,
    deleted: f.deleted,
    version: f.version,
    ensure_experience_continuity: f.ensureExperienceContinuity,
    filters: f.filters as FlagFilters,
  };
}

interface ProjectFlags {
  readonly flags: FeatureFlagRecord[];
  /** Definitions of the flags not deleted, built once per change. */
  readonly definitions: FlagDefinition[];
  /** The same, compiled for evaluation on this thread (/flags evaluates on the flags thread). */
  compiled?: FlagSet;
  /** Changes with every save; part of the local-evaluation ETag. */
  readonly revision: string;
  /** Grows with every load, of any project: a higher generation holds newer flags. */
  readonly generation: number;
}

/** A project's current flag definitions, and how recent they are. */
export interface FlagSnapshot {
  readonly definitions: readonly FlagDefinition[];
  readonly generation: number;
}

export class FlagRegistry {
  private readonly cache = new Map<number, Promise<ProjectFlags>>();
  private writes: Promise<unknown> = Promise.resolve();
  private loads = 0;

  constructor(private readonly store: Store) {}

  private load(projectId: number): Promise<ProjectFlags> {
    let entry = this.cache.get(projectId);
    if (!entry) {
      const generation = ++this.loads;
      entry = this.store.listFeatureFlags(projectId).then((flags) => {
        const definitions = flags.filter((f) => !f.deleted).map(toDefinition);
        return { flags, definitions, revision: revisionOf(flags), generation };
      });
      entry.catch(() => this.cache.delete(projectId));
      this.cache.set(projectId, entry);
    }
    return entry;
  }

  /** Flags not deleted, by id. */
  async list(projectId: number): Promise<FeatureFlagRecord[]> {
    return (await this.load(projectId)).flags.filter((f) => !f.deleted);
  }

  async definitions(projectId: number): Promise<FlagDefinition[]> {
    return (await this.load(projectId)).definitions;
  }

  async compiled(projectId: number): Promise<FlagSet> {
    const entry = await this.load(projectId);
    return (entry.compiled ??= new FlagSet(entry.definitions));
  }

  async snapshot(projectId: number): Promise<FlagSnapshot> {
    return this.load(projectId);
  }

  async revision(projectId: number): Promise<string> {
    return (await this.load(projectId)).revision;
  }

  async get(projectId: number, id: number): Promise<FeatureFlagRecord | undefined> {
    return (await this.list(projectId)).find((f) => f.id === id);
  }

  async byKey(projectId: number, key: string): Promise<FeatureFlagRecord | undefined> {
    return (await this.list(projectId)).find((f) => f.key === key);
  }

  /** Saves a flag and drops the project's cache, so the next read sees it. */
  async save(flag: FeatureFlagRecord): Promise<void> {
    await this.store.saveFeatureFlag(flag);
    this.cache.delete(flag.projectId);
  }

  /** Runs flag changes one at a time, so key checks and new ids cannot race. */
  mutate<T>(work: () => Promise<T>): Promise<T> {
    const result = this.writes.then(work, work);
    this.writes = result.catch(() => undefined);
    return result;
  }

  nextId(projectId: number): Promise<number> {
    return this.store.nextFeatureFlagId(projectId);
  }
}

function revisionOf(flags: readonly FeatureFlagRecord[]): string {
  const hash = createHash('sha1');
  for (const f of flags) hash.update(`${f.id}:${f.version}:${f.deleted ? 1 : 0};`);
  return hash.digest('hex').slice(0, 16);
}
