// Reads of properties, compiled through a dialect: the values seen for a key (of events,
// persons or groups) with how often, and the property definitions ingestion recorded.
import type { Dialect } from '../../sql/dialect.js';
import { and, sql, type CompiledSql, type Sql } from '../../sql/sql.js';
import type { PropertyDefinitionType } from '../store.js';
import { containing } from './like.js';

/** Whose properties: events (optionally since a time), a project's persons, or a group type's groups. */
export type PropertyOwner =
  | { readonly kind: 'events'; readonly since?: Date }
  | { readonly kind: 'persons' }
  | { readonly kind: 'groups'; readonly groupTypeIndex: number };

/**
 * The scalar values of property `key` (columns value, count), most frequent first: objects,
 * arrays, JSON null and absent keys are left out; `valueContains` keeps values containing it.
 */
export function propertyValuesSql(
  dialect: Dialect,
  projectId: number,
  owner: PropertyOwner,
  key: string,
  valueContains: string | undefined,
  limit: number,
): CompiledSql {
  const where: Sql[] = [sql`project_id = ${projectId}`];
  if (owner.kind === 'groups') where.push(sql`group_type_index = ${owner.groupTypeIndex}`);
  if (owner.kind === 'events' && owner.since !== undefined) where.push(sql`timestamp >= ${dialect.timestampValue(sql`${owner.since}`)}`);
  const values = sql`SELECT ${dialect.propertyScalarText(sql`properties`, key)} AS value FROM ${dialect.table(owner.kind)} WHERE ${and(where)}`;
  const kept: Sql[] = [sql`value IS NOT NULL`];
  if (valueContains) kept.push(dialect.ilike(sql`value`, containing(valueContains)));
  return sql`SELECT value, count(*) AS count FROM (${values}) v WHERE ${and(kept)}
    GROUP BY value ORDER BY count DESC, value LIMIT ${limit}`.build(dialect);
}

export interface DefinitionListQuery {
  readonly projectId: number;
  readonly type: PropertyDefinitionType;
  readonly groupTypeIndex: number;
  /** Case-insensitive substring of the name. */
  readonly search?: string;
  readonly limit: number;
  readonly offset: number;
}

function definitionsWhere(dialect: Dialect, q: DefinitionListQuery): Sql {
  const where: Sql[] = [sql`project_id = ${q.projectId}`, sql`type = ${q.type}`, sql`group_type_index = ${q.groupTypeIndex}`];
  if (q.search) where.push(dialect.ilike(sql`name`, containing(q.search)));
  return and(where);
}

/** How many definitions match (column n). */
export function countPropertyDefinitionsSql(dialect: Dialect, q: DefinitionListQuery): CompiledSql {
  return sql`SELECT count(*) AS n FROM ${dialect.table('property_definitions')} WHERE ${definitionsWhere(dialect, q)}`.build(dialect);
}

/** A page of matching definitions, by name. */
export function listPropertyDefinitionsSql(dialect: Dialect, q: DefinitionListQuery): CompiledSql {
  return sql`SELECT * FROM ${dialect.table('property_definitions')} WHERE ${definitionsWhere(dialect, q)}
    ORDER BY name LIMIT ${q.limit} OFFSET ${q.offset}`.build(dialect);
}
