// ActorsQuery through the HTTP API: the persons or groups behind a trend point, on a small
// hand-computed fixture, and checked against the trend's own counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupIdentify, runQuery, sendEvents, type RawEvent } from './support/query.js';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

let server: RunningServer;
const personIds = new Map<string, string>();

const ev = (distinct_id: string, timestamp: string, properties: Record<string, unknown>, company?: string, event = 'msg'): RawEvent => ({
  event,
  distinct_id,
  timestamp,
  properties: company ? { ...properties, $groups: { company } } : properties,
});

// Days 2026-01-05..07, UTC. c3 is never identified; u5 sends personless events only.
//   05: u1 c1 web 09h, u1 c1 web 10h, u2 c2 api 11h, u3 c1 api 12h, u5 c3 web 13h (personless)
//   06: u1 c2 web 09h, u2 (no company, no channel) 10h
//   07: u4 c3 api 09h, u4 c3 api 10h, u1 c1 api 11h
beforeAll(async () => {
  server = await startInProcessServer();
  await sendEvents(server, [
    groupIdentify('company', 'c1', { name: 'Acme', plan: 'pro' }),
    groupIdentify('company', 'c2', { name: 'Beta', plan: 'free' }),
    { event: '$identify', distinct_id: 'u1', timestamp: '2026-01-01T00:00:00Z', properties: { $set: { email: 'one@acme.io' } } },
    { event: '$identify', distinct_id: 'u2', timestamp: '2026-01-01T00:00:00Z', properties: { $set: { email: 'two@beta.io' } } },
    ev('u1', '2026-01-05T09:00:00Z', { channel: 'web' }, 'c1'),
    ev('u1', '2026-01-05T10:00:00Z', { channel: 'web' }, 'c1'),
    ev('u2', '2026-01-05T11:00:00Z', { channel: 'api' }, 'c2'),
    ev('u3', '2026-01-05T12:00:00Z', { channel: 'api' }, 'c1'),
    ev('u5', '2026-01-05T13:00:00Z', { channel: 'web', $process_person_profile: false }, 'c3'),
    ev('u2', '2026-01-05T14:00:00Z', {}, 'c2', 'other'),
    ev('u1', '2026-01-06T09:00:00Z', { channel: 'web' }, 'c2'),
    ev('u2', '2026-01-06T10:00:00Z', {}),
    ev('u4', '2026-01-07T09:00:00Z', { channel: 'api' }, 'c3'),
    ev('u4', '2026-01-07T10:00:00Z', { channel: 'api' }, 'c3'),
    ev('u1', '2026-01-07T11:00:00Z', { channel: 'api' }, 'c1'),
  ]);
  for (const id of ['u1', 'u2', 'u3', 'u4']) {
    const { body } = await server.api(`/api/projects/@current/persons/?distinct_id=${id}`);
    personIds.set(id, body.results[0].id);
  }
});

afterAll(async () => {
  await server.stop();
});

const range = { date_from: '2026-01-05', date_to: '2026-01-07' };
const trendsQuery = (series: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  kind: 'TrendsQuery',
  series: [{ kind: 'EventsNode', event: 'msg', ...series }],
  dateRange: range,
  ...extra,
});

type Actor = Record<string, any>;
interface ActorsBody {
  results: unknown[][];
  columns: string[];
  types: string[];
  hasMore: boolean;
  limit: number;
  offset: number;
}

async function actors(source: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<ActorsBody> {
  const { status, body } = await runQuery<ActorsBody>(server, { kind: 'ActorsQuery', source: { kind: 'InsightActorsQuery', ...source }, ...extra });
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

/** Actor ids of a page: distinct ids for persons, keys for groups. */
const names = (body: ActorsBody) => body.results.map(([a]) => ((a as Actor).type === 'group' ? (a as Actor).group_key : ((a as Actor).distinct_ids[0] ?? (a as Actor).id)));

describe('actors of a trend point', () => {
  it('lists the persons of a day, most events first, then by id, with PostHog person actors', async () => {
    const body = await actors({ source: trendsQuery({ math: 'dau' }), day: '2026-01-05' });
    expect(body.columns).toEqual(['actor']);
    expect(body.types).toEqual(['json']);
    expect([body.hasMore, body.limit, body.offset]).toEqual([false, 100, 0]);
    expect(names(body)[0]).toBe('u1');
    expect(new Set(names(body))).toEqual(new Set(['u1', 'u2', 'u3', 'u5']));
    const tied = body.results.slice(1).map(([a]) => (a as Actor).id);
    expect(tied).toEqual([...tied].sort());

    const [u1] = body.results[0] as Actor[];
    expect(u1).toMatchObject({
      type: 'person',
      id: personIds.get('u1'),
      uuid: personIds.get('u1'),
      name: 'one@acme.io',
      distinct_ids: ['u1'],
      properties: { email: 'one@acme.io' },
      matched_recordings: [],
      value_at_data_point: null,
    });
    // A personless actor is listed (the trend counts it) without a profile.
    const u5 = body.results.map(([a]) => a as Actor).find((a) => a.distinct_ids[0] === 'u5');
    expect(u5).toMatchObject({ type: 'person', name: 'u5', properties: {}, is_identified: false, created_at: null });
  });

  it('lists groups for unique_group, with never-identified groups as bare keys', async () => {
    const body = await actors({ source: trendsQuery({ math: 'unique_group', math_group_type_index: 0 }), day: '2026-01-05' });
    expect(names(body)).toEqual(['c1', 'c2', 'c3']);
    expect(body.results[0][0]).toEqual({
      type: 'group',
      id: 'c1',
      group_key: 'c1',
      group_type_index: 0,
      created_at: '2026-01-01T00:00:00.000Z',
      properties: { name: 'Acme', plan: 'pro' },
      matched_recordings: [],
      value_at_data_point: null,
    });
    expect(body.results[2][0]).toEqual({
      type: 'group',
      id: 'c3',
      group_key: 'c3',
      group_type_index: 0,
      created_at: null,
      properties: {},
      matched_recordings: [],
      value_at_data_point: null,
    });
  });

  it('lists groups for per-actor maths over a group type, with their event counts', async () => {
    const body = await actors({ source: trendsQuery({ math: 'avg_count_per_actor', math_group_type_index: 0 }), day: '2026-01-07' }, { select: ['actor', 'event_count'] });
    expect(body.results.map(([a, n]) => [(a as Actor).group_key, n])).toEqual([
      ['c3', 2],
      ['c1', 1],
    ]);
    expect(body.types).toEqual(['json', 'integer']);
  });

  it('matches the trend count at every point, for persons, active users and groups', async () => {
    for (const series of [{ math: 'dau' }, { math: 'weekly_active' }, { math: 'unique_group', math_group_type_index: 0 }]) {
      const { body } = await runQuery(server, trendsQuery(series));
      const [trend] = body.results as { days: string[]; data: number[] }[];
      for (const [i, day] of trend.days.entries()) {
        const page = await actors({ source: trendsQuery(series), day });
        expect([series.math, day, page.results.length]).toEqual([series.math, day, trend.data[i]]);
      }
    }
  });

  it('lists the actors active in the window ending at the bucket for weekly_active', async () => {
    // The 7 days ending with 2026-01-06 hold every person but u4.
    const body = await actors({ source: trendsQuery({ math: 'weekly_active' }), day: '2026-01-06' }, { select: ['actor', 'event_count'] });
    expect(body.results.map(([a, n]) => [(a as Actor).distinct_ids[0], n]).sort()).toEqual([
      ['u1', 3],
      ['u2', 2],
      ['u3', 1],
      ['u5', 1],
    ]);
  });

  it('uses the whole range without a day, ordered by matching events', async () => {
    const body = await actors(
      { source: trendsQuery({ math: 'unique_group', math_group_type_index: 0 }, { trendsFilter: { display: 'BoldNumber' } }) },
      { select: ['actor', 'event_count', 'actor_id'] },
    );
    expect(body.results.map(([, n, id]) => [id, n])).toEqual([
      ['c1', 4],
      ['c3', 3],
      ['c2', 2],
    ]);
  });

  it('applies the insight filters and the breakdown value, including the null bucket', async () => {
    const source = trendsQuery(
      { math: 'dau' },
      { breakdownFilter: { breakdown: 'channel', breakdown_type: 'event' }, properties: [{ key: 'plan', value: 'pro', operator: 'exact', type: 'group', group_type_index: 0 }] },
    );
    expect(names(await actors({ source, day: '2026-01-05', breakdown: 'web' }, { select: ['actor'] }))).toEqual(['u1']);
    expect(names(await actors({ source, day: '2026-01-05', breakdown: 'api' }))).toEqual(['u3']);
    expect(names(await actors({ source, day: '2026-01-07', breakdown: 'api' }))).toEqual(['u1']);
    expect(names(await actors({ source, day: '2026-01-06', breakdown: 'web' }))).toEqual([]);

    const unfiltered = trendsQuery({ math: 'dau' }, { breakdownFilter: { breakdown: 'channel', breakdown_type: 'event' } });
    expect(names(await actors({ source: unfiltered, day: '2026-01-06', breakdown: '$$_posthog_breakdown_null_$$' }))).toEqual(['u2']);
    expect(names(await actors({ source: unfiltered, day: '2026-01-06' })).sort()).toEqual(['u1', 'u2']);
  });

  it('lists the "other" breakdown as the trend folds it, past the breakdown limit', async () => {
    // Totals per channel: api 4, web 3, none 1; with a limit of 1 only api stays on its own.
    const source = trendsQuery({ math: 'dau' }, { breakdownFilter: { breakdown: 'channel', breakdown_type: 'event', breakdown_limit: 1 } });
    const { body } = await runQuery(server, source);
    const other = (body.results as { breakdown_value: string; data: number[] }[]).find((s) => s.breakdown_value === '$$_posthog_breakdown_other_$$')!;
    expect(other.data).toEqual([2, 2, 0]);
    expect(names(await actors({ source, day: '2026-01-05', breakdown: '$$_posthog_breakdown_other_$$' })).sort()).toEqual(['u1', 'u5']);
    expect(names(await actors({ source, day: '2026-01-06', breakdown: '$$_posthog_breakdown_other_$$' })).sort()).toEqual(['u1', 'u2']);
    expect(names(await actors({ source, day: '2026-01-05', breakdown: 'api' })).sort()).toEqual(['u2', 'u3']);
  });

  it('breaks down by company key and reads hourly and compared points', async () => {
    const byCompany = trendsQuery({ math: 'dau' }, { breakdownFilter: { breakdown: '$group_0', breakdown_type: 'event' } });
    expect(names(await actors({ source: byCompany, day: '2026-01-05', breakdown: 'c1' }))).toEqual(['u1', 'u3']);

    const hourly = trendsQuery({ math: 'dau' }, { interval: 'hour', dateRange: { date_from: '2026-01-05T09:00:00', date_to: '2026-01-05T12:00:00' } });
    expect(names(await actors({ source: hourly, day: '2026-01-05 12:00:00' }))).toEqual(['u3']);

    const compared = trendsQuery({ math: 'dau' }, { dateRange: { date_from: '2026-01-08', date_to: '2026-01-10' }, compareFilter: { compare: true } });
    expect(names(await actors({ source: compared, day: '2026-01-07', compare: 'previous' })).sort()).toEqual(['u1', 'u4']);
    expect(names(await actors({ source: compared, day: '2026-01-08', compare: 'current' }))).toEqual([]);
  });

  it('picks the series by index', async () => {
    const source = { ...trendsQuery({}), series: [{ event: 'msg' }, { event: 'other', math: 'unique_group', math_group_type_index: 0 }] };
    expect(names(await actors({ source, day: '2026-01-05', series: 1 }))).toEqual(['c2']);
  });
});

describe('actor pages', () => {
  const source = trendsQuery({ math: 'unique_group', math_group_type_index: 0 });

  it('pages with limit and offset, saying whether more follow', async () => {
    const first = await actors({ source, day: '2026-01-05' }, { limit: 2 });
    expect([names(first), first.hasMore, first.limit, first.offset]).toEqual([['c1', 'c2'], true, 2, 0]);
    const second = await actors({ source, day: '2026-01-05' }, { limit: 2, offset: 2 });
    expect([names(second), second.hasMore, second.offset]).toEqual([['c3'], false, 2]);
    const middle = await actors({ source, day: '2026-01-05' }, { limit: 1, offset: 1 });
    expect([names(middle), middle.hasMore]).toEqual([['c2'], true]);
    const past = await actors({ source, day: '2026-01-05' }, { offset: 10 });
    expect([names(past), past.hasMore]).toEqual([[], false]);
  });

  it('orders by event count or actor id, as PostHog\'s persons modal asks', async () => {
    expect(names(await actors({ source, day: '2026-01-05' }, { orderBy: ['actor_id DESC'] }))).toEqual(['c3', 'c2', 'c1']);
    expect(names(await actors({ source, day: '2026-01-05' }, { orderBy: ['event_count DESC, actor_id DESC'] }))).toEqual(['c1', 'c3', 'c2']);
    expect(names(await actors({ source, day: '2026-01-05' }, { orderBy: ['event_count ASC', 'actor_id ASC'] }))).toEqual(['c2', 'c3', 'c1']);
  });

  it('searches actor ids and properties, case-insensitively', async () => {
    expect(names(await actors({ source, day: '2026-01-05' }, { search: 'ACME' }))).toEqual(['c1']);
    expect(names(await actors({ source, day: '2026-01-05' }, { search: 'c3' }))).toEqual(['c3']);
    expect(names(await actors({ source: trendsQuery({ math: 'dau' }), day: '2026-01-05' }, { search: 'beta.io' }))).toEqual(['u2']);
  });

  it('rejects malformed queries with 400 naming the field', async () => {
    const bad = async (query: Record<string, unknown>, attr: string) => {
      const { status, body } = await runQuery(server, { kind: 'ActorsQuery', ...query });
      expect([status, body.attr], JSON.stringify(body)).toEqual([400, attr]);
      expect(body.detail).toBeTruthy();
    };
    const point = { kind: 'InsightActorsQuery', source: trendsQuery({ math: 'dau' }), day: '2026-01-05' };
    await bad({}, 'source');
    await bad({ source: { kind: 'StickinessActorsQuery' } }, 'source.kind');
    await bad({ source: { ...point, source: { kind: 'LifecycleQuery' } } }, 'source.source.kind');
    await bad({ source: { ...point, series: 3 } }, 'source.series');
    await bad({ source: { ...point, day: 'tomorrow' } }, 'source.day');
    await bad({ source: { ...point, day: '2026-02-01' } }, 'source.day');
    await bad({ source: { ...point, breakdown: 'web' } }, 'source.breakdown');
    await bad({ source: { ...point, compare: 'previous' } }, 'source.compare');
    await bad({ source: { ...point, source: trendsQuery({ math: 'unique_group', math_group_type_index: 9 }) } }, 'source.source.series.0.math_group_type_index');
    await bad({ source: { ...point, source: trendsQuery({}, { properties: [{ key: 'n', operator: 'gt', value: 'x' }] }) } }, 'source.source.properties.0.value');
    await bad({ source: point, select: ['actor', 'email'] }, 'select.1');
    await bad({ source: point, orderBy: ['created_at DESC'] }, 'orderBy.0');
    await bad({ source: point, limit: 5000 }, 'limit');
    await bad({ source: point, offset: -1 }, 'offset');
    await bad({ source: point, properties: [{ key: 'email', value: 'x', type: 'person' }] }, 'properties');
  });
});

describe('actors of a funnel step', () => {
  // Ordered steps signed_up -> created_project -> upgraded_plan, 14-day window, companies f1..f5:
  //   f1: signed_up (p1), created_project (p2), upgraded_plan (p1)  -> step 3
  //   f2: signed_up (p3), created_project (p3)                       -> step 2
  //   f3: signed_up (p4)                                             -> step 1
  //   f4: created_project (p5) only                                  -> not in the funnel
  //   f5: signed_up (p6), upgraded_plan (p6), no created_project     -> step 1
  // By person: p1 step 1 (created_project was p2's), p3 step 2, p4 step 1, p6 step 1.
  beforeAll(async () => {
    const step = (event: string, distinct_id: string, timestamp: string, company: string) => ev(distinct_id, timestamp, {}, company, event);
    await sendEvents(server, [
      groupIdentify('company', 'f1', { name: 'Funnel One' }),
      step('signed_up', 'p1', '2026-01-05T09:00:00Z', 'f1'),
      step('created_project', 'p2', '2026-01-05T10:00:00Z', 'f1'),
      step('upgraded_plan', 'p1', '2026-01-06T09:00:00Z', 'f1'),
      step('signed_up', 'p3', '2026-01-05T11:00:00Z', 'f2'),
      step('created_project', 'p3', '2026-01-06T10:00:00Z', 'f2'),
      step('signed_up', 'p4', '2026-01-05T12:00:00Z', 'f3'),
      step('created_project', 'p5', '2026-01-05T13:00:00Z', 'f4'),
      step('signed_up', 'p6', '2026-01-06T11:00:00Z', 'f5'),
      step('upgraded_plan', 'p6', '2026-01-07T11:00:00Z', 'f5'),
    ]);
  });

  const funnel = (extra: Record<string, unknown> = {}) => ({
    kind: 'FunnelsQuery',
    series: ['signed_up', 'created_project', 'upgraded_plan'].map((event) => ({ kind: 'EventsNode', event })),
    dateRange: { date_from: '2026-01-05', date_to: '2026-01-10' },
    funnelsFilter: { funnelWindowInterval: 14, funnelWindowIntervalUnit: 'day', funnelOrderType: 'ordered' },
    ...extra,
  });
  async function stepActors(funnelStep: number, source = funnel({ aggregation_group_type_index: 0 }), extra: Record<string, unknown> = {}, funnelStepBreakdown?: unknown) {
    const { status, body } = await runQuery<ActorsBody>(server, { kind: 'ActorsQuery', source: { kind: 'FunnelsActorsQuery', source, funnelStep, funnelStepBreakdown }, ...extra });
    expect(status, JSON.stringify(body)).toBe(200);
    return body;
  }

  it('lists the groups that reached a step, and those that dropped off before it', async () => {
    expect(names(await stepActors(1)).sort()).toEqual(['f1', 'f2', 'f3', 'f5']);
    expect(names(await stepActors(2)).sort()).toEqual(['f1', 'f2']);
    const reachedLast = await stepActors(3);
    expect(reachedLast.results).toEqual([
      [
        {
          type: 'group',
          id: 'f1',
          group_key: 'f1',
          group_type_index: 0,
          created_at: '2026-01-01T00:00:00.000Z',
          properties: { name: 'Funnel One' },
          matched_recordings: [],
          value_at_data_point: null,
        },
      ],
    ]);
    expect(names(await stepActors(-2)).sort()).toEqual(['f3', 'f5']);
    expect(names(await stepActors(-3))).toEqual(['f2']);
  });

  it('lists persons when the funnel is not aggregated by group', async () => {
    expect(names(await stepActors(1, funnel())).sort()).toEqual(['p1', 'p3', 'p4', 'p6']);
    expect(names(await stepActors(2, funnel()))).toEqual(['p3']);
    expect(names(await stepActors(-2, funnel())).sort()).toEqual(['p1', 'p4', 'p6']);
    const byCompany = funnel({ breakdownFilter: { breakdown: '$group_0', breakdown_type: 'event' } });
    expect(names(await stepActors(1, byCompany, {}, 'f2'))).toEqual(['p3']);
    expect(names(await stepActors(1, byCompany, {}, ['f3']))).toEqual(['p4']);
  });

  it('pages through a step without repeating or skipping actors', async () => {
    const first = await stepActors(1, undefined, { limit: 3 });
    const second = await stepActors(1, undefined, { limit: 3, offset: 3 });
    expect([first.results.length, first.hasMore, second.results.length, second.hasMore]).toEqual([3, true, 1, false]);
    expect([...names(first), ...names(second)].sort()).toEqual(['f1', 'f2', 'f3', 'f5']);
  });

  it('rejects what a funnel step cannot answer', async () => {
    const bad = async (query: Record<string, unknown>, attr: string) => {
      const { status, body } = await runQuery(server, { kind: 'ActorsQuery', ...query });
      expect([status, body.attr], JSON.stringify(body)).toEqual([400, attr]);
    };
    const source = { kind: 'FunnelsActorsQuery', source: funnel({ aggregation_group_type_index: 0 }), funnelStep: 1 };
    await bad({ source: { ...source, funnelStep: 0 } }, 'source.funnelStep');
    await bad({ source: { ...source, funnelStep: undefined } }, 'source.funnelStep');
    await bad({ source: { ...source, funnelStep: 4 } }, 'source.funnelStep');
    await bad({ source: { ...source, source: funnel({ aggregation_group_type_index: 7 }) } }, 'source.source.aggregation_group_type_index');
    await bad({ source, select: ['actor', 'event_count'] }, 'select.1');
    await bad({ source, orderBy: ['actor_id DESC'] }, 'orderBy');
    await bad({ source, search: 'f1' }, 'search');
    await bad({ source: { ...source, funnelTrendsDropOff: true } }, 'source.funnelTrendsDropOff');
  });
});
