// The persons and groups ingestion and /flags see: a bounded cache (actor-cache.ts) in front of
// the store, and a filter of every distinct id (membership-filter.ts) in front of the store reads.
//
// Ingestion stays synchronous: before a batch is applied, prefetch() reads in one go what the
// batch needs and the cache lacks, and pins it. /flags reads through the same cache; its misses
// are read from the store, coalesced, and never wait on a batch.
import type { Group, Person, Properties, Store } from '../store/store.js';
import { ActorCache, DEFAULT_ACTOR_CACHE_BYTES } from './actor-cache.js';
import { CoalescedLookup } from './coalesced-lookup.js';
import { normalizeGroupKey } from './groups.js';
import type { IngestEvent } from './ingest-event.js';
import { MembershipFilter } from './membership-filter.js';
import type { ProjectState } from './project-state.js';

type GroupKey = { groupTypeIndex: number; groupKey: string };
const groupLookupKey = (groupTypeIndex: number, groupKey: string) => `${groupTypeIndex}\u0000${groupKey}`;

export class Actors {
  private readonly personReads: CoalescedLookup<Person>;
  private readonly groupReads: CoalescedLookup<Group>;

  constructor(
    private readonly store: Store,
    readonly cache: ActorCache,
    readonly knownDistinctIds: MembershipFilter,
  ) {
    // A read may install what it found only if no commit (or clear) happened while it ran and
    // the cache still lacks it: otherwise it could put a stale copy over a newer state.
    this.personReads = new CoalescedLookup(async (projectId, distinctIds) => {
      const generation = this.cache.generation;
      const persons = await this.store.lookupPersons(projectId, distinctIds);
      const found = new Map<string, Person>();
      for (const person of persons) {
        for (const id of person.distinctIds) found.set(id, person);
        if (this.cache.generation === generation) this.cache.installPerson(person, false);
      }
      return found;
    });
    this.groupReads = new CoalescedLookup(async (projectId, keys) => {
      const generation = this.cache.generation;
      const groups = await this.store.lookupGroups(projectId, keys.map(parseGroupLookupKey));
      const found = new Map<string, Group>();
      for (const group of groups) found.set(groupLookupKey(group.groupTypeIndex, group.groupKey), group);
      if (this.cache.generation === generation) {
        for (const group of groups) this.cache.installGroup(group, false);
        for (const key of keys) {
          if (found.has(key)) continue;
          const { groupTypeIndex, groupKey } = parseGroupLookupKey(key);
          this.cache.markGroupAbsent(projectId, groupTypeIndex, groupKey);
        }
      }
      return found;
    });
  }

  /** Fills the distinct-id filter from the store (streamed: the ids are not kept). */
  static async open(store: Store, cacheBytes = DEFAULT_ACTOR_CACHE_BYTES): Promise<Actors> {
    const actors = new Actors(store, new ActorCache(cacheBytes), new MembershipFilter());
    await store.forEachDistinctId((projectId, distinctId) => actors.knownDistinctIds.add(projectId, distinctId));
    return actors;
  }

  // The ingest queue's side, in order: beginBatch, prefetch, (apply), endBatch, committed.

  beginBatch(): number {
    return this.cache.beginBatch();
  }

  /**
   * Loads into the cache, pinned for the current batch, every person and group the batch may
   * read: each event's distinct id, `$anon_distinct_id` and alias, and the group of each
   * `$groupidentify`. Undefined when nothing is missing, so the hot path awaits nothing.
   *
   * Safe while the previous batch's commit is in flight: whatever that batch touched is pinned in
   * the cache, so it is never read from the store here.
   */
  prefetch(jobs: readonly { projectId: number; events: readonly IngestEvent[] }[], projectOf: (projectId: number) => ProjectState | undefined): Promise<void> | undefined {
    const persons = new Map<number, Set<string>>();
    const groups = new Map<number, Map<string, GroupKey>>();
    for (const job of jobs) {
      const state = projectOf(job.projectId);
      if (!state) continue;
      const projectId = job.projectId;
      let missing = persons.get(projectId);
      const want = (distinctId: string) => {
        // A hit is pinned by the lookup itself, so it survives until the batch is applied.
        if (missing?.has(distinctId) || this.cache.person(projectId, distinctId)) return;
        if (!this.knownDistinctIds.mightContain(projectId, distinctId)) return;
        if (!missing) persons.set(projectId, (missing = new Set()));
        missing.add(distinctId);
      };
      for (const event of job.events) {
        want(event.distinctId);
        if (event.anonDistinctId !== undefined) want(event.anonDistinctId);
        if (event.alias !== undefined) want(event.alias);
        const identify = event.groupIdentify;
        if (!identify) continue;
        const key = normalizeGroupKey(identify.key);
        // A type not known yet has no stored groups.
        const index = typeof identify.type === 'string' ? state.groupTypesByName.get(identify.type)?.groupTypeIndex : undefined;
        if (key === undefined || index === undefined || this.cache.group(projectId, index, key) || this.cache.isGroupAbsent(projectId, index, key)) continue;
        let keys = groups.get(projectId);
        if (!keys) groups.set(projectId, (keys = new Map()));
        keys.set(groupLookupKey(index, key), { groupTypeIndex: index, groupKey: key });
      }
    }
    if (persons.size === 0 && groups.size === 0) return undefined;
    return this.load(persons, groups);
  }

  private async load(persons: Map<number, Set<string>>, groups: Map<number, Map<string, GroupKey>>): Promise<void> {
    for (const [projectId, distinctIds] of persons) {
      for (const person of await this.store.lookupPersons(projectId, [...distinctIds])) this.cache.installPerson(person, true);
    }
    for (const [projectId, keys] of groups) {
      for (const group of await this.store.lookupGroups(projectId, [...keys.values()])) this.cache.installGroup(group, true);
    }
  }

  endBatch(): void {
    this.cache.endBatch();
  }

  committed(seq: number): void {
    this.cache.committed(seq);
  }

  /** After a failed commit: the cache may hold changes never written. The filter stays (extra ids only cost a read). */
  forget(): void {
    this.cache.clear();
  }

  // Reads for /flags: never pinned, never waiting on a batch.

  /** The properties of the person owning a distinct id; undefined when there is none. */
  personProperties(projectId: number, distinctId: string): Properties | undefined | Promise<Properties | undefined> {
    const cached = this.cache.peekPerson(projectId, distinctId);
    if (cached) return cached.properties;
    if (!this.knownDistinctIds.mightContain(projectId, distinctId)) return undefined;
    return this.personReads.get(projectId, distinctId).then((person) => person?.properties);
  }

  groupProperties(projectId: number, groupTypeIndex: number, groupKey: string): Properties | undefined | Promise<Properties | undefined> {
    const cached = this.cache.peekGroup(projectId, groupTypeIndex, groupKey);
    if (cached) return cached.properties;
    if (this.cache.isGroupAbsent(projectId, groupTypeIndex, groupKey)) return undefined;
    return this.groupReads.get(projectId, groupLookupKey(groupTypeIndex, groupKey)).then((group) => group?.properties);
  }
}

function parseGroupLookupKey(key: string): GroupKey {
  const split = key.indexOf('\u0000');
  return { groupTypeIndex: Number(key.slice(0, split)), groupKey: key.slice(split + 1) };
}
