// Tests of the reference implementation itself: small fixtures whose expected numbers were
// worked out by hand (written in the comments), the 34 ClickHouse windowFunnel vectors, and the
// dataset generator's invariants.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BREAKDOWN_NULL,
  BREAKDOWN_OTHER,
  bucketStart,
  funnel,
  groupMapKey,
  matchesProperties,
  quantile,
  trends,
  trendsBreakdown,
  trendsBreakdownTotalValue,
  trendsTotalValue,
  type FunnelQuery,
  type GroupKeys,
  type PropertyFilter,
  type PropertyFilterInput,
  type RefDataset,
  type RefEvent,
  type RefGroup,
  type RefPerson,
  type TrendsMath,
  type TrendsQuery,
} from './insights-reference.js';
import { defaultDataset, generateDataset, toCaptureBatches } from './generate-dataset.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------
// Fixture helpers
// ---------------------------------------------------------------------------------------------

let uuidCounter = 0;

function ev(
  event: string,
  iso: string,
  personId: string,
  properties: Record<string, unknown> = {},
  groups: Partial<Record<0 | 1 | 2 | 3 | 4, string>> = {},
  uuid?: string,
): RefEvent {
  const groupKeys: GroupKeys = ['', '', '', '', ''];
  for (const [slot, key] of Object.entries(groups)) groupKeys[Number(slot)] = key as string;
  return {
    uuid: uuid ?? `uuid-${++uuidCounter}`,
    event,
    distinctId: personId,
    personId,
    timestamp: new Date(iso),
    properties,
    groupKeys,
  };
}

function dataset(events: RefEvent[], persons: RefPerson[] = [], groups: RefGroup[] = []): RefDataset {
  return {
    events,
    persons: new Map(persons.map((p) => [p.id, p])),
    groups: new Map(groups.map((g) => [groupMapKey(g.groupTypeIndex, g.groupKey), g])),
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Property filters
// ---------------------------------------------------------------------------------------------

describe('property filters', () => {
  // e1: p1 (person), company acme (identified)
  // e2: p2 (no person entry), no group
  // e3: p1, company beta_co (never identified)
  // e4: p3, company acme, plan explicitly null
  const ds = dataset(
    [
      ev('x', '2026-01-05T00:00:00Z', 'p1', { plan: 'pro', amount: 10, browser: 'Chrome', flag: true, when: '2026-01-02T00:00:00Z' }, { 0: 'acme' }, 'e1'),
      ev('x', '2026-01-05T01:00:00Z', 'p2', { plan: 'free', amount: '25', browser: 'Firefox', when: 'not a date' }, {}, 'e2'),
      ev('x', '2026-01-05T02:00:00Z', 'p1', { amount: 'abc', browser: 'chrome mobile', flag: false }, { 0: 'beta_co' }, 'e3'),
      ev('x', '2026-01-05T03:00:00Z', 'p3', { plan: null, amount: 5.5 }, { 0: 'acme' }, 'e4'),
    ],
    [
      { id: 'p1', properties: { plan: 'pro', age: 30, email: 'Ann@Example.com' } },
      { id: 'p3', properties: { plan: 'free', age: 20 } },
    ],
    [{ groupTypeIndex: 0, groupKey: 'acme', properties: { plan: 'enterprise', seats: 50 } }],
  );
  const matching = (filters: PropertyFilterInput) =>
    ds.events.filter((e) => matchesProperties(ds, e, filters)).map((e) => e.uuid);
  const one = (f: PropertyFilter) => matching([f]);

  it('exact: a value or any of a list, compared as strings; missing/null never match', () => {
    expect(one({ key: 'plan', value: 'pro', operator: 'exact', type: 'event' })).toEqual(['e1']);
    expect(one({ key: 'plan', value: 'pro', type: 'event' })).toEqual(['e1']); // default operator
    expect(one({ key: 'plan', value: ['pro', 'free'], operator: 'exact', type: 'event' })).toEqual(['e1', 'e2']);
    expect(one({ key: 'amount', value: 10, operator: 'exact', type: 'event' })).toEqual(['e1']);
    expect(one({ key: 'amount', value: '10', operator: 'exact', type: 'event' })).toEqual(['e1']);
    expect(one({ key: 'amount', value: 25, operator: 'exact', type: 'event' })).toEqual(['e2']); // '25' string prop
    expect(one({ key: 'flag', value: 'true', operator: 'exact', type: 'event' })).toEqual(['e1']);
    expect(one({ key: 'flag', value: false, operator: 'exact', type: 'event' })).toEqual(['e3']);
    expect(one({ key: 'plan', value: 'PRO', operator: 'exact', type: 'event' })).toEqual([]); // case-sensitive
  });

  it('is_not: missing and null match; a list matches when equal to none', () => {
    expect(one({ key: 'plan', value: 'pro', operator: 'is_not', type: 'event' })).toEqual(['e2', 'e3', 'e4']);
    expect(one({ key: 'plan', value: ['pro', 'free'], operator: 'is_not', type: 'event' })).toEqual(['e3', 'e4']);
  });

  it('icontains / not_icontains: case-insensitive substring; not_icontains matches missing', () => {
    expect(one({ key: 'browser', value: 'CHROME', operator: 'icontains', type: 'event' })).toEqual(['e1', 'e3']);
    expect(one({ key: 'browser', value: 'chrome', operator: 'not_icontains', type: 'event' })).toEqual(['e2', 'e4']);
    expect(one({ key: 'amount', value: '5', operator: 'icontains', type: 'event' })).toEqual(['e2', 'e4']); // '25', '5.5'
    expect(one({ key: 'browser', value: ['fire', 'MOBILE'], operator: 'icontains', type: 'event' })).toEqual(['e2', 'e3']);
  });

  it('regex / not_regex: JS RegExp, case-sensitive; not_regex matches missing', () => {
    expect(one({ key: 'browser', value: '^[Cc]hrome', operator: 'regex', type: 'event' })).toEqual(['e1', 'e3']);
    expect(one({ key: 'browser', value: '^Chrome$', operator: 'regex', type: 'event' })).toEqual(['e1']);
    expect(one({ key: 'browser', value: '^Chrome$', operator: 'not_regex', type: 'event' })).toEqual(['e2', 'e3', 'e4']);
    expect(one({ key: 'amount', value: '^\\d+$', operator: 'regex', type: 'event' })).toEqual(['e1', 'e2']); // 10, '25'
  });

  it('gt/gte/lt/lte: numeric; numeric strings count, non-numeric and missing never match', () => {
    expect(one({ key: 'amount', value: 9, operator: 'gt', type: 'event' })).toEqual(['e1', 'e2']); // 10, '25'
    expect(one({ key: 'amount', value: '10', operator: 'gte', type: 'event' })).toEqual(['e1', 'e2']);
    expect(one({ key: 'amount', value: 10, operator: 'gt', type: 'event' })).toEqual(['e2']);
    expect(one({ key: 'amount', value: 10, operator: 'lt', type: 'event' })).toEqual(['e4']); // 5.5; 'abc' never
    expect(one({ key: 'amount', value: 5.5, operator: 'lte', type: 'event' })).toEqual(['e4']);
    expect(one({ key: 'nope', value: 0, operator: 'gt', type: 'event' })).toEqual([]);
    expect(one({ key: 'nope', value: 0, operator: 'lt', type: 'event' })).toEqual([]);
  });

  it('is_set / is_not_set: null counts as not set', () => {
    expect(one({ key: 'plan', operator: 'is_set', type: 'event' })).toEqual(['e1', 'e2']);
    expect(one({ key: 'plan', operator: 'is_not_set', type: 'event' })).toEqual(['e3', 'e4']);
  });

  it('is_date_before / is_date_after: Date.parse in UTC; missing and unparsable never match', () => {
    expect(one({ key: 'when', value: '2026-01-03', operator: 'is_date_before', type: 'event' })).toEqual(['e1']);
    expect(one({ key: 'when', value: '2026-01-01', operator: 'is_date_after', type: 'event' })).toEqual(['e1']);
    // Equal instants (a zone-less value is read as UTC) are neither before nor after.
    expect(one({ key: 'when', value: '2026-01-02T00:00:00', operator: 'is_date_after', type: 'event' })).toEqual([]);
    expect(one({ key: 'when', value: '2026-01-02 00:00:00', operator: 'is_date_before', type: 'event' })).toEqual([]);
    expect(one({ key: 'when', value: '2026-01-02T00:00:01Z', operator: 'is_date_before', type: 'event' })).toEqual(['e1']);
  });

  it('person properties: from the event person; an event without a person has none', () => {
    expect(one({ key: 'plan', value: 'pro', operator: 'exact', type: 'person' })).toEqual(['e1', 'e3']);
    expect(one({ key: 'plan', operator: 'is_not_set', type: 'person' })).toEqual(['e2']);
    expect(one({ key: 'age', value: 25, operator: 'gt', type: 'person' })).toEqual(['e1', 'e3']);
    expect(one({ key: 'email', value: 'example.COM', operator: 'icontains', type: 'person' })).toEqual(['e1', 'e3']);
  });

  it('group properties: only events carrying an identified group of the slot have them', () => {
    expect(one({ key: 'plan', value: 'enterprise', operator: 'exact', type: 'group', group_type_index: 0 })).toEqual(['e1', 'e4']);
    expect(one({ key: 'plan', value: 'enterprise', operator: 'is_not', type: 'group', group_type_index: 0 })).toEqual(['e2', 'e3']);
    expect(one({ key: 'seats', operator: 'is_set', type: 'group', group_type_index: 0 })).toEqual(['e1', 'e4']);
    expect(one({ key: 'seats', value: 49, operator: 'gt', type: 'group', group_type_index: 0 })).toEqual(['e1', 'e4']);
    expect(one({ key: 'plan', operator: 'is_set', type: 'group', group_type_index: 1 })).toEqual([]);
  });

  it('$group_N as an event property is the group key of the slot', () => {
    expect(one({ key: '$group_0', value: 'acme', operator: 'exact', type: 'event' })).toEqual(['e1', 'e4']);
    expect(one({ key: '$group_0', operator: 'is_not_set', type: 'event' })).toEqual(['e2']);
  });

  it('lists are AND; property groups nest AND/OR; empty matches all', () => {
    expect(
      matching([
        { key: 'plan', value: 'pro', type: 'event' },
        { key: 'plan', value: 'enterprise', type: 'group', group_type_index: 0 },
      ]),
    ).toEqual(['e1']);
    expect(
      matching({
        type: 'OR',
        values: [
          { key: 'plan', value: 'free', operator: 'exact', type: 'event' },
          {
            type: 'AND',
            values: [
              { key: 'plan', value: 'free', operator: 'exact', type: 'person' },
              { key: 'plan', value: 'enterprise', operator: 'exact', type: 'group', group_type_index: 0 },
            ],
          },
        ],
      }),
    ).toEqual(['e2', 'e4']);
    expect(matching([])).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(matching(undefined)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(matching({ type: 'AND', values: [] })).toEqual(['e1', 'e2', 'e3', 'e4']);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Trends
// ---------------------------------------------------------------------------------------------

describe('quantile', () => {
  it('interpolates linearly between the closest ranks', () => {
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([30, 10, 20], 0.5)).toBe(20);
    expect(quantile([1, 2], 0.5)).toBe(1.5);
    expect(quantile([10, 20, 30], 0.9)).toBeCloseTo(28, 10); // pos 1.8
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 10); // pos 8.1
  });
});

describe('time buckets', () => {
  it('weeks start on Sunday, months on the 1st, all UTC', () => {
    expect(bucketStart('week', new Date('2026-01-07T12:00:00Z')).toISOString()).toBe('2026-01-04T00:00:00.000Z'); // Wed → Sun
    expect(bucketStart('week', new Date('2026-01-04T00:00:00Z')).toISOString()).toBe('2026-01-04T00:00:00.000Z'); // Sunday
    expect(bucketStart('week', new Date('2026-01-03T23:59:59.999Z')).toISOString()).toBe('2025-12-28T00:00:00.000Z'); // Saturday
    expect(bucketStart('month', new Date('2026-02-28T23:00:00Z')).toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(bucketStart('hour', new Date('2026-02-28T23:59:00Z')).toISOString()).toBe('2026-02-28T23:00:00.000Z');
  });
});

describe('trends', () => {
  // 'pay' events; users u1..u4 (persons u1, u2, u4 exist; u3 does not); companies acme (pro),
  // globex (free) in slot 0. The range is 2026-01-05 .. 2026-01-07 (Mon..Wed).
  const events = [
    ev('pay', '2025-12-06T23:00:00Z', 'u7', { amount: 1 }), // outside every window
    ev('pay', '2025-12-07T00:00:00Z', 'u6', { amount: 1 }), // first instant of the 01-05 MAU window
    ev('pay', '2025-12-29T12:00:00Z', 'u9', { amount: 1 }), // in MAU windows only
    ev('pay', '2025-12-30T00:00:00Z', 'u8', { amount: 1 }), // first instant of the 01-05 WAU window
    ev('pay', '2026-01-04T23:00:00Z', 'u1', { amount: 100 }, { 0: 'acme' }), // the day before the range
    ev('view', '2026-01-05T00:30:00Z', 'u5'),
    ev('pay', '2026-01-05T01:00:00Z', 'u1', { amount: 10 }, { 0: 'acme' }),
    ev('pay', '2026-01-05T02:00:00Z', 'u1', { amount: 20 }, { 0: 'acme' }),
    ev('pay', '2026-01-05T03:00:00Z', 'u2', { amount: 30 }, { 0: 'globex' }),
    ev('pay', '2026-01-05T04:00:00Z', 'u3', {}), // no amount, no group, no person
    ev('pay', '2026-01-06T05:00:00Z', 'u2', { amount: 'x' }, { 0: 'globex' }), // non-numeric amount
    ev('pay', '2026-01-07T06:00:00Z', 'u1', { amount: 5 }, { 0: 'globex' }),
    ev('pay', '2026-01-07T07:00:00Z', 'u4', { amount: 7 }, { 0: 'acme' }),
    ev('pay', '2026-01-08T00:00:00Z', 'u1', { amount: 1000 }, { 0: 'acme' }), // after the range
  ];
  const ds = dataset(
    events,
    [
      { id: 'u1', properties: { plan: 'pro' } },
      { id: 'u2', properties: { plan: 'free' } },
      { id: 'u4', properties: { plan: 'pro' } },
    ],
    [
      { groupTypeIndex: 0, groupKey: 'acme', properties: { plan: 'pro' } },
      { groupTypeIndex: 0, groupKey: 'globex', properties: { plan: 'free' } },
    ],
  );
  const base: TrendsQuery = {
    event: 'pay',
    interval: 'day',
    dateFrom: new Date('2026-01-05T00:00:00Z'),
    dateTo: new Date('2026-01-07T23:59:59.999Z'),
  };
  const DAYS = ['2026-01-05', '2026-01-06', '2026-01-07'];
  const run = (math: TrendsMath, extra: Partial<TrendsQuery> = {}) => trends(ds, { ...base, math, ...extra });
  const total = (math: TrendsMath, extra: Partial<TrendsQuery> = {}) => trendsTotalValue(ds, { ...base, math, ...extra });

  it('total, dau, unique_group per day and over the range', () => {
    expect(run('total')).toEqual({ days: DAYS, data: [4, 1, 2] });
    expect(total('total')).toBe(7);
    // dau: {u1,u2,u3}, {u2}, {u1,u4}; whole range {u1,u2,u3,u4}
    expect(run('dau').data).toEqual([3, 1, 2]);
    expect(total('dau')).toBe(4);
    // unique_group: {acme,globex} (u3's groupless event ignored), {globex}, {globex,acme}
    expect(run('unique_group', { math_group_type_index: 0 }).data).toEqual([2, 1, 2]);
    expect(total('unique_group', { math_group_type_index: 0 })).toBe(2);
    expect(run('unique_group', { math_group_type_index: 1 }).data).toEqual([0, 0, 0]);
  });

  it('event null counts all events', () => {
    expect(trends(ds, { ...base, event: null }).data).toEqual([5, 1, 2]);
  });

  it('series and global filters are ANDed', () => {
    // amount > 6: 10, 20, 30 | - | 7
    expect(run('total', { properties: [{ key: 'amount', value: 6, operator: 'gt', type: 'event' }] }).data).toEqual([3, 0, 1]);
    // and person plan = pro: u1's 10, 20 | - | u4's 7
    expect(
      run('total', {
        properties: [{ key: 'amount', value: 6, operator: 'gt', type: 'event' }],
        globalProperties: [{ key: 'plan', value: 'pro', operator: 'exact', type: 'person' }],
      }).data,
    ).toEqual([2, 0, 1]);
  });

  it('property maths ignore missing and non-numeric values; empty buckets are 0', () => {
    // numeric amounts per day: [10,20,30] | [] ('x' ignored) | [5,7]; whole range [5,7,10,20,30]
    const p = { math_property: 'amount' };
    expect(run('sum', p).data).toEqual([60, 0, 12]);
    expect(total('sum', p)).toBe(72);
    expect(run('avg', p).data).toEqual([20, 0, 6]);
    expect(total('avg', p)).toBeCloseTo(14.4, 10);
    expect(run('min', p).data).toEqual([10, 0, 5]);
    expect(total('min', p)).toBe(5);
    expect(run('max', p).data).toEqual([30, 0, 7]);
    expect(total('max', p)).toBe(30);
    expect(run('median', p).data).toEqual([20, 0, 6]);
    expect(total('median', p)).toBe(10);
    const p90 = run('p90', p).data;
    expect(p90[0]).toBeCloseTo(28, 10); // pos 1.8 in [10,20,30]
    expect(p90[1]).toBe(0);
    expect(p90[2]).toBeCloseTo(6.8, 10); // pos 0.9 in [5,7]
    expect(total('p90', p)).toBeCloseTo(26, 10); // pos 3.6 in [5,7,10,20,30]
  });

  it('per-actor maths by person', () => {
    // counts per person: day 1 {u1:2,u2:1,u3:1}, day 2 {u2:1}, day 3 {u1:1,u4:1}
    const avg = run('avg_count_per_actor').data;
    expect(avg[0]).toBeCloseTo(4 / 3, 10);
    expect(avg.slice(1)).toEqual([1, 1]);
    expect(run('min_count_per_actor').data).toEqual([1, 1, 1]);
    expect(run('max_count_per_actor').data).toEqual([2, 1, 1]);
    expect(run('median_count_per_actor').data).toEqual([1, 1, 1]);
    expect(run('p90_count_per_actor').data[0]).toBeCloseTo(1.8, 10); // [1,1,2] pos 1.8
    // whole range {u1:3,u2:2,u3:1,u4:1}
    expect(total('avg_count_per_actor')).toBe(1.75);
    expect(total('min_count_per_actor')).toBe(1);
    expect(total('max_count_per_actor')).toBe(3);
    expect(total('median_count_per_actor')).toBe(1.5); // [1,1,2,3] pos 1.5
    expect(total('p90_count_per_actor')).toBeCloseTo(2.7, 10); // pos 2.7
    // an empty bucket is 0
    expect(run('max_count_per_actor', { dateFrom: new Date('2026-01-06T00:00:00Z'), event: 'view' }).data).toEqual([0, 0]);
  });

  it('per-actor maths by group ignore events without the group', () => {
    // counts per company: day 1 {acme:2, globex:1}, day 2 {globex:1}, day 3 {globex:1, acme:1}
    const g = { math_group_type_index: 0 };
    expect(run('avg_count_per_actor', g).data).toEqual([1.5, 1, 1]);
    expect(run('max_count_per_actor', g).data).toEqual([2, 1, 1]);
    expect(run('min_count_per_actor', g).data).toEqual([1, 1, 1]);
    expect(run('median_count_per_actor', g).data).toEqual([1.5, 1, 1]);
    expect(run('p90_count_per_actor', g).data[0]).toBeCloseTo(1.9, 10); // [1,2] pos 0.9
    // whole range {acme:3, globex:3}
    expect(total('avg_count_per_actor', g)).toBe(3);
  });

  it('weekly_active: distinct persons in the 7 days ending with each day, capped at dateTo', () => {
    // 01-05: [12-30, 01-06) → u8 (at the edge), u1 (01-04), u1, u2, u3
    // 01-06: [12-31, 01-07) → u1, u2, u3
    // 01-07: [01-01, 01-08) → u1, u2, u3, u4
    expect(run('weekly_active').data).toEqual([4, 3, 4]);
    expect(total('weekly_active')).toBe(4);
    // dateTo at 06:30 on 01-07 cuts u4 (07:00) off the last window
    const cut = { dateTo: new Date('2026-01-07T06:30:00Z') };
    expect(run('weekly_active', cut).data).toEqual([4, 3, 3]);
    expect(total('weekly_active', cut)).toBe(3);
  });

  it('monthly_active: the 30 days ending with each day', () => {
    // 01-05: [12-07, 01-06) → u6 (edge), u9, u8, u1, u2, u3 (u7 on 12-06 is out)
    // 01-06: [12-08, 01-07) → u9, u8, u1, u2, u3
    // 01-07: [12-09, 01-08) → u9, u8, u1, u2, u3, u4
    expect(run('monthly_active').data).toEqual([6, 5, 6]);
  });

  it('hour buckets and labels', () => {
    const r = trends(ds, { ...base, interval: 'hour', dateFrom: new Date('2026-01-05T00:00:00Z'), dateTo: new Date('2026-01-05T03:30:00Z') });
    expect(r.days).toEqual(['2026-01-05 00:00:00', '2026-01-05 01:00:00', '2026-01-05 02:00:00', '2026-01-05 03:00:00']);
    expect(r.data).toEqual([0, 1, 1, 1]);
  });

  it('week buckets start on Sunday; the first is clipped at dateFrom', () => {
    const r = trends(ds, { ...base, interval: 'week', dateFrom: new Date('2026-01-01T00:00:00Z'), dateTo: new Date('2026-01-14T23:59:59Z') });
    expect(r.days).toEqual(['2025-12-28', '2026-01-04', '2026-01-11']);
    // 12-28 week: the 12-29/12-30 events are before dateFrom; 01-04 week (Sun..Sat): 01-04, 4×01-05, 01-06, 2×01-07, 01-08
    expect(r.data).toEqual([0, 9, 0]);
  });

  it('month buckets start on the 1st', () => {
    const r = trends(ds, { ...base, interval: 'month', dateFrom: new Date('2025-12-15T00:00:00Z'), dateTo: new Date('2026-01-31T23:59:59Z') });
    expect(r.days).toEqual(['2025-12-01', '2026-01-01']);
    expect(r.data).toEqual([2, 9]); // December from the 15th: u9, u8
  });

  describe('breakdowns', () => {
    it('by group property: ranked by total, ties by value; null bucket for events without the group', () => {
      const r = trendsBreakdown(ds, { ...base, breakdown: { property: 'plan', type: 'group', group_type_index: 0 } });
      expect(r.days).toEqual(DAYS);
      // free (globex): 1,1,1 = 3; pro (acme): 2,0,1 = 3; null (u3): 1,0,0
      expect(r.series).toEqual([
        { breakdownValue: 'free', data: [1, 1, 1], total: 3 },
        { breakdownValue: 'pro', data: [2, 0, 1], total: 3 },
        { breakdownValue: BREAKDOWN_NULL, data: [1, 0, 0], total: 1 },
      ]);
      const limited = trendsBreakdown(ds, { ...base, breakdown: { property: 'plan', type: 'group', group_type_index: 0, limit: 1 } });
      expect(limited.series).toEqual([
        { breakdownValue: 'free', data: [1, 1, 1], total: 3 },
        { breakdownValue: BREAKDOWN_OTHER, data: [3, 0, 1], total: 4 },
      ]);
    });

    it('by person property', () => {
      const r = trendsBreakdown(ds, { ...base, breakdown: { property: 'plan', type: 'person' } });
      // pro (u1, u4): 2,0,2; free (u2): 1,1,0; null (u3 has no person): 1,0,0
      expect(r.series.map((s) => [s.breakdownValue, s.data])).toEqual([
        ['pro', [2, 0, 2]],
        ['free', [1, 1, 0]],
        [BREAKDOWN_NULL, [1, 0, 0]],
      ]);
    });

    it('by the group key ($group_0) with dau', () => {
      const r = trendsBreakdown(ds, { ...base, math: 'dau', breakdown: { property: '$group_0', type: 'event' } });
      // globex: u2 | u2 | u1 = 3; acme: u1 | - | u4 = 2; null: u3 | - | - = 1
      expect(r.series.map((s) => [s.breakdownValue, s.data])).toEqual([
        ['globex', [1, 1, 1]],
        ['acme', [1, 0, 1]],
        [BREAKDOWN_NULL, [1, 0, 0]],
      ]);
    });

    it('"other" recomputes distinct counts over the union of the merged values', () => {
      // By amount, dau: every value totals 1, so they rank by value: null label ('$' sorts first),
      // then '10', '20', '30', '5', '7', 'x'. With limit 1 the other bucket merges u1 (10),
      // u1 (20), u2 (30) on 01-05 → 2 distinct persons, not 3.
      const r = trendsBreakdown(ds, { ...base, math: 'dau', breakdown: { property: 'amount', type: 'event', limit: 1 } });
      expect(r.series).toEqual([
        { breakdownValue: BREAKDOWN_NULL, data: [1, 0, 0], total: 1 },
        { breakdownValue: BREAKDOWN_OTHER, data: [2, 1, 2], total: 5 },
      ]);
      const all = trendsBreakdown(ds, { ...base, math: 'dau', breakdown: { property: 'amount', type: 'event' } });
      expect(all.series.map((s) => s.breakdownValue)).toEqual([BREAKDOWN_NULL, '10', '20', '30', '5', '7', 'x']);
    });

    it('unique_group breakdown skips events without the group (no null value)', () => {
      const r = trendsBreakdown(ds, { ...base, math: 'unique_group', math_group_type_index: 0, breakdown: { property: 'plan', type: 'person' } });
      // pro persons (u1, u4): acme | - | globex, acme = 1,0,2; free (u2): globex | globex | - = 1,1,0
      expect(r.series.map((s) => [s.breakdownValue, s.data])).toEqual([
        ['pro', [1, 0, 2]],
        ['free', [1, 1, 0]],
      ]);
    });

    it('total-value breakdowns rank by the value and recompute "other"', () => {
      expect(trendsBreakdownTotalValue(ds, { ...base, breakdown: { property: 'plan', type: 'group', group_type_index: 0 } })).toEqual([
        { breakdownValue: 'free', value: 3 },
        { breakdownValue: 'pro', value: 3 },
        { breakdownValue: BREAKDOWN_NULL, value: 1 },
      ]);
      // dau by company: acme {u1,u4} = 2, globex {u2,u1} = 2, null {u3} = 1; other = {u2,u1,u3} = 3
      expect(trendsBreakdownTotalValue(ds, { ...base, math: 'dau', breakdown: { property: '$group_0', type: 'event', limit: 1 } })).toEqual([
        { breakdownValue: 'acme', value: 2 },
        { breakdownValue: BREAKDOWN_OTHER, value: 3 },
      ]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Funnels
// ---------------------------------------------------------------------------------------------

describe('funnels by person', () => {
  const ds = dataset([
    // u1: in order, with a pageview between the first two steps
    ev('signed_up', '2026-01-01T00:00:00Z', 'u1', { plan: 'pro' }),
    ev('pageview', '2026-01-01T01:00:00Z', 'u1'),
    ev('created_project', '2026-01-01T02:00:00Z', 'u1'),
    ev('upgraded_plan', '2026-01-01T03:00:00Z', 'u1'),
    // u2: created before signing up
    ev('created_project', '2026-01-02T00:00:00Z', 'u2'),
    ev('signed_up', '2026-01-02T01:00:00Z', 'u2'),
    ev('upgraded_plan', '2026-01-02T02:00:00Z', 'u2'),
    // u3: back to back
    ev('signed_up', '2026-01-03T00:00:00Z', 'u3', { plan: 'free' }),
    ev('created_project', '2026-01-03T01:00:00Z', 'u3'),
    ev('upgraded_plan', '2026-01-03T02:00:00Z', 'u3'),
    // u4: second step 16 days later
    ev('signed_up', '2026-01-04T00:00:00Z', 'u4'),
    ev('created_project', '2026-01-20T00:00:00Z', 'u4'),
    // u5: an exclusion event between steps 1 and 2
    ev('signed_up', '2026-01-05T00:00:00Z', 'u5'),
    ev('cancelled', '2026-01-05T01:00:00Z', 'u5'),
    ev('created_project', '2026-01-05T02:00:00Z', 'u5'),
    // u6: a first attempt with the exclusion, a clean second one
    ev('signed_up', '2026-01-07T00:00:00Z', 'u6'),
    ev('cancelled', '2026-01-07T01:00:00Z', 'u6'),
    ev('created_project', '2026-01-07T02:00:00Z', 'u6'),
    ev('signed_up', '2026-01-08T00:00:00Z', 'u6'),
    ev('created_project', '2026-01-08T05:00:00Z', 'u6'),
    // u7: exclusion after step 1, step 2 never reached
    ev('signed_up', '2026-01-09T00:00:00Z', 'u7'),
    ev('cancelled', '2026-01-09T01:00:00Z', 'u7'),
    // u8: two pageviews
    ev('pageview', '2026-01-10T00:00:00Z', 'u8'),
    ev('pageview', '2026-01-10T01:00:00Z', 'u8'),
  ]);
  const steps = [{ event: 'signed_up' }, { event: 'created_project' }, { event: 'upgraded_plan' }];
  const run = (extra: Partial<FunnelQuery> = {}) => funnel(ds, { steps, ...extra });

  it('ordered: counts, drop-offs and conversion times of the best attempt', () => {
    const r = run();
    expect(r.stepCounts).toEqual([7, 4, 2]);
    expect(r.steps[0].actors).toEqual(['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']);
    expect(r.steps[0].droppedOff).toEqual([]);
    expect(r.steps[1].droppedOff).toEqual(['u2', 'u4', 'u7']);
    expect(r.steps[2].droppedOff).toEqual(['u5', 'u6']);
    expect(r.steps[0].averageConversionTime).toBeNull();
    // step 2 times: u1 2h, u3 1h, u5 2h, u6 2h (first of two tied attempts)
    expect(r.steps[1].averageConversionTime).toBe(6300);
    expect(r.steps[1].medianConversionTime).toBe(7200);
    // step 3 times: u1 1h, u3 1h
    expect(r.steps[2].averageConversionTime).toBe(3600);
    expect(r.steps[2].medianConversionTime).toBe(3600);
  });

  it('the conversion window bounds every step from the first', () => {
    expect(run({ windowSeconds: 20 * 86_400 }).stepCounts).toEqual([7, 5, 2]); // u4 converts
    expect(run({ windowSeconds: 16 * 86_400 }).stepCounts).toEqual([7, 5, 2]); // exactly at the edge
    expect(run({ windowSeconds: 16 * 86_400 - 1 }).stepCounts).toEqual([7, 4, 2]);
  });

  it('exclusions invalidate attempts, including ones that never reach the to-step', () => {
    const r = run({ exclusions: [{ event: 'cancelled', funnelFromStep: 0, funnelToStep: 1 }] });
    // u5 and u7 disappear; u6 converts through its second attempt (5h)
    expect(r.stepCounts).toEqual([5, 3, 2]);
    expect(r.steps[0].actors).toEqual(['u1', 'u2', 'u3', 'u4', 'u6']);
    expect(r.steps[1].droppedOff).toEqual(['u2', 'u4']);
    expect(r.steps[2].droppedOff).toEqual(['u6']);
    // step 2 times: u1 7200, u3 3600, u6 18000
    expect(r.steps[1].averageConversionTime).toBe(9600);
    expect(r.steps[1].medianConversionTime).toBe(7200);
    // an exclusion between steps 2 and 3 changes nothing here
    expect(run({ exclusions: [{ event: 'cancelled', funnelFromStep: 1, funnelToStep: 2 }] }).stepCounts).toEqual([7, 4, 2]);
  });

  it('strict: the very next event must be the next step', () => {
    const r = run({ orderType: 'strict' });
    // u1 is broken by its pageview; u6's second attempt converts; only u3 completes
    expect(r.stepCounts).toEqual([7, 2, 1]);
    expect(r.steps[1].actors).toEqual(['u3', 'u6']);
    expect(r.steps[1].droppedOff).toEqual(['u1', 'u2', 'u4', 'u5', 'u7']);
  });

  it('unordered: any order within the window from the first event', () => {
    const r = run({ orderType: 'unordered' });
    // u2 completes in any order; u5, u6 reach two steps; u4's steps are 16 days apart
    expect(r.stepCounts).toEqual([7, 5, 3]);
    expect(r.steps[2].actors).toEqual(['u1', 'u2', 'u3']);
    expect(r.steps[1].droppedOff).toEqual(['u4', 'u7']);
  });

  it('a step repeated twice needs two distinct events', () => {
    const r = funnel(ds, { steps: [{ event: 'pageview' }, { event: 'pageview' }] });
    expect(r.stepCounts).toEqual([2, 1]); // u1 has one pageview, u8 two
    expect(r.steps[1].actors).toEqual(['u8']);
    expect(funnel(ds, { steps: [{ event: 'pageview' }, { event: 'pageview' }], orderType: 'unordered' }).stepCounts).toEqual([2, 1]);
  });

  it('step filters and date range', () => {
    expect(funnel(ds, { steps: [{ event: 'signed_up', properties: [{ key: 'plan', value: 'pro', type: 'event' }] }, { event: 'created_project' }] }).stepCounts).toEqual([1, 1]);
    expect(run({ dateFrom: new Date('2026-01-03T00:00:00Z') }).stepCounts).toEqual([5, 3, 1]); // u3..u7
  });
});

describe('ordered funnels by group: ClickHouse windowFunnel vectors', () => {
  interface VectorCase {
    name: string;
    steps: string[];
    funnelOrderType: 'ordered';
    window_seconds: number;
    events: { timestamp: string; event: string; distinct_id: string; group_0: string }[];
    expected: { step_counts: number[]; [dropped: `dropped_off_before_step_${number}`]: string[] };
  }
  const vectors = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'test/fixtures/vectors/funnel-ordered-by-group.json'), 'utf8'),
  ) as { description: string; cases: VectorCase[] };

  it('has 34 cases', () => {
    expect(vectors.cases).toHaveLength(34);
  });

  for (const c of vectors.cases) {
    it(c.name, () => {
      const ds = dataset(c.events.map((e) => ev(e.event, e.timestamp, e.distinct_id, {}, { 0: e.group_0 })));
      const r = funnel(ds, {
        steps: c.steps.map((event) => ({ event })),
        orderType: c.funnelOrderType,
        windowSeconds: c.window_seconds,
        aggregationGroupTypeIndex: 0,
      });
      expect(r.stepCounts).toEqual(c.expected.step_counts);
      for (let k = 2; k <= c.steps.length; k++) {
        expect(r.steps[k - 1].droppedOff, `dropped off before step ${k}`).toEqual(c.expected[`dropped_off_before_step_${k}`]);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 4. Generated dataset
// ---------------------------------------------------------------------------------------------

describe('generated dataset', () => {
  const ds = defaultDataset();

  it('is deterministic for a seed and differs across seeds', () => {
    const again = generateDataset();
    expect(again.events.length).toBe(ds.events.length);
    expect(again.events.map((e) => [e.uuid, e.event, e.timestamp.getTime()])).toEqual(ds.events.map((e) => [e.uuid, e.event, e.timestamp.getTime()]));
    expect(JSON.stringify(toCaptureBatches(again, 'k'))).toBe(JSON.stringify(toCaptureBatches(ds, 'k')));
    const other = generateDataset({ seed: 7 });
    expect(other.events.map((e) => e.uuid)).not.toEqual(ds.events.map((e) => e.uuid));
  });

  it('has the advertised shape', () => {
    expect(ds.persons.size).toBe(300);
    const companies = new Set(ds.events.map((e) => e.groupKeys[0]).filter((k) => k !== ''));
    const identifiedCompanies = [...ds.groups.values()].filter((g) => g.groupTypeIndex === 0);
    const projects = new Set(ds.events.map((e) => e.groupKeys[1]).filter((k) => k !== ''));
    expect(companies.size).toBeGreaterThan(30);
    expect(companies.size).toBeLessThanOrEqual(40);
    expect(identifiedCompanies.length).toBeGreaterThan(25);
    expect([...companies].some((k) => !ds.groups.has(groupMapKey(0, k)))).toBe(true); // never identified
    expect(projects.size).toBeGreaterThan(20);
    expect([...projects].some((k) => !ds.groups.has(groupMapKey(1, k)))).toBe(true);
    for (const g of identifiedCompanies) expect(Object.keys(g.properties).sort()).toEqual(['founded', 'name', 'plan', 'seats']);

    const names = new Set(ds.events.map((e) => e.event));
    for (const name of ['signed_up', 'created_project', 'upgraded_plan', 'pageview', 'message_sent', '$identify', '$groupidentify']) {
      expect(names.has(name), name).toBe(true);
    }
    expect(ds.events.length).toBeGreaterThan(3000);
    expect(ds.events.length).toBeLessThan(30000);
    expect(ds.events.some((e) => e.event === 'pageview' && e.groupKeys.every((k) => k === ''))).toBe(true);
    expect(ds.events.some((e) => e.event === 'message_sent' && e.properties.amount === undefined)).toBe(true);
    expect(ds.events.some((e) => typeof e.properties.amount === 'string')).toBe(true);
    expect(ds.events.some((e) => e.event !== '$identify' && e.event !== '$groupidentify' && e.properties.browser === undefined)).toBe(true);
    const personless = ds.events.filter((e) => !ds.persons.has(e.personId));
    expect(personless.length).toBeGreaterThan(0);
    expect(personless.every((e) => e.properties.$process_person_profile === false)).toBe(true);
    expect(personless.some((e) => e.groupKeys[0] !== '')).toBe(true);
    // skewed activity: the busiest tenth of persons does far more than a tenth of the events
    const perPerson = new Map<string, number>();
    for (const e of ds.events) if (ds.persons.has(e.personId)) perPerson.set(e.personId, (perPerson.get(e.personId) ?? 0) + 1);
    const counts = [...perPerson.values()].sort((a, b) => b - a);
    const top = counts.slice(0, 30).reduce((a, b) => a + b, 0);
    expect(top / counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.3);
  });

  it('timestamps are unique, sorted and inside [start, end)', () => {
    for (let i = 1; i < ds.events.length; i++) {
      expect(ds.events[i].timestamp.getTime()).toBeGreaterThan(ds.events[i - 1].timestamp.getTime());
    }
    expect(ds.events[0].timestamp.getTime()).toBeGreaterThanOrEqual(ds.start.getTime());
    expect(ds.events[ds.events.length - 1].timestamp.getTime()).toBeLessThan(ds.end.getTime());
    expect(new Set(ds.events.map((e) => e.uuid)).size).toBe(ds.events.length);
  });

  it('capture batches replay into the same persons and groups', () => {
    const batches = toCaptureBatches(ds, 'phc_test', 100);
    expect(batches.every((b) => b.api_key === 'phc_test' && b.batch.length <= 100)).toBe(true);
    const items = batches.flatMap((b) => b.batch);
    expect(items).toHaveLength(ds.events.length);

    // A minimal replay of the merge rules: $set overwrites person keys, $group_set merges
    // shallowly, group type slots are given in order of first reference.
    const persons = new Map<string, Record<string, unknown>>();
    const groups = new Map<string, Record<string, unknown>>();
    const slots: string[] = [];
    const slotOf = (type: string) => {
      if (!slots.includes(type)) slots.push(type);
      return slots.indexOf(type);
    };
    for (const item of items) {
      const p = item.properties;
      const personless = p.$process_person_profile === false;
      if (!personless && item.event !== '$identify') {
        expect(persons.has(item.distinct_id), `${item.event} of ${item.distinct_id} before its $identify`).toBe(true);
      }
      if (personless) expect(ds.persons.has(item.distinct_id)).toBe(false);
      if (item.event === '$identify') {
        persons.set(item.distinct_id, { ...(persons.get(item.distinct_id) ?? {}), ...(p.$set as Record<string, unknown>) });
      }
      if (item.event === '$groupidentify') {
        const key = groupMapKey(slotOf(String(p.$group_type)), String(p.$group_key));
        groups.set(key, { ...(groups.get(key) ?? {}), ...(p.$group_set as Record<string, unknown>) });
      }
      if (p.$groups) for (const type of Object.keys(p.$groups as object)) slotOf(type);
      expect(new Date(item.timestamp).toISOString()).toBe(item.timestamp);
    }
    expect(slots).toEqual(['company', 'project']);
    expect(persons).toEqual(new Map([...ds.persons].map(([id, person]) => [id, person.properties])));
    expect(groups).toEqual(new Map([...ds.groups].map(([id, group]) => [id, group.properties])));

    // $groups mirrors groupKeys
    const byUuid = new Map(ds.events.map((e) => [e.uuid, e]));
    for (const item of items) {
      const e = byUuid.get(item.uuid)!;
      const $groups = (item.properties.$groups ?? {}) as Record<string, string>;
      expect([$groups.company ?? '', $groups.project ?? '', '', '', '']).toEqual(e.groupKeys);
    }
  });

  it('answers insights (smoke): the reference runs on it', () => {
    const q: TrendsQuery = { event: 'pageview', math: 'unique_group', math_group_type_index: 0, interval: 'week', dateFrom: ds.start, dateTo: new Date(ds.end.getTime() - 1) };
    const r = trends(ds, q);
    expect(r.data.some((x) => x > 0)).toBe(true);
    const f = funnel(ds, { steps: [{ event: 'signed_up' }, { event: 'created_project' }, { event: 'upgraded_plan' }], aggregationGroupTypeIndex: 0 });
    expect(f.stepCounts[0]).toBeGreaterThanOrEqual(f.stepCounts[1]);
    expect(f.stepCounts[1]).toBeGreaterThanOrEqual(f.stepCounts[2]);
    expect(f.stepCounts[2]).toBeGreaterThan(0);
  });
});
