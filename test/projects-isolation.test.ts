// Authentication and project isolation of the private API: personal keys only, one project per
// key, `@current`, and no data of one project ever visible through another.
import type { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';
import { errorBody, listEvents, listGroupTypes, nodeClient, personOf, personsByDistinctId, projectPath, withQuery } from './support/sdk.js';

let server: RunningServer;
let first: PostHog;
let second: PostHog | undefined;
let firstId: number;
let secondProject: { id: number; api_token: string; personal_api_key: string; name: string };

beforeAll(async () => {
  server = await startInProcessServer();
  first = nodeClient(server);
});

afterAll(async () => {
  await first?.shutdown();
  await second?.shutdown();
  await server?.stop();
});

describe('authentication', () => {
  it('rejects a missing, wrong or project-token Authorization with 401', async () => {
    const path = projectPath('groups_types/');
    const none = await server.api(path, { key: null });
    expect(none.status).toBe(401);
    expect(none.body).toEqual(errorBody('authentication_error', 'not_authenticated'));

    const wrong = await server.api(path, { key: 'phx_wrong_key_entirely' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(errorBody('authentication_error', 'authentication_failed'));

    const token = await server.api(path, { key: server.token });
    expect(token.status).toBe(401);
    expect(token.body).toEqual(errorBody('authentication_error', 'authentication_failed'));

    const basic = await fetch(`${server.url}${path}`, { headers: { authorization: `Basic ${server.apiKey}` } });
    expect(basic.status).toBe(401);

    for (const p of ['/api/projects/', projectPath('groups/?group_type_index=0'), projectPath('persons/'), projectPath('events/'), '/api/environments/@current/groups_types/']) {
      expect((await server.api(p, { key: null })).status, p).toBe(401);
    }
    expect((await server.api('/api/projects/', { method: 'POST', body: { name: 'Nope' }, key: null })).status).toBe(401);
  });

  it('rejects a personal API key used as a capture token', async () => {
    const res = await fetch(`${server.url}/batch/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: server.apiKey, batch: [{ event: 'sneaky', distinct_id: 'x' }] }),
    });
    expect(res.status).toBe(401);
    expect(await listEvents(server.api, { event: 'sneaky' })).toEqual([]);
  });
});

describe('projects', () => {
  it('POST /api/projects/ creates a project with its own token and personal key', async () => {
    const current = await server.api(projectPath(''));
    expect(current.status).toBe(200);
    firstId = current.body.id;
    expect(current.body).toMatchObject({ id: firstId, api_token: server.token });

    const res = await server.api('/api/projects/', { method: 'POST', body: { name: 'Second' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(Number),
      name: 'Second',
      api_token: expect.stringMatching(/^phc_/),
      personal_api_key: expect.stringMatching(/^phx_/),
    });
    secondProject = res.body;
    expect(secondProject.id).not.toBe(firstId);
    expect(secondProject.api_token).not.toBe(server.token);

    // @current resolves to the key's own project.
    const asSecond = await server.api(projectPath(''), { key: secondProject.personal_api_key });
    expect(asSecond.status).toBe(200);
    expect(asSecond.body).toMatchObject({ id: secondProject.id, name: 'Second', api_token: secondProject.api_token });
    const list = await server.api('/api/projects/', { key: secondProject.personal_api_key });
    expect(list.body.results.map((p: { id: number }) => p.id)).toEqual([secondProject.id]);
    const byId = await server.api(projectPath('', secondProject.id), { key: secondProject.personal_api_key });
    expect(byId.body.id).toBe(secondProject.id);

    const invalid = await server.api('/api/projects/', { method: 'POST', body: { name: '' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual(errorBody('validation_error', 'invalid_input', 'name'));
  });

  it('data sent with each project token is visible only with that project key', async () => {
    second = nodeClient(server, { token: secondProject.api_token });
    const secondKey = secondProject.personal_api_key;

    first.groupIdentify({ groupType: 'company', groupKey: 'alpha-co', properties: { name: 'Alpha' } });
    first.groupIdentify({ groupType: 'company', groupKey: 'shared-co', properties: { owner: 'first' } });
    first.capture({ distinctId: 'u-first', event: 'first_event', groups: { company: 'alpha-co' } });
    first.identify({ distinctId: 'shared-user', properties: { owner: 'first' } });
    await first.flush();

    // The second project's first type is "team": slots are per project.
    second.groupIdentify({ groupType: 'team', groupKey: 'beta-team', properties: { name: 'Beta' } });
    second.groupIdentify({ groupType: 'company', groupKey: 'shared-co', properties: { owner: 'second' } });
    second.capture({ distinctId: 'u-second', event: 'second_event', groups: { company: 'shared-co', team: 'beta-team' } });
    second.identify({ distinctId: 'shared-user', properties: { owner: 'second' } });
    await second.flush();

    // Group types.
    expect((await listGroupTypes(server.api)).map((t) => [t.group_type_index, t.group_type])).toEqual([[0, 'company']]);
    expect((await listGroupTypes(server.api, secondKey)).map((t) => [t.group_type_index, t.group_type])).toEqual([
      [0, 'team'],
      [1, 'company'],
    ]);

    // Groups.
    const firstGroups = await server.api(withQuery(projectPath('groups/'), { group_type_index: 0 }));
    expect(firstGroups.body.results.map((g: { group_key: string }) => g.group_key).sort()).toEqual(['alpha-co', 'shared-co']);
    const secondTeams = await server.api(withQuery(projectPath('groups/'), { group_type_index: 0 }), { key: secondKey });
    expect(secondTeams.body.results.map((g: { group_key: string }) => g.group_key)).toEqual(['beta-team']);
    const firstShared = await server.api(withQuery(projectPath('groups/find'), { group_type_index: 0, group_key: 'shared-co' }));
    expect(firstShared.body.group_properties).toEqual({ owner: 'first' });
    const secondShared = await server.api(withQuery(projectPath('groups/find'), { group_type_index: 1, group_key: 'shared-co' }), { key: secondKey });
    expect(secondShared.body.group_properties).toEqual({ owner: 'second' });
    const secondAlpha = await server.api(withQuery(projectPath('groups/find'), { group_type_index: 1, group_key: 'alpha-co' }), { key: secondKey });
    expect(secondAlpha.status).toBe(404);
    const searchAcross = await server.api(withQuery(projectPath('groups/'), { group_type_index: 1, search: 'first' }), { key: secondKey });
    expect(searchAcross.body.results).toEqual([]);
    const values = await server.api(withQuery(projectPath('groups/property_values'), { group_type_index: 0, key: 'owner' }));
    expect(values.body.results).toEqual([{ name: 'first', count: 1 }]);

    // Events.
    expect((await listEvents(server.api, { event: 'first_event' })).length).toBe(1);
    expect(await listEvents(server.api, { event: 'first_event' }, secondKey)).toEqual([]);
    expect((await listEvents(server.api, { event: 'second_event' }, secondKey)).length).toBe(1);
    expect(await listEvents(server.api, { event: 'second_event' })).toEqual([]);
    const allFirst = await listEvents(server.api, { limit: 1000 });
    expect(allFirst.map((e) => e.event)).not.toContain('second_event');
    const allSecond = await listEvents(server.api, { limit: 1000 }, secondKey);
    expect(allSecond.map((e) => e.event).sort()).toEqual(['$groupidentify', '$groupidentify', '$identify', 'second_event']);

    // Persons: the same distinct id is a different person in each project.
    expect(await personsByDistinctId(server.api, 'u-second')).toEqual([]);
    expect(await personsByDistinctId(server.api, 'u-first', secondKey)).toEqual([]);
    const sharedFirst = await personOf(server.api, 'shared-user');
    const sharedSecond = await personOf(server.api, 'shared-user', secondKey);
    expect(sharedFirst.id).not.toBe(sharedSecond.id);
    expect(sharedFirst.properties).toEqual({ owner: 'first' });
    expect(sharedSecond.properties).toEqual({ owner: 'second' });
    expect((await server.api(projectPath(`persons/${sharedSecond.id}`))).status).toBe(404);
    expect((await server.api(projectPath(`persons/${sharedFirst.id}`), { key: secondKey })).status).toBe(404);
    const allPersonsSecond = await server.api(projectPath('persons/'), { key: secondKey });
    expect(allPersonsSecond.body.results.map((p: { distinct_ids: string[] }) => p.distinct_ids[0]).sort()).toEqual(['shared-user', 'u-second']);

    // Related actors and definitions.
    const related = await server.api(withQuery(projectPath('groups/related'), { id: sharedSecond.id }));
    expect(related.body).toEqual([]);
    const defs = await server.api(withQuery(projectPath('property_definitions/'), { type: 'group', group_type_index: 0 }), { key: secondKey });
    expect(defs.body.results.map((d: { name: string }) => d.name)).toEqual(['name']);

    // Warnings.
    expect((await server.api(projectPath('ingestion_warnings/'), { key: secondKey })).body).toEqual({ results: [] });
  });

  it("one project's key gets 403 on the other project's id and never its data", async () => {
    const secondKey = secondProject.personal_api_key;
    const paths = (id: number) => [
      `/api/projects/${id}/`,
      `/api/projects/${id}/groups/?group_type_index=0`,
      `/api/projects/${id}/groups/find?group_type_index=1&group_key=shared-co`,
      `/api/projects/${id}/groups/related?group_type_index=0&id=beta-team`,
      `/api/projects/${id}/groups/property_values?group_type_index=0&key=name`,
      `/api/projects/${id}/groups_types/`,
      `/api/projects/${id}/persons/`,
      `/api/projects/${id}/persons/shared-user`,
      `/api/projects/${id}/events/`,
      `/api/projects/${id}/property_definitions/?type=event`,
      `/api/projects/${id}/ingestion_warnings/`,
      `/api/environments/${id}/groups/?group_type_index=0`,
      `/api/environments/${id}/events/`,
    ];
    for (const path of paths(secondProject.id)) {
      const res = await server.api(path);
      expect(res.status, path).toBe(403);
      expect(res.body, path).toEqual(errorBody('authentication_error', 'permission_denied'));
    }
    for (const path of paths(firstId)) {
      const res = await server.api(path, { key: secondKey });
      expect(res.status, path).toBe(403);
      expect(JSON.stringify(res.body), path).not.toContain('alpha-co');
    }

    // Writes too.
    const rename = await server.api(`/api/projects/${secondProject.id}/groups_types/update_metadata`, {
      method: 'PATCH',
      body: [{ group_type_index: 0, name_singular: 'hijacked' }],
    });
    expect(rename.status).toBe(403);
    const del = await server.api(`/api/projects/${secondProject.id}/groups_types/0`, { method: 'DELETE' });
    expect(del.status).toBe(403);
    expect((await listGroupTypes(server.api, secondKey)).map((t) => [t.group_type, t.name_singular])).toEqual([
      ['team', null],
      ['company', null],
    ]);

    // Unknown numeric project: still 403 (no probing for ids); not a number: 404.
    expect((await server.api('/api/projects/99999/groups_types/')).status).toBe(403);
    expect((await server.api('/api/projects/abc/groups_types/')).status).toBe(404);
  });

  it('after a restart both projects, their tokens and keys still work, still isolated', async () => {
    await first.shutdown();
    await second?.shutdown();
    await server.stop();
    server = await startInProcessServer({ dataDir: server.dataDir });
    first = nodeClient(server);
    second = nodeClient(server, { token: secondProject.api_token });
    const secondKey = secondProject.personal_api_key;

    second.capture({ distinctId: 'u-second', event: 'second_after_restart', groups: { team: 'beta-team' } });
    await second.flush();
    const [event] = await listEvents(server.api, { event: 'second_after_restart' }, secondKey);
    expect(event.properties.$group_0).toBe('beta-team');
    expect(await listEvents(server.api, { event: 'second_after_restart' })).toEqual([]);
    expect((await server.api(projectPath(''), { key: secondKey })).body.id).toBe(secondProject.id);
    expect((await server.api(projectPath(''))).body.id).toBe(firstId);
    expect((await server.api(`/api/projects/${secondProject.id}/events/`)).status).toBe(403);
  });
});
