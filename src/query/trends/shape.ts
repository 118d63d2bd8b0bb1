// A trend's rows in PostHog's shapes: each series' rows (bucket, breakdown, value) become one
// result per breakdown value with a value per bucket; a trend point's actor rows become its page.
import { BREAKDOWN_NULL, BREAKDOWN_OTHER, type QueryContext } from '../context.js';
import { bucketStarts, formatDay, formatLabel, type Naive } from '../date-range.js';
import type { Interval } from '../../sql/dialect.js';
import { GROUP_KEY_PROPERTY } from '../event-scope.js';
import { namesBreakdown, type EventsNode } from '../query-schema.js';
import type { ActorKind, SeriesPlan } from './compile.js';
import type { TrendsQuery } from './schema.js';

export interface Row {
  readonly bucket: Naive | null;
  readonly breakdown: string | null;
  readonly value: number;
}

/** A row of compileSeries' statement. */
export function toRow(r: Record<string, unknown>): Row {
  return {
    bucket: r.bucket instanceof Date ? r.bucket : r.bucket == null ? null : new Date(String(r.bucket)),
    breakdown: r.breakdown == null ? null : String(r.breakdown),
    value: Number(r.value),
  };
}

function seriesLabel(node: EventsNode): string {
  return node.custom_name || node.name || node.event || 'All events';
}

/** One series of a trend's answer, in PostHog's shape (what the web app charts). */
export type TrendsSeriesResult = Awaited<ReturnType<typeof shapeSeries>>[number];

export async function shapeSeries(ctx: QueryContext, query: TrendsQuery, plan: SeriesPlan, rows: Row[], totalValue: boolean) {
  const interval: Interval = query.interval ?? 'day';
  const { node, order, range } = plan;
  const hasBreakdown = namesBreakdown(query.breakdownFilter);
  const buckets = totalValue ? [] : bucketStarts(range.from, range.to, interval);
  const index = new Map(buckets.map((b, i) => [b.getTime(), i]));

  const byBreakdown = new Map<string | null, Row[]>();
  for (const r of rows) byBreakdown.set(r.breakdown, [...(byBreakdown.get(r.breakdown) ?? []), r]);
  if (!hasBreakdown && byBreakdown.size === 0) byBreakdown.set(null, []);

  const groupKeyBreakdown = hasBreakdown && (query.breakdownFilter?.breakdown_type ?? 'event') === 'event' && GROUP_KEY_PROPERTY.test(String(query.breakdownFilter?.breakdown));
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

export interface TrendActors extends ActorKind {
  readonly actors: readonly { id: string; eventCount: number; distinctId: string }[];
  readonly hasMore: boolean;
}

/** compileTrendActorPage's rows (one past the page when there are more) as the page of actors. */
export function shapeActorPage(kind: ActorKind, rows: readonly Record<string, unknown>[], limit: number): TrendActors {
  return {
    ...kind,
    actors: rows.slice(0, limit).map((r) => ({ id: String(r.actor), eventCount: Number(r.event_count), distinctId: String(r.distinct_id) })),
    hasMore: rows.length > limit,
  };
}
