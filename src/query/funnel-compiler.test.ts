// The SQL a funnel compiles to on DuckDB, stated for review; test/insights-funnels.test.ts runs
// it on the real engine through the HTTP API.
import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../store/duckdb/duckdb-dialect.js';
import { compileFunnel, type FunnelSource } from './funnel-compiler.js';

const source: FunnelSource = {
  dialect: duckdbDialect,
  projectId: 7,
  maxGroupTypes: 5,
  timeZone: 'UTC',
  steps: [
    { kind: 'EventsNode', event: 'signed_up' },
    { kind: 'EventsNode', event: 'created_project', properties: [{ key: 'source', value: 'seo', operator: 'exact', type: 'event' }] },
  ],
  exclusions: [{ event: 'cancelled' }],
  properties: null,
  order: 'ordered',
  groupTypeIndex: 0,
  from: new Date('2026-01-01T00:00:00Z'),
  to: new Date('2026-01-31T23:59:59.999Z'),
};

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('funnel SQL on DuckDB', () => {
  it('selects the step and exclusion events of each group in time order, every value a parameter', () => {
    const { sql, params } = compileFunnel(source).build();
    expect(squash(sql)).toBe(
      squash(`SELECT actor, t, m AS mask, b FROM (SELECT e."$group_0" AS actor, CAST(epoch_us(e.timestamp) AS DOUBLE) AS t,
        CASE WHEN (e.event = ?) THEN 1 ELSE 0 END
        + CASE WHEN (e.event = ? AND ((json_extract_string(e.properties, ?) = ?))) THEN 2 ELSE 0 END
        + CASE WHEN (e.event = ?) THEN 1048576 ELSE 0 END AS m, NULL AS b
      FROM events e
      WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ? AND e."$group_0" <> '' AND e.event IN (?, ?, ?))) actor_events
      WHERE m <> 0 ORDER BY actor, t, m`),
    );
    expect(params).toEqual(['signed_up', 'created_project', '$."source"', 'seo', 'cancelled', 7, source.from, source.to, 'signed_up', 'created_project', 'cancelled']);
  });

  it('reads every event of each person for strict funnels, marking those that follow another event', () => {
    const { sql } = compileFunnel({ ...source, order: 'strict', groupTypeIndex: undefined, exclusions: [], breakdown: { breakdown: 'plan', breakdown_type: 'event' } }).build();
    expect(squash(sql)).toBe(
      squash(`SELECT actor, t, m + g AS mask, b FROM (
        SELECT actor, t, m, b, CASE WHEN lag(m) OVER (PARTITION BY actor ORDER BY t, m, b) = 0 THEN 1073741824 ELSE 0 END AS g
        FROM (SELECT coalesce(o.new_person_id, e.person_id) AS actor, CAST(epoch_us(e.timestamp) AS DOUBLE) AS t,
          CASE WHEN (e.event = ?) THEN 1 ELSE 0 END
          + CASE WHEN (e.event = ? AND ((json_extract_string(e.properties, ?) = ?))) THEN 2 ELSE 0 END AS m,
          json_extract_string(e.properties, ?) AS b
        FROM events e
        LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id
        WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ?)) actor_events
      ) strict_events
      WHERE m <> 0
      ORDER BY actor, t, m, b, g DESC`),
    );
  });
});
