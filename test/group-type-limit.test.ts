// A 6th group type with the default limit of 5: the event is stored with the first five keys,
// and the overflow is reported as an ingestion warning instead of being dropped silently.
import type { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';
import { listEvents, listGroupTypes, nodeClient, projectPath } from './support/sdk.js';

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

interface Warning {
  type: string;
  key: string;
  details: Record<string, unknown>;
  count: number;
  first_seen: string;
  last_seen: string;
}

const SIX = { g_a: 'a1', g_b: 'b1', g_c: 'c1', g_d: 'd1', g_e: 'e1', g_f: 'f1' };

async function limitWarnings(): Promise<Warning[]> {
  const res = await server.api<{ results: Warning[] }>(projectPath('ingestion_warnings/'));
  expect(res.status).toBe(200);
  return res.body.results.filter((w) => w.type === 'group_type_limit_exceeded');
}

describe('group type limit', () => {
  it('an event with 6 group types is stored with the first 5 and the 6th is reported', async () => {
    posthog.capture({ distinctId: 'u1', event: 'six_groups', groups: SIX });
    await posthog.flush();

    const [event] = await listEvents(server.api, { event: 'six_groups' });
    expect([0, 1, 2, 3, 4, 5].map((i) => event.properties[`$group_${i}`])).toEqual(['a1', 'b1', 'c1', 'd1', 'e1', undefined]);
    // The raw map is kept as sent.
    expect(event.properties.$groups).toEqual(SIX);
    expect((await listGroupTypes(server.api)).map((t) => t.group_type)).toEqual(['g_a', 'g_b', 'g_c', 'g_d', 'g_e']);

    const warnings = await limitWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0].details).toMatchObject({ group_type: 'g_f', group_key: 'f1' });
    expect(warnings[0].count).toBe(1);
    expect(warnings[0].first_seen).toBe(warnings[0].last_seen);
  });

  it('the warning count grows when the 6th type is sent again, and per key', async () => {
    const before = (await limitWarnings())[0];
    posthog.capture({ distinctId: 'u1', event: 'six_groups_again', groups: SIX });
    await posthog.flush();
    posthog.capture({ distinctId: 'u2', event: 'six_groups_again', groups: SIX });
    // groupIdentify of the overflowing type cannot create a group either: same warning.
    posthog.groupIdentify({ groupType: 'g_f', groupKey: 'f1', properties: { name: 'F1' } });
    await posthog.flush();

    const warnings = await limitWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0].details).toMatchObject({ group_type: 'g_f', group_key: 'f1' });
    expect(warnings[0].count).toBe(4);
    expect(warnings[0].first_seen).toBe(before.first_seen);
    expect(Date.parse(warnings[0].last_seen)).toBeGreaterThanOrEqual(Date.parse(before.last_seen));

    // Another key of the same type is a separate warning.
    posthog.capture({ distinctId: 'u1', event: 'six_groups_other_key', groups: { ...SIX, g_f: 'f2' } });
    await posthog.flush();
    const byKey = new Map((await limitWarnings()).map((w) => [w.details.group_key, w]));
    expect(byKey.get('f1')?.count).toBe(4);
    expect(byKey.get('f2')?.count).toBe(1);
    expect(byKey.get('f2')?.details).toMatchObject({ group_type: 'g_f', group_key: 'f2' });

    // No type or group appeared for g_f.
    expect((await listGroupTypes(server.api)).map((t) => t.group_type)).toEqual(['g_a', 'g_b', 'g_c', 'g_d', 'g_e']);
    const stored = await listEvents(server.api, { event: 'six_groups_again' });
    expect(stored.map((e) => e.properties.$group_4)).toEqual(['e1', 'e1']);
  });
});
