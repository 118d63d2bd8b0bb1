// TrendsQuery to SQL: one statement per series (and per compared period) aggregating its events
// per time bucket and breakdown value (compileSeries), and the page of actors behind one point of
// a trend (compileTrendActorPage), both selected by the same series source.
import { HttpError } from '../../errors.js';
import type { Interval } from '../../sql/dialect.js';
import { and, join, raw, sql, type Sql } from '../../sql/sql.js';
import { BREAKDOWN_NULL, BREAKDOWN_OTHER, type QueryContext } from '../context.js';
import { addIntervals, bucketStarts, fromNaive, type Naive, type ResolvedRange } from '../date-range.js';
import { EventScope } from '../event-scope.js';
import type { EventsNode } from '../query-schema.js';
import type { ActorListOptions, TrendsQuery } from './schema.js';

export interface SeriesPlan {
  readonly node: EventsNode;
  readonly order: number;
  readonly range: ResolvedRange;
  readonly compareLabel?: 'current' | 'previous';
}

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
export function compileSeries(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan, totalValue: boolean, keepBreakdowns?: string[]): Sql {
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

/** What a trend point's actors are: persons, or the groups of one type. */
export interface ActorKind {
  readonly kind: 'person' | 'group';
  readonly groupTypeIndex?: number;
}

/** One point of a trend, resolved: the series' plan, the bucket and the breakdown value it reads. */
export interface TrendActorSelection {
  readonly plan: SeriesPlan;
  /** The bucket (wall clock); undefined: the whole range. */
  readonly bucket: Naive | undefined;
  /** A breakdown value; undefined: every value. */
  readonly breakdown: string | undefined;
  /** The breakdown values the trend shows on their own, when the point is "other". */
  readonly keep: string[] | undefined;
  readonly kind: ActorKind;
}

/**
 * The actors behind one point of a trend (InsightActorsQuery over a TrendsQuery): the distinct
 * persons or groups whose events the point counts, selected by the trend's own series source
 * (same scope, conditions, bucket and breakdown expressions), so the list cannot drift from the
 * count. Rows `actor`, `event_count`, `distinct_id`, in `options.order`, `limit + 1` at most (the
 * extra one says there are more).
 */
export function compileTrendActorPage(ctx: QueryContext, query: TrendsQuery, selection: TrendActorSelection, options: ActorListOptions): Sql {
  const { plan, bucket, breakdown, keep, kind } = selection;
  const { range } = plan;
  const interval: Interval = query.interval ?? 'day';
  // Without a day the point is the whole range, as a total-value display counts it.
  const source = seriesSource(ctx, query, plan, bucket === undefined, keep);
  const { scope } = source;
  const actor = kind.kind === 'group' ? scope.groupKey(kind.groupTypeIndex!) : scope.personId();

  const d = ctx.store.dialect;
  const where: Sql[] = [];
  if (breakdown !== undefined) where.push(sql`r.breakdown = ${breakdown}`);
  let time = raw('NULL');
  // Wall-clock span the point reads, to narrow the scan on stored (UTC) timestamps as well.
  let span: { start: Naive; end: Naive } | undefined;
  if (source.windowDays) {
    // Weekly/monthly active: the actors active in the window that ends with the bucket.
    time = source.local;
    const windows = activeWindows(range, interval, bucket === undefined, source.windowDays);
    span = bucket === undefined ? windows[0] : windows.find((x) => x.bucket?.getTime() === bucket.getTime())!;
    where.push(sql`r.time >= ${d.timestampValue(sql`${span.start}`)}`, sql`r.time < ${d.timestampValue(sql`${span.end}`)}`);
  } else if (bucket !== undefined) {
    time = source.bucket;
    span = { start: bucket, end: addIntervals(bucket, interval, 1) };
    where.push(sql`r.time = ${d.timestampValue(sql`${bucket}`)}`);
  }
  // A day of slack on each side keeps time-zone offsets out of the question; r.time decides.
  const scan = span
    ? sql`e.timestamp >= ${fromNaive(addIntervals(span.start, 'day', -1), ctx.timeZone)} AND e.timestamp < ${fromNaive(addIntervals(span.end, 'day', 1), ctx.timeZone)}`
    : raw('TRUE');

  const rows = sql`SELECT ${actor} AS actor, e.distinct_id AS distinct_id, ${time} AS time, ${source.breakdown} AS breakdown
    ${scope.from()} WHERE ${source.conditions} AND ${scan}`;
  const grouped = sql`SELECT r.actor, count(*) AS event_count, min(r.distinct_id) AS distinct_id FROM (${rows}) r
    WHERE ${and(where)} GROUP BY r.actor`;
  let searchJoin = raw('');
  let searchWhere = raw('TRUE');
  if (options.search) {
    const pattern = `%${options.search.replace(/[!%_]/g, (c) => `!${c}`)}%`;
    searchJoin =
      kind.kind === 'group'
        ? sql`LEFT JOIN ${d.table('groups')} a ON a.project_id = ${ctx.projectId} AND a.group_type_index = ${kind.groupTypeIndex} AND a.group_key = m.actor`
        : sql`LEFT JOIN ${d.table('persons')} a ON a.project_id = ${ctx.projectId} AND a.id = m.actor`;
    searchWhere = sql`(${d.ilike(raw('m.actor'), pattern)} OR ${d.ilike(raw('a.properties'), pattern)})`;
  }
  const orderBy = join(
    [...options.order.map((o) => raw(`m.${o.key === 'event_count' ? 'event_count' : 'actor'} ${o.desc ? 'DESC' : 'ASC'}`)), raw('m.actor ASC')],
    ', ',
  );
  return sql`SELECT m.actor, m.event_count, m.distinct_id FROM (${grouped}) m ${searchJoin} WHERE ${searchWhere}
    ORDER BY ${orderBy} LIMIT ${options.limit + 1} OFFSET ${options.offset}`;
}

/**
 * Groups when the series counts groups (unique_group, or per-actor maths with a group type),
 * persons for every other math, as PostHog's actor drill-down does (spec 3.2).
 */
export function actorKind(node: TrendsQuery['series'][number]): ActorKind {
  const perActor = node.math?.endsWith('_count_per_actor') ?? false;
  const groupIndex = node.math_group_type_index;
  if (node.math === 'unique_group' || (perActor && groupIndex !== null && groupIndex !== undefined)) {
    return { kind: 'group', groupTypeIndex: groupIndex ?? undefined };
  }
  return { kind: 'person' };
}
