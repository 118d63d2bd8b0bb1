// The contract every Store backend must meet, as one suite each backend's test runs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Group, IngestCommit, PersonRow, Store, StoredEvent } from './store.js';
import { encodeEventRows, NO_EVENT_ROWS } from './event-rows.js';

const emptyCommit: IngestCommit = {
  events: NO_EVENT_ROWS,
  newPersons: [],
  changedPersons: [],
  distinctIds: [],
  deletedPersons: [],
  personOverrides: [],
  newGroups: [],
  changedGroups: [],
  newGroupTypes: [],
  newPropertyDefinitions: [],
  warnings: [],
};

const at = (iso: string) => new Date(iso);

function storedEvent(n: number, fields: Partial<StoredEvent> = {}): StoredEvent {
  return {
    uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    projectId: 1,
    event: 'pageview',
    distinctId: 'u1',
    personId: 'p1',
    timestamp: new Date(Date.now() - n * 1000),
    propertiesJson: JSON.stringify({ n }),
    groupKeys: ['', '', '', '', ''],
    createdAt: new Date(),
    ...fields,
  };
}

function group(key: string, createdAt: string, properties: Record<string, unknown> = {}, index = 0): Group {
  return { projectId: 1, groupTypeIndex: index, groupKey: key, properties, createdAt: at(createdAt), updatedAt: at(createdAt), version: 1 };
}

function person(id: string, properties: Record<string, unknown> = {}): PersonRow {
  return { projectId: 1, id, properties, isIdentified: false, createdAt: at('2026-01-01T00:00:00Z'), version: 0 };
}

const assign = (personId: string, ...distinctIds: string[]) => distinctIds.map((distinctId) => ({ projectId: 1, distinctId, personId }));

/** Every contract a backend implementing the Store meets: one suite per half, and what spans both. */
export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`${name} store contract`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
      await store.createProject({ id: 1, name: 'One', apiToken: 'phc_one', timezone: 'UTC', createdAt: new Date() });
      await store.createProject({ id: 2, name: 'Two', apiToken: 'phc_two', timezone: 'UTC', createdAt: new Date() });
    });
    afterEach(async () => {
      await store.close();
    });

    /** What spans both halves: the ingestion commit (atomic, ordered), warnings, deleting a group type. */
    describe('ingestion commit', () => {
      it('writes a commit atomically and loads it back as ingest state', async () => {
        await store.commitIngest({
          ...emptyCommit,
          events: encodeEventRows([storedEvent(1, { groupKeys: ['acme', '', '', '', ''] })]),
          newPersons: [person('p1', { email: 'a@x' })],
          distinctIds: assign('p1', 'u1', 'u1-alt'),
          newGroups: [group('acme', '2026-01-01T00:00:00Z', { name: 'Acme' })],
          newGroupTypes: [{ projectId: 1, groupTypeIndex: 0, groupType: 'company', nameSingular: null, namePlural: null, createdAt: new Date() }],
          newPropertyDefinitions: [{ projectId: 1, type: 'group', groupTypeIndex: 0, name: 'name', propertyType: 'String', createdAt: new Date() }],
        });
        const state = await store.loadIngestState();
        expect(state.projects.map((p) => p.apiToken)).toEqual(['phc_one', 'phc_two']);
        expect(state.groupTypes.map((t) => t.groupType)).toEqual(['company']);
        expect(state.propertyDefinitions.map((d) => d.name)).toEqual(['name']);
        const groups = await store.lookupGroups(1, [{ groupTypeIndex: 0, groupKey: 'acme' }]);
        expect(groups.map((g) => [g.groupKey, g.properties])).toEqual([['acme', { name: 'Acme' }]]);
        const persons = await store.lookupPersons(1, ['u1-alt']);
        expect(persons.map((p) => [p.id, p.distinctIds, p.properties])).toEqual([['p1', ['u1', 'u1-alt'], { email: 'a@x' }]]);
        const events = await store.listEvents({ projectId: 1, limit: 10 });
        expect(events.map((e) => [e.uuid, e.groupKeys[0]])).toEqual([[storedEvent(1).uuid, 'acme']]);
      });

      it('replaces changed persons and groups and moves distinct ids', async () => {
        await store.commitIngest({
          ...emptyCommit,
          newPersons: [person('p1', { plan: 'free' }), person('p2')],
          distinctIds: [...assign('p1', 'a'), ...assign('p2', 'b')],
          newGroups: [group('acme', '2026-01-02T00:00:00Z', { plan: 'free' })],
        });
        await store.commitIngest({
          ...emptyCommit,
          changedPersons: [{ ...person('p1', { plan: 'pro' }), version: 3, isIdentified: true }],
          distinctIds: assign('p1', 'b'),
          deletedPersons: [{ projectId: 1, personId: 'p2' }],
          changedGroups: [{ ...group('acme', '2026-01-01T00:00:00Z', { plan: 'pro' }), version: 2 }],
        });
        const persons = await store.lookupPersons(1, ['a', 'b']);
        expect(persons.map((p) => [p.id, p.properties, p.version, p.isIdentified, p.distinctIds])).toEqual([['p1', { plan: 'pro' }, 3, true, ['a', 'b']]]);
        const groups = await store.lookupGroups(1, [{ groupTypeIndex: 0, groupKey: 'acme' }]);
        expect(groups.map((g) => [g.groupKey, g.properties, g.version, g.createdAt.toISOString()])).toEqual([['acme', { plan: 'pro' }, 2, '2026-01-01T00:00:00.000Z']]);
      });

      it('rolls back everything when part of a commit fails', async () => {
        const duplicateType = { projectId: 1, groupTypeIndex: 0, groupType: 'company', nameSingular: null, namePlural: null, createdAt: new Date() };
        await store.commitIngest({ ...emptyCommit, newGroupTypes: [duplicateType] });
        await expect(
          store.commitIngest({ ...emptyCommit, events: encodeEventRows([storedEvent(5)]), newGroupTypes: [duplicateType] }),
        ).rejects.toThrow();
        expect(await store.listEvents({ projectId: 1, limit: 10 })).toEqual([]);
      });

      it('adds up ingestion warning counts per key', async () => {
        const warning = { projectId: 1, type: 'event_dropped', key: 'missing_distinct_id', details: { reason: 'missing_distinct_id' }, count: 2, firstSeen: at('2026-01-01T00:00:00Z'), lastSeen: at('2026-01-02T00:00:00Z') };
        await store.commitIngest({ ...emptyCommit, warnings: [warning] });
        await store.commitIngest({ ...emptyCommit, warnings: [{ ...warning, count: 3, lastSeen: at('2026-01-05T00:00:00Z') }] });
        const [stored] = await store.listIngestionWarnings(1);
        expect(stored).toMatchObject({ count: 5, firstSeen: at('2026-01-01T00:00:00Z'), lastSeen: at('2026-01-05T00:00:00Z') });
        expect(await store.listIngestionWarnings(2)).toEqual([]);
      });

      it('deleting a group type blanks its slot in events and removes its groups', async () => {
        await store.commitIngest({
          ...emptyCommit,
          events: encodeEventRows([storedEvent(1, { groupKeys: ['acme', 'p1', '', '', ''] })]),
          newGroups: [group('acme', '2026-01-01T00:00:00Z'), group('p1', '2026-01-01T00:00:00Z', {}, 1)],
          newGroupTypes: [0, 1].map((i) => ({ projectId: 1, groupTypeIndex: i, groupType: `t${i}`, nameSingular: null, namePlural: null, createdAt: new Date() })),
        });
        await store.deleteGroupType(1, 0);
        const [event] = await store.listEvents({ projectId: 1, limit: 10 });
        expect(event.groupKeys.slice(0, 2)).toEqual(['', 'p1']);
        expect(await store.findGroup(1, 0, 'acme')).toBeNull();
        expect(await store.findGroup(1, 1, 'p1')).not.toBeNull();
        expect((await store.loadIngestState()).groupTypes.map((t) => t.groupTypeIndex)).toEqual([1]);
      });
    });

    /** MetadataStore: persons, groups, distinct ids, flags, documents, keys (seeded through commits). */
    describe('metadata store', () => {
      it('looks up persons by any distinct id, each with all its current distinct ids, per project', async () => {
        await store.commitIngest({
          ...emptyCommit,
          newPersons: [person('p1', { n: 1 }), person('p2', { n: 2 }), person('p3'), { ...person('p9'), projectId: 2 }],
          distinctIds: [...assign('p1', 'a', 'a2'), ...assign('p2', 'b'), ...assign('p3', 'c'), { projectId: 2, distinctId: 'a', personId: 'p9' }],
        });
        expect((await store.lookupPersons(1, ['a', 'b', 'a2', 'nobody'])).map((p) => [p.id, p.distinctIds, p.properties])).toEqual([
          ['p1', ['a', 'a2'], { n: 1 }],
          ['p2', ['b'], { n: 2 }],
        ]);
        expect((await store.lookupPersons(2, ['a'])).map((p) => [p.id, p.distinctIds])).toEqual([['p9', ['a']]]);
        expect(await store.lookupPersons(1, [])).toEqual([]);
        // p2 merged into p1 (its id moves), and p1's 'a2' moved to p3.
        await store.commitIngest({
          ...emptyCommit,
          distinctIds: [...assign('p1', 'b'), ...assign('p3', 'a2')],
          deletedPersons: [{ projectId: 1, personId: 'p2' }],
        });
        expect((await store.lookupPersons(1, ['b'])).map((p) => [p.id, p.distinctIds])).toEqual([['p1', ['a', 'b']]]);
        expect((await store.lookupPersons(1, ['a2'])).map((p) => [p.id, p.distinctIds])).toEqual([['p3', ['a2', 'c']]]);
      });

      it('looks up groups by type and key, per project', async () => {
        await store.commitIngest({
          ...emptyCommit,
          newGroups: [group('acme', '2026-01-01T00:00:00Z', { t: 0 }), group('acme', '2026-01-01T00:00:00Z', { t: 1 }, 1), group('beta', '2026-01-01T00:00:00Z'), { ...group('acme', '2026-01-01T00:00:00Z'), projectId: 2 }],
        });
        const found = await store.lookupGroups(1, [{ groupTypeIndex: 1, groupKey: 'acme' }, { groupTypeIndex: 0, groupKey: 'beta' }, { groupTypeIndex: 2, groupKey: 'beta' }]);
        expect(found.map((g) => [g.groupTypeIndex, g.groupKey, g.properties])).toEqual([[0, 'beta', {}], [1, 'acme', { t: 1 }]]);
        expect(await store.lookupGroups(2, [{ groupTypeIndex: 1, groupKey: 'acme' }])).toEqual([]);
      });

      it('streams every current distinct id once', async () => {
        await store.commitIngest({
          ...emptyCommit,
          newPersons: [person('p1'), person('p2'), { ...person('p9'), projectId: 2 }],
          distinctIds: [...assign('p1', 'a', 'b'), ...assign('p2', 'c'), { projectId: 2, distinctId: 'a', personId: 'p9' }],
        });
        await store.commitIngest({ ...emptyCommit, distinctIds: assign('p1', 'c'), deletedPersons: [{ projectId: 1, personId: 'p2' }] });
        const seen: string[] = [];
        await store.forEachDistinctId((projectId, distinctId) => seen.push(`${projectId}/${distinctId}`));
        expect(seen.sort()).toEqual(['1/a', '1/b', '1/c', '2/a']);
      });

      it('lists groups newest first with keyset pagination and search', async () => {
        const groups = Array.from({ length: 7 }, (_, i) => group(`g${i}`, `2026-01-0${1 + (i % 3)}T00:00:00Z`, { name: i === 4 ? 'Special Corp' : `G${i}` }));
        await store.commitIngest({ ...emptyCommit, newGroups: groups });
        const seen: string[] = [];
        let after: { createdAt: Date; groupKey: string } | undefined;
        for (;;) {
          const page = await store.listGroups({ projectId: 1, groupTypeIndex: 0, after, limit: 3 });
          if (page.length === 0) break;
          seen.push(...page.map((g) => g.groupKey));
          const last = page[page.length - 1];
          after = { createdAt: last.createdAt, groupKey: last.groupKey };
        }
        expect(seen).toEqual(['g5', 'g2', 'g4', 'g1', 'g6', 'g3', 'g0']);
        expect((await store.listGroups({ projectId: 1, groupTypeIndex: 0, search: 'special', limit: 10 })).map((g) => g.groupKey)).toEqual(['g4']);
        expect((await store.listGroups({ projectId: 1, groupTypeIndex: 0, search: 'G3', limit: 10 })).map((g) => g.groupKey)).toEqual(['g3']);
        expect((await store.listGroups({ projectId: 1, groupTypeIndex: 0, search: '100%', limit: 10 }))).toEqual([]);
        expect(await store.listGroups({ projectId: 2, groupTypeIndex: 0, limit: 10 })).toEqual([]);
      });

      it('saves feature flags per project and replaces them whole', async () => {
        const flag = {
          projectId: 1, id: await store.nextFeatureFlagId(1), key: 'beta', name: 'Beta', active: true, deleted: false, version: 1,
          ensureExperienceContinuity: false, filters: { groups: [{ properties: [], rollout_percentage: 50 }] },
          createdAt: at('2026-01-01T00:00:00Z'), updatedAt: at('2026-01-01T00:00:00Z'),
        };
        await store.saveFeatureFlag(flag);
        await store.saveFeatureFlag({ ...flag, version: 2, active: false, filters: { groups: [] } });
        expect((await store.listFeatureFlags(1)).map((f) => [f.id, f.key, f.version, f.active, f.filters])).toEqual([[1, 'beta', 2, false, { groups: [] }]]);
        expect(await store.nextFeatureFlagId(1)).toBe(2);
        expect(await store.listFeatureFlags(2)).toEqual([]);
      });

      it('keeps web app documents by kind and id, per project or instance-wide', async () => {
        const doc = (kind: 'user' | 'insight', id: string, projectId: number | null, updated: string) => ({
          kind, id, projectId, body: { name: id, nested: { n: 1 } }, createdAt: at('2026-01-01T00:00:00Z'), updatedAt: at(updated),
        });
        await store.putDocument(doc('user', 'a@b.c', null, '2026-01-01T00:00:00Z'));
        await store.putDocument(doc('insight', 'i1', 1, '2026-01-02T00:00:00Z'));
        await store.putDocument(doc('insight', 'i2', 1, '2026-01-03T00:00:00Z'));
        await store.putDocument(doc('insight', 'i3', 2, '2026-01-04T00:00:00Z'));
        await store.putDocument({ ...doc('insight', 'i1', 1, '2026-01-05T00:00:00Z'), body: { name: 'renamed' } });
        expect((await store.getDocument('user', 'a@b.c'))?.body).toEqual({ name: 'a@b.c', nested: { n: 1 } });
        expect(await store.getDocument('insight', 'a@b.c')).toBeNull();
        expect((await store.listDocuments('insight', 1)).map((d) => [d.id, d.body.name])).toEqual([['i1', 'renamed'], ['i2', 'i2']]);
        expect((await store.listDocuments('insight')).map((d) => d.id)).toEqual(['i1', 'i3', 'i2']);
        expect(await store.deleteDocument('insight', 'i2')).toBe(true);
        expect(await store.deleteDocument('insight', 'i2')).toBe(false);
        expect((await store.listDocuments('insight', 1)).map((d) => d.id)).toEqual(['i1']);
      });

      it('lists and deletes personal API keys per project', async () => {
        const key = (id: string, projectId: number, created: string) => ({ id, projectId, label: id, secretHash: `hash-${id}`, maskValue: 'phx_...', createdAt: at(created) });
        await store.createPersonalApiKey(key('k2', 1, '2026-01-02T00:00:00Z'));
        await store.createPersonalApiKey(key('k1', 1, '2026-01-01T00:00:00Z'));
        await store.createPersonalApiKey(key('k3', 2, '2026-01-01T00:00:00Z'));
        expect((await store.listPersonalApiKeys(1)).map((k) => k.id)).toEqual(['k1', 'k2']);
        expect(await store.deletePersonalApiKey(2, 'k1')).toBe(false);
        expect(await store.deletePersonalApiKey(1, 'k1')).toBe(true);
        expect(await store.findPersonalApiKey('hash-k1')).toBeNull();
        expect((await store.listPersonalApiKeys(1)).map((k) => k.id)).toEqual(['k2']);
      });

      it('counts group property values', async () => {
        await store.commitIngest({
          ...emptyCommit,
          newGroups: [group('a', '2026-01-01T00:00:00Z', { plan: 'pro' }), group('b', '2026-01-01T00:00:00Z', { plan: 'pro' }), group('c', '2026-01-01T00:00:00Z', { plan: 'free' }), group('d', '2026-01-01T00:00:00Z', {})],
        });
        expect(await store.groupPropertyValues(1, 0, 'plan', undefined, 20)).toEqual([{ value: 'pro', count: 2 }, { value: 'free', count: 1 }]);
        expect(await store.groupPropertyValues(1, 0, 'plan', 'FR', 20)).toEqual([{ value: 'free', count: 1 }]);
      });
    });

    /** EventStore: events read back (following merges), related actors, property values. */
    describe('event store', () => {
      it('follows person merges when reading events and related actors', async () => {
        await store.commitIngest({
          ...emptyCommit,
          events: encodeEventRows([
            storedEvent(1, { personId: 'pa', groupKeys: ['acme', 'proj', '', '', ''] }),
            storedEvent(2, { personId: 'pb', groupKeys: ['acme', '', '', '', ''] }),
          ]),
          newPersons: [person('pa'), person('pb'), person('pc')],
          distinctIds: [...assign('pa', 'a'), ...assign('pb', 'b'), ...assign('pc', 'c')],
          newGroups: [group('acme', '2026-01-01T00:00:00Z'), group('proj', '2026-01-01T00:00:00Z', {}, 1)],
        });
        // pa merged into pb, then pb into pc: both old ids now resolve to pc.
        await store.commitIngest({ ...emptyCommit, deletedPersons: [{ projectId: 1, personId: 'pa' }], personOverrides: [{ projectId: 1, oldPersonId: 'pa', newPersonId: 'pb' }] });
        await store.commitIngest({ ...emptyCommit, deletedPersons: [{ projectId: 1, personId: 'pb' }], personOverrides: [{ projectId: 1, oldPersonId: 'pb', newPersonId: 'pc' }] });
        const events = await store.listEvents({ projectId: 1, personId: 'pc', limit: 10 });
        expect(events).toHaveLength(2);
        const since = new Date(Date.now() - 3600_000);
        expect(await store.relatedToGroup(1, 0, 'acme', since)).toEqual({ personIds: ['pc'], groups: [{ groupTypeIndex: 1, groupKey: 'proj' }] });
        expect(await store.relatedToPerson(1, 'pc', since)).toEqual({ personIds: [], groups: [{ groupTypeIndex: 0, groupKey: 'acme' }, { groupTypeIndex: 1, groupKey: 'proj' }] });
        expect(await store.relatedToGroup(1, 0, 'acme', new Date())).toEqual({ personIds: [], groups: [] });
      });

      it('counts event and person property values, scalars only, per project', async () => {
        const withProperties = (n: number, properties: Record<string, unknown>, projectId = 1) => storedEvent(n, { projectId, propertiesJson: JSON.stringify(properties) });
        await store.commitIngest({
          ...emptyCommit,
          events: encodeEventRows([
            withProperties(1, { $browser: 'Firefox', 'say "hi".now': 'yes', 'back\\slash': 'b' }),
            withProperties(2, { $browser: 'Chrome', 'say "hi".now': 'yes' }),
            withProperties(3, { $browser: 'Chrome', 'say "hi".now': 'no' }),
            withProperties(4, { $browser: null }),
            withProperties(5, { $browser: { nested: 'Chrome' } }),
            withProperties(6, { $browser: 42 }),
            withProperties(7, { $browser: true }),
            withProperties(8, { $browser: 'Safari' }, 2),
          ]),
          newPersons: [person('p1', { plan: 'pro', 'a.b': 1 }), person('p2', { plan: 'pro' }), person('p3', { plan: 'free' }), person('p4', { plan: ['pro'] }), person('p5')],
        });
        expect(await store.eventPropertyValues(1, '$browser', undefined, 20)).toEqual([
          { value: 'Chrome', count: 2 },
          { value: '42', count: 1 },
          { value: 'Firefox', count: 1 },
          { value: 'true', count: 1 },
        ]);
        expect(await store.eventPropertyValues(1, '$browser', 'fIRE', 20)).toEqual([{ value: 'Firefox', count: 1 }]);
        expect(await store.eventPropertyValues(1, '$browser', '%', 20)).toEqual([]);
        expect(await store.eventPropertyValues(1, '$browser', undefined, 1)).toEqual([{ value: 'Chrome', count: 2 }]);
        expect(await store.eventPropertyValues(1, 'say "hi".now', undefined, 20)).toEqual([{ value: 'yes', count: 2 }, { value: 'no', count: 1 }]);
        expect(await store.eventPropertyValues(1, 'back\\slash', undefined, 20)).toEqual([{ value: 'b', count: 1 }]);
        expect(await store.eventPropertyValues(2, '$browser', undefined, 20)).toEqual([{ value: 'Safari', count: 1 }]);
        expect(await store.personPropertyValues(1, 'plan', undefined, 20)).toEqual([{ value: 'pro', count: 2 }, { value: 'free', count: 1 }]);
        expect(await store.personPropertyValues(1, 'plan', 'RO', 20)).toEqual([{ value: 'pro', count: 2 }]);
        expect(await store.personPropertyValues(1, 'a.b', undefined, 20)).toEqual([{ value: '1', count: 1 }]);
        expect(await store.personPropertyValues(2, 'plan', undefined, 20)).toEqual([]);

        await store.commitIngest({ ...emptyCommit, deletedPersons: [{ projectId: 1, personId: 'p1' }] });
        expect(await store.personPropertyValues(1, 'plan', undefined, 20)).toEqual([{ value: 'free', count: 1 }, { value: 'pro', count: 1 }]);
      });
    });
  });
}
