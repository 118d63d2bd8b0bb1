import { describe, expect, it } from 'vitest';
import { CommitBuilder } from './commit-builder.js';
import type { IngestEvent } from './ingest-event.js';
import { isIllegalDistinctId, personIdWithoutProcessing, personlessPersonId, processPerson } from './persons.js';
import type { ProjectState } from './project-state.js';
import { event, newProjectState } from './test-helpers.js';

const personOfEvent = (state: ProjectState, e: IngestEvent, commit: CommitBuilder) => processPerson(state, e, new Date(e.timestampMs), commit);

describe('person processing', () => {
  it('creates one person per new distinct id and reuses it afterwards', () => {
    const state = newProjectState();
    const commit = new CommitBuilder();
    const a = personOfEvent(state, event('x', 'u1'), commit);
    const b = personOfEvent(state, event('y', 'u1'), commit);
    expect(a).toBe(b);
    expect(state.cache.stats().persons).toBe(1);
    expect(commit.build().newPersons).toHaveLength(1);
    expect(commit.build().changedPersons).toHaveLength(0);
  });

  it('applies $set, $set_once and $unset with top-level $set winning per key', () => {
    const state = newProjectState();
    const commit = new CommitBuilder();
    personOfEvent(state, event('$set', 'u1', { $set: { plan: 'free', email: 'a@x' }, $set_once: { first: 1 } }), commit);
    personOfEvent(state, event('$set', 'u1', { $set: { plan: 'ignored' }, $set_once: { first: 2 }, $unset: ['email'] }, { set: { plan: 'pro' } }), commit);
    expect(state.personOf('u1')!.properties).toEqual({ plan: 'pro', first: 1 });
  });

  it('$identify moves an anonymous distinct id onto the identified user', () => {
    const state = newProjectState();
    const commit = new CommitBuilder();
    const anon = personOfEvent(state, event('$pageview', 'anon-1', { $set: { seen: true } }), commit);
    const id = personOfEvent(state, event('$identify', 'user-1', { $anon_distinct_id: 'anon-1' }), commit);
    expect(id).toBe(anon);
    const person = state.personOf('user-1')!;
    expect([...person.distinctIds].sort()).toEqual(['anon-1', 'user-1']);
    expect(person.isIdentified).toBe(true);
    expect(person.properties).toEqual({ seen: true });
  });

  it('$identify merges two existing persons and records the override', () => {
    const state = newProjectState();
    const first = new CommitBuilder();
    const anon = personOfEvent(state, event('$pageview', 'anon-1', { $set: { a: 1, shared: 'anon' } }), first);
    const user = personOfEvent(state, event('$pageview', 'user-1', { $set: { b: 2, shared: 'user' } }), first);
    const commit = new CommitBuilder();
    personOfEvent(state, event('$identify', 'user-1', { $anon_distinct_id: 'anon-1' }), commit);
    expect(state.personOf('anon-1')!.id).toBe(user);
    expect(state.cache.stats()).toMatchObject({ persons: 1, distinctIds: 2 });
    expect(state.personOf('user-1')!.properties).toEqual({ a: 1, b: 2, shared: 'user' });
    const built = commit.build();
    expect(built.deletedPersons).toEqual([{ projectId: 1, personId: anon }]);
    expect(built.personOverrides).toEqual([{ projectId: 1, oldPersonId: anon, newPersonId: user }]);
    expect(built.distinctIds).toEqual([{ projectId: 1, distinctId: 'anon-1', personId: user }]);
    expect(built.changedPersons.map((p) => p.id)).toEqual([user]);
  });

  it('writes nothing for a person created and merged away within one batch, but keeps the override', () => {
    const state = newProjectState();
    const commit = new CommitBuilder();
    const anon = personOfEvent(state, event('$pageview', 'anon-1'), commit);
    const user = personOfEvent(state, event('$pageview', 'user-1'), commit);
    personOfEvent(state, event('$identify', 'user-1', { $anon_distinct_id: 'anon-1' }), commit);
    const built = commit.build();
    expect(built.newPersons.map((p) => p.id)).toEqual([user]);
    expect(built.deletedPersons).toEqual([]);
    expect(built.personOverrides).toEqual([{ projectId: 1, oldPersonId: anon, newPersonId: user }]);
    expect(built.distinctIds.map((d) => [d.distinctId, d.personId]).sort()).toEqual([['anon-1', user], ['user-1', user]]);
  });

  it('does not merge away an already identified person, except with $merge_dangerously', () => {
    const state = newProjectState();
    const commit = new CommitBuilder();
    personOfEvent(state, event('$identify', 'user-1', { $anon_distinct_id: 'anon-1' }), commit);
    const other = personOfEvent(state, event('$identify', 'user-2', { $anon_distinct_id: 'anon-2' }), commit);
    personOfEvent(state, event('$create_alias', 'user-2', { alias: 'user-1' }), commit);
    expect(state.personOf('user-1')!.id).not.toBe(other);
    personOfEvent(state, event('$merge_dangerously', 'user-2', { alias: 'user-1' }), commit);
    expect(state.personOf('user-1')!.id).toBe(other);
  });

  it('never merges on illegal distinct ids', () => {
    const state = newProjectState();
    const commit = new CommitBuilder();
    personOfEvent(state, event('$identify', 'user-1', { $anon_distinct_id: 'null' }), commit);
    personOfEvent(state, event('$identify', 'user-2', { $anon_distinct_id: 'Anonymous' }), commit);
    expect(state.personOf('null')).toBeUndefined();
    expect(state.personOf('Anonymous')).toBeUndefined();
    expect(isIllegalDistinctId('[object Object]')).toBe(true);
    expect(isIllegalDistinctId('GUEST')).toBe(true);
    expect(isIllegalDistinctId('user-7')).toBe(false);
  });

  it('keeps the earliest event time as created_at', () => {
    const state = newProjectState();
    const commit = new CommitBuilder();
    personOfEvent(state, event('x', 'u1', {}, { timestamp: new Date('2026-02-01T00:00:00Z') }), commit);
    personOfEvent(state, event('x', 'u1', {}, { timestamp: new Date('2026-01-15T00:00:00Z') }), commit);
    expect(state.personOf('u1')!.createdAt.toISOString()).toBe('2026-01-15T00:00:00.000Z');
  });

  it('attributes personless events to a stable id without creating a person', () => {
    const state = newProjectState();
    const id = personIdWithoutProcessing(state, 'device-1');
    expect(id).toBe(personlessPersonId(1, 'device-1'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(personlessPersonId(2, 'device-1')).not.toBe(id);
    expect(state.cache.stats().persons).toBe(0);
  });
});
