// The persons and groups ingestion holds in memory: a bounded, least-recently-used cache in front
// of the store, which stays the truth. Persons are found by distinct id; a cached person always
// has all its distinct ids indexed, so merges see every id they move, and evicting a person drops
// them all.
//
// Pinning: the ingest loop applies batch N+1 while batch N's transaction is in flight, so the
// store lags memory by up to two batches. An entry records the last batch that used it; until
// that batch has committed the entry is never evicted, since the store does not have it yet (or,
// for entries a batch's prefetch loaded, because the batch is about to use them).
import type { Group, Person } from '../store/store.js';
import type { MutablePerson } from './project-state.js';

/** Default budget: the estimated size of cached persons and groups. */
export const DEFAULT_ACTOR_CACHE_BYTES = 128 * 1024 * 1024;

// Size estimate per entry: a fixed part, the JSON length of the properties, the strings. Cheap to
// compute, and within ~15% of the heap a person takes with few or many properties (measured with
// forced garbage collection; see actor-cache.test.ts): ~730 bytes with no properties and one
// distinct id, ~930 with four properties and two ids, ~1,550 with thirty properties.
/** The entry, its Map slot and key, the person or group object, its Set and dates. */
const ENTRY_BYTES = 650;
/** Per distinct id: its slots in the person's Set and in the index, and the index's key string. */
const DISTINCT_ID_BYTES = 40;
/** Heap per character of JSON text, once parsed (ASCII text; other text takes up to twice this). */
const PROPERTIES_JSON_FACTOR = 1.1;

/** Group keys remembered as absent from the store, at most (about 100 bytes each). */
const MAX_ABSENT_GROUPS = 10_000;

interface PersonEntry {
  readonly kind: 'person';
  readonly key: string;
  readonly person: MutablePerson;
  bytes: number;
  /** The person's version and distinct-id count when `bytes` was estimated (-1: never). */
  estimatedVersion: number;
  estimatedIds: number;
  /** The last batch that used the entry; pinned while it has not committed. */
  seq: number;
  /** When it was last moved to the young end (see touch). */
  placedAt: number;
  evicted?: true;
}

interface GroupEntry {
  readonly kind: 'group';
  readonly key: string;
  group: Group;
  bytes: number;
  /** The group object `bytes` was estimated for (groups are replaced, not changed in place). */
  estimated?: Group;
  seq: number;
  placedAt: number;
  evicted?: true;
}

type Entry = PersonEntry | GroupEntry;

const personKey = (projectId: number, personId: string) => `p${projectId}\u0000${personId}`;
const groupKey = (projectId: number, groupTypeIndex: number, key: string) => `g${projectId}\u0000${groupTypeIndex}\u0000${key}`;
/**
 * Persons by (project, distinct id), a map per project: looking up the event's own distinct id
 * string needs no new key string (whose hash would be computed afresh on every lookup).
 */
class DistinctIdIndex {
  private readonly projects = new Map<number, Map<string, PersonEntry>>();
  size = 0;
  get(projectId: number, distinctId: string): PersonEntry | undefined {
    return this.projects.get(projectId)?.get(distinctId);
  }
  has(projectId: number, distinctId: string): boolean {
    return this.projects.get(projectId)?.has(distinctId) ?? false;
  }
  set(projectId: number, distinctId: string, entry: PersonEntry): void {
    let ids = this.projects.get(projectId);
    if (!ids) this.projects.set(projectId, (ids = new Map()));
    const before = ids.size;
    ids.set(distinctId, entry);
    this.size += ids.size - before;
  }
  delete(projectId: number, distinctId: string): void {
    const ids = this.projects.get(projectId);
    if (ids?.delete(distinctId)) this.size -= 1;
  }
  clear(): void {
    this.projects.clear();
    this.size = 0;
  }
}

function personBytes(person: MutablePerson): number {
  let bytes = ENTRY_BYTES + Math.round(JSON.stringify(person.properties).length * PROPERTIES_JSON_FACTOR) + person.id.length;
  for (const id of person.distinctIds) bytes += DISTINCT_ID_BYTES + id.length * 2;
  return bytes;
}

function groupBytes(group: Group): number {
  return ENTRY_BYTES + Math.round(JSON.stringify(group.properties).length * PROPERTIES_JSON_FACTOR) + group.groupKey.length * 2;
}

export interface ActorCacheStats {
  readonly persons: number;
  readonly distinctIds: number;
  readonly groups: number;
  /** Estimated size of the cached entries. */
  readonly bytes: number;
  readonly maxBytes: number;
}

export class ActorCache {
  /** Every entry, least recently used first (a Map keeps insertion order; use re-inserts). */
  private readonly entries = new Map<string, Entry>();
  private readonly byDistinctId = new DistinctIdIndex();
  /**
   * Groups a store read found absent, oldest first: /flags requests may name groups that were
   * never identified, and should not read the store for them every time. (Distinct ids need no
   * such list: the membership filter answers for those.)
   */
  private readonly absentGroups = new Set<string>();
  private bytes = 0;
  private personCount = 0;
  private batchSeq = 0;
  private committedSeq = 0;
  /** Moves to the young end so far (see touch). */
  private placements = 0;
  /** Entries the current batch used (each once): their size is estimated again when it ends. */
  private usedByBatch: Entry[] = [];
  /**
   * Changes whenever entries may have become stale or been dropped (a commit, a clear). A store
   * read that started under another generation must not install what it read: a newer state
   * may have been committed and evicted in the meantime.
   */
  generation = 0;

  constructor(readonly maxBytes = DEFAULT_ACTOR_CACHE_BYTES) {}

  // Batches.

  /** Starts the next batch: what ingestion touches from now on is pinned until it commits. */
  beginBatch(): number {
    this.batchSeq += 1;
    return this.batchSeq;
  }

  /** The batch is applied: sizes of what it changed are estimated again, and the cache trimmed. */
  endBatch(): void {
    for (const entry of this.usedByBatch) {
      if (entry.evicted) continue;
      // Only what changed is estimated again (an estimate serializes the properties).
      let bytes: number;
      if (entry.kind === 'person') {
        if (entry.estimatedVersion === entry.person.version && entry.estimatedIds === entry.person.distinctIds.size) continue;
        bytes = personBytes(entry.person);
        entry.estimatedVersion = entry.person.version;
        entry.estimatedIds = entry.person.distinctIds.size;
      } else {
        if (entry.estimated === entry.group) continue;
        bytes = groupBytes(entry.group);
        entry.estimated = entry.group;
      }
      this.bytes += bytes - entry.bytes;
      entry.bytes = bytes;
    }
    this.usedByBatch = [];
    this.trim();
  }

  /** Batch `seq` (and every one before it) is in the store: its entries may be evicted. */
  committed(seq: number): void {
    this.committedSeq = Math.max(this.committedSeq, seq);
    this.generation += 1;
    this.trim();
  }

  /** Forgets everything, e.g. after a failed commit: entries may hold changes never written. */
  clear(): void {
    this.entries.clear();
    this.byDistinctId.clear();
    this.absentGroups.clear();
    this.usedByBatch = [];
    this.bytes = 0;
    this.personCount = 0;
    this.generation += 1;
  }

  // Ingestion: every access pins the entry for the current batch.

  /** The person owning a distinct id, if cached. */
  person(projectId: number, distinctId: string): MutablePerson | undefined {
    const entry = this.byDistinctId.get(projectId, distinctId);
    if (!entry) return undefined;
    this.use(entry);
    return entry.person;
  }

  /** A person created by ingestion, with its distinct ids. */
  addPerson(person: MutablePerson): void {
    const entry: PersonEntry = { kind: 'person', key: personKey(person.projectId, person.id), person, bytes: 0, estimatedVersion: -1, estimatedIds: -1, seq: this.batchSeq, placedAt: 0 };
    this.insert(entry);
    this.personCount += 1;
    for (const id of person.distinctIds) this.byDistinctId.set(person.projectId, id, entry);
    this.usedByBatch.push(entry);
  }

  /** Indexes a distinct id just added to a cached person's `distinctIds`. */
  indexDistinctId(person: MutablePerson, distinctId: string): void {
    const entry = this.entries.get(personKey(person.projectId, person.id));
    if (entry?.kind !== 'person') throw new Error(`person ${person.id} is not cached`);
    this.byDistinctId.set(person.projectId, distinctId, entry);
    this.use(entry);
  }

  /** Drops a person merged away; distinct ids already moved to another person stay with it. */
  removePerson(person: MutablePerson): void {
    const entry = this.entries.get(personKey(person.projectId, person.id));
    if (entry?.kind === 'person') this.drop(entry);
  }

  group(projectId: number, groupTypeIndex: number, key: string): Group | undefined {
    const entry = this.entries.get(groupKey(projectId, groupTypeIndex, key));
    if (entry?.kind !== 'group') return undefined;
    this.use(entry);
    return entry.group;
  }

  /** A group created or changed by ingestion. */
  putGroup(group: Group): void {
    const key = groupKey(group.projectId, group.groupTypeIndex, group.groupKey);
    this.absentGroups.delete(key);
    const existing = this.entries.get(key);
    if (existing?.kind === 'group') {
      existing.group = group;
      this.use(existing);
      return;
    }
    const entry: GroupEntry = { kind: 'group', key, group, bytes: 0, seq: this.batchSeq, placedAt: 0 };
    this.insert(entry);
    this.usedByBatch.push(entry);
  }

  /** Drops the groups of a deleted group type. Runs between batches. */
  removeGroupsOfType(projectId: number, groupTypeIndex: number): void {
    const prefix = `g${projectId}\u0000${groupTypeIndex}\u0000`;
    for (const [key, entry] of this.entries) if (key.startsWith(prefix)) this.drop(entry);
    this.generation += 1;
  }

  // What the store returned.

  /**
   * Caches a person read from the store, unless the cache already knows it or any of its
   * distinct ids (memory is never older than the store). `pin`: for the current batch, which
   * is about to use it. Returns whether the person is now cached.
   */
  installPerson(stored: Person, pin: boolean): boolean {
    const existing = this.entries.get(personKey(stored.projectId, stored.id));
    if (existing) {
      if (pin) this.use(existing);
      return true;
    }
    for (const id of stored.distinctIds) if (this.byDistinctId.has(stored.projectId, id)) return false;
    const person: MutablePerson = { ...stored, properties: { ...stored.properties }, distinctIds: new Set(stored.distinctIds) };
    const entry: PersonEntry = { kind: 'person', key: personKey(person.projectId, person.id), person, bytes: 0, estimatedVersion: -1, estimatedIds: -1, seq: 0, placedAt: 0 };
    this.insert(entry);
    this.personCount += 1;
    for (const id of person.distinctIds) this.byDistinctId.set(person.projectId, id, entry);
    if (pin) this.use(entry);
    this.trim();
    return true;
  }

  /** As installPerson, for a group. */
  installGroup(stored: Group, pin: boolean): void {
    const key = groupKey(stored.projectId, stored.groupTypeIndex, stored.groupKey);
    this.absentGroups.delete(key);
    const existing = this.entries.get(key);
    if (existing) {
      if (pin) this.use(existing);
      return;
    }
    const entry: GroupEntry = { kind: 'group', key, group: stored, bytes: 0, seq: 0, placedAt: 0 };
    this.insert(entry);
    if (pin) this.use(entry);
    this.trim();
  }

  /** Remembers that the store has no such group (as installGroup, only for a read no commit overtook). */
  markGroupAbsent(projectId: number, groupTypeIndex: number, groupKeyText: string): void {
    const key = groupKey(projectId, groupTypeIndex, groupKeyText);
    if (this.entries.has(key)) return;
    this.absentGroups.delete(key);
    this.absentGroups.add(key);
    if (this.absentGroups.size > MAX_ABSENT_GROUPS) this.absentGroups.delete(this.absentGroups.values().next().value!);
  }

  /** True when the group certainly does not exist: neither cached nor stored. */
  isGroupAbsent(projectId: number, groupTypeIndex: number, groupKeyText: string): boolean {
    return this.absentGroups.has(groupKey(projectId, groupTypeIndex, groupKeyText));
  }

  // Reads that pin nothing (/flags): they only count as use for the LRU order.

  peekPerson(projectId: number, distinctId: string): MutablePerson | undefined {
    const entry = this.byDistinctId.get(projectId, distinctId);
    if (entry) this.touch(entry);
    return entry?.person;
  }

  peekGroup(projectId: number, groupTypeIndex: number, key: string): Group | undefined {
    const entry = this.entries.get(groupKey(projectId, groupTypeIndex, key));
    if (entry?.kind !== 'group') return undefined;
    this.touch(entry);
    return entry.group;
  }

  stats(): ActorCacheStats {
    return {
      persons: this.personCount,
      distinctIds: this.byDistinctId.size,
      groups: this.entries.size - this.personCount,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
    };
  }

  // Internals.

  private insert(entry: Entry): void {
    if (entry.kind === 'person') {
      entry.bytes = personBytes(entry.person);
      entry.estimatedVersion = entry.person.version;
      entry.estimatedIds = entry.person.distinctIds.size;
    } else {
      entry.bytes = groupBytes(entry.group);
      entry.estimated = entry.group;
    }
    this.bytes += entry.bytes;
    this.entries.set(entry.key, entry);
    entry.placedAt = ++this.placements;
  }

  /**
   * Counts a use in the LRU order. An entry in the younger half of the order stays where it is:
   * moving it costs a Map delete and insert, and it has half the cache to go before eviction
   * anyway. So the order is least recently used to within half the cache, at a fraction of the
   * cost (most uses are of entries used a moment ago).
   */
  private touch(entry: Entry): void {
    if (this.placements - entry.placedAt <= this.entries.size >> 1) return;
    this.moveToYoungEnd(entry);
  }

  private moveToYoungEnd(entry: Entry): void {
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
    entry.placedAt = ++this.placements;
  }

  private use(entry: Entry): void {
    // Once per batch is enough: the entry is pinned for this batch and counted as used.
    if (entry.seq === this.batchSeq) return;
    this.touch(entry);
    entry.seq = this.batchSeq;
    this.usedByBatch.push(entry);
  }

  private drop(entry: Entry): void {
    this.entries.delete(entry.key);
    entry.evicted = true;
    this.bytes -= entry.bytes;
    if (entry.kind === 'group') return;
    this.personCount -= 1;
    const projectId = entry.person.projectId;
    for (const id of entry.person.distinctIds) {
      if (this.byDistinctId.get(projectId, id) === entry) this.byDistinctId.delete(projectId, id);
    }
  }

  /** Evicts the least recently used unpinned entries until the estimate is within budget. */
  private trim(): void {
    // Pinned entries go to the young end; each entry is looked at once at most per call.
    let visits = this.entries.size;
    for (const entry of this.entries.values()) {
      if (this.bytes <= this.maxBytes || visits-- <= 0) return;
      if (entry.seq > this.committedSeq) this.moveToYoungEnd(entry);
      else this.drop(entry);
    }
  }
}
