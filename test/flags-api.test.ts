// Feature flags end to end: management API, /flags and /decide shapes, posthog-node remote and
// local evaluation of group flags, checked against an independent SHA1 bucketing in this file.
import { createHash } from 'node:crypto';
import { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupIdentify, sendEvents } from './support/query.js';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

let server: RunningServer;

/** PostHog's bucketing, written independently: first 15 hex digits of SHA1 over 2^60-1. */
function bucket(key: string, identifier: string, salt = ''): number {
  const hex = createHash('sha1').update(`${key}.${identifier}${salt}`).digest('hex').slice(0, 15);
  return Number(BigInt(`0x${hex}`)) / Number(0xfffffffffffffffn);
}

const COMPANIES = Array.from({ length: 40 }, (_, i) => `co_${i}`);
const proCompanies = COMPANIES.filter((_, i) => i % 2 === 0);

async function createFlag(body: Record<string, unknown>) {
  const res = await server.api('/api/projects/@current/feature_flags/', { method: 'POST', body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: number; key: string; version: number };
}

beforeAll(async () => {
  server = await startInProcessServer();
  await sendEvents(server, COMPANIES.map((key, i) => groupIdentify('company', key, { plan: i % 2 === 0 ? 'pro' : 'free', name: `Company ${i}` })));
  await sendEvents(server, [{ event: '$identify', distinct_id: 'user-1', timestamp: '2026-01-01T00:00:00Z', properties: { $set: { email: 'a@acme.io' } } }]);
  await createFlag({
    key: 'new-billing',
    name: 'New billing page for 30% of pro companies',
    filters: {
      aggregation_group_type_index: 0,
      groups: [{ properties: [{ key: 'plan', value: ['pro'], operator: 'exact', type: 'group', group_type_index: 0 }], rollout_percentage: 30 }],
    },
  });
  await createFlag({
    key: 'pricing-test',
    filters: {
      aggregation_group_type_index: 0,
      groups: [{ properties: [], rollout_percentage: 100 }],
      multivariate: { variants: [{ key: 'control', rollout_percentage: 50 }, { key: 'test', rollout_percentage: 50 }] },
      payloads: { test: '{"color":"red"}' },
    },
  });
  await createFlag({
    key: 'acme-people',
    filters: { groups: [{ properties: [{ key: 'email', value: 'acme', operator: 'icontains', type: 'person' }], rollout_percentage: 100 }] },
  });
});

afterAll(async () => {
  await server.stop();
});

describe('flag management', () => {
  it('lists, reads, updates with a new version and soft-deletes flags', async () => {
    const flag = await createFlag({ key: 'temp-flag', filters: { groups: [{ properties: [], rollout_percentage: 10 }] } });
    const updated = await server.api(`/api/projects/@current/feature_flags/${flag.id}/`, { method: 'PATCH', body: { active: false } });
    expect(updated.body).toMatchObject({ key: 'temp-flag', active: false, version: 2 });
    expect((await server.api(`/api/projects/@current/feature_flags/${flag.id}/`)).body.version).toBe(2);
    expect((await server.api(`/api/projects/@current/feature_flags/${flag.id}/`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/api/projects/@current/feature_flags/${flag.id}/`)).status).toBe(404);
    const list = await server.api('/api/projects/@current/feature_flags/');
    expect(list.body.results.map((f: { key: string }) => f.key).sort()).toEqual(['acme-people', 'new-billing', 'pricing-test']);
  });

  it('rejects duplicate keys and invalid filters with a 400 naming the field', async () => {
    const duplicate = await server.api('/api/projects/@current/feature_flags/', { method: 'POST', body: { key: 'new-billing' } });
    expect([duplicate.status, duplicate.body.attr]).toEqual([400, 'key']);
    const badIndex = await server.api('/api/projects/@current/feature_flags/', { method: 'POST', body: { key: 'x1', filters: { aggregation_group_type_index: 9, groups: [] } } });
    expect(badIndex.status).toBe(400);
    const badWeights = await server.api('/api/projects/@current/feature_flags/', {
      method: 'POST',
      body: { key: 'x2', filters: { groups: [{ properties: [] }], multivariate: { variants: [{ key: 'a', rollout_percentage: 60 }, { key: 'b', rollout_percentage: 30 }] } } },
    });
    expect(badWeights.status).toBe(400);
    const badOperator = await server.api('/api/projects/@current/feature_flags/', {
      method: 'POST',
      body: { key: 'x3', filters: { groups: [{ properties: [{ key: 'a', value: 1, operator: 'about', type: 'person' }] }] } },
    });
    expect(badOperator.status).toBe(400);
  });
});

describe('flag evaluation', () => {
  it('rolls a group flag out to 30% of pro companies, the same for every user of a company', async () => {
    const posthog = new PostHog(server.token, { host: server.url, flushAt: 1, fetchRetryCount: 0 });
    try {
      for (const company of COMPANIES) {
        const expected = proCompanies.includes(company) && bucket('new-billing', company) <= 0.3;
        for (const user of ['user-1', 'user-2']) {
          expect(await posthog.isFeatureEnabled('new-billing', user, { groups: { company } }), company).toBe(expected);
        }
      }
      // Without the group, a group flag is off.
      expect(await posthog.isFeatureEnabled('new-billing', 'user-1')).toBe(false);
    } finally {
      await posthog.shutdown();
    }
  });

  it('picks variants and payloads by the group key, and person flags by person properties', async () => {
    const posthog = new PostHog(server.token, { host: server.url, flushAt: 1, fetchRetryCount: 0 });
    try {
      for (const company of COMPANIES.slice(0, 10)) {
        const variant = bucket('pricing-test', company, 'variant') < 0.5 ? 'control' : 'test';
        expect(await posthog.getFeatureFlag('pricing-test', 'someone', { groups: { company } })).toBe(variant);
        const payload = await posthog.getFeatureFlagPayload('pricing-test', 'someone', undefined, { groups: { company } });
        expect(payload ?? null).toEqual(variant === 'test' ? { color: 'red' } : null);
      }
      const all = await posthog.getAllFlags('user-1', { groups: { company: 'co_0' } });
      expect(all['acme-people']).toBe(true);
      expect((await posthog.getAllFlags('user-2'))['acme-people']).toBe(false);
    } finally {
      await posthog.shutdown();
    }
  });

  it('agrees with posthog-node local evaluation, which reads definitions with ETags', async () => {
    const local = new PostHog(server.token, { host: server.url, personalApiKey: server.apiKey, featureFlagsPollingInterval: 60_000, fetchRetryCount: 0 });
    try {
      await local.reloadFeatureFlags();
      for (const company of COMPANIES) {
        const plan = proCompanies.includes(company) ? 'pro' : 'free';
        const value = await local.getFeatureFlag('new-billing', 'user-1', { groups: { company }, groupProperties: { company: { plan } }, onlyEvaluateLocally: true });
        expect(value, company).toBe(plan === 'pro' && bucket('new-billing', company) <= 0.3);
      }
    } finally {
      await local.shutdown();
    }
    const first = await fetch(`${server.url}/flags/definitions?token=${server.token}`, { headers: { authorization: `Bearer ${server.apiKey}` } });
    const etag = first.headers.get('etag')!;
    const body = await first.json();
    expect(body.group_type_mapping).toEqual({ '0': 'company' });
    const again = await fetch(`${server.url}/api/feature_flag/local_evaluation?token=${server.token}`, { headers: { authorization: `Bearer ${server.apiKey}`, 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('applies a changed flag from the very next request, and changes the ETag', async () => {
    const headers = { authorization: `Bearer ${server.apiKey}` };
    const etagBefore = (await fetch(`${server.url}/flags/definitions?token=${server.token}`, { headers })).headers.get('etag');
    const flag = await createFlag({ key: 'instant', filters: { groups: [{ properties: [], rollout_percentage: 100 }] } });
    const ask = async () => (await (await fetch(`${server.url}/flags/?v=2`, { method: 'POST', body: JSON.stringify({ token: server.token, distinct_id: 'u' }) })).json()).flags.instant;
    expect((await ask()).enabled).toBe(true);
    await server.api(`/api/projects/@current/feature_flags/${flag.id}/`, { method: 'PATCH', body: { active: false } });
    expect((await ask()).enabled).toBe(false);
    const etagAfter = (await fetch(`${server.url}/flags/definitions?token=${server.token}`, { headers })).headers.get('etag');
    expect(etagAfter).not.toBe(etagBefore);
  });

  it('answers each /flags and /decide version in its shape', async () => {
    const ask = async (path: string) => (await fetch(`${server.url}${path}`, { method: 'POST', body: JSON.stringify({ token: server.token, distinct_id: 'user-1', groups: { company: 'co_0' } }) })).json();
    const v2 = await ask('/flags/?v=2');
    expect(v2.flags['acme-people']).toMatchObject({ key: 'acme-people', enabled: true, reason: { code: 'condition_match', condition_index: 0 } });
    const v1 = await ask('/flags/');
    expect(v1.featureFlags['acme-people']).toBe(true);
    expect(typeof v1.featureFlagPayloads).toBe('object');
    expect((await ask('/decide/?v=4')).flags).toBeDefined();
    expect((await ask('/decide/?v=3')).featureFlags['acme-people']).toBe(true);
    expect((await ask('/decide/?v=2')).featureFlags).toMatchObject({ 'acme-people': true });
    expect((await ask('/decide/')).featureFlags).toContain('acme-people');
    const withConfig = await ask('/flags/?v=2&config=true');
    expect(withConfig.supportedCompression).toEqual(['gzip', 'gzip-js']);
  });

  it('answers only the flag_keys asked for', async () => {
    const res = await fetch(`${server.url}/flags/?v=2`, {
      method: 'POST',
      body: JSON.stringify({ token: server.token, distinct_id: 'user-1', groups: { company: 'co_0' }, flag_keys: ['pricing-test', 'no-such-flag'] }),
    });
    expect(Object.keys((await res.json()).flags)).toEqual(['pricing-test']);
  });

  it('gives each of many concurrent requests its own whole answer (answer buffers are reused)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const company = COMPANIES[i % COMPANIES.length];
        const res = await fetch(`${server.url}/flags/?v=2`, {
          method: 'POST',
          body: JSON.stringify({ token: server.token, distinct_id: `concurrent-${i}`, groups: { company } }),
        });
        return { company, body: (await res.json()) as { flags: Record<string, { enabled: boolean; variant: string | null }> } };
      }),
    );
    for (const { company, body } of answers) {
      expect(body.flags['pricing-test'].variant).toBe(bucket('pricing-test', company, 'variant') < 0.5 ? 'control' : 'test');
      expect(body.flags['new-billing'].enabled).toBe(proCompanies.includes(company) && bucket('new-billing', company) <= 0.3);
    }
  });

  it('reads gzip and base64 form bodies, and answers bad requests with 4xx', async () => {
    const body = JSON.stringify({ token: server.token, distinct_id: 'user-1' });
    const { gzipSync } = await import('node:zlib');
    const gz = await fetch(`${server.url}/flags/?v=2`, { method: 'POST', body: gzipSync(body) });
    expect(gz.status).toBe(200);
    const form = await fetch(`${server.url}/flags/?v=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `data=${encodeURIComponent(Buffer.from(body).toString('base64'))}&compression=base64`,
    });
    expect(form.status).toBe(200);
    const wrongToken = await fetch(`${server.url}/flags/?v=2`, { method: 'POST', body: JSON.stringify({ token: 'phc_nope', distinct_id: 'u' }) });
    expect(wrongToken.status).toBe(401);
    const malformed = await fetch(`${server.url}/flags/?v=2`, { method: 'POST', body: '{"token":' });
    expect(malformed.status).toBe(400);
    // Properties nested past what can be copied to the flags thread: 400, and the server carries on.
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const tooDeep = await fetch(`${server.url}/flags/?v=2`, { method: 'POST', body: `{"token":"${server.token}","distinct_id":"u","person_properties":{"x":${deep}}}` });
    expect(tooDeep.status).toBe(400);
    expect((await tooDeep.json()).detail).toMatch(/deeper than 128 levels/);
    expect((await fetch(`${server.url}/flags/?v=2`, { method: 'POST', body })).status).toBe(200);
    const config = await fetch(`${server.url}/array/${server.token}/config`);
    expect((await config.json()).supportedCompression).toEqual(['gzip', 'gzip-js']);
  });
});
