// Persons through posthog-node and the private API: identify, alias, $set/$set_once/$unset,
// merge rules (identified persons and illegal ids never merge away), persons/:id lookups.
import type { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';
import { errorBody, listEvents, nodeClient, personOf, personsByDistinctId, projectPath, type ApiPerson } from './support/sdk.js';

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

const sorted = (ids: readonly string[]) => [...ids].sort();

describe('persons', () => {
  it('identify creates a person with the identified properties', async () => {
    posthog.identify({ distinctId: 'u2', properties: { email: 'a@b.c' } });
    await posthog.flush();

    const person = await personOf(server.api, 'u2');
    expect(person).toMatchObject({
      type: 'person',
      uuid: person.id,
      name: 'a@b.c',
      distinct_ids: ['u2'],
      properties: { email: 'a@b.c' },
    });
    expect(person.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const [event] = await listEvents(server.api, { event: '$identify', distinct_id: 'u2' });
    expect(event.person_id).toBe(person.id);
  });

  it('alias merges an anonymous person into the identified one, and its events follow', async () => {
    posthog.capture({ distinctId: 'anon-1', event: 'anonymous_pageview', properties: { $set: { referrer: 'google' } } });
    await posthog.flush();
    const anonymous = await personOf(server.api, 'anon-1');
    const u2 = await personOf(server.api, 'u2');
    expect(anonymous.id).not.toBe(u2.id);

    posthog.alias({ distinctId: 'u2', alias: 'anon-1' });
    await posthog.flush();

    const viaAlias = await personOf(server.api, 'anon-1');
    const viaU2 = await personOf(server.api, 'u2');
    expect(viaAlias.id).toBe(u2.id);
    expect(viaU2.id).toBe(u2.id);
    expect(sorted(viaAlias.distinct_ids)).toEqual(['anon-1', 'u2']);
    expect(viaAlias.is_identified).toBe(true);
    // Properties of the merged-away person are kept where the survivor has none.
    expect(viaAlias.properties).toEqual({ email: 'a@b.c', referrer: 'google' });

    // The merged-away person is gone, and its events now belong to the survivor.
    expect((await server.api(projectPath(`persons/${anonymous.id}`))).status).toBe(404);
    const [event] = await listEvents(server.api, { event: 'anonymous_pageview' });
    expect(event.person_id).toBe(u2.id);
    const byPerson = await listEvents(server.api, { person_id: u2.id });
    expect(byPerson.map((e) => e.event).sort()).toEqual(['$create_alias', '$identify', 'anonymous_pageview']);
  });

  it('$set overwrites, $set_once only fills missing keys, $unset removes', async () => {
    posthog.capture({ distinctId: 'u-props', event: 'props_1', properties: { $set: { plan: 'free', a: 1 }, $set_once: { first: 'x' } } });
    posthog.capture({ distinctId: 'u-props', event: 'props_2', properties: { $set: { plan: 'paid' }, $set_once: { first: 'y', second: 'z' } } });
    posthog.capture({ distinctId: 'u-props', event: 'props_3', properties: { $unset: ['a'] } });
    await posthog.flush();
    expect((await personOf(server.api, 'u-props')).properties).toEqual({ plan: 'paid', first: 'x', second: 'z' });

    // The SDK helpers send the same operations as `$set` events.
    posthog.setPersonProperties({ distinctId: 'u-props', properties: { plan: 'team' }, propertiesOnce: { first: 'w', third: 3 } });
    posthog.unsetPersonProperties({ distinctId: 'u-props', properties: ['second'] });
    await posthog.flush();
    expect((await personOf(server.api, 'u-props')).properties).toEqual({ plan: 'team', first: 'x', third: 3 });
  });

  it('top-level $set on the wire wins over properties.$set per key', async () => {
    const res = await fetch(`${server.url}/batch/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        api_key: server.token,
        batch: [
          {
            event: '$set',
            distinct_id: 'u-toplevel',
            properties: { $set: { color: 'red', size: 'm' } },
            $set: { color: 'blue' },
            $set_once: { origin: 'wire' },
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect((await personOf(server.api, 'u-toplevel')).properties).toEqual({ color: 'blue', size: 'm', origin: 'wire' });
  });

  it('$identify with $anon_distinct_id merges the anonymous person', async () => {
    // Case 1: only the anonymous person exists; it takes the identified distinct id.
    posthog.capture({ distinctId: 'anon-2', event: 'anon_2_view', properties: { $set: { referrer: 'ads' } } });
    await posthog.flush();
    const anonymous = await personOf(server.api, 'anon-2');
    expect(anonymous.is_identified).toBe(false);

    posthog.identify({ distinctId: 'u3', properties: { $anon_distinct_id: 'anon-2', $set: { name: 'U3' } } });
    await posthog.flush();
    const u3 = await personOf(server.api, 'u3');
    expect(u3.id).toBe(anonymous.id);
    expect(sorted(u3.distinct_ids)).toEqual(['anon-2', 'u3']);
    expect(u3.is_identified).toBe(true);
    expect(u3.properties).toEqual({ referrer: 'ads', name: 'U3' });
    expect(u3.name).toBe('U3');

    // Case 2: both have persons (neither identified); the anonymous one is merged in.
    posthog.capture({ distinctId: 'u4', event: 'u4_login', properties: { $set: { plan: 'pro' } } });
    posthog.capture({ distinctId: 'anon-3', event: 'anon_3_view', properties: { $set: { plan: 'free', utm: 'mail' } } });
    await posthog.flush();
    const u4Before = await personOf(server.api, 'u4');
    const anon3Before = await personOf(server.api, 'anon-3');
    expect(u4Before.id).not.toBe(anon3Before.id);

    posthog.identify({ distinctId: 'u4', properties: { $anon_distinct_id: 'anon-3' } });
    await posthog.flush();
    const merged = await personOf(server.api, 'anon-3');
    expect(merged.id).toBe(u4Before.id);
    expect((await personOf(server.api, 'u4')).id).toBe(u4Before.id);
    expect(sorted(merged.distinct_ids)).toEqual(['anon-3', 'u4']);
    // The survivor's own values win over the merged person's.
    expect(merged.properties).toEqual({ plan: 'pro', utm: 'mail' });
    expect((await server.api(projectPath(`persons/${anon3Before.id}`))).status).toBe(404);
    const [anonEvent] = await listEvents(server.api, { event: 'anon_3_view' });
    expect(anonEvent.person_id).toBe(u4Before.id);
  });

  it('an already identified person is not merged away by $identify or $create_alias', async () => {
    posthog.identify({ distinctId: 'u5', properties: { $anon_distinct_id: 'anon-5', $set: { who: 'five' } } });
    posthog.identify({ distinctId: 'u6', properties: { $anon_distinct_id: 'anon-6', $set: { who: 'six' } } });
    await posthog.flush();
    const u5 = await personOf(server.api, 'u5');
    const u6 = await personOf(server.api, 'u6');
    expect(u5.is_identified).toBe(true);
    expect(u6.is_identified).toBe(true);
    expect(u5.id).not.toBe(u6.id);

    posthog.identify({ distinctId: 'u6', properties: { $anon_distinct_id: 'u5' } });
    posthog.alias({ distinctId: 'u6', alias: 'anon-5' });
    await posthog.flush();

    const u5After = await personOf(server.api, 'u5');
    const u6After = await personOf(server.api, 'u6');
    expect(u5After.id).toBe(u5.id);
    expect(u6After.id).toBe(u6.id);
    expect(sorted(u5After.distinct_ids)).toEqual(['anon-5', 'u5']);
    expect(sorted(u6After.distinct_ids)).toEqual(['anon-6', 'u6']);
    expect(u5After.properties).toEqual({ who: 'five' });
    expect(u6After.properties).toEqual({ who: 'six' });
  });

  it('illegal distinct ids such as "null", "undefined" and "anonymous" never merge', async () => {
    // Events from these ids do create persons; they must just never be fused with anyone.
    posthog.capture({ distinctId: 'anonymous', event: 'illegal_id_view' });
    posthog.capture({ distinctId: 'undefined', event: 'illegal_id_view' });
    posthog.capture({ distinctId: 'null', event: 'illegal_id_view' });
    posthog.capture({ distinctId: 'u11', event: 'illegal_id_view' });
    await posthog.flush();
    const anonymousPerson = await personOf(server.api, 'anonymous');

    posthog.identify({ distinctId: 'u7', properties: { $anon_distinct_id: 'anonymous' } });
    posthog.identify({ distinctId: 'u8', properties: { $anon_distinct_id: 'null' } });
    posthog.alias({ distinctId: 'u9', alias: 'undefined' });
    posthog.identify({ distinctId: 'u10', properties: { $anon_distinct_id: 'ANONYMOUS' } });
    posthog.alias({ distinctId: 'null', alias: 'u11' });
    await posthog.flush();

    for (const id of ['u7', 'u8', 'u9', 'u10', 'u11', 'anonymous', 'undefined', 'null']) {
      const person = await personOf(server.api, id);
      expect(person.distinct_ids, id).toEqual([id]);
    }
    expect((await personOf(server.api, 'anonymous')).id).toBe(anonymousPerson.id);
    expect(await personsByDistinctId(server.api, 'ANONYMOUS')).toEqual([]);
  });

  it('$merge_dangerously merges an identified person, and events merged twice follow to the last survivor', async () => {
    posthog.capture({ distinctId: 'anon-c1', event: 'chain_anon_view' });
    posthog.capture({ distinctId: 'u-c1', event: 'chain_u1_view' });
    posthog.capture({ distinctId: 'u-c2', event: 'chain_u2_view' });
    await posthog.flush();
    const p1 = await personOf(server.api, 'anon-c1');

    posthog.identify({ distinctId: 'u-c1', properties: { $anon_distinct_id: 'anon-c1' } });
    await posthog.flush();
    const p2 = await personOf(server.api, 'u-c1');
    expect((await personOf(server.api, 'anon-c1')).id).toBe(p2.id);
    expect(p2.id).not.toBe(p1.id);
    expect(p2.is_identified).toBe(true);

    posthog.capture({ distinctId: 'u-c2', event: '$merge_dangerously', properties: { alias: 'u-c1' } });
    await posthog.flush();
    const p3 = await personOf(server.api, 'u-c2');
    expect(p3.id).not.toBe(p2.id);
    expect(sorted(p3.distinct_ids)).toEqual(['anon-c1', 'u-c1', 'u-c2']);
    for (const event of ['chain_anon_view', 'chain_u1_view', 'chain_u2_view']) {
      const [stored] = await listEvents(server.api, { event });
      expect(stored.person_id, event).toBe(p3.id);
    }
    expect((await server.api(projectPath(`persons/${p2.id}`))).status).toBe(404);
  });

  it('persons/:id finds a person by UUID and by distinct id, and 404s otherwise', async () => {
    const listed = await personOf(server.api, 'u2');
    const byUuid = await server.api<ApiPerson>(projectPath(`persons/${listed.id}`));
    expect(byUuid.status).toBe(200);
    expect(byUuid.body).toEqual(listed);
    const byUpperUuid = await server.api<ApiPerson>(projectPath(`persons/${listed.id.toUpperCase()}`));
    expect(byUpperUuid.status).toBe(200);
    expect(byUpperUuid.body.id).toBe(listed.id);
    for (const distinctId of ['u2', 'anon-1']) {
      const res = await server.api<ApiPerson>(projectPath(`persons/${distinctId}`));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(listed);
    }
    const missing = await server.api(projectPath('persons/nobody-has-this-id'));
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual(errorBody('invalid_request', 'not_found'));
    const missingUuid = await server.api(projectPath('persons/00000000-0000-4000-8000-000000000000'));
    expect(missingUuid.status).toBe(404);
  });

  it('persons and merges survive a restart, and ingestion continues from them', async () => {
    const ids = ['u2', 'anon-1', 'u3', 'u4', 'anon-3', 'u5', 'u6', 'u-c2', 'anon-c1', 'u-props'];
    const before = await Promise.all(ids.map((id) => personOf(server.api, id)));
    const eventsBefore = await listEvents(server.api, { limit: 1000 });

    await posthog.shutdown();
    await server.stop();
    server = await startInProcessServer({ dataDir: server.dataDir });
    posthog = nodeClient(server);

    const after = await Promise.all(ids.map((id) => personOf(server.api, id)));
    expect(after).toEqual(before);
    expect(await listEvents(server.api, { limit: 1000 })).toEqual(eventsBefore);

    posthog.capture({ distinctId: 'anon-1', event: 'after_restart', properties: { $set: { seen: 'after' } } });
    // Identified persons are still protected from merges.
    posthog.identify({ distinctId: 'u6', properties: { $anon_distinct_id: 'u5' } });
    await posthog.flush();
    const u2 = await personOf(server.api, 'u2');
    expect(u2.id).toBe(before[0].id);
    expect(u2.properties).toEqual({ ...before[0].properties, seen: 'after' });
    const [event] = await listEvents(server.api, { event: 'after_restart' });
    expect(event.person_id).toBe(u2.id);
    expect((await personOf(server.api, 'u5')).id).toBe(before[5].id);
    expect((await personOf(server.api, 'u6')).id).toBe(before[6].id);
    // Events of a twice-merged person still point at the last survivor.
    const [chained] = await listEvents(server.api, { event: 'chain_anon_view' });
    expect(chained.person_id).toBe(before[7].id);
  });
});

