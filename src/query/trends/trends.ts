// TrendsQuery: one SQL query per series (and per compared period), aggregated per time bucket
// and breakdown value, shaped into PostHog's result list.
import { HttpError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { Interval } from '../../sql/dialect.js';
import {
  addIntervals,
  bucketStarts,
  formatDay,
  formatLabel,
  fromNaive,
  previousRange,
  resolveDateRange,
  type Naive,
  type ResolvedRange,
} from '../date-range.js';
import { BREAKDOWN_NULL, BREAKDOWN_OTHER, earliestEvent, type QueryContext } from '../context.js';
import { EventScope } from '../event-scope.js';
import { TOTAL_VALUE_DISPLAYS, type EventsNode, type TrendsQuery } from '../query-schema.js';
import { and, join, raw, sql, type Sql } from '../../sql/sql.js';

const DEFAULT_BREAKDOWN_LIMIT = 25;

export interface SeriesPlan {
  readonly node: EventsNode;
  readonly order: number;
  readonly range: ResolvedRange;
  readonly compareLabel?: 'current' | 'previous';
}

interface Row {
  readonly bucket: Naive | null;
  readonly breakdown: string | null;
  readonly value: number;
}

export const isTotalValue = (query: TrendsQuery) => TOTAL_VALUE_DISPLAYS.includes((query.trendsFilter?.display ?? '') as never);

export interface Aggregate {
  readonly value: Sql;
  readonly where: Sql[];
  /** Per-actor maths: the actor (person or group key) and the aggregate over its event counts. */
  readonly perActor?: { actor: Sql; outer: Sql };
}

/** Builds the aggregate for a series' math over `scope`'s rows, grouped by `keys`. */
function aggregate(scope: EventScope, node: EventsNode, attr: string): Aggregate {
  const d = scope.dialect;
  const math = node.math ?? 'total';
  const groupIndex = () => scope.checkGroupTypeIndex(node.math_group_type_index, `${attr}.math_group_type_index`);
  const mathProperty = () => {
    if (!node.math_property) throw new HttpError('invalid_input', `math ${math} needs math_property.`, `${attr}.math_property`);
    return d.toNumber(scope.property(node.math_property, 'event'));
  };
  switch (math) {
    case 'total':
      return { value: raw('count(*)'), where: [] };
    case 'dau':
    case 'weekly_active':
    case 'monthly_active':
      return { value: sql`count(DISTINCT ${scope.personId()})`, where: [] };
    case 'unique_group': {
      const key = scope.groupKey(groupIndex());
      // Events without the group do not count as an empty-string group (PostHog).
      return { value: sql`count(DISTINCT ${key})`, where: [sql`${key} <> ''`] };
    }
    case 'sum':
      return { value: sql`coalesce(sum(${mathProperty()}), 0)`, where: [] };
    case 'avg':
      return { value: sql`coalesce(avg(${mathProperty()}), 0)`, where: [] };
    case 'min':
      return { value: sql`coalesce(min(${mathProperty()}), 0)`, where: [] };
    case 'max':
      return { value: sql`coalesce(max(${mathProperty()}), 0)`, where: [] };
    case 'median':
      return { value: sql`coalesce(${d.quantile(mathProperty(), 0.5)}, 0)`, where: [] };
    case 'p90':
      return { value: sql`coalesce(${d.quantile(mathProperty(), 0.9)}, 0)`, where: [] };
    default: {
      // Per-actor maths: events per person, or per group when math_group_type_index is given.
      const perGroup = node.math_group_type_index !== null && node.math_group_type_index !== undefined;
      const actor = perGroup ? scope.groupKey(groupIndex()) : scope.personId();
      const where = perGroup ? [sql`${actor} <> ''`] : [];
      const outer: Record<string, Sql> = {
        avg_count_per_actor: raw('avg(actor_count)'),
        min_count_per_actor: raw('min(actor_count)'),
        max_count_per_actor: raw('max(actor_count)'),
        median_count_per_actor: d.quantile(raw('actor_count'), 0.5),
        p90_count_per_actor: d.quantile(raw('actor_count'), 0.9),
      };
      return { value: raw('count(*)'), where, perActor: { actor, outer: sql`coalesce(${outer[math]}, 0)` } };
    }
  }
}

function activeWindowDays(node: EventsNode): number | undefined {
  if (node.math === 'weekly_active') return 7;
  if (node.math === 'monthly_active') return 30;
  return undefined;
}

/**
 * What a series reads, before aggregation: its scope (joins), the conditions that select its
 * events, and the per-event expressions. Trends aggregate it; a trend point's actors list it.
 * The scope's FROM is left to the caller, so it can reference more (e.g. the actor) first.
 */
export interface SeriesSource {
  readonly scope: EventScope;
  readonly aggregate: Aggregate;
  /** Look-back of weekly/monthly active maths, in days. */
  readonly windowDays: number | undefined;
  /** Wall-clock event time. */
  readonly local: Sql;
  /** Bucket start (wall clock), or NULL for total-value displays. */
  readonly bucket: Sql;
  /** Breakdown value (null bucket and "other" folded in), or NULL without a breakdown. */
  readonly breakdown: Sql;
  readonly conditions: Sql;
}

export function seriesSource(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan, totalValue: boolean, keepBreakdowns?: string[]): SeriesSource {
  const scope = new EventScope(ctx.store.dialect, ctx.projectId, ctx.maxGroupTypes, ctx.timeZone);
  const { node, range } = plan;
  const attr = `series.${plan.order}`;
  const interval: Interval = query.interval ?? 'day';
  const agg = aggregate(scope, node, attr);
  const windowDays = activeWindowDays(node);

  let breakdown = scope.breakdown(query.breakdownFilter);
  if (breakdown) {
    breakdown = sql`coalesce(${breakdown}, ${BREAKDOWN_NULL})`;
    if (keepBreakdowns) {
      breakdown = keepBreakdowns.length
        ? sql`CASE WHEN ${breakdown} IN (${join(keepBreakdowns.map((v) => sql`${v}`), ', ')}) THEN ${breakdown} ELSE ${BREAKDOWN_OTHER} END`
        : sql`${BREAKDOWN_OTHER}`;
    }
  }
  const local = scope.localTime();
  const bucket = totalValue ? raw('NULL') : ctx.store.dialect.truncate(interval, local);

  // Active-user maths look back N days from each bucket's end, so read from before the range.
  const fromUtc = fromNaive(windowDays ? addIntervals(range.from, 'day', -windowDays) : range.from, ctx.timeZone);
  const toUtc = fromNaive(range.to, ctx.timeZone);
  const conditions = and([
    sql`e.project_id = ${ctx.projectId}`,
    sql`e.timestamp >= ${fromUtc}`,
    sql`e.timestamp <= ${toUtc}`,
    ...(node.event ? [sql`e.event = ${node.event}`] : []),
    scope.filters(query.properties, 'properties'),
    scope.filters(node.properties, `${attr}.properties`),
    ...agg.where,
  ]);
  return { scope, aggregate: agg, windowDays, local, bucket, breakdown: breakdown ?? raw('NULL'), conditions };
}

export interface ActiveWindow {
  /** The bucket the window belongs to; null for a total value. */
  readonly bucket: Naive | null;
  /** Wall-clock bounds: start inclusive, end exclusive. */
  readonly start: Naive;
  readonly end: Naive;
}

/** Weekly/monthly active windows: N days ending at each bucket's end (or at the range's end). */
export function activeWindows(range: ResolvedRange, interval: Interval, totalValue: boolean, windowDays: number): ActiveWindow[] {
  const ends = totalValue
    ? [{ start: null as Naive | null, end: new Date(range.to.getTime() + 1) }]
    : bucketStarts(range.from, range.to, interval).map((start) => ({ start, end: addIntervals(start, interval, 1) }));
  return ends.map((w) => {
    const end = w.end > range.to ? new Date(range.to.getTime() + 1) : w.end;
    return { bucket: w.start, start: addIntervals(end, 'day', -windowDays), end };
  });
}

/** One SQL query for a series over a range: rows of (bucket, breakdown, value). */
function compileSeries(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan, totalValue: boolean, keepBreakdowns?: string[]): Sql {
  const { scope, aggregate: agg, windowDays, local, bucket, breakdown: breakdownSelect, conditions } = seriesSource(ctx, query, plan, totalValue, keepBreakdowns);
  const interval: Interval = query.interval ?? 'day';

  if (windowDays) {
    // Each bucket (or the range's end, for a total value) counts actors active in the N days before its end.
    const d = ctx.store.dialect;
    const windows = d.valuesTable(
      activeWindows(plan.range, interval, totalValue, windowDays).map((w) => [w.bucket, w.start, w.end].map((t) => d.timestampValue(sql`${t}`))),
      'w',
      ['bucket', 'window_start', 'window_end'],
    );
    const body = sql`SELECT ${local} AS local_time, ${breakdownSelect} AS breakdown, ${scope.personId()} AS actor ${scope.from()} WHERE ${conditions}`;
    return sql`SELECT w.bucket, r.breakdown, count(DISTINCT r.actor) AS value
      FROM ${windows}
      JOIN (${body}) r ON r.local_time >= w.window_start AND r.local_time < w.window_end
      GROUP BY 1, 2`;
  }

  if (agg.perActor) {
    const inner = sql`SELECT ${bucket} AS bucket, ${breakdownSelect} AS breakdown, ${agg.perActor.actor} AS actor, count(*) AS actor_count
      ${scope.from()} WHERE ${conditions} GROUP BY 1, 2, 3`;
    return sql`SELECT bucket, breakdown, ${agg.perActor.outer} AS value FROM (${inner}) GROUP BY 1, 2`;
  }
  return sql`SELECT ${bucket} AS bucket, ${breakdownSelect} AS breakdown, ${agg.value} AS value
    ${scope.from()} WHERE ${conditions} GROUP BY 1, 2`;
}

async function runSeries(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan, totalValue: boolean, keep?: string[]): Promise<Row[]> {
  const { sql: text, params } = compileSeries(ctx, query, plan, totalValue, keep).build(ctx.store.dialect);
  const rows = await ctx.store.query(text, params);
  return rows.map((r) => ({
    bucket: r.bucket instanceof Date ? r.bucket : r.bucket == null ? null : new Date(String(r.bucket)),
    breakdown: r.breakdown == null ? null : String(r.breakdown),
    value: Number(r.value),
  }));
}

/** The breakdown values kept when there are more than the limit (the rest become "other"); undefined when all fit. */
function topBreakdowns(query: TrendsQuery, rows: Row[]): string[] | undefined {
  if (!query.breakdownFilter?.breakdown) return undefined;
  const limit = query.breakdownFilter.breakdown_limit ?? DEFAULT_BREAKDOWN_LIMIT;
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.breakdown!, (totals.get(r.breakdown!) ?? 0) + r.value);
  if (totals.size <= limit) return undefined;
  return [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit).map(([v]) => v);
}

/** Ranks breakdown values by their total and keeps the top ones; the rest become "other". */
async function rowsWithBreakdownLimit(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan, totalValue: boolean): Promise<Row[]> {
  const rows = await runSeries(ctx, query, plan, totalValue);
  const top = topBreakdowns(query, rows);
  // Distinct counts do not add up: count "other" again over its own events.
  return top ? runSeries(ctx, query, plan, totalValue, top) : rows;
}

/** The breakdown values a series shows on their own, as its trend ranks them; undefined when there is no "other". */
export async function keptBreakdowns(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan): Promise<string[] | undefined> {
  return topBreakdowns(query, await runSeries(ctx, query, plan, isTotalValue(query)));
}

function seriesLabel(node: EventsNode): string {
  return node.custom_name || node.name || node.event || 'All events';
}

/** One series of a trend's answer, in PostHog's shape (what the web app charts). */
export type TrendsSeriesResult = Awaited<ReturnType<typeof shapeSeries>>[number];

export async function runTrends(ctx: QueryContext, query: TrendsQuery): Promise<TrendsSeriesResult[]> {
  const totalValue = isTotalValue(query);
  const ranges = await seriesRanges(ctx, query);
  const results: TrendsSeriesResult[] = [];
  for (const { range: r, label } of ranges) {
    for (const [order, node] of query.series.entries()) {
      const plan: SeriesPlan = { node, order, range: r, compareLabel: label };
      const rows = await rowsWithBreakdownLimit(ctx, query, plan, totalValue);
      results.push(...(await shapeSeries(ctx, query, plan, rows, totalValue)));
    }
  }
  return results;
}

/** The ranges a trend covers: its date range, then the previous period when comparing. */
export async function seriesRanges(ctx: QueryContext, query: TrendsQuery): Promise<{ range: ResolvedRange; label?: 'current' | 'previous' }[]> {
  const interval: Interval = query.interval ?? 'day';
  const earliest = query.dateRange?.date_from === 'all' ? await earliestEvent(ctx) : undefined;
  const range = resolveDateRange(query.dateRange, ctx.timeZone, ctx.now, earliest);
  if (!query.compareFilter?.compare) return [{ range }];
  return [
    { range, label: 'current' },
    { range: previousRange(range, interval, query.compareFilter?.compare_to), label: 'previous' },
  ];
}

async function shapeSeries(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan, rows: Row[], totalValue: boolean) {
  const interval: Interval = query.interval ?? 'day';
  const { node, order, range } = plan;
  const hasBreakdown = Boolean(query.breakdownFilter?.breakdown);
  const buckets = totalValue ? [] : bucketStarts(range.from, range.to, interval);
  const index = new Map(buckets.map((b, i) => [b.getTime(), i]));

  const byBreakdown = new Map<string | null, Row[]>();
  for (const r of rows) byBreakdown.set(r.breakdown, [...(byBreakdown.get(r.breakdown) ?? []), r]);
  if (!hasBreakdown && byBreakdown.size === 0) byBreakdown.set(null, []);

  const groupKeyBreakdown = hasBreakdown && (query.breakdownFilter?.breakdown_type ?? 'event') === 'event' && /^\$group_\d$/.test(String(query.breakdownFilter?.breakdown));
  const names = groupKeyBreakdown
    ? await ctx.groupNames(Number(String(query.breakdownFilter!.breakdown).slice(-1)), [...byBreakdown.keys()].filter((k): k is string => k !== null))
    : new Map<string, string>();

  const label = seriesLabel(node);
  const entries = [...byBreakdown].map(([breakdown, seriesRows]) => {
    const data = buckets.map(() => 0);
    let aggregated = 0;
    for (const r of seriesRows) {
      if (totalValue) aggregated += r.value;
      else if (r.bucket) {
        const i = index.get(r.bucket.getTime());
        if (i !== undefined) data[i] += r.value;
      }
    }
    const count = totalValue ? aggregated : data.reduce((a, b) => a + b, 0);
    const breakdownLabel = breakdown === null ? undefined : breakdown === BREAKDOWN_NULL ? 'None' : breakdown === BREAKDOWN_OTHER ? 'Other' : (names.get(breakdown) ?? breakdown);
    return {
      data,
      days: buckets.map((b) => formatDay(b, interval)),
      labels: buckets.map((b) => formatLabel(b, interval)),
      count,
      ...(totalValue ? { aggregated_value: aggregated } : {}),
      label: breakdownLabel === undefined ? label : breakdownLabel,
      ...(breakdown === null ? {} : { breakdown_value: breakdown }),
      action: {
        id: node.event ?? null,
        type: 'events',
        order,
        name: node.event ?? 'All events',
        custom_name: node.custom_name ?? null,
        math: node.math ?? 'total',
        math_property: node.math_property ?? null,
        math_group_type_index: node.math_group_type_index ?? null,
      },
      ...(plan.compareLabel ? { compare: true, compare_label: plan.compareLabel } : {}),
      filter: { interval, date_from: formatDay(range.from, 'hour'), date_to: formatDay(range.to, 'hour') },
    };
  });
  // Breakdown series come out largest first, "other" and "none" by their size too.
  return hasBreakdown ? entries.sort((a, b) => b.count - a.count || String(a.breakdown_value).localeCompare(String(b.breakdown_value))) : entries;
}
