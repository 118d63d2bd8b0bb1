// The groups REST API against data sent with posthog-node: list search and cursor pagination,
// validation, related actors, property values and property definitions.
import type { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';
import {
  errorBody,
  groupTypeIndex,
  listAllGroups,
  nodeClient,
  personOf,
  projectPath,
  withQuery,
  type ApiGroup,
  type ApiPerson,
} from './support/sdk.js';

let server: RunningServer;
let posthog: PostHog;

beforeAll(async () => {
  server = await startInProcessServer();
  posthog = nodeClient(server);
});

afterAll(async () => {
  await posthog?.shutdown();
  await server?.stop();
});

const groupsPath = (query: Record<string, string | number | undefined>) => withQuery(projectPath('groups/'), query);

async function searchKeys(index: number, search: string): Promise<string[]> {
  const res = await server.api<{ results: ApiGroup[] }>(groupsPath({ group_type_index: index, search }));
  expect(res.status).toBe(200);
  return res.body.results.map((g) => g.group_key).sort();
}

describe('groups list', () => {
  it('search matches a case-insensitive substring of the properties, or the exact key in any case', async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'search-alpha', properties: { name: 'Alpha Corp', industry: 'Fintech' } });
    posthog.groupIdentify({ groupType: 'company', groupKey: 'search-beta', properties: { name: 'Beta', industry: 'Retail' } });
    posthog.groupIdentify({ groupType: 'company', groupKey: 'SearchKey', properties: { name: 'Gamma' } });
    posthog.groupIdentify({ groupType: 'company', groupKey: 'pct-co', properties: { name: '100% Real_Deal' } });
    await posthog.flush();
    const company = await groupTypeIndex(server.api, 'company');

    expect(await searchKeys(company, 'fintech')).toEqual(['search-alpha']);
    expect(await searchKeys(company, 'ALPHA corp')).toEqual(['search-alpha']);
    expect(await searchKeys(company, 'retail')).toEqual(['search-beta']);
    // Key matches are exact (case-insensitive), not substrings.
    expect(await searchKeys(company, 'searchkey')).toEqual(['SearchKey']);
    expect(await searchKeys(company, 'search')).toEqual([]);
    // Values match anywhere in the JSON text, keys included.
    expect(await searchKeys(company, 'industry')).toEqual(['search-alpha', 'search-beta']);
    // LIKE wildcards in the search text are literal.
    expect(await searchKeys(company, '100%')).toEqual(['pct-co']);
    expect(await searchKeys(company, 'l_d')).toEqual(['pct-co']);
    expect(await searchKeys(company, '%')).toEqual(['pct-co']);
    expect(await searchKeys(company, '_')).toEqual(['pct-co']);
    expect(await searchKeys(company, 'no such text anywhere')).toEqual([]);

    // group_key filters by case-insensitive substring of the key.
    const byKey = await server.api<{ results: ApiGroup[] }>(groupsPath({ group_type_index: company, group_key: 'SEARCH-' }));
    expect(byKey.body.results.map((g) => g.group_key).sort()).toEqual(['search-alpha', 'search-beta']);
  });

  it('cursor pagination walks 250 groups in 3 pages, newest first, without duplicates', async () => {
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    const key = (i: number) => `ws-${String(i).padStart(3, '0')}`;
    for (let i = 0; i < 250; i++) {
      // Pairs share a created_at so the group_key tie-break crosses page boundaries.
      posthog.capture({
        distinctId: 'seeder',
        event: '$groupidentify',
        properties: { $group_type: 'workspace', $group_key: key(i), $group_set: { n: i }, $ignore_sent_at: true },
        timestamp: new Date(base + Math.floor((i + 1) / 2) * 1000),
      });
    }
    await posthog.flush();
    const workspace = await groupTypeIndex(server.api, 'workspace');

    const { pages, groups } = await listAllGroups(server.api, workspace);
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    expect(groups.map((g) => g.group_key)).toEqual(Array.from({ length: 250 }, (_, i) => key(249 - i)));
    expect(new Set(groups.map((g) => g.group_key)).size).toBe(250);
    for (const g of groups) {
      const n = Number(g.group_key.slice(3));
      expect(g.group_properties).toEqual({ n });
      expect(g.created_at).toBe(new Date(base + Math.floor((n + 1) / 2) * 1000).toISOString());
    }
    for (let i = 1; i < groups.length; i++) {
      const [a, b] = [groups[i - 1], groups[i]];
      const ordered = a.created_at > b.created_at || (a.created_at === b.created_at && a.group_key > b.group_key);
      expect(ordered, `${a.group_key} before ${b.group_key}`).toBe(true);
    }

    // The next link is absolute, keeps the other parameters and carries a cursor.
    const first = await server.api<{ next: string; previous: null }>(groupsPath({ group_type_index: workspace }));
    const next = new URL(first.body.next);
    expect(next.origin).toBe(server.url);
    // The path as requested (here with the trailing slash SDKs and PostHog's UI use).
    expect(next.pathname).toBe('/api/projects/@current/groups/');
    expect(next.searchParams.get('group_type_index')).toBe(String(workspace));
    expect(next.searchParams.get('cursor')).toMatch(/^[A-Za-z0-9_-]+=*$/);
    expect(first.body.previous).toBeNull();
    const cursor = JSON.parse(Buffer.from(next.searchParams.get('cursor')!, 'base64url').toString('utf8'));
    expect(cursor).toEqual({ c: Date.parse(groups[99].created_at) * 1000, k: groups[99].group_key });

    // Search and pagination together.
    const searched = await listAllGroups(server.api, workspace, { search: '"n":1' });
    // "n":1, "n":10..19, "n":100..199
    expect(searched.groups).toHaveLength(111);
    expect(searched.pages.map((p) => p.length)).toEqual([100, 11]);

    // An invalid cursor restarts from the first page.
    const bad = await server.api<{ results: ApiGroup[] }>(groupsPath({ group_type_index: workspace, cursor: 'not-a-cursor' }));
    expect(bad.status).toBe(200);
    expect(bad.body.results[0].group_key).toBe('ws-249');
  });

  it('group_type_index is required and must be within 0..4', async () => {
    const missing = await server.api(projectPath('groups/'));
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual(errorBody('validation_error', 'invalid_input', 'group_type_index'));

    for (const bad of ['7', '5', '-1', 'abc']) {
      const res = await server.api(groupsPath({ group_type_index: bad }));
      expect(res.status, bad).toBe(400);
      expect(res.body, bad).toEqual(errorBody('validation_error', 'invalid_input', 'group_type_index'));
    }

    const find = await server.api(withQuery(projectPath('groups/find'), { group_type_index: 7, group_key: 'x' }));
    expect(find.status).toBe(400);
    expect(find.body.attr).toBe('group_type_index');
    const findNoKey = await server.api(withQuery(projectPath('groups/find'), { group_type_index: 0 }));
    expect(findNoKey.status).toBe(400);
    expect(findNoKey.body.attr).toBe('group_key');

    // A valid slot without a type is simply empty.
    const unused = await server.api(groupsPath({ group_type_index: 4 }));
    expect(unused.status).toBe(200);
    expect(unused.body).toEqual({ next: null, previous: null, results: [] });
  });
});

describe('related actors', () => {
  it('for a group: the persons of its events, then identified groups of other types on those events', async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'rel-co', properties: { name: 'Related Co' } });
    posthog.groupIdentify({ groupType: 'team', groupKey: 'rel-team', properties: { name: 'Related Team' } });
    posthog.groupIdentify({ groupType: 'workspace', groupKey: 'rel-ws', properties: { name: 'Related Workspace' } });
    posthog.capture({ distinctId: 'ru1', event: 'rel_event', groups: { company: 'rel-co', team: 'rel-team' } });
    posthog.capture({ distinctId: 'ru2', event: 'rel_event', groups: { company: 'rel-co', team: 'rel-team-unidentified' } });
    posthog.capture({ distinctId: 'ru2', event: 'rel_event', groups: { company: 'rel-co', workspace: 'rel-ws' } });
    // Not related: another company only; a personless event; an event older than 90 days.
    posthog.capture({ distinctId: 'ru3', event: 'rel_event', groups: { company: 'other-co', team: 'rel-team' } });
    posthog.capture({ distinctId: 'rel-personless', event: 'rel_event', groups: { company: 'rel-co' }, properties: { $process_person_profile: false } });
    posthog.capture({
      distinctId: 'ru-old',
      event: 'rel_event',
      groups: { company: 'rel-co' },
      timestamp: new Date(Date.now() - 200 * 24 * 3600 * 1000),
    });
    await posthog.flush();
    const company = await groupTypeIndex(server.api, 'company');
    const team = await groupTypeIndex(server.api, 'team');
    const workspace = await groupTypeIndex(server.api, 'workspace');
    expect(new Set([company, team, workspace]).size).toBe(3);
    const ru1 = await personOf(server.api, 'ru1');
    const ru2 = await personOf(server.api, 'ru2');

    const res = await server.api<any[]>(withQuery(projectPath('groups/related'), { group_type_index: company, id: 'rel-co' }));
    expect(res.status).toBe(200);
    const persons = res.body.slice(0, 2) as ApiPerson[];
    const groups = res.body.slice(2);
    expect(persons.map((p) => p.type)).toEqual(['person', 'person']);
    expect(persons.map((p) => p.id).sort()).toEqual([ru1.id, ru2.id].sort());
    expect(persons.find((p) => p.id === ru1.id)).toEqual(ru1);
    const expectedGroups = [
      { index: team, key: 'rel-team', name: 'Related Team' },
      { index: workspace, key: 'rel-ws', name: 'Related Workspace' },
    ].sort((a, b) => a.index - b.index);
    expect(groups).toEqual(
      expectedGroups.map((g) => ({
        type: 'group',
        id: g.key,
        group_key: g.key,
        group_type_index: g.index,
        created_at: expect.any(String),
        properties: { name: g.name },
        matched_recordings: [],
        value_at_data_point: null,
      })),
    );
  });

  it('for a person: the identified groups on its events, ordered by type', async () => {
    const company = await groupTypeIndex(server.api, 'company');
    const team = await groupTypeIndex(server.api, 'team');
    const ru1 = await personOf(server.api, 'ru1');
    const res = await server.api<any[]>(withQuery(projectPath('groups/related'), { id: ru1.id }));
    expect(res.status).toBe(200);
    expect(res.body.map((a) => [a.type, a.group_type_index, a.id, a.properties])).toEqual(
      [
        ['group', company, 'rel-co', { name: 'Related Co' }],
        ['group', team, 'rel-team', { name: 'Related Team' }],
      ].sort((a, b) => (a[1] as number) - (b[1] as number)),
    );

    const unknown = await server.api<any[]>(withQuery(projectPath('groups/related'), { id: '00000000-0000-4000-8000-000000000000' }));
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual([]);
    const noId = await server.api(withQuery(projectPath('groups/related'), { group_type_index: company }));
    expect(noId.status).toBe(400);
    expect(noId.body.attr).toBe('id');
  });
});

describe('related actors after a merge', () => {
  it("a merged-away person's events count for the survivor, both ways", async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'merge-rel-co', properties: { name: 'Merge Related' } });
    posthog.capture({ distinctId: 'anon-rel', event: 'rel_anon_event', groups: { company: 'merge-rel-co' } });
    posthog.capture({ distinctId: 'ru-merge', event: 'rel_user_event' });
    await posthog.flush();
    const anonymous = await personOf(server.api, 'anon-rel');
    posthog.identify({ distinctId: 'ru-merge', properties: { $anon_distinct_id: 'anon-rel' } });
    await posthog.flush();
    const survivor = await personOf(server.api, 'ru-merge');
    expect(survivor.id).not.toBe(anonymous.id);
    const company = await groupTypeIndex(server.api, 'company');

    const fromPerson = await server.api<any[]>(withQuery(projectPath('groups/related'), { id: survivor.id }));
    expect(fromPerson.body.map((a) => [a.type, a.group_type_index, a.id])).toEqual([['group', company, 'merge-rel-co']]);
    const fromGroup = await server.api<any[]>(withQuery(projectPath('groups/related'), { group_type_index: company, id: 'merge-rel-co' }));
    expect(fromGroup.body).toEqual([survivor]);
  });
});

describe('group property values and definitions', () => {
  it('property_values counts the values of one group property', async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'pv-1', properties: { plan: 'pro', seats: 10, active: true, renewed_at: '2026-01-15T10:00:00Z' } });
    posthog.groupIdentify({ groupType: 'company', groupKey: 'pv-2', properties: { plan: 'pro', seats: 3 } });
    posthog.groupIdentify({ groupType: 'company', groupKey: 'pv-3', properties: { plan: 'free', seats: 10 } });
    await posthog.flush();
    const company = await groupTypeIndex(server.api, 'company');

    const plan = await server.api(withQuery(projectPath('groups/property_values'), { group_type_index: company, key: 'plan' }));
    expect(plan.status).toBe(200);
    expect(plan.body).toEqual({
      results: [
        { name: 'pro', count: 2 },
        { name: 'free', count: 1 },
      ],
      refreshing: false,
    });
    const filtered = await server.api(withQuery(projectPath('groups/property_values'), { group_type_index: company, key: 'plan', value: 'FR' }));
    expect(filtered.body.results).toEqual([{ name: 'free', count: 1 }]);
    const seats = await server.api(withQuery(projectPath('groups/property_values'), { group_type_index: company, key: 'seats' }));
    expect(seats.body.results).toEqual([
      { name: '10', count: 2 },
      { name: '3', count: 1 },
    ]);
    const none = await server.api(withQuery(projectPath('groups/property_values'), { group_type_index: company, key: 'no_such_key' }));
    expect(none.body.results).toEqual([]);
    const noKey = await server.api(withQuery(projectPath('groups/property_values'), { group_type_index: company }));
    expect(noKey.status).toBe(400);
    expect(noKey.body.attr).toBe('key');
  });

  it('property_definitions lists group, event and person properties with their types', async () => {
    posthog.capture({ distinctId: 'pd-user', event: 'pd_event', properties: { button: 'signup', clicks: 3, $set: { email: 'pd@example.com' } } });
    await posthog.flush();
    const company = await groupTypeIndex(server.api, 'company');
    type Definitions = { count: number; results: { name: string; type: string; group_type_index: number | null; property_type: string; is_numerical: boolean }[] };

    const group = await server.api<Definitions>(withQuery(projectPath('property_definitions/'), { type: 'group', group_type_index: company }));
    expect(group.status).toBe(200);
    const byName = new Map(group.body.results.map((d) => [d.name, d]));
    expect(byName.get('plan')).toMatchObject({ type: 'group', group_type_index: company, property_type: 'String', is_numerical: false });
    expect(byName.get('seats')).toMatchObject({ type: 'group', group_type_index: company, property_type: 'Numeric', is_numerical: true });
    expect(byName.get('active')).toMatchObject({ property_type: 'Boolean', is_numerical: false });
    expect(byName.get('renewed_at')).toMatchObject({ property_type: 'DateTime' });
    // Every $group_set key of the company groups of this file, and nothing else.
    expect([...byName.keys()].sort()).toEqual(['active', 'industry', 'name', 'plan', 'renewed_at', 'seats']);
    expect(group.body.count).toBe(6);

    const team = await groupTypeIndex(server.api, 'team');
    const teamDefs = await server.api<Definitions>(withQuery(projectPath('property_definitions/'), { type: 'group', group_type_index: team }));
    expect(teamDefs.body.results.map((d) => d.name)).toEqual(['name']);

    const events = await server.api<Definitions>(withQuery(projectPath('property_definitions/'), { type: 'event', search: 'click' }));
    expect(events.status).toBe(200);
    expect(events.body.results).toEqual([expect.objectContaining({ name: 'clicks', type: 'event', group_type_index: null, property_type: 'Numeric', is_numerical: true })]);
    const allEvents = await server.api<Definitions>(withQuery(projectPath('property_definitions/'), { type: 'event', limit: 1000 }));
    const eventNames = allEvents.body.results.map((d) => d.name);
    expect(eventNames).toContain('button');
    for (const hidden of ['$groups', '$group_type', '$group_key', '$group_set', '$set', '$group_0']) expect(eventNames).not.toContain(hidden);

    const persons = await server.api<Definitions>(withQuery(projectPath('property_definitions/'), { type: 'person' }));
    expect(persons.body.results).toEqual([expect.objectContaining({ name: 'email', type: 'person', group_type_index: null, property_type: 'String' })]);

    const noIndex = await server.api(withQuery(projectPath('property_definitions/'), { type: 'group' }));
    expect(noIndex.status).toBe(400);
    expect(noIndex.body).toEqual(errorBody('validation_error', 'invalid_input', 'group_type_index'));
    const indexWithoutGroup = await server.api(withQuery(projectPath('property_definitions/'), { type: 'event', group_type_index: 0 }));
    expect(indexWithoutGroup.status).toBe(400);
    const outOfRange = await server.api(withQuery(projectPath('property_definitions/'), { type: 'group', group_type_index: 7 }));
    expect(outOfRange.status).toBe(400);
  });
});
