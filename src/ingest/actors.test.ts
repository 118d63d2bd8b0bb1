import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flagEvaluationContext } from '../flags/flag-request-context.js';
import { DuckDBStore } from '../store/duckdb/duckdb-store.js';
import type { Store } from '../store/store.js';
import { IngestQueue } from './ingest-queue.js';
import { captured, wireEvent } from './test-helpers.js';

const silentLog = Fastify({ logger: false }).log;
/** Each queue gets an ingest log of its own. */
const queueOptions = () => ({
  maxGroupTypes: 5,
  dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-actors-log-')),
  maxBacklogBytes: 64 * 1024 * 1024,
  memoryLimitBytes: 0,
});

/** The store, counting point reads and holding them back while `gate` is set. */
function observed(store: Store) {
  const calls = { persons: [] as string[][], groups: 0 };
  let gate: Promise<void> | undefined;
  const wrapper = Object.assign(Object.create(store) as Store, {
    async lookupPersons(projectId: number, distinctIds: readonly string[]) {
      calls.persons.push([...distinctIds]);
      await gate;
      return store.lookupPersons(projectId, distinctIds);
    },
    async lookupGroups(projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]) {
      calls.groups += 1;
      await gate;
      return store.lookupGroups(projectId, keys);
    },
  });
  return {
    store: wrapper,
    calls,
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

describe('persons and groups beyond the cache', () => {
  let store: DuckDBStore;
  beforeEach(async () => {
    store = await DuckDBStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-actors-')));
    await store.createProject({ id: 1, name: 'One', apiToken: 'phc_one', timezone: 'UTC', createdAt: new Date() });
  });
  afterEach(async () => {
    await store.close();
  });

  /** A queue whose cache holds nothing once a batch has committed: every later use is a store read. */
  const coldQueue = (s: Store = store) => IngestQueue.open(s, { ...queueOptions(), actorCacheBytes: 1 }, silentLog);

  it('merges an evicted person through $identify as if it had stayed in memory', async () => {
    const queue = await coldQueue();
    await queue.submit(1, captured([wireEvent('$pageview', 'anon-1', { $set: { seen: 'anon' } }), wireEvent('$pageview', 'user-1', { $set: { plan: 'pro' } })], [], []));
    await queue.drain();
    expect(queue.actors.cache.stats().persons).toBe(0);
    const [user] = await store.lookupPersons(1, ['user-1']);
    await queue.submit(1, captured([wireEvent('$identify', 'user-1', { $anon_distinct_id: 'anon-1', $set: { email: 'u@x' } })], [], []));
    await queue.drain();
    const persons = await store.lookupPersons(1, ['anon-1', 'user-1']);
    expect(persons.map((p) => [p.id, p.distinctIds, p.properties, p.isIdentified])).toEqual([
      [user.id, ['anon-1', 'user-1'], { seen: 'anon', plan: 'pro', email: 'u@x' }, true],
    ]);
    const events = await store.listEvents({ projectId: 1, limit: 10 });
    expect(new Set(events.map((e) => e.personId))).toEqual(new Set([user.id]));
  });

  it('applies $set to a cold person on top of its stored properties', async () => {
    const queue = await coldQueue();
    await queue.submit(1, captured([wireEvent('x', 'u1', { $set: { a: 1, b: 1 }, $set_once: { first: 'web' } })], [], []));
    await queue.drain();
    await queue.submit(1, captured([wireEvent('x', 'u1', { $set: { b: 2 }, $set_once: { first: 'api' }, $unset: ['a'] })], [], []));
    await queue.drain();
    const [person] = await store.lookupPersons(1, ['u1']);
    expect([person.properties, person.version]).toEqual([{ b: 2, first: 'web' }, 2]);
  });

  it('merges a cold group $groupidentify onto its stored properties', async () => {
    const queue = await coldQueue();
    const identify = (set: Record<string, unknown>) => wireEvent('$groupidentify', '$company_acme', { $group_type: 'company', $group_key: 'acme', $group_set: set });
    await queue.submit(1, captured([identify({ name: 'Acme', plan: 'free' })], [], []));
    await queue.drain();
    expect(queue.actors.cache.stats().groups).toBe(0);
    await queue.submit(1, captured([identify({ plan: 'pro' })], [], []));
    await queue.drain();
    const [group] = await store.lookupGroups(1, [{ groupTypeIndex: 0, groupKey: 'acme' }]);
    expect([group.properties, group.version]).toEqual([{ name: 'Acme', plan: 'pro' }, 2]);
  });

  it('keeps what a batch in flight changed for the batches applied after it, however small the cache', async () => {
    const queue = await coldQueue();
    const identify = (set: Record<string, unknown>) => wireEvent('$groupidentify', '$company_acme', { $group_type: 'company', $group_key: 'acme', $group_set: set });
    await queue.submit(1, captured([wireEvent('x', 'u1', { $set: { start: true } }), identify({ start: true })], [], []));
    await queue.drain();
    // Requests arrive while earlier batches commit, so each batch is applied before the one
    // ahead of it is on disk: its persons must come from memory, not from the store.
    const sent: Promise<void>[] = [];
    for (let k = 0; k < 30; k++) {
      sent.push(queue.submit(1, captured([wireEvent('x', 'u1', { $set: { [`k${k}`]: k } }), identify({ [`k${k}`]: k })], [], [])));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(sent);
    await queue.drain();
    const [person] = await store.lookupPersons(1, ['u1']);
    const [group] = await store.lookupGroups(1, [{ groupTypeIndex: 0, groupKey: 'acme' }]);
    const expected = { start: true, ...Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`k${k}`, k])) };
    expect(person.properties).toEqual(expected);
    expect(group.properties).toEqual(expected);
  });

  it('finds persons and groups stored before a restart, and reads nothing for new distinct ids', async () => {
    const first = await IngestQueue.open(store, queueOptions(), silentLog);
    await first.submit(1, captured([wireEvent('x', 'known', { $set: { v: 1 } })], [], []));
    await first.drain();
    const watched = observed(store);
    const queue = await IngestQueue.open(watched.store, queueOptions(), silentLog);
    await queue.submit(1, captured(Array.from({ length: 100 }, (_, i) => wireEvent('x', `new-${i}`)), [], []));
    await queue.drain();
    expect(watched.calls.persons.flat().filter((id) => id.startsWith('new-')).length).toBeLessThan(5);
    await queue.submit(1, captured([wireEvent('x', 'known', { $set: { w: 2 } })], [], []));
    await queue.drain();
    expect((await store.lookupPersons(1, ['known'])).map((p) => p.properties)).toEqual([{ v: 1, w: 2 }]);
  });

  it('answers /flags from the store for cold persons and groups, in one coalesced read', async () => {
    const queue = await coldQueue();
    await queue.submit(1, captured([
      ...Array.from({ length: 20 }, (_, i) => wireEvent('x', `u${i}`, { $set: { n: i } })),
      wireEvent('$groupidentify', '$company_acme', { $group_type: 'company', $group_key: 'acme', $group_set: { plan: 'pro' } }),
    ], [], []));
    await queue.drain();
    const watched = observed(store);
    const reader = await IngestQueue.open(watched.store, { ...queueOptions(), actorCacheBytes: 1 }, silentLog);
    const state = reader.projectState(1)!;
    const contexts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => flagEvaluationContext(reader.actors, state, { distinctId: `u${i}`, groups: { company: 'acme' } })),
    );
    expect(contexts.map((c) => c.personProperties.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(contexts.every((c) => c.groupProperties.company.plan === 'pro')).toBe(true);
    expect(watched.calls.persons).toHaveLength(1);
    expect(watched.calls.groups).toBe(1);
    const unknown = await flagEvaluationContext(reader.actors, state, { distinctId: 'never-seen', groups: {} });
    expect(unknown.personProperties).toEqual({ distinct_id: 'never-seen' });
    expect(watched.calls.persons).toHaveLength(1);
  });

  it('reads a group /flags asks for and the store lacks once, until ingestion creates it', async () => {
    const seed = await IngestQueue.open(store, queueOptions(), silentLog);
    await seed.submit(1, captured([wireEvent('$groupidentify', '$company_a', { $group_type: 'company', $group_key: 'a', $group_set: {} })], [], []));
    await seed.drain();
    const watched = observed(store);
    const queue = await IngestQueue.open(watched.store, queueOptions(), silentLog);
    const ask = async () => (await flagEvaluationContext(queue.actors, queue.projectState(1)!, { distinctId: 'u', groups: { company: 'ghost' } })).groupProperties.company;
    expect(await ask()).toEqual({ $group_key: 'ghost' });
    expect(await ask()).toEqual({ $group_key: 'ghost' });
    expect(watched.calls.groups).toBe(1);
    await queue.submit(1, captured([wireEvent('$groupidentify', '$company_ghost', { $group_type: 'company', $group_key: 'ghost', $group_set: { plan: 'pro' } })], [], []));
    await queue.drain();
    expect(await ask()).toEqual({ plan: 'pro', $group_key: 'ghost' });
    expect(watched.calls.groups).toBe(1);
  });

  it('does not cache what a /flags read found when a commit completed during the read', async () => {
    const seed = await IngestQueue.open(store, queueOptions(), silentLog);
    await seed.submit(1, captured([wireEvent('x', 'u1', { $set: { v: 1 } })], [], []));
    await seed.drain();
    const watched = observed(store);
    const queue = await IngestQueue.open(watched.store, queueOptions(), silentLog);
    const release = watched.hold();
    const reading = flagEvaluationContext(queue.actors, queue.projectState(1)!, { distinctId: 'u1', groups: {} });
    await new Promise((resolve) => setImmediate(resolve));
    // A batch commits while the read waits: what the read returns may already be stale.
    await queue.submit(1, captured([wireEvent('x', 'other')], [], []));
    await queue.drain();
    release();
    expect((await reading).personProperties.v).toBe(1);
    expect(queue.actors.cache.peekPerson(1, 'u1')).toBeUndefined();
    await flagEvaluationContext(queue.actors, queue.projectState(1)!, { distinctId: 'u1', groups: {} });
    expect(queue.actors.cache.peekPerson(1, 'u1')?.properties).toEqual({ v: 1 });
  });

  it('keeps the cache within its budget over 50,000 persons, every one still right in the store and for /flags', async () => {
    const budget = 2 * 1024 * 1024;
    const queue = await IngestQueue.open(store, { ...queueOptions(), actorCacheBytes: budget }, silentLog);
    const persons = 50_000;
    let peak = 0;
    const sizes: number[] = [];
    for (let start = 0; start < persons; start += 5_000) {
      const batch = Array.from({ length: 5_000 }, (_, i) => wireEvent('x', `user-${start + i}`, { $set: { n: start + i, email: `user-${start + i}@example.com` } }));
      await queue.submit(1, captured(batch, [], []));
      await queue.drain();
      const stats = queue.actors.cache.stats();
      peak = Math.max(peak, stats.bytes);
      sizes.push(stats.persons);
    }
    // Cold persons again: $set and $identify merges between two cold persons each.
    const again = Array.from({ length: 1_000 }, (_, i) => wireEvent('x', `user-${i * 7}`, { $set: { touched: true } }));
    const merges = Array.from({ length: 500 }, (_, i) => wireEvent('$identify', `user-${40_000 + i}`, { $anon_distinct_id: `user-${10_000 + i}` }));
    await queue.submit(1, captured([...again, ...merges], [], []));
    await queue.drain();
    await queue.drain();
    expect(queue.actors.cache.stats().bytes).toBeLessThanOrEqual(budget);
    // A batch's own persons are pinned until it commits; between batches the budget holds.
    expect(peak).toBeLessThanOrEqual(budget);
    expect(Math.max(...sizes)).toBeLessThan(persons / 5);

    const all = Array.from({ length: persons }, (_, i) => `user-${i}`);
    const stored = await store.lookupPersons(1, all);
    expect(stored).toHaveLength(persons - 500);
    const byDistinctId = new Map(stored.flatMap((p) => p.distinctIds.map((id) => [id, p] as const)));
    for (let i = 0; i < persons; i++) {
      const p = byDistinctId.get(`user-${i}`)!;
      const merged = i >= 10_000 && i < 10_500;
      const n = merged ? i + 30_000 : i;
      expect(p.properties.n).toBe(n);
      if (i % 7 === 0 && i < 7_000) expect(p.properties.touched).toBe(true);
      if (merged) expect(p.distinctIds).toEqual([`user-${i + 30_000}`, `user-${i}`].sort());
    }
    const state = queue.projectState(1)!;
    for (const i of [0, 7, 10_001, 25_000, 40_001, 49_999]) {
      const context = await flagEvaluationContext(queue.actors, state, { distinctId: `user-${i}`, groups: {} });
      expect(context.personProperties).toEqual({ ...byDistinctId.get(`user-${i}`)!.properties, distinct_id: `user-${i}` });
    }
  }, 120_000);
});
