// Every trends answer on generated data must equal the independent reference implementation
// (test/reference), across maths, filters, intervals, breakdowns and total-value displays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BREAKDOWN_OTHER,
  trends,
  trendsBreakdown,
  trendsTotalValue,
  type Breakdown,
  type Interval,
  type PropertyFilterInput,
  type TrendsMath,
} from './reference/insights-reference.js';
import { defaultDataset, toCaptureBatches, type GeneratedDataset } from './reference/generate-dataset.js';
import { runQuery } from './support/query.js';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

let server: RunningServer;
let ds: GeneratedDataset;

beforeAll(async () => {
  ds = defaultDataset();
  server = await startInProcessServer();
  for (const body of toCaptureBatches(ds, server.token, 2000)) {
    const res = await fetch(`${server.url}/batch/`, { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`capture answered ${res.status}`);
  }
}, 120_000);

afterAll(async () => {
  await server.stop();
});

const day = (d: Date) => d.toISOString().slice(0, 10);
const round = (xs: number[]) => xs.map((x) => Math.round(x * 1e6) / 1e6);

interface Case {
  name: string;
  event?: string | null;
  math?: TrendsMath;
  math_property?: string;
  math_group_type_index?: number;
  interval?: Interval;
  properties?: PropertyFilterInput;
  seriesProperties?: PropertyFilterInput;
  breakdown?: Breakdown;
  /** Whole days, UTC, inclusive. */
  from?: string;
  to?: string;
}

function rangeOf(c: Case) {
  const from = c.from ?? day(ds.start);
  const to = c.to ?? day(new Date(ds.end.getTime() - 1));
  return { from, to, dateFrom: new Date(`${from}T00:00:00.000Z`), dateTo: new Date(`${to}T23:59:59.999Z`) };
}

function referenceQuery(c: Case) {
  const { dateFrom, dateTo } = rangeOf(c);
  return {
    event: c.event === undefined ? 'pageview' : c.event,
    math: c.math,
    math_property: c.math_property,
    math_group_type_index: c.math_group_type_index,
    interval: c.interval ?? 'day',
    properties: c.seriesProperties,
    globalProperties: c.properties,
    dateFrom,
    dateTo,
    breakdown: c.breakdown,
  };
}

function serverQuery(c: Case, display?: string) {
  const { from, to } = rangeOf(c);
  return {
    kind: 'TrendsQuery',
    series: [
      {
        kind: 'EventsNode',
        event: c.event === undefined ? 'pageview' : c.event,
        math: c.math,
        math_property: c.math_property,
        math_group_type_index: c.math_group_type_index,
        properties: c.seriesProperties,
      },
    ],
    interval: c.interval ?? 'day',
    dateRange: { date_from: from, date_to: to },
    properties: c.properties,
    breakdownFilter: c.breakdown
      ? { breakdown: c.breakdown.property, breakdown_type: c.breakdown.type, breakdown_group_type_index: c.breakdown.group_type_index, breakdown_limit: c.breakdown.limit }
      : undefined,
    trendsFilter: display ? { display } : undefined,
  };
}

const planIsPaid = [{ key: 'plan', value: ['pro', 'enterprise'], operator: 'exact' as const, type: 'group' as const, group_type_index: 0 }];
const cases: Case[] = [
  { name: 'total pageviews' },
  { name: 'all events', event: null },
  { name: 'unique persons', math: 'dau' },
  { name: 'unique companies', math: 'unique_group', math_group_type_index: 0 },
  { name: 'unique projects of messages', event: 'message_sent', math: 'unique_group', math_group_type_index: 1 },
  { name: 'weekly active persons', math: 'weekly_active' },
  { name: 'monthly active persons', math: 'monthly_active' },
  ...(['sum', 'avg', 'min', 'max', 'median', 'p90'] as const).map((math) => ({ name: `${math} of amount`, event: 'upgraded_plan', math, math_property: 'amount' })),
  ...(['avg_count_per_actor', 'min_count_per_actor', 'max_count_per_actor', 'median_count_per_actor', 'p90_count_per_actor'] as const).flatMap((math) => [
    { name: `${math} per person`, event: 'message_sent', math },
    { name: `${math} per company`, event: 'message_sent', math, math_group_type_index: 0 },
  ]),
  { name: 'weekly interval', interval: 'week', math: 'dau' },
  { name: 'monthly interval', interval: 'month', math: 'unique_group', math_group_type_index: 0 },
  { name: 'hourly interval over two days', interval: 'hour', from: '2026-09-10', to: '2026-09-11' },
  { name: 'group filter: paid companies', math: 'unique_group', math_group_type_index: 0, properties: planIsPaid },
  { name: 'negated group filter', properties: [{ key: 'plan', value: 'free', operator: 'is_not', type: 'group', group_type_index: 0 }] },
  { name: 'person filter', math: 'dau', properties: [{ key: 'email', value: 'gmail', operator: 'icontains', type: 'person' }] },
  { name: 'person numeric filter', properties: [{ key: 'age', value: 40, operator: 'gte', type: 'person' }] },
  { name: 'event filters', event: null, properties: [{ key: 'browser', value: '^(Chrome|Firefox)$', operator: 'regex', type: 'event' }, { key: 'browser', operator: 'is_set', type: 'event' }] },
  { name: 'series filter with global filter', seriesProperties: [{ key: 'browser', value: 'safari', operator: 'not_icontains', type: 'event' }], properties: planIsPaid },
  {
    name: 'OR group',
    event: null,
    properties: {
      type: 'OR',
      values: [
        { type: 'AND', values: [{ key: 'plan', value: 'enterprise', operator: 'exact', type: 'group', group_type_index: 0 }] },
        { type: 'AND', values: [{ key: 'amount', value: 100, operator: 'gt', type: 'event' }] },
      ],
    },
  },
  { name: 'breakdown by browser', breakdown: { property: 'browser', type: 'event' } },
  { name: 'breakdown by person plan, unique persons', math: 'dau', breakdown: { property: 'plan', type: 'person' } },
  { name: 'breakdown by company plan, unique companies', math: 'unique_group', math_group_type_index: 0, breakdown: { property: 'plan', type: 'group', group_type_index: 0 } },
  { name: 'breakdown by company key, top 5 and other', breakdown: { property: '$group_0', type: 'event', limit: 5 } },
  { name: 'breakdown by project stage, limit 2, unique persons', math: 'dau', breakdown: { property: 'stage', type: 'group', group_type_index: 1, limit: 2 } },
];

describe('trends equal the reference implementation on generated data', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { status, body } = await runQuery(server, serverQuery(c));
      expect(status, JSON.stringify(body)).toBe(200);
      const results = body.results as { data: number[]; days: string[]; breakdown_value?: string }[];
      if (c.breakdown) {
        const expected = trendsBreakdown(ds, referenceQuery(c));
        const actual = new Map(results.map((r) => [r.breakdown_value, round(r.data)]));
        expect(results[0]?.days ?? expected.days).toEqual(expected.days);
        expect([...actual.keys()].sort()).toEqual(expected.series.map((s) => s.breakdownValue).sort());
        for (const s of expected.series) expect(actual.get(s.breakdownValue), s.breakdownValue).toEqual(round(s.data));
        if (c.breakdown.limit) expect(actual.has(BREAKDOWN_OTHER)).toBe(true);
      } else {
        const expected = trends(ds, referenceQuery(c));
        expect(results).toHaveLength(1);
        expect(results[0].days).toEqual(expected.days);
        expect(round(results[0].data)).toEqual(round(expected.data));
      }
    });
  }

  for (const c of cases.filter((c) => !c.breakdown && c.interval !== 'hour')) {
    it(`${c.name} as a total value`, async () => {
      const { body } = await runQuery(server, serverQuery(c, 'BoldNumber'));
      expect(round([body.results[0].aggregated_value])).toEqual(round([trendsTotalValue(ds, referenceQuery(c))]));
    });
  }

  it('has data to compare: the generated dataset is non-trivial', () => {
    const totals = trends(ds, referenceQuery({ name: 'all', event: null }));
    expect(totals.data.reduce((a, b) => a + b, 0)).toBeGreaterThan(5000);
  });
});
