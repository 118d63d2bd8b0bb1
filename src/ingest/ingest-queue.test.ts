import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBStore } from '../store/duckdb/duckdb-store.js';
import type { IngestCommit, Store } from '../store/store.js';
import { IngestQueue } from './ingest-queue.js';
import { event } from './test-helpers.js';

const silentLog = Fastify({ logger: false }).log;

/** A real store whose next commit fails once, as a full disk would. */
function failingOnce(store: Store): Store & { failNext(): void } {
  let fail = false;
  return Object.assign(Object.create(store) as Store, {
    failNext: () => {
      fail = true;
    },
    commitIngest(commit: IngestCommit) {
      if (fail) {
        fail = false;
        return Promise.reject(new Error('disk full'));
      }
      return store.commitIngest(commit);
    },
  });
}

describe('ingest queue', () => {
  let store: DuckDBStore;
  beforeEach(async () => {
    store = await DuckDBStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-queue-')));
    await store.createProject({ id: 1, name: 'One', apiToken: 'phc_one', timezone: 'UTC', createdAt: new Date() });
  });
  afterEach(async () => {
    await store.close();
  });

  it('answers concurrent submissions after one shared commit, in arrival order', async () => {
    const queue = await IngestQueue.open(store, 5, silentLog);
    await Promise.all([
      queue.submit(1, [event('$identify', 'user-1', { $anon_distinct_id: 'anon-1', $set: { plan: 'free' } })], [], []),
      queue.submit(1, [event('x', 'anon-1', { $set: { plan: 'pro' } })], ['missing_distinct_id'], [['plan', 'String']]),
    ]);
    const persons = await store.lookupPersons(1, ['user-1']);
    expect(persons.map((p) => [[...p.distinctIds].sort(), p.properties])).toEqual([[['anon-1', 'user-1'], { plan: 'pro' }]]);
    expect((await store.listIngestionWarnings(1)).map((w) => [w.type, w.key, w.count])).toEqual([['event_dropped', 'missing_distinct_id', 1]]);
    expect((await store.listPropertyDefinitions({ projectId: 1, type: 'event', groupTypeIndex: -1, limit: 10, offset: 0 })).results.map((d) => d.name)).toEqual(['plan']);
  });

  it('rejects the requests of a failed commit and forgets their changes', async () => {
    const flaky = failingOnce(store);
    const queue = await IngestQueue.open(flaky, 5, silentLog);
    await queue.submit(1, [event('x', 'kept', { $groups: { company: 'acme' } })], [], []);
    flaky.failNext();
    await expect(queue.submit(1, [event('x', 'lost', { $groups: { team: 't1' } })], [], [])).rejects.toThrow('disk full');
    await queue.submit(1, [event('y', 'after', { $groups: { project: 'p1' } })], [], []);
    await queue.drain();

    const state = await store.loadIngestState();
    // The failed batch's person and group type never existed: "project" takes slot 1, not 2.
    expect((await store.lookupPersons(1, ['kept', 'lost', 'after'])).flatMap((p) => p.distinctIds).sort()).toEqual(['after', 'kept']);
    expect(state.groupTypes.map((t) => [t.groupType, t.groupTypeIndex])).toEqual([['company', 0], ['project', 1]]);
    expect(queue.project(1)!.groupTypesByName.has('team')).toBe(false);
    expect((await store.listEvents({ projectId: 1, limit: 10 })).map((e) => e.distinctId).sort()).toEqual(['after', 'kept']);
  });
});
