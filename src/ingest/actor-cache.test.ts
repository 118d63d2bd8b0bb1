import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Group, Person } from '../store/store.js';
import { ActorCache } from './actor-cache.js';
import type { MutablePerson } from './project-state.js';

const newPerson = (id: string, distinctIds: string[], properties: Record<string, unknown> = {}, projectId = 1): MutablePerson => ({
  projectId,
  id,
  properties,
  isIdentified: false,
  createdAt: new Date(0),
  version: 0,
  distinctIds: new Set(distinctIds),
});
const stored = (id: string, distinctIds: string[], properties: Record<string, unknown> = {}): Person => ({
  ...newPerson(id, distinctIds, properties),
  distinctIds,
});
const group = (key: string, properties: Record<string, unknown> = {}, groupTypeIndex = 0): Group => ({
  projectId: 1,
  groupTypeIndex,
  groupKey: key,
  properties,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  version: 1,
});

/** Size of one cached person like p1 (one two-character distinct id, no properties), as the cache estimates it. */
function onePersonBytes(): number {
  const cache = new ActorCache(Infinity);
  cache.installPerson(stored('p0', ['d0']), false);
  return cache.stats().bytes;
}

describe('actor cache', () => {
  it('finds a person by every distinct id, and a group by type and key, per project', () => {
    const cache = new ActorCache(Infinity);
    const p = newPerson('p1', ['a', 'b']);
    cache.addPerson(p);
    cache.addPerson(newPerson('p9', ['a'], {}, 2));
    cache.putGroup(group('acme', { plan: 'pro' }));
    expect(cache.person(1, 'a')).toBe(p);
    expect(cache.person(1, 'b')).toBe(p);
    expect(cache.person(2, 'a')?.id).toBe('p9');
    expect(cache.person(1, 'c')).toBeUndefined();
    expect(cache.group(1, 0, 'acme')?.properties).toEqual({ plan: 'pro' });
    expect(cache.group(1, 1, 'acme')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ persons: 2, distinctIds: 3, groups: 1 });
  });

  it('evicts the least recently used entries past its byte budget', () => {
    const cache = new ActorCache(onePersonBytes() * 3);
    for (const id of ['1', '2', '3']) cache.installPerson(stored(`p${id}`, [`d${id}`]), false);
    cache.peekPerson(1, 'd1');
    cache.installPerson(stored('p4', ['d4']), false);
    expect(['d1', 'd2', 'd3', 'd4'].map((d) => cache.peekPerson(1, d)?.id)).toEqual(['p1', undefined, 'p3', 'p4']);
    expect(cache.stats().bytes).toBeLessThanOrEqual(cache.maxBytes);
  });

  it('keeps the order least recently used to within half the cache, moving only entries in its older half', () => {
    // Room for ten (the three-character ids of p10..p14 take a few bytes more).
    const cache = new ActorCache(onePersonBytes() * 10 + 50);
    for (let i = 0; i < 10; i++) cache.installPerson(stored(`p${i}`, [`d${i}`]), false);
    // p9 is among the five youngest: a use leaves it in place. p0 is the oldest: a use moves it.
    cache.peekPerson(1, 'd9');
    cache.peekPerson(1, 'd0');
    for (let i = 10; i < 15; i++) cache.installPerson(stored(`p${i}`, [`d${i}`]), false);
    const kept = (ids: number[]) => ids.map((i) => cache.peekPerson(1, `d${i}`) !== undefined);
    // Five evicted: p1..p5 (oldest, unused); p0 was moved young by its use.
    expect(kept([0, 1, 2, 3, 4, 5, 6, 9])).toEqual([true, false, false, false, false, false, true, true]);
  });

  it('drops every distinct id of an evicted person', () => {
    const cache = new ActorCache(onePersonBytes() * 2);
    cache.installPerson(stored('p1', ['a', 'b', 'c']), false);
    cache.installPerson(stored('p2', ['d']), false);
    cache.installPerson(stored('p3', ['e']), false);
    expect(cache.stats()).toMatchObject({ persons: 2, distinctIds: 2 });
    expect(['a', 'b', 'c'].map((d) => cache.peekPerson(1, d))).toEqual([undefined, undefined, undefined]);
  });

  it('never evicts what a batch touched until that batch has committed', () => {
    const cache = new ActorCache(onePersonBytes() * 2);
    const first = cache.beginBatch();
    for (let i = 0; i < 10; i++) cache.addPerson(newPerson(`p${i}`, [`d${i}`]));
    cache.endBatch();
    // The next batch is applied while the first one's commit is in flight.
    const second = cache.beginBatch();
    cache.putGroup(group('acme'));
    cache.endBatch();
    expect(cache.stats()).toMatchObject({ persons: 10, groups: 1 });
    cache.committed(first);
    expect(cache.stats()).toMatchObject({ persons: 1, groups: 1 });
    cache.committed(second);
    expect(cache.stats().bytes).toBeLessThanOrEqual(cache.maxBytes);
  });

  it('pins what a batch reads, and what is loaded for it, until that batch commits', () => {
    const cache = new ActorCache(onePersonBytes() * 2);
    cache.installPerson(stored('p0', ['d0']), false);
    const batch = cache.beginBatch();
    expect(cache.person(1, 'd0')).toBeDefined();
    cache.installPerson(stored('p1', ['d1']), true);
    // Pressure from reads that pin nothing (as /flags does).
    for (let i = 0; i < 5; i++) cache.installPerson(stored(`f${i}`, [`f${i}`]), false);
    expect(cache.peekPerson(1, 'd0')).toBeDefined();
    expect(cache.peekPerson(1, 'd1')).toBeDefined();
    cache.endBatch();
    cache.committed(batch);
    cache.installPerson(stored('p2', ['d2']), false);
    expect(cache.peekPerson(1, 'd0')).toBeUndefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(cache.maxBytes);
  });

  it('estimates sizes again after a batch changes properties', () => {
    const cache = new ActorCache(Infinity);
    cache.beginBatch();
    cache.installPerson(stored('p1', ['a']), true);
    const before = cache.stats().bytes;
    // As ingestion changes a person: the properties, and the version with them.
    const person = cache.person(1, 'a')!;
    person.properties.bio = 'x'.repeat(10_000);
    person.version += 1;
    cache.endBatch();
    expect(cache.stats().bytes).toBeGreaterThan(before + 10_000);
  });

  it('keeps its own state over what the store returns, and moves ids with merges', () => {
    const cache = new ActorCache(Infinity);
    const into = newPerson('p1', ['a']);
    cache.addPerson(into);
    cache.addPerson(newPerson('p2', ['b']));
    // Merge p2 into p1, as persons.ts does: move the ids, then forget p2.
    into.distinctIds.add('b');
    cache.indexDistinctId(into, 'b');
    cache.removePerson(newPerson('p2', ['b']));
    expect(cache.person(1, 'b')).toBe(into);
    expect(cache.stats()).toMatchObject({ persons: 1, distinctIds: 2 });
    // A stale store copy of p2 (owning 'b') or of p1 is not installed over memory.
    expect(cache.installPerson(stored('p2', ['b']), false)).toBe(false);
    cache.installPerson(stored('p1', ['a'], { stale: true }), false);
    expect(cache.person(1, 'a')!.properties).toEqual({});
    cache.installGroup(group('acme', { v: 2 }), false);
    cache.installGroup(group('acme', { v: 1 }), false);
    expect(cache.group(1, 0, 'acme')!.properties).toEqual({ v: 2 });
  });

  it('remembers groups the store lacks until one is put or installed', () => {
    const cache = new ActorCache(Infinity);
    cache.markGroupAbsent(1, 0, 'ghost');
    cache.markGroupAbsent(1, 0, 'other');
    expect([cache.isGroupAbsent(1, 0, 'ghost'), cache.isGroupAbsent(1, 1, 'ghost'), cache.isGroupAbsent(2, 0, 'ghost')]).toEqual([true, false, false]);
    cache.putGroup(group('ghost'));
    cache.installGroup(group('other'), false);
    expect([cache.isGroupAbsent(1, 0, 'ghost'), cache.isGroupAbsent(1, 0, 'other')]).toEqual([false, false]);
    // A group in memory is never marked absent.
    cache.markGroupAbsent(1, 0, 'ghost');
    expect(cache.isGroupAbsent(1, 0, 'ghost')).toBe(false);
  });

  it('drops the groups of a removed type and everything on clear, changing the generation', () => {
    const cache = new ActorCache(Infinity);
    cache.putGroup(group('a', {}, 0));
    cache.putGroup(group('b', {}, 1));
    cache.addPerson(newPerson('p1', ['x']));
    const generation = cache.generation;
    cache.removeGroupsOfType(1, 1);
    expect([cache.group(1, 0, 'a') !== undefined, cache.group(1, 1, 'b') !== undefined]).toEqual([true, false]);
    cache.clear();
    expect(cache.stats()).toEqual({ persons: 0, distinctIds: 0, groups: 0, bytes: 0, maxBytes: Infinity });
    expect(cache.generation).toBeGreaterThan(generation + 1);
  });

  it('estimates the heap persons take within 25%, with few or many properties', () => {
    // A real collection before each reading: heapUsed alone counts garbage not yet collected.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const shapes: Record<string, (i: number) => Record<string, unknown>> = {
      none: () => ({}),
      few: (i) => ({ email: `user-${i}@company${i % 2000}.example`, plan: 'pro', role: 'member', first_seen_source: 'web' }),
      many: (i) => Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`prop_${k}`, k % 2 ? `value-${i}-${k}` : i * k])),
    };
    for (const [shape, properties] of Object.entries(shapes)) {
      const count = 20_000;
      const cache = new ActorCache(Infinity);
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < count; i++) {
        // As the store hands rows over: strings of its own, parsed from text.
        const ids = shape === 'none' ? [`user-${i}`] : [`user-${i}`, `anon-${randomUUID()}`];
        const row = JSON.parse(JSON.stringify({ projectId: 1, id: randomUUID(), isIdentified: false, version: 0, properties: properties(i), distinctIds: ids }));
        cache.installPerson({ ...row, createdAt: new Date() }, false);
      }
      gc();
      const ratio = cache.stats().bytes / (process.memoryUsage().heapUsed - before);
      expect([shape, ratio > 0.75 && ratio < 1.25]).toEqual([shape, true]);
    }
  });
});
