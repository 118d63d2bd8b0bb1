// FunnelsQuery to SQL: the engine finds each actor's best attempt and aggregates the steps; Node
// receives one row per breakdown bucket (compileFunnelSteps) or one per listed actor
// (compileFunnelActorPage). The actor is the person, or the group key when aggregated by group.
//
// Semantics (spec section 3.3; test/reference/funnel-evaluator.ts states them as plain loops):
// - An attempt starts at each step-1 event. Each later step is the first event of that step
//   strictly later than the previous step's event (`ordered`), or the actor's very next event
//   (`strict`), no later than the conversion window after the attempt's start (the edge counts
//   as inside). `unordered` attempts start at any step event and take the most steps that distinct
//   events inside the window can satisfy, in any order. One event never counts for two steps.
// - An exclusion invalidates an attempt when its event (not one of the attempt's own) happens
//   strictly after the attempt's `fromStep` event and strictly before its `toStep` event, or, when
//   that step was not reached, up to the end of the window.
// - An actor counts with its furthest valid attempt (the earliest of equals, whose step times
//   give the conversion times); an actor without a valid attempt is left out.
// - Breakdowns: first/last touch give the actor one value (its first/last step event with a
//   value); `all_events` runs the funnel once per value over that value's events (in a strict
//   funnel another value's event still stands between two steps); `step` runs it once per value
//   seen on that step's events, the step only matching events with the value (unordered: the
//   attempt's first event must carry it). An actor can so count under several values, as in PostHog.
//
// How: each event gets a bit mask (bit k: step k; bit EXCLUSION_SHIFT + i: exclusion i). Ordered
// attempts follow their steps with one nearest-later join per step (an ASOF join on DuckDB),
// strict ones read the next rows, unordered ones take the first event of each step inside a
// window frame. Exclusions count their events between two times as the difference of two running
// counts, less the attempt's own step events among them.
import { EventScope } from '../event-scope.js';
import type { Dialect } from '../../sql/dialect.js';
import type { BreakdownFilter, EventsNode, Properties, PropertyFilter } from '../query-schema.js';
import { and, join, or, raw, sql, type Sql } from '../../sql/sql.js';
import { BREAKDOWN_NULL, BREAKDOWN_OTHER } from '../context.js';

export const MAX_STEPS = 20;
export const MAX_EXCLUSIONS = 10;
export const EXCLUSION_SHIFT = 20;
/**
 * Unordered funnels whose steps may share an event (the same event name, or a step on any event)
 * count them with Hall's theorem over every subset of those steps: at most this many of them.
 */
export const MAX_SHARED_UNORDERED_STEPS = 6;

export type FunnelOrder = 'ordered' | 'strict' | 'unordered';
export type BreakdownAttribution = 'first_touch' | 'last_touch' | 'all_events' | 'step';

export interface FunnelExclusion {
  readonly event: string;
  readonly properties?: readonly PropertyFilter[] | null;
  /** 0-based step indexes, fromStep < toStep. */
  readonly fromStep: number;
  readonly toStep: number;
}

export interface FunnelSource {
  readonly dialect: Dialect;
  readonly projectId: number;
  readonly maxGroupTypes: number;
  readonly timeZone: string;
  readonly steps: readonly EventsNode[];
  readonly exclusions: readonly FunnelExclusion[];
  readonly properties: Properties;
  readonly order: FunnelOrder;
  /** Conversion window, in microseconds. */
  readonly windowMicros: number;
  /** Aggregate by this group type's key instead of the person. */
  readonly groupTypeIndex?: number;
  readonly breakdown?: BreakdownFilter;
  /** With a breakdown. */
  readonly attribution?: BreakdownAttribution;
  /** 0-based step whose events give the value, for `step` attribution. */
  readonly attributionStep?: number;
  /** UTC bounds, inclusive. */
  readonly from: Date;
  readonly to: Date;
}

/** Relations built one after another, rendered as one WITH clause. */
class Relations {
  private readonly list: [string, Sql][] = [];
  add(name: string, body: Sql): Sql {
    this.list.push([name, body]);
    return raw(name);
  }
  with(): Sql {
    return sql`WITH ${join(
      this.list.map(([name, body]) => sql`${raw(name)} AS (${body})`),
      ',\n',
    )}`;
  }
}

const range = (n: number, from = 0) => Array.from({ length: n - from }, (_, i) => i + from);
const columns = (prefix: string, indexes: readonly number[]) => indexes.map((k) => raw(`${prefix}${k}`));
const count = (condition: Sql) => sql`CASE WHEN ${condition} THEN 1 ELSE 0 END`;
const sum = (terms: readonly Sql[]) => (terms.length === 0 ? raw('0') : sql`(${join(terms, ' + ')})`);

/** Which steps may match the same event: those sharing an event name, and every step when one matches any event. */
export function sharedSteps(steps: readonly EventsNode[]): number[] {
  if (steps.some((s) => !s.event)) return range(steps.length);
  return range(steps.length).filter((k) => steps.some((other, j) => j !== k && other.event === steps[k].event));
}

/**
 * The funnel per actor: relation `actor_funnels` with `actor` (text), `value` (the breakdown
 * value, BREAKDOWN_NULL for none; NULL without a breakdown), `reached` (1..steps) and `d1`..
 * (seconds from the previous step, NULL past `reached`): one row per actor, or per actor and value.
 */
function actorFunnels(source: FunnelSource): { relations: Relations; hasBreakdown: boolean } {
  const d = source.dialect;
  const n = source.steps.length;
  const scope = new EventScope(d, source.projectId, source.maxGroupTypes, source.timeZone);
  const grouped = source.groupTypeIndex !== undefined;
  const actor = grouped ? scope.groupKey(scope.checkGroupTypeIndex(source.groupTypeIndex, 'aggregation_group_type_index')) : scope.personId();

  const match = (event: string | null | undefined, properties: readonly PropertyFilter[] | null | undefined, attr: string) =>
    and([...(event ? [sql`e.event = ${event}`] : []), ...(properties?.length ? [scope.filters([...properties], attr)] : [])]);
  const stepMatches = source.steps.map((node, i) => match(node.event, node.properties, `series.${i}.properties`));
  const exclusionMatches = source.exclusions.map((x, i) => match(x.event, x.properties, `funnelsFilter.exclusions.${i}.properties`));
  const bits = [
    ...stepMatches.map((m, k) => ({ match: m, bit: 2 ** k })),
    ...exclusionMatches.map((m, i) => ({ match: m, bit: 2 ** (EXCLUSION_SHIFT + i) })),
  ];
  const mask = join(
    bits.map(({ match: m, bit }) => sql`CASE WHEN ${m} THEN ${raw(String(bit))} ELSE 0 END`),
    ' + ',
  );
  const breakdown = scope.breakdown(source.breakdown);
  const attribution = breakdown ? (source.attribution ?? 'first_touch') : undefined;
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
  const r = new Relations();
  // `l`: the breakdown value as a bucket label (a run of the funnel per value needs one for null).
  const label = breakdown ? sql`coalesce(${breakdown}, ${BREAKDOWN_NULL})` : sql`CAST(NULL AS VARCHAR)`;
  const events = r.add(
    'funnel_events',
    sql`SELECT CAST(${actor} AS VARCHAR) AS actor, ${time} AS t, ${mask} AS m, ${breakdown ?? sql`CAST(NULL AS VARCHAR)`} AS b, ${label} AS l
      ${scope.from()}
      WHERE ${and(conditions)}`,
  );
  const stepBits = 2 ** n - 1;
  const W = source.windowMicros;
  // all_events: each value's events are a funnel of their own, so the value is part of the actor.
  const byValue = attribution === 'all_events';
  const partition = byValue ? raw('actor, l') : raw('actor');
  const sameActor = (a: string, b: string, runColumn = 'run') => raw(`${b}.actor = ${a}.actor${byValue ? ` AND ${b}.l = ${a}.${runColumn}` : ''}`);
  const attributedStep = attribution === 'step' && source.order !== 'unordered' ? (source.attributionStep ?? 0) : undefined;
  // step attribution past the first step: one run per value seen on that step's events (none: one null run).
  const runs =
    attributedStep !== undefined && attributedStep > 0
      ? r.add(
          'funnel_runs',
          sql`SELECT s.actor, coalesce(v.l, ${BREAKDOWN_NULL}) AS run
            FROM (SELECT DISTINCT actor FROM ${events} WHERE ${d.hasAnyBit(raw('m'), 1)}) s
            LEFT JOIN (SELECT DISTINCT actor, l FROM ${events} WHERE ${d.hasAnyBit(raw('m'), 2 ** attributedStep)}) v ON v.actor = s.actor`,
        )
      : undefined;
  // The run an attempt starting on a row belongs to, when the row decides it.
  const ownRun = attribution === 'all_events' || attribution === 'step' ? raw('l') : sql`CAST(NULL AS VARCHAR)`;

  // Attempts: `t0`.. (step times, NULL past the last step reached inside the window), `m0`.. (their masks), `run`.
  let attempts: Sql;
  if (source.order === 'ordered') {
    let previous =
      runs !== undefined
        ? r.add(
            'funnel_attempts_0',
            sql`SELECT e.actor, u.run, e.t AS t0, e.m AS m0 FROM ${events} e JOIN ${runs} u ON u.actor = e.actor WHERE ${d.hasAnyBit(raw('e.m'), 1)}`,
          )
        : r.add('funnel_attempts_0', sql`SELECT actor, ${ownRun} AS run, t AS t0, m AS m0 FROM ${events} WHERE ${d.hasAnyBit(raw('m'), 1)}`);
    // Each join sorts what it carries: the step's masks only for exclusions, labels only for runs.
    const withMasks = source.exclusions.length > 0;
    for (const k of range(n, 1)) {
      const restricted = k === attributedStep;
      const carried = ['actor', 't', ...(byValue || restricted ? ['l'] : []), ...(withMasks ? ['m'] : [])].join(', ');
      const rows = sql`(SELECT ${raw(carried)} FROM ${events} WHERE ${d.hasAnyBit(raw('m'), 2 ** k)}) n`;
      const on = restricted ? sql`${sameActor('a', 'n')} AND n.l = a.run` : sameActor('a', 'n');
      previous = r.add(
        `funnel_attempts_${k}`,
        sql`SELECT a.*, n.t AS ${raw(`t${k}`)}${withMasks ? raw(`, n.m AS m${k}`) : raw('')} FROM ${d.nearestJoin(sql`${previous} a`, rows, on, raw('n.t'), 'after', raw(`a.t${k - 1}`))}`,
      );
    }
    // Later steps are later still: once one is outside the window, so are the rest. A join from
    // a missing step may still find a row (a NULL probe can match), hence the earlier steps' check.
    const inside = (k: number) => and([...range(k, 1).map((j) => raw(`t${j} IS NOT NULL`)), sql`${raw(`t${k}`)} <= t0 + ${W}`]);
    attempts = r.add(
      'funnel_attempts',
      sql`SELECT actor, run, t0, m0${join(
        range(n, 1).map((k) => sql`, CASE WHEN ${inside(k)} THEN ${raw(`t${k}`)} END AS ${raw(`t${k}`)}${withMasks ? raw(`, m${k}`) : raw('')}`),
        '',
      )} FROM ${previous}`,
    );
  } else if (source.order === 'strict') {
    const order = raw('t, m');
    const next = (column: string, j: number) => d.lead(raw(column), j, raw('actor'), order);
    // The next rows' values only when a run depends on them: every lead is sorted along with
    // all of the actor's events, the bulk of a strict funnel's cost.
    const withValues = byValue || runs !== undefined;
    const leads = r.add(
      'funnel_next_rows',
      sql`SELECT actor, t AS t0, m AS m0${withValues ? raw(', l AS l0') : raw('')}, ${ownRun} AS run${join(
        range(n, 1).map(
          (j) => sql`, ${next('t', j)} AS ${raw(`t${j}`)}, ${next('m', j)} AS ${raw(`m${j}`)}${withValues ? sql`, ${next('l', j)} AS ${raw(`l${j}`)}` : raw('')}`,
        ),
        '',
      )} FROM ${events}`,
    );
    // Step j: the j-th next row, a step-j event later than the one before, inside the window.
    const stepHolds = (j: number) =>
      and([
        d.hasAnyBit(raw(`m${j}`), 2 ** j),
        raw(`t${j} > t${j - 1}`),
        sql`${raw(`t${j}`)} <= t0 + ${W}`,
        ...(byValue ? [raw(`l${j} = l0`)] : []),
      ]);
    let strictAttempts = r.add(
      'funnel_strict_attempts',
      sql`SELECT actor, run${withValues ? raw(`, l${attributedStep ? attributedStep : 0} AS la`) : raw('')}, t0, m0${join(
        range(n, 1).map((k) => sql`, CASE WHEN ${and(range(k + 1, 1).map(stepHolds))} THEN ${raw(`t${k}`)} END AS ${raw(`t${k}`)}, ${raw(`m${k}`)}`),
        '',
      )} FROM ${leads} WHERE ${d.hasAnyBit(raw('m0'), 1)}`,
    );
    if (runs !== undefined) {
      // Each attempt in each of the actor's runs: past the attributed step only with that run's value.
      strictAttempts = r.add(
        'funnel_strict_runs',
        sql`SELECT a.actor, u.run, a.t0, a.m0${join(
          range(n, 1).map((k) =>
            k < attributedStep! ? sql`, a.${raw(`t${k}`)}, a.${raw(`m${k}`)}` : sql`, CASE WHEN a.la = u.run THEN a.${raw(`t${k}`)} END AS ${raw(`t${k}`)}, a.${raw(`m${k}`)}`,
          ),
          '',
        )} FROM ${strictAttempts} a JOIN ${runs} u ON u.actor = a.actor`,
      );
    }
    attempts = strictAttempts;
  } else {
    const shared = sharedSteps(source.steps);
    if (shared.length > MAX_SHARED_UNORDERED_STEPS) {
      throw new Error(`unordered funnels support at most ${MAX_SHARED_UNORDERED_STEPS} steps on shared events`);
    }
    const subsets = shared.length > 1 ? range(2 ** shared.length, 1).map((s) => shared.filter((_, i) => s & (2 ** i))) : [];
    const frame = sql`(PARTITION BY ${partition} ORDER BY t RANGE BETWEEN CURRENT ROW AND ${W} FOLLOWING)`;
    const subsetMask = (s: number[]) => s.reduce((m, k) => m | (2 ** k), 0);
    // Anchors: every step event; with shared steps, the events inside its window per subset of them.
    let windowed = r.add(
      'funnel_anchors',
      sql`SELECT * FROM (SELECT actor, ${ownRun} AS run, t AS t0, m AS a${join(
        subsets.map((s) => sql`, ${d.aggregateIf('count', null, d.hasAnyBit(raw('m'), subsetMask(s)))} OVER ${frame} AS ${raw(`c${subsetMask(s)}`)}`),
        '',
      )} FROM ${events}) anchors WHERE ${d.hasAnyBit(raw('a'), stepBits)}`,
    );
    // Each step's first event at or after the anchor (a nearest join is much cheaper than a
    // filtered aggregate over a window frame), kept when inside the window.
    for (const k of range(n)) {
      const rows = sql`(SELECT actor, l, t, m FROM ${events} WHERE ${d.hasAnyBit(raw('m'), 2 ** k)}) n`;
      windowed = r.add(
        `funnel_first_${k}`,
        sql`SELECT a.*, CASE WHEN n.t <= a.t0 + ${W} THEN n.t END AS ${raw(`f${k}`)}, n.m AS ${raw(`m${k}`)}
          FROM ${d.nearestJoin(sql`${windowed} a`, rows, sameActor('a', 'n'), raw('n.t'), 'atOrAfter', raw('a.t0'))}`,
      );
    }
    // Steps of their own count when they happen; steps sharing events count as many as distinct
    // events can serve: |shared| - max over subsets S of (|S| - events matching S) (Hall).
    const alone = range(n).filter((k) => !shared.includes(k));
    const sharedReached =
      shared.length === 0
        ? raw('0')
        : shared.length === 1
          ? count(raw(`f${shared[0]} IS NOT NULL`))
          : sql`least(${raw(String(shared.length))}${join(
              subsets.map((s) => sql`, ${raw(`${shared.length - s.length} + c${subsetMask(s)}`)}`),
              '',
            )})`;
    const reached = sql`${sum(alone.map((k) => count(raw(`f${k} IS NOT NULL`))))} + ${sharedReached}`;
    const sorted = r.add(
      'funnel_sorted',
      sql`SELECT *, ${reached} AS reached, ${d.sortedList(columns('f', range(n)))} AS sorted FROM ${windowed}`,
    );
    attempts = r.add(
      'funnel_attempts',
      sql`SELECT *${join(
        range(n).map((j) => sql`, CASE WHEN reached > ${raw(String(j))} THEN ${d.listElement(raw('sorted'), j)} END AS ${raw(`t${j}`)}`),
        '',
      )} FROM ${sorted}`,
    );
  }

  // Exclusions: an attempt past fromStep is void when more excluded events lie strictly between
  // its fromStep event and its toStep event (or up to the window's end) than its own step events.
  const reachedOf = source.order === 'unordered' ? raw('reached') : sql`(1${join(range(n, 1).map((k) => sql` + ${count(raw(`t${k} IS NOT NULL`))}`), '')})`;
  let valid = r.add('funnel_reached', sql`SELECT *, ${reachedOf} AS reached_steps FROM ${attempts}`);
  if (source.exclusions.length > 0) {
    const bounds = source.exclusions.map((x, i) => {
      const lo = raw(`t${source.order === 'unordered' ? 0 : x.fromStep}`);
      const to = raw(`t${x.toStep}`);
      // Times are whole microseconds: "at most t" is "below t + 1".
      return sql`, ${lo} + 1 AS ${raw(`lo${i}`)}, CASE WHEN ${to} IS NOT NULL THEN ${to} ELSE t0 + ${W} + 1 END AS ${raw(`hi${i}`)}`;
    });
    let checked = r.add('funnel_exclusion_bounds', sql`SELECT *${join(bounds, '')} FROM ${valid}`);
    for (const [i] of source.exclusions.entries()) {
      const bit = 2 ** (EXCLUSION_SHIFT + i);
      const excluded = r.add(
        `funnel_excluded_${i}`,
        sql`SELECT actor, l, t, count(*) OVER (PARTITION BY ${partition} ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS below
          FROM ${events} WHERE ${d.hasAnyBit(raw('m'), bit)}`,
      );
      for (const side of ['lo', 'hi']) {
        checked = r.add(
          `funnel_exclusion_${i}_${side}`,
          sql`SELECT a.*, x.below AS ${raw(`${side}_count${i}`)} FROM ${d.nearestJoin(sql`${checked} a`, sql`${excluded} x`, sameActor('a', 'x'), raw('x.t'), 'before', raw(`a.${side}${i}`))}`,
        );
      }
    }
    const voided = source.exclusions.map((x, i) => {
      const bit = 2 ** (EXCLUSION_SHIFT + i);
      const own =
        source.order === 'unordered'
          ? sum(range(n).map((k) => count(sql`${raw(`f${k}`)} > t0 AND ${raw(`f${k}`)} < ${raw(`hi${i}`)} AND ${d.hasAnyBit(raw(`m${k}`), bit)}`)))
          : sum(range(x.toStep, x.fromStep + 1).map((j) => count(sql`${raw(`t${j}`)} IS NOT NULL AND ${d.hasAnyBit(raw(`m${j}`), bit)}`)));
      return sql`(${raw(`lo${i}`)} IS NOT NULL AND coalesce(${raw(`hi_count${i}`)}, 0) - coalesce(${raw(`lo_count${i}`)}, 0) > ${own})`;
    });
    valid = r.add('funnel_valid', sql`SELECT * FROM ${checked} WHERE NOT ${or(voided)}`);
  }

  // The furthest attempt per actor and run, the earliest of equals giving the conversion times.
  const best = [raw('-reached_steps'), raw('t0')];
  const perActor = r.add(
    'funnel_best',
    sql`SELECT actor, run, max(reached_steps) AS reached${join(
      range(n, 1).map((k) => sql`, ${d.argMin(sql`(${raw(`t${k}`)} - ${raw(`t${k - 1}`)}) / 1000000`, best)} AS ${raw(`d${k}`)}`),
      '',
    )} FROM ${valid} GROUP BY actor, run`,
  );
  const deltas = join(columns('d', range(n, 1)), ', ');
  if (attribution === 'first_touch' || attribution === 'last_touch') {
    const pick = attribution === 'first_touch' ? d.argMin : d.argMax;
    const labels = r.add(
      'funnel_labels',
      sql`SELECT actor, coalesce(${pick(raw('b'), [raw('t'), raw('m'), raw('b')], sql`${d.hasAnyBit(raw('m'), stepBits)} AND b IS NOT NULL`)}, ${BREAKDOWN_NULL}) AS value
        FROM ${events} GROUP BY actor`,
    );
    r.add('actor_funnels', sql`SELECT f.actor, v.value, f.reached, ${deltas} FROM ${perActor} f JOIN ${labels} v ON v.actor = f.actor`);
  } else {
    r.add('actor_funnels', sql`SELECT actor, run AS value, reached, ${deltas} FROM ${perActor}`);
  }
  return { relations: r, hasBreakdown: breakdown !== undefined };
}

/** `actor_funnels` with `bucket`: the value, or BREAKDOWN_OTHER past the `limit` values with the most conversions. */
function bucketed(source: FunnelSource, limit: number): { relations: Relations; hasBreakdown: boolean } {
  const { relations: r, hasBreakdown } = actorFunnels(source);
  const n = source.steps.length;
  if (!hasBreakdown) {
    r.add('bucketed_funnels', sql`SELECT *, CAST(NULL AS VARCHAR) AS bucket FROM actor_funnels`);
    return { relations: r, hasBreakdown };
  }
  const counts = range(n).map((k) => sql`${source.dialect.aggregateIf('count', null, raw(`reached > ${k}`))} AS ${raw(`c${k}`)}`);
  const ranking = join([...range(n).reverse().map((k) => raw(`c${k} DESC`)), raw('value')], ', ');
  r.add('funnel_value_ranks', sql`SELECT value, row_number() OVER (ORDER BY ${ranking}) AS value_rank FROM (SELECT value, ${join(counts, ', ')} FROM actor_funnels GROUP BY value) per_value`);
  r.add(
    'bucketed_funnels',
    sql`SELECT f.*, CASE WHEN v.value_rank <= ${limit} THEN f.value ELSE ${BREAKDOWN_OTHER} END AS bucket FROM actor_funnels f JOIN funnel_value_ranks v ON v.value = f.value`,
  );
  return { relations: r, hasBreakdown };
}

/**
 * Rows `bucket` (NULL without a breakdown), `c0`.. (actors that reached each step), `avg1`..
 * and `median1`.. (seconds from the previous step, over the actors that reached the step). Without
 * a breakdown there is exactly one row; with one, a row per bucket.
 */
export function compileFunnelSteps(source: FunnelSource, breakdownLimit: number): Sql {
  const d = source.dialect;
  const n = source.steps.length;
  const { relations: r } = bucketed(source, breakdownLimit);
  const aggregates = [
    ...range(n).map((k) => sql`${d.aggregateIf('count', null, raw(`reached > ${k}`))} AS ${raw(`c${k}`)}`),
    ...range(n, 1).map((k) => sql`avg(${raw(`d${k}`)}) AS ${raw(`avg${k}`)}, ${d.quantile(raw(`d${k}`), 0.5)} AS ${raw(`median${k}`)}`),
  ];
  return sql`${r.with()}
    SELECT bucket, ${join(aggregates, ', ')} FROM bucketed_funnels GROUP BY bucket`;
}

export interface FunnelActorFilter {
  /** 1-based: reached that step; -N: reached step N-1 but not N. */
  readonly funnelStep: number;
  /** One bucket (a value, BREAKDOWN_NULL or BREAKDOWN_OTHER); undefined for all. */
  readonly bucket?: string;
  readonly limit: number;
  readonly offset: number;
}

/** Rows `actor`: the actors matching the filter, sorted, `limit + 1` at most (the extra one says there are more). */
export function compileFunnelActorPage(source: FunnelSource, breakdownLimit: number, filter: FunnelActorFilter): Sql {
  const { relations: r, hasBreakdown } = bucketed(source, breakdownLimit);
  const step = filter.funnelStep > 0 ? sql`reached >= ${filter.funnelStep}` : sql`reached = ${-filter.funnelStep - 1}`;
  const conditions = [step, ...(hasBreakdown && filter.bucket !== undefined ? [sql`bucket = ${filter.bucket}`] : [])];
  return sql`${r.with()}
    SELECT DISTINCT actor FROM bucketed_funnels WHERE ${and(conditions)} ORDER BY actor LIMIT ${filter.limit + 1} OFFSET ${filter.offset}`;
}

const hasFilters = (properties: Properties): boolean => Boolean(properties) && (!Array.isArray(properties) || properties.length > 0);


