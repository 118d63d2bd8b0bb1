// Person processing (spec 2.7): property updates and distinct-id merges with PostHog's rules.
import { createHash, randomUUID } from 'node:crypto';
import type { CommitBuilder } from './commit-builder.js';
import type { IngestEvent } from './ingest-event.js';
import type { MutablePerson, ProjectState } from './project-state.js';

// Ids SDKs and apps send by mistake; merging on them would fuse unrelated people.
const ILLEGAL_IDS_ANY_CASE = new Set([
  'anonymous', 'guest', 'distinctid', 'distinct_id', 'id', 'not_authenticated', 'email', 'undefined', 'true', 'false',
]);
const ILLEGAL_IDS_EXACT = new Set(['[object Object]', 'NaN', 'None', 'none', 'null', '0', 'undefined']);

export function isIllegalDistinctId(id: string): boolean {
  return ILLEGAL_IDS_EXACT.has(id) || ILLEGAL_IDS_ANY_CASE.has(id.trim().toLowerCase());
}

/**
 * The person id of a personless event whose distinct id has no person: a UUID derived from
 * (project, distinct id), so every personless event of one distinct id counts as one actor.
 */
export function personlessPersonId(projectId: number, distinctId: string): string {
  const hex = createHash('sha1').update(`${projectId}:${distinctId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function createPerson(state: ProjectState, distinctIds: string[], at: Date, commit: CommitBuilder, identified: boolean): MutablePerson {
  const person: MutablePerson = {
    projectId: state.projectId,
    id: randomUUID(),
    properties: {},
    isIdentified: identified,
    createdAt: at,
    version: 0,
    distinctIds: new Set(distinctIds),
  };
  state.addPerson(person);
  commit.createPerson(person);
  return person;
}

function addDistinctId(state: ProjectState, person: MutablePerson, distinctId: string, commit: CommitBuilder): void {
  state.assignDistinctId(person, distinctId);
  person.isIdentified = true;
  person.version += 1;
  commit.assignDistinctId(person, distinctId);
  commit.touchPerson(person);
}

/**
 * Merges the person of `otherId` into the person of `intoId`. `$identify` and `$create_alias`
 * never merge away a person that is already identified; `$merge_dangerously` does.
 */
function mergeDistinctIds(
  state: ProjectState,
  intoId: string,
  otherId: string,
  force: boolean,
  at: Date,
  commit: CommitBuilder,
): void {
  if (intoId === otherId || isIllegalDistinctId(intoId) || isIllegalDistinctId(otherId)) return;
  const into = state.personOf(intoId);
  const other = state.personOf(otherId);
  if (!into && !other) {
    createPerson(state, [intoId, otherId], at, commit, true);
  } else if (other && !into) {
    addDistinctId(state, other, intoId, commit);
  } else if (into && !other) {
    addDistinctId(state, into, otherId, commit);
  } else if (into && other && into !== other) {
    if (other.isIdentified && !force) return;
    into.properties = { ...other.properties, ...into.properties };
    into.createdAt = other.createdAt.getTime() < into.createdAt.getTime() ? other.createdAt : into.createdAt;
    into.isIdentified = true;
    into.version += 1;
    for (const id of other.distinctIds) {
      state.assignDistinctId(into, id);
      commit.assignDistinctId(into, id);
    }
    state.removePerson(other);
    commit.deletePerson(other, into);
    commit.touchPerson(into);
  }
}

function applyPropertyUpdates(person: MutablePerson, event: IngestEvent): boolean {
  let changed = false;
  if (event.setOnce) {
    for (const [key, value] of Object.entries(event.setOnce)) {
      if (!(key in person.properties)) {
        person.properties[key] = value;
        changed = true;
      }
    }
  }
  if (event.set) {
    for (const [key, value] of Object.entries(event.set)) {
      if (JSON.stringify(person.properties[key]) !== JSON.stringify(value)) {
        person.properties[key] = value;
        changed = true;
      }
    }
  }
  for (const key of event.unset ?? []) {
    if (typeof key === 'string' && key in person.properties) {
      delete person.properties[key];
      changed = true;
    }
  }
  return changed;
}

/** Runs person processing for one event and returns the person id it belongs to. */
export function processPerson(state: ProjectState, event: IngestEvent, at: Date, commit: CommitBuilder): string {
  if (event.event === '$identify' && event.anonDistinctId !== undefined) {
    mergeDistinctIds(state, event.distinctId, event.anonDistinctId, false, at, commit);
  } else if ((event.event === '$create_alias' || event.event === '$merge_dangerously') && event.alias !== undefined) {
    mergeDistinctIds(state, event.distinctId, event.alias, event.event === '$merge_dangerously', at, commit);
  }
  let person = state.personOf(event.distinctId);
  // Dates compared by getTime(): `<` on two Dates converts both through valueOf, on every event.
  if (!person) {
    person = createPerson(state, [event.distinctId], at, commit, false);
  } else if (at.getTime() < person.createdAt.getTime()) {
    person.createdAt = at;
    person.version += 1;
    commit.touchPerson(person);
  }
  if (applyPropertyUpdates(person, event)) {
    person.version += 1;
    commit.touchPerson(person);
  }
  return person.id;
}

/** The person an event belongs to when it must not create or change one. */
export function personIdWithoutProcessing(state: ProjectState, distinctId: string): string {
  return state.personOf(distinctId)?.id ?? personlessPersonId(state.projectId, distinctId);
}
