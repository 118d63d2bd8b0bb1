// The actors behind one point of a trend (InsightActorsQuery over a TrendsQuery): the distinct
// persons or groups whose events the point counts, selected by the trend's own series source
// (same scope, conditions, bucket and breakdown expressions), so the list cannot drift from the count.
import { HttpError } from '../../errors.js';
import { addIntervals, bucketStarts, fromNaive, toNaive, truncate, type Naive } from '../date-range.js';
import type { Interval } from '../../sql/dialect.js';
import type { TrendsQuery } from '../query-schema.js';
import { and, join, raw, sql, type Sql } from '../../sql/sql.js';
import { activeWindows, keptBreakdowns, seriesRanges, seriesSource, type SeriesPlan } from './trends.js';
import { BREAKDOWN_OTHER, type QueryContext } from '../context.js';

export interface TrendPoint {
  readonly source: TrendsQuery;
  /** Index into source.series. */
  readonly series: number;
  /** The bucket, as in the trend's `days` ('YYYY-MM-DD', or 'YYYY-MM-DD HH:00:00' hourly); absent: the whole range. */
  readonly day?: string;
  /** A breakdown value as in the trend's `breakdown_value`; absent: every value. */
  readonly breakdown?: string;
  readonly compare?: 'current' | 'previous';
}

export type ActorOrderKey = 'event_count' | 'actor_id';

export interface ActorListOptions {
  readonly limit: number;
  readonly offset: number;
  /** Sort keys in order; the actor id (ascending) always breaks remaining ties. */
  readonly order: readonly { key: ActorOrderKey; desc: boolean }[];
  /** Case-insensitive substring of the actor's id or of its properties (as JSON text). */
  readonly search?: string;
}

export interface TrendActors {
  readonly kind: 'person' | 'group';
  readonly groupTypeIndex?: number;
  readonly actors: readonly { id: string; eventCount: number; distinctId: string }[];
  readonly hasMore: boolean;
}

const DAY = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** The trend bucket a `day` names, as wall-clock time; instants with a zone are moved into the project's. */
function parseDay(day: string, interval: Interval, timeZone: string): Naive {
  const m = DAY.exec(day.trim());
  const bad = () => new HttpError('invalid_input', `day "${day}" is not a date: use a bucket as in the trend's days, e.g. 2026-01-05 or 2026-01-05 14:00:00.`, 'source.day');
  if (!m) throw bad();
  const wallClock = `${m[1]}T${m[2] ?? '00'}:${m[3] ?? '00'}:${m[4] ?? '00'}`;
  const ms = Date.parse(m[5] ? `${wallClock}${m[5]}` : `${wallClock}Z`);
  if (Number.isNaN(ms)) throw bad();
  const naive = m[5] ? toNaive(new Date(ms), timeZone) : new Date(ms);
  return truncate(naive, interval);
}

export async function trendActors(ctx: QueryContext, point: TrendPoint, options: ActorListOptions): Promise<TrendActors> {
  const query = point.source;
  const node = query.series[point.series];
  if (!node) throw new HttpError('invalid_input', `series ${point.series} does not exist: the insight has ${query.series.length}.`, 'source.series');
  const interval: Interval = query.interval ?? 'day';

  const ranges = await seriesRanges(ctx, query);
  const wanted = point.compare ?? 'current';
  const range = ranges.find((r) => (r.label ?? 'current') === wanted)?.range;
  if (!range) throw new HttpError('invalid_input', 'compare "previous" needs an insight with compareFilter.compare.', 'source.compare');
  const plan: SeriesPlan = { node, order: point.series, range };

  const bucket = point.day === undefined ? undefined : parseDay(point.day, interval, ctx.timeZone);
  if (bucket && !bucketStarts(range.from, range.to, interval).some((b) => b.getTime() === bucket.getTime())) {
    throw new HttpError('invalid_input', `day "${point.day}" is not a point of this insight's date range.`, 'source.day');
  }

  const hasBreakdown = query.breakdownFilter?.breakdown !== null && query.breakdownFilter?.breakdown !== undefined && query.breakdownFilter.breakdown !== '';
  if (point.breakdown !== undefined && !hasBreakdown) {
    throw new HttpError('invalid_input', 'breakdown was given but the insight has no breakdownFilter.', 'source.breakdown');
  }
  // "Other" holds the values the trend did not keep on their own, so rank them as the trend does.
  let keep: string[] | undefined;
  if (point.breakdown === BREAKDOWN_OTHER) {
    keep = await keptBreakdowns(ctx, query, plan);
    if (!keep) return { ...actorKind(node), actors: [], hasMore: false };
  }

  // Without a day the point is the whole range, as a total-value display counts it.
  const source = seriesSource(ctx, query, plan, bucket === undefined, keep);
  const { scope } = source;
  const kind = actorKind(node);
  const actor = kind.kind === 'group' ? scope.groupKey(kind.groupTypeIndex!) : scope.personId();

  const d = ctx.store.dialect;
  const where: Sql[] = [];
  if (point.breakdown !== undefined) where.push(sql`r.breakdown = ${point.breakdown}`);
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
  const page = sql`SELECT m.actor, m.event_count, m.distinct_id FROM (${grouped}) m ${searchJoin} WHERE ${searchWhere}
    ORDER BY ${orderBy} LIMIT ${options.limit + 1} OFFSET ${options.offset}`;

  const { sql: text, params } = page.build(ctx.store.dialect);
  const result = await ctx.store.query(text, params);
  return {
    ...kind,
    actors: result.slice(0, options.limit).map((r) => ({ id: String(r.actor), eventCount: Number(r.event_count), distinctId: String(r.distinct_id) })),
    hasMore: result.length > options.limit,
  };
}

/**
 * Groups when the series counts groups (unique_group, or per-actor maths with a group type),
 * persons for every other math, as PostHog's actor drill-down does (spec 3.2).
 */
function actorKind(node: TrendsQuery['series'][number]): { kind: 'person' | 'group'; groupTypeIndex?: number } {
  const perActor = node.math?.endsWith('_count_per_actor') ?? false;
  const groupIndex = node.math_group_type_index;
  if (node.math === 'unique_group' || (perActor && groupIndex !== null && groupIndex !== undefined)) {
    return { kind: 'group', groupTypeIndex: groupIndex ?? undefined };
  }
  return { kind: 'person' };
}
