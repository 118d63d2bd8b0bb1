// The management API's "evaluate" endpoint (POST /api/projects/:id/feature_flags/:id/evaluate),
// behind the web app's "Test this flag": for any company or person it must answer exactly what
// /flags answers for the same distinct id and groups, from the stored properties.
import type { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';
import { nodeClient, projectPath } from './support/sdk.js';

let server: RunningServer;
let posthog: PostHog;

const COMPANIES = Array.from({ length: 16 }, (_, i) => ({ key: `acme_${i}`, plan: i % 2 === 0 ? 'pro' : 'free', seats: i * 5 }));
const PERSONS = Array.from({ length: 12 }, (_, i) => ({ distinctId: `person_${i}`, email: i % 3 === 0 ? `p${i}@acme.io` : `p${i}@other.org` }));

interface Evaluation {
  key: string;
  enabled: boolean;
  variant: string | null;
  reason: { code: string; condition_index: number | null; description: string };
  payload: string | null;
}

const flagIds: Record<string, number> = {};

async function createFlag(body: Record<string, unknown>): Promise<void> {
  const res = await server.api<{ id: number }>(projectPath('feature_flags/'), { method: 'POST', body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  flagIds[body.key as string] = res.body.id;
}

const evaluate = (flag: string, body: unknown, key?: string | null) =>
  server.api<Evaluation>(projectPath(`feature_flags/${flagIds[flag] ?? flag}/evaluate/`), { method: 'POST', body, key });

/** /flags?v=2 for one subject: its answer for each flag key. */
async function flagsAnswer(distinctId: string, groups: Record<string, string>): Promise<Record<string, Omit<Evaluation, 'payload'> & { metadata: { payload: string | null } }>> {
  const res = await fetch(`${server.url}/flags?v=2`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: server.token, distinct_id: distinctId, groups }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { flags: Record<string, any> }).flags;
}

async function waitFor(ready: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error('seeded data did not arrive in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  server = await startInProcessServer();
  posthog = nodeClient(server);
  for (const c of COMPANIES) posthog.groupIdentify({ groupType: 'company', groupKey: c.key, properties: { plan: c.plan, seats: c.seats } });
  for (const p of PERSONS) posthog.identify({ distinctId: p.distinctId, properties: { email: p.email } });
  await posthog.flush();
  await waitFor(async () => (await server.api(projectPath('groups/?group_type_index=0'))).body?.results?.length === COMPANIES.length);

  const proCondition = { key: 'plan', value: ['pro'], operator: 'exact', type: 'group', group_type_index: 0 };
  await createFlag({ key: 'pro-half', filters: { aggregation_group_type_index: 0, groups: [{ properties: [proCondition], rollout_percentage: 50 }] } });
  await createFlag({
    key: 'pricing',
    filters: {
      aggregation_group_type_index: 0,
      groups: [{ properties: [{ key: 'seats', value: 20, operator: 'gte', type: 'group', group_type_index: 0 }], rollout_percentage: 100 }],
      multivariate: { variants: [{ key: 'control', rollout_percentage: 50 }, { key: 'test', rollout_percentage: 50 }] },
      payloads: { test: '{"discount":10}', control: '{"discount":0}' },
    },
  });
  await createFlag({ key: 'acme-people', filters: { groups: [{ properties: [{ key: 'email', value: 'acme.io', operator: 'icontains', type: 'person' }], rollout_percentage: 100 }], payloads: { true: '"hello"' } } });
  await createFlag({ key: 'half-of-everyone', filters: { groups: [{ properties: [], rollout_percentage: 50 }] } });
  await createFlag({ key: 'switched-off', active: false, filters: { groups: [{ properties: [], rollout_percentage: 100 }] } });
});

afterAll(async () => {
  await posthog?.shutdown();
  await server?.stop();
});

describe('POST feature_flags/:id/evaluate', () => {
  it('answers what /flags answers, for every company and person and every flag', async () => {
    const subjects = [
      ...COMPANIES.map((c, i) => ({ distinctId: PERSONS[i % PERSONS.length].distinctId, groups: { company: c.key } })),
      ...PERSONS.map((p) => ({ distinctId: p.distinctId, groups: {} })),
    ];
    let enabledCount = 0;
    for (const subject of subjects) {
      const expected = await flagsAnswer(subject.distinctId, subject.groups);
      for (const key of Object.keys(flagIds)) {
        const res = await evaluate(key, { distinct_id: subject.distinctId, groups: subject.groups });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const want = expected[key];
        expect(res.body, `${key} for ${JSON.stringify(subject)}`).toEqual({ key, enabled: want.enabled, variant: want.variant, reason: want.reason, payload: want.metadata.payload });
        if (res.body.enabled) enabledCount++;
      }
    }
    // Both answers on and off were compared, not only "off" everywhere.
    expect(enabledCount).toBeGreaterThan(10);
  });

  it('reads the stored group properties: a pro company passes the plan filter, a free one never does', async () => {
    for (const c of COMPANIES) {
      const res = await evaluate('pro-half', { groups: { company: c.key } });
      expect(res.status).toBe(200);
      if (c.plan === 'free') expect(res.body).toMatchObject({ enabled: false, reason: { code: 'no_condition_match' } });
      else expect(['condition_match', 'out_of_rollout_bound']).toContain(res.body.reason.code);
    }
    const pricing = await evaluate('pricing', { groups: { company: 'acme_15' } });
    expect(pricing.body.enabled).toBe(true);
    expect(JSON.parse(pricing.body.payload!)).toEqual({ discount: pricing.body.variant === 'test' ? 10 : 0 });
    const person = await evaluate('acme-people', { distinct_id: 'person_0' });
    expect(person.body).toMatchObject({ enabled: true, variant: null, payload: '"hello"', reason: { code: 'condition_match', condition_index: 0 } });
    expect((await evaluate('switched-off', { distinct_id: 'person_0' })).body).toMatchObject({ enabled: false, reason: { code: 'flag_disabled' } });
  });

  it('says when a group flag is asked without its group', async () => {
    const res = await evaluate('pro-half', { distinct_id: 'person_1' });
    expect(res.body).toMatchObject({ enabled: false, reason: { code: 'no_group_type' } });
  });

  it('refuses an empty request with a 400 naming distinct_id', async () => {
    const res = await evaluate('acme-people', {});
    expect([res.status, (res.body as any).attr]).toEqual([400, 'distinct_id']);
  });

  it('answers 404 for an unknown or deleted flag', async () => {
    expect((await evaluate('999999', { distinct_id: 'person_0' })).status).toBe(404);
    expect((await evaluate('not-a-number', { distinct_id: 'person_0' })).status).toBe(404);
    await createFlag({ key: 'to-delete' });
    expect((await server.api(projectPath(`feature_flags/${flagIds['to-delete']}/`), { method: 'DELETE' })).status).toBe(204);
    expect((await evaluate('to-delete', { distinct_id: 'person_0' })).status).toBe(404);
  });

  it('answers 401 without credentials', async () => {
    expect((await evaluate('acme-people', { distinct_id: 'person_0' }, null)).status).toBe(401);
  });
});

describe('POST feature_flags/evaluate (an unsaved flag)', () => {
  const evaluateDraft = (body: unknown, key?: string | null) => server.api<Evaluation>(projectPath('feature_flags/evaluate/'), { method: 'POST', body, key });

  it('answers as the saved flag does when sent the same key, filters and active state', async () => {
    let enabledCount = 0;
    for (const key of ['pro-half', 'pricing', 'acme-people', 'half-of-everyone', 'switched-off']) {
      const saved = await server.api<{ key: string; active: boolean; filters: unknown }>(projectPath(`feature_flags/${flagIds[key]}/`));
      expect(saved.status).toBe(200);
      const subjects = [
        ...COMPANIES.slice(0, 6).map((c, i) => ({ distinct_id: PERSONS[i].distinctId, groups: { company: c.key } })),
        ...PERSONS.map((p) => ({ distinct_id: p.distinctId, groups: {} })),
      ];
      for (const subject of subjects) {
        const want = await evaluate(key, subject);
        const got = await evaluateDraft({ key, filters: saved.body.filters, active: saved.body.active, ...subject });
        expect(got.status, JSON.stringify(got.body)).toBe(200);
        expect(got.body, `${key} for ${JSON.stringify(subject)}`).toEqual(want.body);
        if (got.body.enabled) enabledCount++;
      }
    }
    expect(enabledCount).toBeGreaterThan(5);
  });

  it('evaluates what is sent, not what is saved', async () => {
    const filters = { groups: [{ properties: [{ key: 'email', value: 'other.org', operator: 'icontains', type: 'person' }], rollout_percentage: 100 }] };
    expect((await evaluate('acme-people', { distinct_id: 'person_1' })).body.enabled).toBe(false);
    expect((await evaluateDraft({ key: 'acme-people', filters, distinct_id: 'person_1' })).body).toMatchObject({ enabled: true, reason: { code: 'condition_match' } });
    expect((await evaluateDraft({ key: 'acme-people', filters, active: false, distinct_id: 'person_1' })).body).toMatchObject({ enabled: false, reason: { code: 'flag_disabled' } });
  });

  it('refuses bad filters with a 400 naming the field, as saving does', async () => {
    const bad = { groups: [{ properties: [], rollout_percentage: 150 }] };
    const res = await evaluateDraft({ key: 'draft', filters: bad, distinct_id: 'person_0' });
    expect(res.status).toBe(400);
    const saving = await server.api(projectPath('feature_flags/'), { method: 'POST', body: { key: 'draft-bad', filters: bad } });
    expect(saving.status).toBe(400);
    expect((res.body as any).attr).toBe((saving.body as any).attr);
    expect((res.body as any).attr).toMatch(/^filters/);
    expect((await evaluateDraft({ key: 'draft', filters: bad })).status).toBe(400);
    expect((await evaluateDraft({ key: 'not a key!', filters: { groups: [] }, distinct_id: 'person_0' })).body).toMatchObject({ attr: 'key' });
  });

  it('answers 401 without credentials', async () => {
    expect((await evaluateDraft({ key: 'draft', filters: { groups: [] }, distinct_id: 'person_0' }, null)).status).toBe(401);
  });
});
