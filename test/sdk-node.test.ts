// posthog-node, unchanged, against the real server over HTTP: group identify, grouped capture,
// the static distinct id pattern, personless events; read back through the private API.
import type { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';
import {
  errorBody,
  listAllGroups,
  listEvents,
  listGroupTypes,
  nodeClient,
  personOf,
  personsByDistinctId,
  projectPath,
  withQuery,
  type ApiGroup,
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

const find = (index: number, key: string) => server.api(withQuery(projectPath('groups/find'), { group_type_index: index, group_key: key }));

describe('posthog-node groups', () => {
  it('groupIdentify then a grouped capture creates both group types in order, the group, and $group_N on the event', async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'acme', properties: { name: 'Acme', plan: 'pro' } });
    posthog.capture({ distinctId: 'u1', event: 'signed_up', groups: { company: 'acme', project: 'p1' } });
    await posthog.flush();

    const types = await listGroupTypes(server.api);
    expect(types).toEqual([
      {
        group_type: 'company',
        group_type_index: 0,
        name_singular: null,
        name_plural: null,
        detail_dashboard: null,
        default_columns: null,
        created_at: expect.any(String),
      },
      {
        group_type: 'project',
        group_type_index: 1,
        name_singular: null,
        name_plural: null,
        detail_dashboard: null,
        default_columns: null,
        created_at: expect.any(String),
      },
    ]);

    const list = await server.api(withQuery(projectPath('groups/'), { group_type_index: 0 }));
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      next: null,
      previous: null,
      results: [{ group_type_index: 0, group_key: 'acme', group_properties: { name: 'Acme', plan: 'pro' }, created_at: expect.any(String) }],
    });
    const acme: ApiGroup = list.body.results[0];
    expect(Number.isNaN(Date.parse(acme.created_at))).toBe(false);

    const found = await find(0, 'acme');
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ ...acme, notebook: null });

    const missing = await find(0, 'no-such-company');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual(errorBody('invalid_request', 'not_found'));

    const events = await listEvents(server.api, { event: 'signed_up' });
    expect(events).toHaveLength(1);
    expect(events[0].distinct_id).toBe('u1');
    expect(events[0].properties.$group_0).toBe('acme');
    expect(events[0].properties.$group_1).toBe('p1');
    expect(events[0].properties.$groups).toEqual({ company: 'acme', project: 'p1' });
    expect(events[0].properties.$lib).toBe('posthog-node');
    expect(events[0].properties).not.toHaveProperty('$group_2');
  });

  it('a second groupIdentify merges shallowly in ingestion order and numeric keys are stored as strings', async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'merge-co', properties: { name: 'Merge Co', plan: 'pro', address: { city: 'Paris', zip: '75001' } } });
    posthog.groupIdentify({ groupType: 'company', groupKey: 'merge-co', properties: { plan: 'enterprise', seats: 10, address: { city: 'Lyon' } } });
    // posthog-node types keys as strings, but JavaScript callers pass numbers too.
    posthog.groupIdentify({ groupType: 'company', groupKey: 42 as unknown as string, properties: { name: 'The Answer' } });
    posthog.capture({ distinctId: 'u-numeric', event: 'numeric_group_event', groups: { company: 42 } });
    await posthog.flush();

    const merged = await find(0, 'merge-co');
    expect(merged.status).toBe(200);
    // Nested objects are replaced whole, not merged.
    expect(merged.body.group_properties).toEqual({ name: 'Merge Co', plan: 'enterprise', seats: 10, address: { city: 'Lyon' } });

    const numeric = await find(0, '42');
    expect(numeric.status).toBe(200);
    expect(numeric.body.group_key).toBe('42');
    expect(numeric.body.group_properties).toEqual({ name: 'The Answer' });
    const [event] = await listEvents(server.api, { event: 'numeric_group_event' });
    expect(event.properties.$group_0).toBe('42');
    const byKey = await listEvents(server.api, { group_type_index: 0, group_key: '42' });
    expect(byKey.map((e) => e.event)).toEqual(['numeric_group_event']);
  });

  it('group created_at is the earliest event time, and a late older $groupidentify still wins in ingestion order', async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'late-co', properties: { name: 'Late', plan: 'pro' } });
    await posthog.flush();
    const first = await find(0, 'late-co');
    expect(first.status).toBe(200);
    const firstCreatedAt = Date.parse(first.body.created_at);

    // An old event arriving after the newer one (e.g. a backfill). $ignore_sent_at keeps the
    // timestamp exactly as sent (no clock-skew correction).
    posthog.capture({
      distinctId: 'backfill',
      event: '$groupidentify',
      properties: { $group_type: 'company', $group_key: 'late-co', $group_set: { plan: 'legacy' }, $ignore_sent_at: true },
      timestamp: new Date('2024-01-02T03:04:05.678Z'),
    });
    await posthog.flush();

    const later = await find(0, 'late-co');
    expect(later.body.created_at).toBe('2024-01-02T03:04:05.678Z');
    expect(Date.parse(later.body.created_at)).toBeLessThan(firstCreatedAt);
    // Last write in ingestion order wins, even though its timestamp is older.
    expect(later.body.group_properties).toEqual({ name: 'Late', plan: 'legacy' });

    const [stored] = await listEvents(server.api, { event: '$groupidentify', distinct_id: 'backfill' });
    expect(stored.timestamp).toBe('2024-01-02T03:04:05.678Z');
    expect(later.body.created_at).toBe(stored.timestamp);

    // A newer $groupidentify does not move created_at forward again.
    posthog.groupIdentify({ groupType: 'company', groupKey: 'late-co', properties: { plan: 'pro' } });
    await posthog.flush();
    const last = await find(0, 'late-co');
    expect(last.body.created_at).toBe('2024-01-02T03:04:05.678Z');
    expect(last.body.group_properties).toEqual({ name: 'Late', plan: 'pro' });
  });

  it('groups exist only once identified: a capture carrying an unknown group key does not create it', async () => {
    posthog.capture({ distinctId: 'u-unidentified', event: 'used_unidentified_group', groups: { company: 'never-identified' } });
    await posthog.flush();

    const [event] = await listEvents(server.api, { event: 'used_unidentified_group' });
    expect(event.properties.$group_0).toBe('never-identified');
    const found = await find(0, 'never-identified');
    expect(found.status).toBe(404);
    const { groups } = await listAllGroups(server.api, 0);
    expect(groups.map((g) => g.group_key)).not.toContain('never-identified');
    const searched = await server.api(withQuery(projectPath('groups/'), { group_type_index: 0, search: 'never-identified' }));
    expect(searched.body.results).toEqual([]);
  });

  it('the static distinct id pattern for server-side group events stores the group key', async () => {
    posthog.capture({ distinctId: 'static_string_for_group_events', event: 'x', groups: { company: 'acme' } });
    await posthog.flush();

    const events = await listEvents(server.api, { event: 'x' });
    expect(events).toHaveLength(1);
    expect(events[0].distinct_id).toBe('static_string_for_group_events');
    expect(events[0].properties.$group_0).toBe('acme');
    expect(events[0].properties).not.toHaveProperty('$group_1');
    const byGroup = await listEvents(server.api, { group_type_index: 0, group_key: 'acme', event: 'x' });
    expect(byGroup.map((e) => e.uuid)).toEqual([events[0].uuid]);
  });

  it('groupIdentify without a distinct id sends "$company_<key>" and creates no person for it', async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'synthetic-co', properties: { name: 'Synthetic' } });
    posthog.groupIdentify({ groupType: 'company', groupKey: 'real-co', properties: { name: 'Real' }, distinctId: 'u-real' });
    await posthog.flush();

    const events = await listEvents(server.api, { event: '$groupidentify', distinct_id: '$company_synthetic-co' });
    expect(events).toHaveLength(1);
    expect(events[0].properties).toMatchObject({ $group_type: 'company', $group_key: 'synthetic-co', $group_set: { name: 'Synthetic' } });
    expect((await find(0, 'synthetic-co')).body.group_properties).toEqual({ name: 'Synthetic' });

    expect(await personsByDistinctId(server.api, '$company_synthetic-co')).toEqual([]);
    // The acme identify of the first test also came without a distinct id.
    expect(await personsByDistinctId(server.api, '$company_acme')).toEqual([]);
    expect(await personsByDistinctId(server.api, '$company_42')).toEqual([]);
    const byDistinctId = await server.api(projectPath(`persons/${encodeURIComponent('$company_synthetic-co')}`));
    expect(byDistinctId.status).toBe(404);
    const search = await server.api<{ results: unknown[] }>(withQuery(projectPath('persons/'), { search: '$company_' }));
    expect(search.body.results).toEqual([]);

    // With an explicit distinct id it is an ordinary event of that person.
    const real = await personOf(server.api, 'u-real');
    expect(real.distinct_ids).toEqual(['u-real']);
  });

  it('personless events keep their group keys but create no person', async () => {
    posthog.capture({
      distinctId: 'personless-1',
      event: 'personless_view',
      groups: { company: 'acme', project: 'p1' },
      properties: { $process_person_profile: false },
    });
    await posthog.flush();

    const [event] = await listEvents(server.api, { event: 'personless_view' });
    expect(event.distinct_id).toBe('personless-1');
    expect(event.properties.$group_0).toBe('acme');
    expect(event.properties.$group_1).toBe('p1');
    expect(event.person_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await personsByDistinctId(server.api, 'personless-1')).toEqual([]);
    const byGroup = await listEvents(server.api, { group_type_index: 1, group_key: 'p1', event: 'personless_view' });
    expect(byGroup.map((e) => e.uuid)).toEqual([event.uuid]);
  });

  it('loose equality: a value equal under != (1 and "1") is not rewritten', async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'loose-co', properties: { seats: 1, flag: true } });
    posthog.groupIdentify({ groupType: 'company', groupKey: 'loose-co', properties: { seats: '1', flag: 'yes' } });
    await posthog.flush();
    expect((await find(0, 'loose-co')).body.group_properties).toEqual({ seats: 1, flag: 'yes' });
  });

  it('group keys: NUL bytes are stripped, empty keys are no group, and properties.$groups is honoured', async () => {
    posthog.groupIdentify({ groupType: 'company', groupKey: 'nul\u0000co', properties: { name: 'Nul' } });
    posthog.capture({ distinctId: 'u-keys', event: 'nul_key_event', groups: { company: 'nul\u0000co' } });
    posthog.capture({ distinctId: 'u-keys', event: 'empty_key_event', groups: { company: '', project: 'p1' } });
    // Without `groups`, posthog-node keeps a caller-provided properties.$groups.
    posthog.capture({ distinctId: 'u-keys', event: 'raw_groups_event', properties: { $groups: { company: 'acme' } } });
    await posthog.flush();

    const nul = await find(0, 'nulco');
    expect(nul.status).toBe(200);
    expect(nul.body.group_properties).toEqual({ name: 'Nul' });
    expect((await listEvents(server.api, { event: 'nul_key_event' }))[0].properties.$group_0).toBe('nulco');
    const [empty] = await listEvents(server.api, { event: 'empty_key_event' });
    expect(empty.properties).not.toHaveProperty('$group_0');
    expect(empty.properties.$group_1).toBe('p1');
    const [raw] = await listEvents(server.api, { event: 'raw_groups_event' });
    expect(raw.properties.$group_0).toBe('acme');
  });

  it('groups and types survive a restart, and later $groupidentify merges into the stored group', async () => {
    const typesBefore = await listGroupTypes(server.api);
    const mergeBefore = (await find(0, 'merge-co')).body;

    await posthog.shutdown();
    await server.stop();
    server = await startInProcessServer({ dataDir: server.dataDir });
    posthog = nodeClient(server);

    expect(await listGroupTypes(server.api)).toEqual(typesBefore);
    expect((await find(0, 'merge-co')).body).toEqual(mergeBefore);

    posthog.groupIdentify({ groupType: 'company', groupKey: 'merge-co', properties: { region: 'eu' } });
    posthog.capture({ distinctId: 'u1', event: 'after_restart', groups: { company: 'merge-co', region: 'emea' } });
    await posthog.flush();
    const merged = await find(0, 'merge-co');
    expect(merged.body.group_properties).toEqual({ ...mergeBefore.group_properties, region: 'eu' });
    expect(merged.body.created_at).toBe(mergeBefore.created_at);
    expect((await listGroupTypes(server.api)).map((t) => [t.group_type_index, t.group_type])).toEqual([
      [0, 'company'],
      [1, 'project'],
      [2, 'region'],
    ]);
    // The synthetic distinct id still creates no person after the restart.
    expect(await personsByDistinctId(server.api, '$company_merge-co')).toEqual([]);
  });
});

