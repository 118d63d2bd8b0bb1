// EventsQuery through the HTTP API: a group's events page by page, select columns, filters and
// time bounds, on a small fixture with known event ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupIdentify, runQuery, sendEvents, type RawEvent } from './support/query.js';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

let server: RunningServer;
let u1: string;

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ev = (n: number, event: string, distinct_id: string, timestamp: string, properties: Record<string, unknown>, company?: string): RawEvent => ({
  uuid: id(n),
  event,
  distinct_id,
  timestamp,
  properties: company ? { ...properties, $groups: { company } } : properties,
});
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

// acme's events: 1, 2, 4, 6 and 7 (6 and 7 share a timestamp), and 11 (1 h ago), 12 (30 h ago).
beforeAll(async () => {
  server = await startInProcessServer();
  await sendEvents(server, [
    groupIdentify('company', 'acme', { name: 'Acme', plan: 'pro' }),
    groupIdentify('company', 'beta', { plan: 'free' }),
    { event: '$identify', distinct_id: 'u1', timestamp: '2026-01-01T00:00:00Z', properties: { $set: { email: 'one@acme.io' } } },
    ev(1, 'pageview', 'u1', '2026-01-05T09:00:00Z', { $current_url: '/a', amount: 3 }, 'acme'),
    ev(2, 'click', 'u2', '2026-01-05T10:00:00Z', { $screen_name: 'Home' }, 'acme'),
    ev(3, 'pageview', 'u1', '2026-01-05T11:00:00Z', {}, 'beta'),
    ev(4, 'pageview', 'u3', '2026-01-06T09:00:00Z', { $current_url: '/b' }, 'acme'),
    ev(5, 'pageview', 'u1', '2026-01-06T10:00:00Z', {}),
    ev(6, 'click', 'u1', '2026-01-07T09:00:00Z', {}, 'acme'),
    ev(7, 'click', 'u4', '2026-01-07T09:00:00Z', { $process_person_profile: false }, 'acme'),
    ev(11, 'pageview', 'u1', hoursAgo(1), {}, 'acme'),
    ev(12, 'pageview', 'u1', hoursAgo(30), {}, 'acme'),
  ]);
  const { body } = await server.api('/api/projects/@current/persons/?distinct_id=u1');
  u1 = body.results[0].id;
});

afterAll(async () => {
  await server.stop();
});

interface EventsBody {
  columns: string[];
  results: unknown[][];
  types: string[];
  hasMore: boolean;
  limit: number;
  offset: number;
}

const acme = [{ key: '$group_0', value: 'acme', operator: 'exact', type: 'event' }];
const week = { after: '2026-01-01', before: '2026-01-08' };

async function events(query: Record<string, unknown>): Promise<EventsBody> {
  const { status, body } = await runQuery<EventsBody>(server, { kind: 'EventsQuery', select: ['uuid'], ...query });
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}
const uuids = (body: EventsBody) => body.results.map((r) => r[0]);

describe('EventsQuery for a group page', () => {
  it("lists a group's events newest first, page by page, ties broken by uuid", async () => {
    const first = await events({ ...week, fixedProperties: acme, select: ['uuid', 'event'], limit: 2 });
    expect(first.results).toEqual([
      [id(7), 'click'],
      [id(6), 'click'],
    ]);
    expect([first.columns, first.hasMore, first.limit, first.offset]).toEqual([['uuid', 'event'], true, 2, 0]);
    const second = await events({ ...week, fixedProperties: acme, limit: 2, offset: 2 });
    expect([uuids(second), second.hasMore]).toEqual([[id(4), id(2)], true]);
    const last = await events({ ...week, fixedProperties: acme, limit: 2, offset: 4 });
    expect([uuids(last), last.hasMore]).toEqual([[id(1)], false]);
  });

  it('answers the selected columns in order, as PostHog names them', async () => {
    const select = [
      '*',
      'event',
      'person',
      'coalesce(properties.$current_url, properties.$screen_name) -- Url / Screen',
      'properties.amount',
      'timestamp',
      'distinct_id',
      '$group_0',
      '$group_1',
    ];
    const body = await events({ select, after: '2026-01-05', before: '2026-01-05', properties: acme, orderBy: ['timestamp ASC'] });
    expect(body.columns).toEqual(select);
    expect(body.types).toEqual(['json', 'string', 'json', 'json', 'json', 'datetime', 'string', 'string', 'string']);
    const [first, second] = body.results;
    expect(first[0]).toMatchObject({
      uuid: id(1),
      event: 'pageview',
      distinct_id: 'u1',
      timestamp: '2026-01-05T09:00:00.000Z',
      elements_chain: '',
      properties: expect.objectContaining({ $current_url: '/a', amount: 3, $group_0: 'acme' }),
    });
    expect(first.slice(1)).toEqual([
      'pageview',
      { uuid: u1, distinct_id: 'u1', created_at: expect.any(String), properties: { email: 'one@acme.io' } },
      '/a',
      3,
      '2026-01-05T09:00:00.000Z',
      'u1',
      'acme',
      '',
    ]);
    expect(second.slice(3, 5)).toEqual(['Home', null]);
  });

  it('shows a personless event with its person id and no profile', async () => {
    const body = await events({ ...week, fixedProperties: acme, select: ['uuid', 'person'], limit: 1 });
    expect(body.results[0]).toEqual([id(7), { uuid: expect.any(String), distinct_id: 'u4', created_at: null, properties: {} }]);
  });

  it('reads the group key filter however the UI types it, and combines it with other filters', async () => {
    for (const type of ['event', 'event_metadata', 'group']) {
      const filter = [{ key: '$group_0', value: 'acme', operator: 'exact', type }];
      expect(uuids(await events({ ...week, properties: filter }))).toEqual([id(7), id(6), id(4), id(2), id(1)]);
    }
    expect(uuids(await events({ ...week, fixedProperties: acme, event: 'click' }))).toEqual([id(7), id(6), id(2)]);
    expect(uuids(await events({ ...week, fixedProperties: acme, properties: [{ key: 'amount', value: 1, operator: 'gt' }] }))).toEqual([id(1)]);
    expect(uuids(await events({ ...week, properties: [{ key: 'plan', value: 'free', type: 'group', group_type_index: 0 }] }))).toEqual([id(3)]);
    expect(uuids(await events({ ...week, personId: u1 }))).toEqual([id(6), id(5), id(3), id(1)]);
  });

  it('orders oldest first on request', async () => {
    expect(uuids(await events({ ...week, fixedProperties: acme, orderBy: ['timestamp ASC'] }))).toEqual([id(1), id(2), id(4), id(6), id(7)]);
  });

  it("defaults to the last 24 hours, as PostHog does; 'all' and relative bounds widen it", async () => {
    expect(uuids(await events({ fixedProperties: acme }))).toEqual([id(11)]);
    expect(uuids(await events({ fixedProperties: acme, after: '-2d' }))).toEqual([id(11), id(12)]);
    expect(uuids(await events({ fixedProperties: acme, after: 'all' }))).toHaveLength(7);
    // A date alone is a whole day: after its start, before its end.
    expect(uuids(await events({ fixedProperties: acme, after: '2026-01-05', before: '2026-01-05' }))).toEqual([id(2), id(1)]);
    expect(uuids(await events({ fixedProperties: acme, after: '2026-01-05T09:30:00Z', before: '2026-01-06T09:00:00' }))).toEqual([id(2)]);
  });

  it('rejects malformed queries with 400 naming the field', async () => {
    const bad = async (query: Record<string, unknown>, attr: string) => {
      const { status, body } = await runQuery(server, { kind: 'EventsQuery', select: ['uuid'], ...query });
      expect([status, body.attr], JSON.stringify(body)).toEqual([400, attr]);
      expect(body.detail).toBeTruthy();
    };
    await bad({ where: ['event = \'click\''] }, 'where');
    await bad({ select: [] }, 'select');
    await bad({ select: ['uuid', 'toString(event)'] }, 'select.1');
    await bad({ select: ['$group_7'] }, 'select.0');
    await bad({ orderBy: ['event DESC'] }, 'orderBy');
    await bad({ after: 'yesterday' }, 'after');
    await bad({ before: '05/01/2026' }, 'before');
    await bad({ limit: 0 }, 'limit');
    await bad({ limit: 5000 }, 'limit');
    await bad({ properties: [{ key: 'amount', operator: 'near', value: 1 }] }, 'properties.0.operator');
    await bad({ fixedProperties: [{ key: 'plan', value: 'pro', type: 'group' }] }, 'fixedProperties.0.group_type_index');
  });
});
