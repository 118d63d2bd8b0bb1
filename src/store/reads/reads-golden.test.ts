// The SQL the store's reads compile to on DuckDB, stated for review. They run on the real engine
// in the store contract (store-contract.ts) and the API tests; here is what a second backend's
// dialect turns into its own SQL.
import { describe, expect, it } from 'vitest';
import { duckdbDialect as d } from '../duckdb/duckdb-dialect.js';
import { groupsRelatedSql, listEventsSql } from './event-reads.js';
import { findGroupsSql, listGroupsSql } from './group-reads.js';
import { listPersonsSql } from './person-reads.js';
import { propertyValuesSql } from './property-reads.js';

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
const at = new Date('2026-01-05T10:00:00Z');

describe('store reads, compiled for DuckDB', () => {
  it('group list: search in properties or the exact key, keyset page, newest first', () => {
    const { sql, params } = listGroupsSql(d, { projectId: 1, groupTypeIndex: 0, search: '50%', after: { createdAt: at, groupKey: 'g9' }, limit: 3 });
    expect(squash(sql)).toBe(
      squash(`SELECT * FROM current_groups WHERE (project_id = ? AND group_type_index = ?
        AND (properties ILIKE ? ESCAPE '!' OR lower(group_key) = lower(?))
        AND (created_at < ?::TIMESTAMP OR (created_at = ?::TIMESTAMP AND group_key < ?)))
        ORDER BY created_at DESC, group_key DESC LIMIT ?`),
    );
    expect(params).toEqual([1, 0, '%50!%%', '50%', at, at, 'g9', 3]);
  });

  it('groups by key: an inline table joined on type index and key', () => {
    const { sql, params } = findGroupsSql(d, 1, [{ groupTypeIndex: 0, groupKey: 'acme' }, { groupTypeIndex: 1, groupKey: 'p1' }]);
    expect(squash(sql)).toBe(
      squash(`SELECT g.* FROM current_groups g JOIN (VALUES (?, ?), (?, ?)) AS k(idx, key) ON g.group_type_index = k.idx AND g.group_key = k.key
        WHERE g.project_id = ? ORDER BY g.group_type_index, g.group_key`),
    );
    expect(params).toEqual([0, 'acme', 1, 'p1', 1]);
  });

  it('event list: each event with its current person, filtered by that person', () => {
    const { sql, params } = listEventsSql(d, { projectId: 1, personId: 'p-1', afterRow: { timestamp: at, uuid: 'u9' }, limit: 10 });
    expect(squash(sql)).toBe(
      squash(`SELECT e."uuid", e."project_id", e."event", e."distinct_id", e."timestamp", e."properties",
        e."$group_0", e."$group_1", e."$group_2", e."$group_3", e."$group_4", e."created_at",
        coalesce(o.new_person_id, e.person_id) AS person_id
        FROM events e LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id
        WHERE (e.project_id = ? AND coalesce(o.new_person_id, e.person_id) = ?
          AND (e.timestamp < ?::TIMESTAMP OR (e.timestamp = ?::TIMESTAMP AND e.uuid < ?)))
        ORDER BY e.timestamp DESC, e.uuid DESC LIMIT ?`),
    );
    expect(params).toEqual([1, 'p-1', at, at, 'u9', 10]);
  });

  it("a group's related groups: the other slots' keys on its events, existing groups only", () => {
    const { sql, params } = groupsRelatedSql(d, 1, { group: { groupTypeIndex: 0, groupKey: 'acme' } }, at);
    const slot = (i: number) =>
      `SELECT DISTINCT ${i} AS idx, e."$group_${i}" AS key FROM events e
        WHERE (e.project_id = ? AND e."$group_0" = ? AND e.timestamp > ?::TIMESTAMP) AND e."$group_${i}" <> ''`;
    expect(squash(sql)).toBe(
      squash(`SELECT k.idx, k.key FROM (${[1, 2, 3, 4].map(slot).join(' UNION ALL ')}) k
        JOIN current_groups g ON g.project_id = ? AND g.group_type_index = k.idx AND g.group_key = k.key
        ORDER BY k.idx, k.key`),
    );
    expect(params).toEqual([...[1, 2, 3, 4].flatMap(() => [1, 'acme', at]), 1]);
  });

  it('person list: search in properties or any distinct id', () => {
    const { sql, params } = listPersonsSql(d, { projectId: 1, search: 'ann', limit: 20, offset: 40 });
    expect(squash(sql)).toBe(
      squash(`SELECT p.* FROM current_persons p WHERE (p.project_id = ?
        AND (p.properties ILIKE ? ESCAPE '!' OR p.id IN (SELECT person_id FROM current_person_distinct_ids WHERE project_id = ? AND distinct_id ILIKE ? ESCAPE '!')))
        ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?`),
    );
    expect(params).toEqual([1, '%ann%', 1, '%ann%', 20, 40]);
  });

  it('property values: scalars only, most frequent first', () => {
    const { sql, params } = propertyValuesSql(d, 1, { kind: 'groups', groupTypeIndex: 0 }, 'plan', 'pr', 10);
    expect(squash(sql)).toBe(
      squash(`SELECT value, count(*) AS count FROM (SELECT CASE WHEN json_type(properties, ?) NOT IN ('NULL', 'OBJECT', 'ARRAY') THEN json_extract_string(properties, ?) END AS value
          FROM current_groups WHERE (project_id = ? AND group_type_index = ?)) v WHERE (value IS NOT NULL AND value ILIKE ? ESCAPE '!') GROUP BY value ORDER BY count DESC, value LIMIT ?`),
    );
    expect(params).toEqual(['$."plan"', '$."plan"', 1, 0, '%pr%', 10]);
  });
});
