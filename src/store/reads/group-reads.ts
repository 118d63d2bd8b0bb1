// Reads of groups, compiled through a dialect: the list (search, keyset pages), one group, and
// several by key.
import type { Dialect } from '../../sql/dialect.js';
import { and, sql, type CompiledSql, type Sql } from '../../sql/sql.js';
import type { GroupListQuery } from '../store.js';
import { containing } from './like.js';

/** Newest first; `after` continues past a row of an earlier page. */
export function listGroupsSql(dialect: Dialect, q: GroupListQuery): CompiledSql {
  const where: Sql[] = [sql`project_id = ${q.projectId}`, sql`group_type_index = ${q.groupTypeIndex}`];
  if (q.search) {
    where.push(sql`(${dialect.ilike(sql`properties`, containing(q.search))} OR lower(group_key) = lower(${q.search}))`);
  }
  if (q.groupKeyContains) where.push(dialect.ilike(sql`group_key`, containing(q.groupKeyContains)));
  if (q.after) {
    const at = () => dialect.timestampValue(sql`${q.after!.createdAt}`);
    where.push(sql`(created_at < ${at()} OR (created_at = ${at()} AND group_key < ${q.after.groupKey}))`);
  }
  return sql`SELECT * FROM ${dialect.table('groups')} WHERE ${and(where)}
    ORDER BY created_at DESC, group_key DESC LIMIT ${q.limit}`.build(dialect);
}

export function findGroupSql(dialect: Dialect, projectId: number, groupTypeIndex: number, groupKey: string): CompiledSql {
  return sql`SELECT * FROM ${dialect.table('groups')}
    WHERE project_id = ${projectId} AND group_type_index = ${groupTypeIndex} AND group_key = ${groupKey}`.build(dialect);
}

/** Groups by (type index, key), ordered by both; `keys` must not be empty. */
export function findGroupsSql(dialect: Dialect, projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): CompiledSql {
  const wanted = dialect.valuesTable(
    keys.map((k) => [sql`${k.groupTypeIndex}`, sql`${k.groupKey}`]),
    'k',
    ['idx', 'key'],
  );
  return sql`SELECT g.* FROM ${dialect.table('groups')} g JOIN ${wanted} ON g.group_type_index = k.idx AND g.group_key = k.key
    WHERE g.project_id = ${projectId} ORDER BY g.group_type_index, g.group_key`.build(dialect);
}
