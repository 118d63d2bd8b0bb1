// TrendsQuery: one SQL query per series (and per compared period), aggregated per time bucket
// and breakdown value (compile.ts), shaped into PostHog's result list (shape.ts); and the actors
// behind one point of a trend, for ActorsQuery (trendActors).
import { HttpError } from '../../errors.js';
import type { Interval } from '../../sql/dialect.js';
import { BREAKDOWN_OTHER, queryDateRange, type QueryContext } from '../context.js';
import { bucketStarts, previousRange, toNaive, truncate, type Naive, type ResolvedRange } from '../date-range.js';
import { DEFAULT_BREAKDOWN_LIMIT, namesBreakdown } from '../query-schema.js';
import { actorKind, compileSeries, compileTrendActorPage, type SeriesPlan } from './compile.js';
import { isTotalValue, type ActorListOptions, type TrendPoint, type TrendsQuery } from './schema.js';
import { shapeActorPage, shapeSeries, toRow, type Row, type TrendActors, type TrendsSeriesResult } from './shape.js';

async function runSeries(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan, totalValue: boolean, keep?: string[]): Promise<Row[]> {
  const { sql: text, params } = compileSeries(ctx, query, plan, totalValue, keep).build(ctx.store.dialect);
  const rows = await ctx.store.query(text, params);
  return rows.map(toRow);
}

/** The breakdown values kept when there are more than the limit (the rest become "other"); undefined when all fit. */
function topBreakdowns(query: TrendsQuery, rows: Row[]): string[] | undefined {
  if (!namesBreakdown(query.breakdownFilter)) return undefined;
  const limit = query.breakdownFilter!.breakdown_limit ?? DEFAULT_BREAKDOWN_LIMIT;
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
async function keptBreakdowns(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan): Promise<string[] | undefined> {
  return topBreakdowns(query, await runSeries(ctx, query, plan, isTotalValue(query)));
}

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
async function seriesRanges(ctx: QueryContext, query: TrendsQuery): Promise<{ range: ResolvedRange; label?: 'current' | 'previous' }[]> {
  const interval: Interval = query.interval ?? 'day';
  const range = await queryDateRange(ctx, query.dateRange);
  if (!query.compareFilter?.compare) return [{ range }];
  return [
    { range, label: 'current' },
    { range: previousRange(range, interval, query.compareFilter?.compare_to), label: 'previous' },
  ];
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

/**
 * The actors behind one point of a trend (InsightActorsQuery over a TrendsQuery), one page of
 * them: the point is checked against the trend (series, compared period, bucket, breakdown), then
 * compileTrendActorPage selects them with the trend's own series source.
 */
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

  if (point.breakdown !== undefined && !namesBreakdown(query.breakdownFilter)) {
    throw new HttpError('invalid_input', 'breakdown was given but the insight has no breakdownFilter.', 'source.breakdown');
  }
  // "Other" holds the values the trend did not keep on their own, so rank them as the trend does.
  let keep: string[] | undefined;
  if (point.breakdown === BREAKDOWN_OTHER) {
    keep = await keptBreakdowns(ctx, query, plan);
    if (!keep) return { ...actorKind(node), actors: [], hasMore: false };
  }

  const kind = actorKind(node);
  const page = compileTrendActorPage(ctx, query, { plan, bucket, breakdown: point.breakdown, keep, kind }, options);
  const { sql: text, params } = page.build(ctx.store.dialect);
  return shapeActorPage(kind, await ctx.store.query(text, params), options.limit);
}
