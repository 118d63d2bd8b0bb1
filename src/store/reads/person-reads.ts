// Reads of persons, compiled through a dialect: the list (search, by distinct id), several by
// id, and the distinct ids of persons.
import type { Dialect } from '../../sql/dialect.js';
import { and, join, sql, type CompiledSql, type Sql } from '../../sql/sql.js';
import type { PersonListQuery } from '../store.js';
import { containing } from './like.js';

/** Newest first, a page of `limit` from `offset`. */
export function listPersonsSql(dialect: Dialect, q: PersonListQuery): CompiledSql {
  const distinctIds = dialect.table('person_distinct_ids');
  const where: Sql[] = [sql`p.project_id = ${q.projectId}`];
  if (q.distinctId !== undefined) {
    where.push(sql`p.id IN (SELECT person_id FROM ${distinctIds} WHERE project_id = ${q.projectId} AND distinct_id = ${q.distinctId})`);
  }
  if (q.search) {
    const pattern = containing(q.search);
    where.push(
      sql`(${dialect.ilike(sql`p.properties`, pattern)} OR p.id IN (SELECT person_id FROM ${distinctIds} WHERE project_id = ${q.projectId} AND ${dialect.ilike(sql`distinct_id`, pattern)}))`,
    );
  }
  return sql`SELECT p.* FROM ${dialect.table('persons')} p WHERE ${and(where)}
    ORDER BY p.created_at DESC, p.id DESC LIMIT ${q.limit} OFFSET ${q.offset}`.build(dialect);
}

/** Persons by id, ordered by id; `personIds` must not be empty. */
export function getPersonsSql(dialect: Dialect, projectId: number, personIds: readonly string[]): CompiledSql {
  return sql`SELECT * FROM ${dialect.table('persons')} WHERE project_id = ${projectId} AND id IN (${join(
    personIds.map((id) => sql`${id}`),
    ', ',
  )}) ORDER BY id`.build(dialect);
}

/** The distinct ids of persons (columns project_id, person_id, distinct_id); `personIds` must not be empty. */
export function distinctIdsOfSql(dialect: Dialect, projectId: number, personIds: readonly string[]): CompiledSql {
  return sql`SELECT project_id, person_id, distinct_id FROM ${dialect.table('person_distinct_ids')} WHERE project_id = ${projectId} AND person_id IN (${join(
    personIds.map((id) => sql`${id}`),
    ', ',
  )})`.build(dialect);
}
