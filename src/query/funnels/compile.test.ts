// The SQL a funnel compiles to on DuckDB, stated for review; the compiled queries run on the real
// engine in test/reference/funnel-sql.test.ts (against the plain-loop evaluator) and through the
// HTTP API in test/insights-funnels.test.ts.
import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../store/duckdb/duckdb-dialect.js';
import { compileFunnelActorPage, compileFunnelSteps, type FunnelSource } from './compile.js';

const source: FunnelSource = {
  dialect: duckdbDialect,
  projectId: 7,
  maxGroupTypes: 5,
  timeZone: 'UTC',
  steps: [
    { kind: 'EventsNode', event: 'signed_up' },
    { kind: 'EventsNode', event: 'created_project', properties: [{ key: 'source', value: 'seo', operator: 'exact', type: 'event' }] },
  ],
  exclusions: [],
  properties: null,
  order: 'ordered',
  windowMicros: 86_400_000_000,
  groupTypeIndex: 0,
  from: new Date('2026-01-01T00:00:00Z'),
  to: new Date('2026-01-31T23:59:59.999Z'),
};

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('funnel SQL on DuckDB', () => {
  it('follows each attempt with one ASOF join per step and aggregates the steps in the engine, every value a parameter', () => {
    const { sql, params } = compileFunnelSteps(source, 25).build(duckdbDialect);
    expect(squash(sql)).toBe(
      squash(`WITH funnel_events AS (SELECT CAST(e."$group_0" AS VARCHAR) AS actor, CAST(epoch_us(e.timestamp) AS DOUBLE) AS t, CASE WHEN (e.event = ?) THEN 1 ELSE 0 END + CASE WHEN (e.event = ? AND ((json_extract_string(e.properties, ?) = ?))) THEN 2 ELSE 0 END AS m, CAST(NULL AS VARCHAR) AS b, CAST(NULL AS VARCHAR) AS l FROM events e WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ? AND e."$group_0" <> '' AND e.event IN (?, ?))),
      funnel_attempts_0 AS (SELECT actor, CAST(NULL AS VARCHAR) AS run, t AS t0, m AS m0 FROM funnel_events WHERE (m & 1) <> 0),
      funnel_attempts_1 AS (SELECT a.*, n.t AS t1 FROM funnel_attempts_0 a ASOF LEFT JOIN (SELECT actor, t FROM funnel_events WHERE (m & 2) <> 0) n ON n.actor = a.actor AND n.t > a.t0),
      funnel_attempts AS (SELECT actor, run, t0, m0, CASE WHEN (t1 <= t0 + ?) THEN t1 END AS t1 FROM funnel_attempts_1),
      funnel_reached AS (SELECT *, (1 + CASE WHEN t1 IS NOT NULL THEN 1 ELSE 0 END) AS reached_steps FROM funnel_attempts),
      funnel_best AS (SELECT actor, run, max(reached_steps) AS reached, arg_min((t1 - t0) / 1000000, (-reached_steps, t0)) AS d1 FROM funnel_reached GROUP BY actor, run),
      actor_funnels AS (SELECT actor, run AS value, reached, d1 FROM funnel_best),
      bucketed_funnels AS (SELECT *, CAST(NULL AS VARCHAR) AS bucket FROM actor_funnels)
      SELECT bucket, count(*) FILTER (WHERE reached > 0) AS c0, count(*) FILTER (WHERE reached > 1) AS c1, avg(d1) AS avg1, quantile_cont(d1, 0.5) AS median1 FROM bucketed_funnels GROUP BY bucket`),
    );
    expect(params).toEqual(['signed_up', 'created_project', '$."source"', 'seo', 7, source.from, source.to, 'signed_up', 'created_project', 86_400_000_000]);
  });

  it('reads the next rows of every event of the actor for strict funnels', () => {
    const { sql } = compileFunnelSteps({ ...source, order: 'strict', groupTypeIndex: undefined }, 25).build(duckdbDialect);
    expect(squash(sql)).toContain('lead(t, 1) OVER (PARTITION BY actor ORDER BY t, m) AS t1');
    expect(squash(sql)).toContain('CASE WHEN (((m1 & 2) <> 0 AND t1 > t0 AND t1 <= t0 + ?)) THEN t1 END AS t1');
    // every event of the person: no filter on event names
    expect(squash(sql)).toContain('WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ?))');
  });

  it('takes the first event of each step at or after each anchor for unordered funnels, counting shared steps in a window frame', () => {
    const { sql } = compileFunnelSteps({ ...source, order: 'unordered' }, 25).build(duckdbDialect);
    expect(squash(sql)).toContain('ASOF LEFT JOIN (SELECT actor, l, t, m FROM funnel_events WHERE (m & 2) <> 0) n ON n.actor = a.actor AND n.t >= a.t0');
    expect(squash(sql)).toContain('list_sort(list_filter([f0, f1], x -> x IS NOT NULL)) AS sorted');
    const shared = compileFunnelSteps({ ...source, order: 'unordered', steps: [{ kind: 'EventsNode', event: 'pageview' }, { kind: 'EventsNode', event: 'pageview' }] }, 25).build(duckdbDialect);
    expect(squash(shared.sql)).toContain('count(*) FILTER (WHERE (m & 3) <> 0) OVER (PARTITION BY actor ORDER BY t RANGE BETWEEN CURRENT ROW AND ? FOLLOWING) AS c3');
    expect(squash(shared.sql)).toContain('least(2, 1 + c1, 1 + c2, 0 + c3) AS reached');
  });

  it('counts excluded events between two times with two ASOF joins on running counts', () => {
    const { sql } = compileFunnelSteps({ ...source, exclusions: [{ event: 'cancelled', fromStep: 0, toStep: 1 }] }, 25).build(duckdbDialect);
    expect(squash(sql)).toContain('count(*) OVER (PARTITION BY actor ORDER BY t RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS below FROM funnel_events WHERE (m & 1048576) <> 0');
    expect(squash(sql)).toContain('ASOF LEFT JOIN funnel_excluded_0 x ON x.actor = a.actor AND x.t < a.lo0');
  });

  it('ranks breakdown values in the engine and pages actors there', () => {
    const { sql, params } = compileFunnelActorPage({ ...source, breakdown: { breakdown: 'plan' }, attribution: 'first_touch' }, 3, { funnelStep: -2, bucket: 'pro', limit: 10, offset: 20 }).build(duckdbDialect);
    expect(squash(sql)).toContain('row_number() OVER (ORDER BY c1 DESC, c0 DESC, value) AS value_rank');
    expect(squash(sql)).toMatch(/SELECT DISTINCT actor FROM bucketed_funnels WHERE \(reached = \? AND bucket = \?\) ORDER BY actor LIMIT \? OFFSET \?$/);
    expect(params.slice(-4)).toEqual([1, 'pro', 11, 20]);
  });
});
