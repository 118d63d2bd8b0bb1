// Group type metadata and deletion: renaming through update_metadata, and deleting a type frees
// its slot without old events or groups leaking into the type that takes it next.
import type { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';
import { errorBody, listEvents, listGroupTypes, nodeClient, projectPath, withQuery, type ApiGroupType } from './support/sdk.js';

let server: RunningServer;
let posthog: PostHog;

beforeAll(async () => {
  server = await startInProcessServer();
  posthog = nodeClient(server);
  posthog.groupIdentify({ groupType: 'company', groupKey: 'acme', properties: { name: 'Acme' } });
  posthog.groupIdentify({ groupType: 'project', groupKey: 'p1', properties: { name: 'Project One', stage: 'beta' } });
  posthog.capture({ distinctId: 'u1', event: 'before_delete', groups: { company: 'acme', project: 'p1' } });
  await posthog.flush();
});

afterAll(async () => {
  await posthog?.shutdown();
  await server?.stop();
});

describe('group types', () => {
  it('update_metadata renames a type and the list reflects it', async () => {
    expect((await listGroupTypes(server.api)).map((t) => [t.group_type_index, t.group_type])).toEqual([
      [0, 'company'],
      [1, 'project'],
    ]);

    const res = await server.api<ApiGroupType[]>(projectPath('groups_types/update_metadata'), {
      method: 'PATCH',
      body: [{ group_type_index: 0, name_singular: 'organization', name_plural: 'organizations' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.map((t) => [t.group_type_index, t.group_type, t.name_singular, t.name_plural])).toEqual([
      [0, 'company', 'organization', 'organizations'],
      [1, 'project', null, null],
    ]);
    const listed = await listGroupTypes(server.api);
    expect(listed).toEqual(res.body);

    // Omitted fields stay; an empty name clears it.
    const partial = await server.api<ApiGroupType[]>(projectPath('groups_types/update_metadata'), {
      method: 'PATCH',
      body: [{ group_type_index: 0, name_plural: '' }],
    });
    expect(partial.status).toBe(200);
    expect([partial.body[0].name_singular, partial.body[0].name_plural]).toEqual(['organization', null]);

    const unknown = await server.api(projectPath('groups_types/update_metadata'), {
      method: 'PATCH',
      body: [{ group_type_index: 3, name_singular: 'nope' }],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(errorBody('invalid_request', 'not_found'));
    const invalid = await server.api(projectPath('groups_types/update_metadata'), { method: 'PATCH', body: [{ group_type_index: 9 }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('invalid_input');
    const empty = await server.api(projectPath('groups_types/update_metadata'), { method: 'PATCH', body: [] });
    expect(empty.status).toBe(400);
  });

  it('deleting a type removes it, its groups and definitions, and $group_N of stored events', async () => {
    const res = await server.api(projectPath('groups_types/1'), { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();

    expect((await listGroupTypes(server.api)).map((t) => [t.group_type_index, t.group_type])).toEqual([[0, 'company']]);
    const groups = await server.api(withQuery(projectPath('groups/'), { group_type_index: 1 }));
    expect(groups.status).toBe(200);
    expect(groups.body.results).toEqual([]);
    expect((await server.api(withQuery(projectPath('groups/find'), { group_type_index: 1, group_key: 'p1' }))).status).toBe(404);
    const definitions = await server.api(withQuery(projectPath('property_definitions/'), { type: 'group', group_type_index: 1 }));
    expect(definitions.body).toMatchObject({ count: 0, results: [] });

    const [event] = await listEvents(server.api, { event: 'before_delete' });
    expect(event.properties.$group_0).toBe('acme');
    expect(event.properties).not.toHaveProperty('$group_1');
    expect(await listEvents(server.api, { group_type_index: 1, group_key: 'p1' })).toEqual([]);
    // The other types are untouched.
    expect((await server.api(withQuery(projectPath('groups/find'), { group_type_index: 0, group_key: 'acme' }))).status).toBe(200);

    expect((await server.api(projectPath('groups_types/1'), { method: 'DELETE' })).status).toBe(404);
    expect((await server.api(projectPath('groups_types/7'), { method: 'DELETE' })).status).toBe(400);
  });

  it('a new type takes the freed slot without old events, groups or definitions under it', async () => {
    posthog.groupIdentify({ groupType: 'team', groupKey: 't1', properties: { size: 4 } });
    posthog.capture({ distinctId: 'u1', event: 'after_delete', groups: { company: 'acme', team: 't1' } });
    // An event still naming the deleted type recreates it, in the next free slot, as new.
    posthog.capture({ distinctId: 'u1', event: 'project_again', groups: { project: 'p1' } });
    await posthog.flush();

    const types = await listGroupTypes(server.api);
    expect(types.map((t) => [t.group_type_index, t.group_type, t.name_singular])).toEqual([
      [0, 'company', 'organization'],
      [1, 'team', null],
      [2, 'project', null],
    ]);

    const slot1 = await server.api(withQuery(projectPath('groups/'), { group_type_index: 1 }));
    expect(slot1.body.results.map((g: { group_key: string }) => g.group_key)).toEqual(['t1']);
    expect((await listEvents(server.api, { group_type_index: 1, group_key: 't1' })).map((e) => e.event)).toEqual(['after_delete']);
    expect(await listEvents(server.api, { group_type_index: 1, group_key: 'p1' })).toEqual([]);
    const [old] = await listEvents(server.api, { event: 'before_delete' });
    expect(old.properties).not.toHaveProperty('$group_1');
    expect(old.properties).not.toHaveProperty('$group_2');
    const definitions = await server.api(withQuery(projectPath('property_definitions/'), { type: 'group', group_type_index: 1 }));
    expect(definitions.body.results.map((d: { name: string }) => d.name)).toEqual(['size']);

    // The recreated type starts empty: p1 was never identified again, its old events stay blank.
    expect((await server.api(withQuery(projectPath('groups/find'), { group_type_index: 2, group_key: 'p1' }))).status).toBe(404);
    expect((await listEvents(server.api, { group_type_index: 2, group_key: 'p1' })).map((e) => e.event)).toEqual(['project_again']);
  });

  it('group types survive a restart with their names and slots', async () => {
    const before = await listGroupTypes(server.api);
    await posthog.shutdown();
    await server.stop();
    server = await startInProcessServer({ dataDir: server.dataDir });
    posthog = nodeClient(server);
    expect(await listGroupTypes(server.api)).toEqual(before);
    const [old] = await listEvents(server.api, { event: 'before_delete' });
    expect(old.properties).not.toHaveProperty('$group_1');
  });
});
