import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestCommit } from '../store.js';
import { describeStoreContract } from '../store-contract.js';
import { DuckDBStore } from './duckdb-store.js';
import { NO_EVENT_ROWS } from '../event-rows.js';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-store-'));

describeStoreContract('DuckDB', () => DuckDBStore.open(tempDir()));

describe('DuckDB change logs', () => {
  const empty: IngestCommit = {
    events: NO_EVENT_ROWS, newPersons: [], changedPersons: [], distinctIds: [], deletedPersons: [], personOverrides: [],
    newGroups: [], changedGroups: [], newGroupTypes: [], newPropertyDefinitions: [], warnings: [],
  };
  const person = (id: string, version: number, properties: Record<string, unknown>) =>
    ({ projectId: 1, id, properties, isIdentified: false, createdAt: new Date('2026-01-01T00:00:00Z'), version });
  const group = (key: string, version: number, properties: Record<string, unknown>) =>
    ({ projectId: 1, groupTypeIndex: 0, groupKey: key, properties, createdAt: new Date('2026-01-01T00:00:00Z'), updatedAt: new Date('2026-01-01T00:00:00Z'), version });

  it('reads the latest state before a merge, after it, and after reopening', async () => {
    const dir = tempDir();
    let store = await DuckDBStore.open(dir);
    await store.createProject({ id: 1, name: 'One', apiToken: 'phc_one', timezone: 'UTC', createdAt: new Date() });
    await store.commitIngest({ ...empty, newPersons: [person('p1', 0, { v: 1 }), person('p2', 0, {})], distinctIds: [{ projectId: 1, distinctId: 'a', personId: 'p1' }, { projectId: 1, distinctId: 'b', personId: 'p2' }], newGroups: [group('g', 1, { v: 1 })] });
    await store.mergeChanges();
    await store.commitIngest({ ...empty, changedPersons: [person('p1', 1, { v: 2 })], changedGroups: [group('g', 2, { v: 2 })] });
    await store.commitIngest({ ...empty, changedPersons: [person('p1', 2, { v: 3 })], deletedPersons: [{ projectId: 1, personId: 'p2' }], distinctIds: [{ projectId: 1, distinctId: 'b', personId: 'p1' }], changedGroups: [group('g', 3, { v: 3 })] });

    const snapshot = async () => {
      return {
        persons: (await store.lookupPersons(1, ['a', 'b'])).map((p) => [p.id, p.version, p.properties, p.distinctIds]),
        groups: (await store.lookupGroups(1, [{ groupTypeIndex: 0, groupKey: 'g' }])).map((g) => [g.groupKey, g.version, g.properties]),
        found: (await store.findGroup(1, 0, 'g'))?.properties,
        listed: (await store.listPersons({ projectId: 1, distinctId: 'b', limit: 10, offset: 0 })).map((p) => p.id),
      };
    };
    const expected = {
      persons: [['p1', 2, { v: 3 }, ['a', 'b']]],
      groups: [['g', 3, { v: 3 }]],
      found: { v: 3 },
      listed: ['p1'],
    };
    expect(await snapshot()).toEqual(expected);
    await store.mergeChanges();
    expect(await snapshot()).toEqual(expected);
    await store.commitIngest({ ...empty, changedGroups: [group('g', 4, { v: 4 })] });
    await store.close();
    store = await DuckDBStore.open(dir);
    expect((await snapshot()).groups).toEqual([['g', 4, { v: 4 }]]);
    await store.close();
  });

  it('writes several applied batches in one transaction, the later ones winning', async () => {
    const store = await DuckDBStore.open(tempDir());
    await store.commitIngest([
      { ...empty, newPersons: [person('p1', 1, { plan: 'free' })], newGroups: [group('acme', 1, { plan: 'free' })], distinctIds: [{ projectId: 1, distinctId: 'a', personId: 'p1' }] },
      { ...empty, changedPersons: [person('p1', 2, { plan: 'pro' })], changedGroups: [group('acme', 2, { plan: 'pro' })] },
      { ...empty, changedPersons: [person('p1', 3, { plan: 'enterprise' })] },
    ]);
    const check = async () => {
      expect((await store.lookupPersons(1, ['a'])).map((p) => [p.version, p.properties])).toEqual([[3, { plan: 'enterprise' }]]);
      expect((await store.lookupGroups(1, [{ groupTypeIndex: 0, groupKey: 'acme' }])).map((g) => [g.version, g.properties])).toEqual([[2, { plan: 'pro' }]]);
    };
    await check();
    await store.mergeChanges();
    await check();
    await store.close();
  });

  it('adds up a warning repeated by several batches of one transaction', async () => {
    const store = await DuckDBStore.open(tempDir());
    const warning = (count: number, day: number) => ({
      projectId: 1, type: 'event_dropped', key: 'k', details: { day }, count,
      firstSeen: new Date(Date.UTC(2026, 0, day)), lastSeen: new Date(Date.UTC(2026, 0, day, 12)),
    });
    await store.commitIngest([{ ...empty, warnings: [warning(1, 2)] }]);
    await store.commitIngest([{ ...empty, warnings: [warning(2, 3)] }, { ...empty, warnings: [warning(4, 1)] }, { ...empty, warnings: [warning(8, 5)] }]);
    const [stored] = await store.listIngestionWarnings(1);
    expect(stored).toMatchObject({ count: 15, firstSeen: new Date(Date.UTC(2026, 0, 2)), lastSeen: new Date(Date.UTC(2026, 0, 5, 12)), details: { day: 5 } });
    await store.close();
  });

  it('folds beside ingestion commits: no conflicts, nothing folded twice or lost, the views show the latest row', async () => {
    const store = await DuckDBStore.open(tempDir());
    let stop = false;
    let rounds = 0;
    const writer = (async () => {
      for (let round = 1; !stop || round < 5; round++) {
        // Every round rewrites 500 of 3,000 persons and all 100 groups.
        const persons = Array.from({ length: 500 }, (_, i) => person(`p${(round * 500 + i) % 3000}`, round, { round }));
        const groups = Array.from({ length: 100 }, (_, i) => group(`g${i}`, round, { round }));
        await store.commitIngest({
          ...empty,
          changedPersons: persons,
          distinctIds: persons.map((p) => ({ projectId: 1, distinctId: `d-${p.id}`, personId: p.id })),
          changedGroups: groups,
        });
        rounds = round;
      }
    })();
    for (let fold = 0; fold < 8; fold++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await store.mergeChanges();
    }
    stop = true;
    await writer;
    const expectedVersion = (id: number) => Math.max(...Array.from({ length: rounds }, (_, r) => r + 1).filter((r) => (((id - r * 500) % 3000) + 3000) % 3000 < 500));
    const check = async () => {
      const persons = await store.query('SELECT id, version FROM current_persons ORDER BY id', []);
      const touched = persons.map((r) => [String(r.id), Number(r.version)]);
      const expected = Array.from({ length: 3000 }, (_, id) => id)
        .filter((id) => Number.isFinite(expectedVersion(id)))
        .map((id) => [`p${id}`, expectedVersion(id)])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      expect(touched).toEqual(expected);
      const groups = await store.query('SELECT DISTINCT version FROM current_groups', []);
      expect(groups.map((r) => Number(r.version))).toEqual([rounds]);
      const [ids] = await store.query('SELECT count(*) AS n FROM current_person_distinct_ids', []);
      expect(Number(ids.n)).toBe(expected.length);
    };
    await check();
    await store.mergeChanges();
    await check();
    const [left] = await store.query('SELECT (SELECT count(*) FROM person_changes) + (SELECT count(*) FROM group_changes) AS n', []);
    expect(Number(left.n)).toBe(0);
    await store.close();
  });
});
