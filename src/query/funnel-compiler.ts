// FunnelsQuery to SQL: one query through EventScope that returns the events inside the date range
// that match a step or an exclusion, as (actor, time, step/exclusion bit mask, breakdown value)
// ordered by actor and time; the actor is the person, or the group key when aggregated by group.
// The funnel itself is folded per actor by funnel-evaluator.ts.
import type { FunnelOrder } from './funnel-evaluator.js';
import { EXCLUSION_SHIFT, GAP_BIT } from './funnel-evaluator.js';
import { EventScope } from './event-scope.js';
import type { BreakdownFilter, EventsNode, Properties, PropertyFilter } from './query-schema.js';
import { and, join, or, raw, sql, type Sql } from './sql.js';
import type { Dialect } from './dialect.js';

export interface FunnelSource {
  readonly dialect: Dialect;
  readonly projectId: number;
  readonly maxGroupTypes: number;
  readonly timeZone: string;
  readonly steps: readonly EventsNode[];
  readonly exclusions: readonly { readonly event: string; readonly properties?: readonly PropertyFilter[] | null }[];
  readonly properties: Properties;
  readonly order: FunnelOrder;
  /** Aggregate by this group type's key instead of the person. */
  readonly groupTypeIndex?: number;
  readonly breakdown?: BreakdownFilter;
  /** UTC bounds, inclusive. */
  readonly from: Date;
  readonly to: Date;
}

/**
 * Rows `actor`, `t` (microseconds since the epoch), `mask` (bit k: step k; bit 20+i: exclusion i;
 * strict funnels also set bit 30 when another event of the actor came just before) and `b` (the
 * breakdown value, NULL without a breakdown), ordered by actor and time. Returning rows rather
 * than a list per actor is faster on DuckDB: ordered list aggregates cost more per actor.
 */
export function compileFunnel(source: FunnelSource): Sql {
  const d = source.dialect;
  const scope = new EventScope(d, source.projectId, source.maxGroupTypes, source.timeZone);
  const grouped = source.groupTypeIndex !== undefined;
  const actor = grouped ? scope.groupKey(scope.checkGroupTypeIndex(source.groupTypeIndex, 'aggregation_group_type_index')) : scope.personId();

  const match = (event: string | null | undefined, properties: readonly PropertyFilter[] | null | undefined, attr: string) =>
    and([...(event ? [sql`e.event = ${event}`] : []), ...(properties?.length ? [scope.filters([...properties], attr)] : [])]);
  const stepMatches = source.steps.map((node, i) => match(node.event, node.properties, `series.${i}.properties`));
  const exclusionMatches = source.exclusions.map((x, i) => match(x.event, x.properties, `funnelsFilter.exclusions.${i}.properties`));
  const bits = [
    ...stepMatches.map((match, k) => ({ match, bit: 1 << k })),
    ...exclusionMatches.map((match, i) => ({ match, bit: 1 << (EXCLUSION_SHIFT + i) })),
  ];
  const mask = join(
    bits.map(({ match, bit }) => sql`CASE WHEN ${match} THEN ${raw(String(bit))} ELSE 0 END`),
    ' + ',
  );
  const breakdown = breakdownExpression(scope, source.breakdown);
  const time = d.epochMicros(raw('e.timestamp'));

  const conditions: Sql[] = [
    sql`e.project_id = ${source.projectId}`,
    sql`e.timestamp >= ${source.from}`,
    sql`e.timestamp <= ${source.to}`,
    // Events without the group are not an empty-string actor (PostHog).
    ...(grouped ? [sql`${actor} <> ''`] : []),
    ...(hasFilters(source.properties) ? [scope.filters(source.properties, 'properties')] : []),
  ];
  // Strict funnels need every event of the actor, to see what came between two steps.
  if (source.order !== 'strict') {
    const names = [...source.steps.map((s) => s.event), ...source.exclusions.map((x) => x.event)];
    // A step without an event matches every event; otherwise the event names narrow the scan.
    conditions.push(
      names.every((name): name is string => Boolean(name))
        ? sql`e.event IN (${join([...new Set(names)].map((name) => sql`${name}`), ', ')})`
        : or(bits.map((b) => b.match)),
    );
  }
  const events = sql`SELECT ${actor} AS actor, ${time} AS t, ${mask} AS m, ${breakdown ?? raw('NULL')} AS b
    ${scope.from()}
    WHERE ${and(conditions)}`;

  // Ties on time: lower steps first, so events at one instant read in step order.
  const order = breakdown ? 't, m, b' : 't, m';
  if (source.order !== 'strict') {
    return sql`SELECT actor, t, m AS mask, b FROM (${events}) actor_events WHERE m <> 0 ORDER BY actor, ${raw(order)}`;
  }
  // g marks an event that another event of the actor came right before (the first of equal rows
  // is the one that can follow another event, hence g DESC).
  return sql`SELECT actor, t, m + g AS mask, b FROM (
      SELECT actor, t, m, b, CASE WHEN lag(m) OVER (PARTITION BY actor ORDER BY ${raw(order)}) = 0 THEN ${raw(String(GAP_BIT))} ELSE 0 END AS g
      FROM (${events}) actor_events
    ) strict_events
    WHERE m <> 0
    ORDER BY actor, ${raw(order)}, g DESC`;
}

const hasFilters = (properties: Properties): boolean => Boolean(properties) && (!Array.isArray(properties) || properties.length > 0);

function breakdownExpression(scope: EventScope, filter: BreakdownFilter): Sql | undefined {
  const breakdown = filter?.breakdown;
  if (breakdown === null || breakdown === undefined || breakdown === '') return undefined;
  return scope.property(String(breakdown), filter?.breakdown_type ?? 'event', filter?.breakdown_group_type_index, 'breakdownFilter.breakdown_group_type_index');
}
