// TrendsQuery through the HTTP API on small hand-computed fixtures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupIdentify, runQuery, sendEvents, type RawEvent } from './support/query.js';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

let server: RunningServer;

const ev = (event: string, distinct_id: string, timestamp: string, properties: Record<string, unknown> = {}, groups?: Record<string, string>): RawEvent => ({
  event,
  distinct_id,
  timestamp,
  properties: groups ? { ...properties, $groups: groups } : properties,
});

beforeAll(async () => {
  server = await startInProcessServer();
  await sendEvents(server, [
    groupIdentify('company', 'c1', { name: 'Acme', plan: 'pro', seats: 10 }),
    groupIdentify('company', 'c2', { name: 'Beta', plan: 'free', seats: 2 }),
    groupIdentify('company', 'c3', { plan: 'pro' }),
    { event: '$identify', distinct_id: 'u1', timestamp: '2026-01-01T00:00:00Z', properties: { $set: { email: 'one@acme.io', age: 30 } } },
    { event: '$identify', distinct_id: 'u2', timestamp: '2026-01-01T00:00:00Z', properties: { $set: { email: 'two@beta.io', age: 41 } } },
    // Monday 2026-01-05 .. Sunday 2026-01-11
    ev('message_sent', 'u1', '2026-01-05T09:00:00Z', { amount: 10, channel: 'web' }, { company: 'c1' }),
    ev('message_sent', 'u1', '2026-01-05T10:00:00Z', { amount: 20, channel: 'web' }, { company: 'c1' }),
    ev('message_sent', 'u2', '2026-01-05T11:00:00Z', { amount: 30, channel: 'api' }, { company: 'c2' }),
    ev('message_sent', 'u3', '2026-01-06T09:00:00Z', { amount: 40 }, { company: 'c1' }),
    ev('message_sent', 'u2', '2026-01-07T09:00:00Z', { channel: 'Web' }),
    ev('message_sent', 'u4', '2026-01-07T23:59:59Z', { amount: 5, channel: 'api' }, { company: 'c3' }),
    ev('other', 'u1', '2026-01-06T12:00:00Z', {}, { company: 'c2' }),
    ev('renewal_checked', 'u1', '2026-01-05T08:00:00Z', { renews_at: '2026-02-01' }),
    ev('renewal_checked', 'u2', '2026-01-05T08:00:00Z', { renews_at: '2026-03-15T10:00:00Z' }),
    ev('renewal_checked', 'u3', '2026-01-05T08:00:00Z', { renews_at: 'someday' }),
    ev('renewal_checked', 'u4', '2026-01-05T08:00:00Z', {}),
    // A property whose name is a digit: a breakdown may name it with the number 0.
    ev('keyed_by_digit', 'u1', '2026-01-05T08:00:00Z', { 0: 'zero' }),
    ev('keyed_by_digit', 'u2', '2026-01-06T08:00:00Z', { 0: 'zero' }),
    ev('keyed_by_digit', 'u3', '2026-01-06T09:00:00Z', {}),
    ev('keyed_by_digit', 'u4', '2026-01-05T09:00:00Z', { 0: 'one' }),
    ev('keyed_by_digit', 'u1', '2026-01-07T08:00:00Z', { 0: 'zero' }),
  ]);
});

afterAll(async () => {
  await server.stop();
});

const range = { date_from: '2026-01-05', date_to: '2026-01-07' };
async function trend(series: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { status, body } = await runQuery(server, { kind: 'TrendsQuery', series: [{ kind: 'EventsNode', event: 'message_sent', ...series }], dateRange: range, ...extra });
  expect(status, JSON.stringify(body)).toBe(200);
  return body.results as { data: number[]; days: string[]; count: number; label: string; breakdown_value?: string; aggregated_value?: number }[];
}

describe('trends maths', () => {
  it('counts events per day, with every day of the range present', async () => {
    const [s] = await trend({});
    expect(s.days).toEqual(['2026-01-05', '2026-01-06', '2026-01-07']);
    expect(s.data).toEqual([3, 1, 2]);
    expect(s.count).toBe(6);
  });

  it('counts unique persons and unique companies, ignoring events without the company', async () => {
    expect((await trend({ math: 'dau' }))[0].data).toEqual([2, 1, 2]);
    expect((await trend({ math: 'unique_group', math_group_type_index: 0 }))[0].data).toEqual([2, 1, 1]);
  });

  it('computes property maths over numeric values only', async () => {
    expect((await trend({ math: 'sum', math_property: 'amount' }))[0].data).toEqual([60, 40, 5]);
    expect((await trend({ math: 'avg', math_property: 'amount' }))[0].data).toEqual([20, 40, 5]);
    expect((await trend({ math: 'min', math_property: 'amount' }))[0].data).toEqual([10, 40, 5]);
    expect((await trend({ math: 'max', math_property: 'amount' }))[0].data).toEqual([30, 40, 5]);
    expect((await trend({ math: 'median', math_property: 'amount' }))[0].data).toEqual([20, 40, 5]);
    expect((await trend({ math: 'p90', math_property: 'amount' }))[0].data).toEqual([28, 40, 5]);
  });

  it('counts events per actor, per person or per company', async () => {
    expect((await trend({ math: 'avg_count_per_actor' }))[0].data).toEqual([1.5, 1, 1]);
    expect((await trend({ math: 'max_count_per_actor' }))[0].data).toEqual([2, 1, 1]);
    expect((await trend({ math: 'avg_count_per_actor', math_group_type_index: 0 }))[0].data).toEqual([1.5, 1, 1]);
    expect((await trend({ math: 'min_count_per_actor', math_group_type_index: 0 }))[0].data).toEqual([1, 1, 1]);
  });

  it('counts distinct actors over the whole range for total-value displays', async () => {
    const [s] = await trend({ math: 'unique_group', math_group_type_index: 0 }, { trendsFilter: { display: 'BoldNumber' } });
    expect(s.aggregated_value).toBe(3);
    const [persons] = await trend({ math: 'dau' }, { trendsFilter: { display: 'ActionsTable' } });
    expect(persons.aggregated_value).toBe(4);
  });

  it('buckets by week starting on Sunday and by hour', async () => {
    const [weekly] = await trend({}, { interval: 'week', dateRange: { date_from: '2026-01-01', date_to: '2026-01-11' } });
    expect(weekly.days).toEqual(['2025-12-28', '2026-01-04', '2026-01-11']);
    expect(weekly.data).toEqual([0, 6, 0]);
    const [monthly] = await trend({}, { interval: 'month', dateRange: { date_from: '2025-12-15', date_to: '2026-02-01' } });
    expect(monthly.days).toEqual(['2025-12-01', '2026-01-01', '2026-02-01']);
    expect(monthly.data).toEqual([0, 6, 0]);
    const [hourly] = await trend({}, { interval: 'hour', dateRange: { date_from: '2026-01-05T09:00:00', date_to: '2026-01-05T11:00:00' } });
    expect(hourly.days).toEqual(['2026-01-05 09:00:00', '2026-01-05 10:00:00', '2026-01-05 11:00:00']);
    expect(hourly.data).toEqual([1, 1, 1]);
  });
});

describe('trends filters', () => {
  const count = async (properties: unknown[]) => (await trend({}, { properties }))[0].count;

  it('applies every operator to event properties', async () => {
    expect(await count([{ key: 'channel', value: 'web', operator: 'exact', type: 'event' }])).toBe(2);
    expect(await count([{ key: 'channel', value: ['web', 'api'], operator: 'exact', type: 'event' }])).toBe(4);
    expect(await count([{ key: 'channel', value: 'web', operator: 'is_not', type: 'event' }])).toBe(4);
    expect(await count([{ key: 'channel', value: 'WE', operator: 'icontains', type: 'event' }])).toBe(3);
    expect(await count([{ key: 'channel', value: 'we', operator: 'not_icontains', type: 'event' }])).toBe(3);
    expect(await count([{ key: 'channel', value: '^a', operator: 'regex', type: 'event' }])).toBe(2);
    expect(await count([{ key: 'channel', value: '^a', operator: 'not_regex', type: 'event' }])).toBe(4);
    // The engine's syntax (RE2), which is not JavaScript's: inline flags work.
    expect(await count([{ key: 'channel', value: '(?i)^A', operator: 'regex', type: 'event' }])).toBe(2);
    expect(await count([{ key: 'amount', value: 20, operator: 'gt', type: 'event' }])).toBe(2);
    expect(await count([{ key: 'amount', value: 20, operator: 'gte', type: 'event' }])).toBe(3);
    expect(await count([{ key: 'amount', value: 10, operator: 'lt', type: 'event' }])).toBe(1);
    expect(await count([{ key: 'amount', value: 10, operator: 'lte', type: 'event' }])).toBe(2);
    expect(await count([{ key: 'amount', operator: 'is_set', type: 'event' }])).toBe(5);
    expect(await count([{ key: 'amount', operator: 'is_not_set', type: 'event' }])).toBe(1);
  });

  it('compares dates with is_date_before and is_date_after, never matching non-dates', async () => {
    const dates = async (operator: string, value: string) =>
      (await trend({ event: 'renewal_checked' }, { properties: [{ key: 'renews_at', value, operator, type: 'event' }] }))[0].count;
    expect(await dates('is_date_before', '2026-03-01')).toBe(1);
    expect(await dates('is_date_after', '2026-03-01')).toBe(1);
    expect(await dates('is_date_after', '2026-01-01')).toBe(2);
  });

  it('filters on person and group properties; events without the group never match a positive group filter', async () => {
    expect(await count([{ key: 'email', value: 'acme', operator: 'icontains', type: 'person' }])).toBe(2);
    expect(await count([{ key: 'age', value: 35, operator: 'gt', type: 'person' }])).toBe(2);
    expect(await count([{ key: 'plan', value: 'pro', operator: 'exact', type: 'group', group_type_index: 0 }])).toBe(4);
    expect(await count([{ key: 'plan', value: 'pro', operator: 'is_not', type: 'group', group_type_index: 0 }])).toBe(2);
    expect(await count([{ key: 'seats', value: 5, operator: 'lt', type: 'group', group_type_index: 0 }])).toBe(1);
  });

  it('combines filter groups with OR and per-series filters with AND', async () => {
    const or = { type: 'OR', values: [{ type: 'AND', values: [{ key: 'channel', value: 'api', operator: 'exact' }] }, { type: 'AND', values: [{ key: 'amount', value: 30, operator: 'gte' }] }] };
    expect((await trend({}, { properties: or }))[0].count).toBe(3);
    expect((await trend({ properties: [{ key: 'channel', value: 'api', operator: 'exact' }] }, { properties: or }))[0].count).toBe(2);
  });

  it('answers zeros for events and properties never seen', async () => {
    const { body } = await runQuery(server, { kind: 'TrendsQuery', series: [{ event: 'never_seen' }], dateRange: range, properties: [{ key: 'nope', value: 'x' }] });
    expect(body.results[0].data).toEqual([0, 0, 0]);
  });

  it('rejects malformed queries with 400 and a message', async () => {
    const bad = async (query: Record<string, unknown>, attr: string) => {
      const { status, body } = await runQuery(server, { kind: 'TrendsQuery', series: [{ event: 'x' }], ...query });
      expect(status).toBe(400);
      expect(body.attr).toBe(attr);
    };
    await bad({ properties: [{ key: 'a', operator: 'near', value: 1 }] }, 'properties.0.operator');
    await bad({ series: [{ event: 'x', math: 'unique_group', math_group_type_index: 9 }] }, 'series.0.math_group_type_index');
    await bad({ dateRange: { date_from: 'yesterday-ish' } }, 'dateRange.date_from');
    await bad({ interval: 'fortnight' }, 'interval');
    await bad({ properties: [{ key: 'amount', operator: 'gt', value: 'lots' }] }, 'properties.0.value');
    // Patterns the engine cannot compile, wherever they sit: lookahead, backreference, unclosed group.
    await bad({ properties: [{ key: 'channel', operator: 'regex', value: '(?=a)' }] }, 'properties.0.value');
    await bad({ series: [{ event: 'x', properties: [{ key: 'channel', operator: 'not_regex', value: ['ok', '(a)\\1'] }] }] }, 'series.0.properties.0.value.1');
    await bad({ properties: { type: 'OR', values: [{ type: 'AND', values: [{ key: 'channel', operator: 'regex', value: '(' }] }] } }, 'properties.values.0.values.0.value');
    const { body } = await runQuery(server, { kind: 'TrendsQuery', series: [{ event: 'x' }], properties: [{ key: 'c', operator: 'regex', value: '(?<name>a)' }] });
    expect(body.detail).toMatch(/^"\(\?<name>a\)" is not a valid regular expression: /);
  });

  it('answers 400 to filter groups nested deeper than JSON may nest, and runs them up to that depth', async () => {
    // Built as text: JSON.stringify itself overflows the stack on the deeper one.
    const nested = (levels: number) => '{"type":"AND","values":['.repeat(levels) + '{"key":"plan","value":"pro","type":"group","group_type_index":0}' + ']}'.repeat(levels);
    const post = (levels: number) =>
      fetch(`${server.url}/api/projects/@current/query/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
        body: `{"query":{"kind":"TrendsQuery","series":[{"event":"x"}],"properties":${nested(levels)}}}`,
      });
    const deep = await post(5000);
    expect(deep.status).toBe(400);
    expect((await deep.json()).detail).toBe('Request body nests JSON deeper than 128 levels.');
    // Body, query and each group are a level (a group's values list is another): 62 groups fit.
    expect((await post(62)).status).toBe(200);
  });
});

describe('trends breakdowns', () => {
  it('breaks down by the company key, labelled with the company name, biggest first', async () => {
    const series = await trend({}, { breakdownFilter: { breakdown: '$group_0', breakdown_type: 'event' } });
    expect(series.map((s) => [s.breakdown_value, s.label, s.count])).toEqual([
      ['c1', 'Acme', 3],
      ['$$_posthog_breakdown_null_$$', 'None', 1],
      ['c2', 'Beta', 1],
      ['c3', 'c3', 1],
    ]);
  });

  it('takes a numeric breakdown as the property of that name, like a text one, limit included', async () => {
    for (const breakdown of [0, '0']) {
      const series = await trend({ event: 'keyed_by_digit' }, { breakdownFilter: { breakdown, breakdown_type: 'event', breakdown_limit: 1 } });
      expect(series.map((s) => [s.breakdown_value, s.data])).toEqual([
        ['zero', [1, 1, 1]],
        ['$$_posthog_breakdown_other_$$', [1, 1, 0]],
      ]);
    }
  });

  it('breaks down by a group property and limits values, recounting "other" distinctly', async () => {
    const series = await trend({ math: 'dau' }, { breakdownFilter: { breakdown: 'plan', breakdown_type: 'group', breakdown_group_type_index: 0, breakdown_limit: 1 } });
    expect(series.map((s) => [s.breakdown_value, s.data])).toEqual([
      ['pro', [1, 1, 1]],
      ['$$_posthog_breakdown_other_$$', [1, 0, 1]],
    ]);
  });

  it('compares with the previous period', async () => {
    const { body } = await runQuery(server, { kind: 'TrendsQuery', series: [{ event: 'message_sent' }], dateRange: { date_from: '2026-01-08', date_to: '2026-01-10' }, compareFilter: { compare: true } });
    const [current, previous] = body.results;
    expect([current.compare_label, current.data]).toEqual(['current', [0, 0, 0]]);
    expect([previous.compare_label, previous.days, previous.data]).toEqual(['previous', ['2026-01-05', '2026-01-06', '2026-01-07'], [3, 1, 2]]);
  });
});
