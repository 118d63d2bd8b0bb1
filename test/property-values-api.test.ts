// Value suggestions for event and person properties (PostHog's events/values and persons/values),
// seeded through posthog-node: counts, search, validation, auth and project isolation.
import type { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';
import { errorBody, nodeClient, projectPath, withQuery } from './support/sdk.js';

let server: RunningServer;
let client: PostHog;
let other: PostHog;
let otherKey: string;

beforeAll(async () => {
  server = await startInProcessServer();
  client = nodeClient(server);
  client.capture({ distinctId: 'ann', event: 'page_viewed', properties: { browser: 'Firefox', 'utm "campaign".id': 'spring' } });
  client.capture({ distinctId: 'bob', event: 'page_viewed', properties: { browser: 'Chrome', 'utm "campaign".id': 'spring' } });
  client.capture({ distinctId: 'cat', event: 'page_viewed', properties: { browser: 'Chrome', attempts: 3 } });
  client.capture({ distinctId: 'cat', event: 'signed_up', properties: { browser: { name: 'nested' } } });
  // Older than the 30 days suggestions look at.
  client.capture({ distinctId: 'dan', event: 'page_viewed', properties: { browser: 'Netscape' }, timestamp: new Date(Date.now() - 40 * 86_400_000) });
  client.identify({ distinctId: 'ann', properties: { plan: 'pro', email: 'ann@acme.io' } });
  client.identify({ distinctId: 'bob', properties: { plan: 'pro', email: 'bob@beta.io' } });
  client.identify({ distinctId: 'cat', properties: { plan: 'free' } });
  await client.flush();

  const created = await server.api('/api/projects/', { method: 'POST', body: { name: 'Other' } });
  expect(created.status).toBe(201);
  otherKey = created.body.personal_api_key;
  other = nodeClient(server, { token: created.body.api_token });
  other.capture({ distinctId: 'zed', event: 'page_viewed', properties: { browser: 'Safari' } });
  other.identify({ distinctId: 'zed', properties: { plan: 'enterprise' } });
  await other.flush();
});

afterAll(async () => {
  await client?.shutdown();
  await other?.shutdown();
  await server?.stop();
});

const values = (kind: 'events' | 'persons', query: Record<string, string>, options: { key?: string | null; prefix?: string } = {}) =>
  server.api(withQuery(`${options.prefix ?? '/api/projects/@current'}/${kind}/values/`, query), { key: options.key });

describe('GET events/values', () => {
  it('lists scalar values of an event property seen in the last 30 days, most frequent first, with counts', async () => {
    const res = await values('events', { key: 'browser' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { name: 'Chrome', count: 2 },
      { name: 'Firefox', count: 1 },
    ]);
    expect((await values('events', { key: 'attempts' })).body).toEqual([{ name: '3', count: 1 }]);
    expect((await values('events', { key: 'utm "campaign".id' })).body).toEqual([{ name: 'spring', count: 2 }]);
    expect((await values('events', { key: 'no_such_property' })).body).toEqual([]);
    // The 40-day-old event is stored, only not suggested.
    expect((await server.api('/api/projects/@current/events/?distinct_id=dan')).body.results.map((e: { properties: { browser: string } }) => e.properties.browser)).toEqual(['Netscape']);
  });

  it('keeps only values containing the search text, in any case', async () => {
    expect((await values('events', { key: 'browser', value: 'fox' })).body).toEqual([{ name: 'Firefox', count: 1 }]);
    expect((await values('events', { key: 'browser', value: 'CHR' })).body).toEqual([{ name: 'Chrome', count: 2 }]);
    expect((await values('events', { key: 'browser', value: '_' })).body).toEqual([]);
  });

  it('answers under /api/environments too', async () => {
    const res = await values('events', { key: 'browser', value: 'fire' }, { prefix: '/api/environments/@current' });
    expect(res.body).toEqual([{ name: 'Firefox', count: 1 }]);
  });
});

describe('GET persons/values', () => {
  it('lists values of a person property over current persons', async () => {
    expect((await values('persons', { key: 'plan' })).body).toEqual([
      { name: 'pro', count: 2 },
      { name: 'free', count: 1 },
    ]);
    expect((await values('persons', { key: 'email', value: 'ACME' })).body).toEqual([{ name: 'ann@acme.io', count: 1 }]);
  });
});

describe('validation, authentication and isolation', () => {
  it('answers 400 naming key when key is missing or empty', async () => {
    for (const kind of ['events', 'persons'] as const) {
      for (const query of [{}, { key: '' }] as Record<string, string>[]) {
        const res = await values(kind, query);
        expect(res.status, kind).toBe(400);
        expect(res.body).toEqual(errorBody('validation_error', 'invalid_input', 'key'));
      }
    }
  });

  it('answers 401 without a personal API key', async () => {
    expect((await values('events', { key: 'browser' }, { key: null })).status).toBe(401);
    expect((await values('persons', { key: 'plan' }, { key: null })).status).toBe(401);
    expect((await values('events', { key: 'browser' }, { key: server.token })).status).toBe(401);
  });

  it("shows each project only its own values, and no other project's by id", async () => {
    expect((await values('events', { key: 'browser' }, { key: otherKey })).body).toEqual([{ name: 'Safari', count: 1 }]);
    expect((await values('persons', { key: 'plan' }, { key: otherKey })).body).toEqual([{ name: 'enterprise', count: 1 }]);
    expect((await values('events', { key: 'browser', value: 'safari' })).body).toEqual([]);

    const firstId = (await server.api(projectPath(''))).body.id;
    const crossProject = await server.api(withQuery(projectPath('persons/values/', firstId), { key: 'plan' }), { key: otherKey });
    expect(crossProject.status).toBe(403);
  });
});
