// Saved insights API: create, list, read, rename, replace the query, delete; queries validated
// with the query API's own schemas (400 naming the field); 401 without credentials; another
// project's insights out of reach. Also the event definitions the web app's pickers use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendEvents } from './support/query.js';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

let server: RunningServer;

const trendsQuery = {
  kind: 'TrendsQuery',
  series: [{ kind: 'EventsNode', event: 'signed_up', math: 'unique_group', math_group_type_index: 0 }],
  interval: 'day',
  dateRange: { date_from: '-7d' },
};
const funnelsQuery = {
  kind: 'FunnelsQuery',
  series: [{ event: 'signed_up' }, { event: 'paid' }],
  aggregation_group_type_index: 0,
  funnelsFilter: { funnelWindowInterval: 7, funnelWindowIntervalUnit: 'day', funnelOrderType: 'ordered' },
};

const insights = '/api/projects/@current/insights/';

async function create(body: unknown, key?: string) {
  return server.api(insights, { method: 'POST', body, key });
}

beforeAll(async () => {
  server = await startInProcessServer();
});

afterAll(async () => {
  await server.stop();
});

describe('saved insights API', () => {
  it('creates, lists, reads, renames, changes and deletes an insight', async () => {
    const created = await create({ name: 'Weekly active companies', query: trendsQuery });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ name: 'Weekly active companies', query: { kind: 'TrendsQuery', series: [{ event: 'signed_up', math: 'unique_group', math_group_type_index: 0 }] } });
    expect(created.body.short_id).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(created.body.id).toBe(created.body.short_id);
    expect(Date.parse(created.body.created_at)).not.toBeNaN();
    const id = created.body.id as string;

    const funnel = await create({ name: 'Signup to paid', query: funnelsQuery });
    expect(funnel.status).toBe(201);

    const list = await server.api(insights);
    expect(list.status).toBe(200);
    expect(list.body.results.map((i: { name: string }) => i.name).sort()).toEqual(['Signup to paid', 'Weekly active companies']);
    expect(list.body.count).toBe(2);

    const read = await server.api(`${insights}${id}/`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const renamed = await server.api(`${insights}${id}/`, { method: 'PATCH', body: { name: 'Active companies' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, name: 'Active companies', query: created.body.query });
    expect(Date.parse(renamed.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_at));

    const requeried = await server.api(`${insights}${id}/`, { method: 'PATCH', body: { query: { ...trendsQuery, interval: 'week' } } });
    expect(requeried.body).toMatchObject({ name: 'Active companies', query: { interval: 'week' } });
    expect((await server.api(`${insights}${id}/`)).body.query.interval).toBe('week');

    expect((await server.api(`${insights}${id}/`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`${insights}${id}/`)).status).toBe(404);
    expect((await server.api(`${insights}${id}/`, { method: 'DELETE' })).status).toBe(404);
    expect((await server.api(insights)).body.results.map((i: { name: string }) => i.name)).toEqual(['Signup to paid']);
  });

  it('refuses bad names and queries with a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ query: trendsQuery }, 'name'],
      [{ name: '   ', query: trendsQuery }, 'name'],
      [{ name: 'x' }, 'query'],
      [{ name: 'x', query: { kind: 'HogQLQuery', query: 'select 1' } }, 'query.kind'],
      [{ name: 'x', query: { kind: 'TrendsQuery', series: [] } }, 'query.series'],
      [{ name: 'x', query: { ...trendsQuery, interval: 'fortnight' } }, 'query.interval'],
      [{ name: 'x', query: { ...trendsQuery, series: [{ event: 'a', math: 'mode' }] } }, 'query.series.0.math'],
      [{ name: 'x', query: { ...trendsQuery, properties: [{ key: 'plan', value: 'pro', operator: 'is_like' }] } }, 'query.properties.0.operator'],
      [{ name: 'x', query: { ...funnelsQuery, series: [{ event: 'only-one' }] } }, 'query.series'],
      [{ name: 'x', query: { ...funnelsQuery, funnelsFilter: { funnelOrderType: 'sideways' } } }, 'query.funnelsFilter.funnelOrderType'],
      [{ name: 'x', query: { ...funnelsQuery, aggregation_group_type_index: 9 } }, 'query.aggregation_group_type_index'],
      [{ name: 'x', query: { ...trendsQuery, series: [{ event: 'a', math: 'unique_group', math_group_type_index: 7 }] } }, 'query.series.0.math_group_type_index'],
      // Wherever an index sits: in a nested AND/OR group, in a funnel exclusion's filters.
      [
        { name: 'x', query: { ...trendsQuery, properties: { type: 'OR', values: [{ type: 'AND', values: [{ key: 'plan', value: 'pro', type: 'group', group_type_index: 5 }] }] } } },
        'query.properties.values.0.values.0.group_type_index',
      ],
      [
        {
          name: 'x',
          query: {
            ...funnelsQuery,
            series: [{ event: 'a' }, { event: 'b' }],
            funnelsFilter: { exclusions: [{ event: 'c', funnelFromStep: 0, funnelToStep: 1, properties: [{ key: 'plan', value: 'pro', type: 'group', group_type_index: 6 }] }] },
          },
        },
        'query.funnelsFilter.exclusions.0.properties.0.group_type_index',
      ],
    ];
    for (const [body, attr] of cases) {
      const res = await create(body);
      expect([res.status, res.body.attr], JSON.stringify(body)).toEqual([400, attr]);
      expect(res.body.detail).toMatch(/\S/);
    }
    const saved = await create({ name: 'keeps', query: trendsQuery });
    const badPatch = await server.api(`${insights}${saved.body.id}/`, { method: 'PATCH', body: { query: { kind: 'FunnelsQuery', series: [] } } });
    expect([badPatch.status, badPatch.body.attr]).toEqual([400, 'query.series']);
    expect((await server.api(`${insights}${saved.body.id}/`)).body.query.kind).toBe('TrendsQuery');
  });

  it('answers 401 without credentials and 401 with a wrong key', async () => {
    for (const key of [null, 'phx_not_a_key']) {
      expect((await server.api(insights, { key })).status).toBe(401);
      expect((await server.api(insights, { method: 'POST', body: { name: 'x', query: trendsQuery }, key })).status).toBe(401);
      expect((await server.api(`${insights}anything/`, { method: 'DELETE', key })).status).toBe(401);
    }
    expect((await server.api('/api/projects/@current/event_definitions/', { key: null })).status).toBe(401);
  });

  it("never shows another project's insights", async () => {
    const other = await server.api('/api/projects/', { method: 'POST', body: { name: 'Other project' } });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    const otherKey = other.body.personal_api_key as string;
    const mine = await create({ name: 'Mine only', query: trendsQuery });
    const theirs = await create({ name: 'Theirs only', query: funnelsQuery }, otherKey);
    expect(theirs.status).toBe(201);

    const theirList = await server.api(insights, { key: otherKey });
    expect(theirList.body.results.map((i: { name: string }) => i.name)).toEqual(['Theirs only']);
    expect((await server.api(insights)).body.results.map((i: { name: string }) => i.name)).not.toContain('Theirs only');
    // Reading, changing or deleting the other project's insight by id is a 404.
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await server.api(`${insights}${theirs.body.id}/`, { method, body: method === 'PATCH' ? { name: 'stolen' } : undefined });
      expect(res.status, method).toBe(404);
      expect((await server.api(`${insights}${mine.body.id}/`, { method, key: otherKey, body: method === 'PATCH' ? { name: 'stolen' } : undefined })).status).toBe(404);
    }
    expect((await server.api(`${insights}${theirs.body.id}/`, { key: otherKey })).body.name).toBe('Theirs only');
    // A personal API key cannot name another project's id.
    expect((await server.api(`/api/projects/${other.body.id}/insights/`)).status).toBe(403);
  });
});

describe('event definitions', () => {
  it('lists the project’s event names with their counts, most frequent first', async () => {
    const events = [
      ...Array.from({ length: 3 }, (_, i) => ({ event: 'page_viewed', distinct_id: `u${i}`, timestamp: `2026-01-0${i + 1}T10:00:00Z` })),
      { event: 'signed_up', distinct_id: 'u1', timestamp: '2026-01-02T11:00:00Z' },
      { event: 'signed_up', distinct_id: 'u2', timestamp: '2026-01-02T12:00:00Z' },
      { event: 'paid', distinct_id: 'u1', timestamp: '2026-01-03T09:00:00Z' },
    ];
    await sendEvents(server, events);
    const expected = new Map<string, number>();
    for (const e of events) expected.set(e.event, (expected.get(e.event) ?? 0) + 1);

    let body: { results: { name: string; count: number; last_seen_at: string | null }[] } = { results: [] };
    await expect
      .poll(async () => {
        body = (await server.api('/api/projects/@current/event_definitions/')).body;
        return body.results.reduce((sum, r) => sum + r.count, 0);
      })
      .toBe(events.length);
    expect(body.results.map((r) => [r.name, r.count])).toEqual([...expected].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
    expect(body.results.find((r) => r.name === 'paid')?.last_seen_at).toMatch(/^2026-01-03T09:00:00/);

    const searched = (await server.api('/api/projects/@current/event_definitions/?search=SIGN')).body;
    expect(searched.results.map((r: { name: string }) => r.name)).toEqual(['signed_up']);
  });
});
