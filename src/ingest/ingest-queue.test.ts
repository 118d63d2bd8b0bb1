import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBStore } from '../store/duckdb/duckdb-store.js';
import type { IngestCommit, IngestLogPosition, Store } from '../store/store.js';
import { IngestQueue } from './ingest-queue.js';
import { captured, wireEvent } from './test-helpers.js';

const silentLog = Fastify({ logger: false }).log;

/** A real store whose next commit fails once, as a full disk would. */
function failingOnce(store: Store): Store & { failNext(): void } {
  let fail = false;
  return Object.assign(Object.create(store) as Store, {
    failNext: () => {
      fail = true;
    },
    commitIngest(commit: IngestCommit, position?: IngestLogPosition) {
      if (fail) {
        fail = false;
        return Promise.reject(new Error('disk full'));
      }
      return store.commitIngest(commit, position);
    },
  });
}

const tempDir = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `prickle-${label}-`));
const options = (dataDir: string) => ({ maxGroupTypes: 5, dataDir, maxBacklogBytes: 64 * 1024 * 1024, memoryLimitBytes: 0 });
const project = { id: 1, name: 'One', apiToken: 'phc_one', timezone: 'UTC', createdAt: new Date() };

/** A real store whose commits never finish until released, as an engine stuck in a checkpoint. */
function stalled(store: Store): Store & { release(): void; started: number } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const wrapper = Object.assign(Object.create(store) as Store, {
    started: 0,
    release: () => release(),
    async commitIngest(commit: IngestCommit, position?: IngestLogPosition) {
      wrapper.started += 1;
      await gate;
      return store.commitIngest(commit, position);
    },
  });
  return wrapper;
}

describe('ingest queue', () => {
  let store: DuckDBStore;
  let dataDir: string;
  beforeEach(async () => {
    dataDir = tempDir('queue');
    store = await DuckDBStore.open(dataDir);
    await store.createProject(project);
  });
  afterEach(async () => {
    await store.close();
  });

  it('answers concurrent submissions in arrival order, applied as one batch', async () => {
    const queue = await IngestQueue.open(store, options(dataDir), silentLog);
    await Promise.all([
      queue.submit(1, captured([wireEvent('$identify', 'user-1', { $anon_distinct_id: 'anon-1', $set: { plan: 'free' } })], [], [])),
      queue.submit(1, captured([wireEvent('x', 'anon-1', { $set: { plan: 'pro' } })], ['missing_distinct_id'], [['plan', 'String']])),
    ]);
    await queue.drain();
    const persons = await store.lookupPersons(1, ['user-1']);
    expect(persons.map((p) => [[...p.distinctIds].sort(), p.properties])).toEqual([[['anon-1', 'user-1'], { plan: 'pro' }]]);
    expect((await store.listIngestionWarnings(1)).map((w) => [w.type, w.key, w.count])).toEqual([['event_dropped', 'missing_distinct_id', 1]]);
    expect((await store.listPropertyDefinitions({ projectId: 1, type: 'event', groupTypeIndex: -1, limit: 10, offset: 0 })).results.map((d) => d.name)).toEqual(['plan']);
  });

  it('retries a failed commit: acknowledged events reach the store once it accepts them, state rebuilt without duplicates', async () => {
    const flaky = failingOnce(store);
    const queue = await IngestQueue.open(flaky, options(dataDir), silentLog);
    await queue.submit(1, captured([wireEvent('x', 'kept', { $groups: { company: 'acme' } })], [], []));
    await queue.drain();
    flaky.failNext();
    await queue.submit(1, captured([wireEvent('x', 'retried', { $groups: { team: 't1' } })], [], []));
    await queue.submit(1, captured([wireEvent('y', 'after', { $groups: { project: 'p1' } })], [], []));
    await queue.drain();

    const state = await store.loadIngestState();
    expect((await store.lookupPersons(1, ['kept', 'retried', 'after'])).flatMap((p) => p.distinctIds).sort()).toEqual(['after', 'kept', 'retried']);
    expect(state.groupTypes.map((t) => [t.groupType, t.groupTypeIndex])).toEqual([['company', 0], ['team', 1], ['project', 2]]);
    expect((await store.listEvents({ projectId: 1, limit: 10 })).map((e) => e.distinctId).sort()).toEqual(['after', 'kept', 'retried']);
  });

  it('acknowledges while the engine is stuck in a commit, and a private read waits for the engine', async () => {
    const slow = stalled(store);
    const queue = await IngestQueue.open(slow, options(dataDir), silentLog);
    await queue.submit(1, captured([wireEvent('x', 'first')], [], []));
    // The first commit hangs; later submissions are still acknowledged and applied in memory.
    for (let i = 0; i < 5; i++) await queue.submit(1, captured([wireEvent('x', `later-${i}`)], [], []));
    expect(slow.started).toBe(1);
    expect(queue.projectState(1)!.personOf('later-4')).toBeDefined();
    let readDone = false;
    const read = queue.awaitCommitted(60_000).then(() => (readDone = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(readDone).toBe(false);
    slow.release();
    await read;
    expect((await store.listEvents({ projectId: 1, limit: 10 })).map((e) => e.distinctId).sort()).toEqual(['first', 'later-0', 'later-1', 'later-2', 'later-3', 'later-4']);
    await queue.close();
  });

  it('applies, after a restart, acknowledged events the engine never committed', async () => {
    const logDir = tempDir('log');
    const stuck = stalled(store);
    const first = await IngestQueue.open(stuck, options(logDir), silentLog);
    await first.submit(1, captured([wireEvent('x', 'survivor', { $set: { plan: 'pro' }, $groups: { company: 'acme' } }), wireEvent('y', 'survivor')], [], []));
    await first.submit(1, captured([wireEvent('$groupidentify', 'survivor', { $group_type: 'company', $group_key: 'acme', $group_set: { name: 'Acme' } })], [], []));
    // "Crash": the engine never got them. A new engine (another store) opens the same log.
    const other = await DuckDBStore.open(tempDir('other'));
    try {
      await other.createProject(project);
      const second = await IngestQueue.open(other, options(logDir), silentLog);
      expect((await other.listEvents({ projectId: 1, limit: 10 })).map((e) => e.event).sort()).toEqual(['$groupidentify', 'x', 'y']);
      const [person] = await other.lookupPersons(1, ['survivor']);
      expect(person.properties).toEqual({ plan: 'pro' });
      expect((await other.findGroup(1, 0, 'acme'))!.properties).toEqual({ name: 'Acme' });
      await second.close();
      // Committed: opening again applies nothing twice.
      const third = await IngestQueue.open(other, options(logDir), silentLog);
      expect(await other.listEvents({ projectId: 1, limit: 10 })).toHaveLength(3);
      await third.close();
    } finally {
      stuck.release();
      await other.close();
    }
  });

  it('applies a request while its log write is in flight, and undoes it when the write fails', async () => {
    const queue = await IngestQueue.open(store, options(dataDir), silentLog);
    await queue.submit(1, captured([wireEvent('x', 'kept', { $set: { plan: 'pro' } })]));
    await queue.drain();
    // The disk goes bad: the log's next write fails (its file is now open for reading only).
    const log = (queue as unknown as { log: { handle: fs.promises.FileHandle } }).log;
    const [segment] = fs.readdirSync(path.join(dataDir, 'ingest-log'));
    const healthy = log.handle;
    log.handle = await fs.promises.open(path.join(dataDir, 'ingest-log', segment), 'r');
    await expect(queue.submit(1, captured([wireEvent('x', 'lost', { $set: { plan: 'free' } }), wireEvent('x', 'kept', { $set: { plan: 'lost' } })]))).rejects.toMatchObject({
      status: 503,
    });
    // Every later request is refused; memory holds only what the log holds.
    await expect(queue.submit(1, captured([wireEvent('x', 'after')]))).rejects.toMatchObject({ status: 503 });
    await queue.awaitCommitted(1_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(queue.projectState(1)!.personOf('lost')).toBeUndefined();
    expect((await store.lookupPersons(1, ['kept']))[0].properties).toEqual({ plan: 'pro' });
    expect((await store.listEvents({ projectId: 1, limit: 10 })).map((e) => e.distinctId)).toEqual(['kept']);
    await log.handle.close();
    await healthy.close();
  });
});
