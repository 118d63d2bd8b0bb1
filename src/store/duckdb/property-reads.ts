// The DuckDB store's reads of properties: the values seen for a key (of events, persons or
// groups), and the property definitions ingestion recorded.
import type { PropertyDefinition, PropertyDefinitionType, PropertyValueCount } from '../store.js';
import type { Cell, DuckDBConnections } from './connections.js';
import { ILIKE, escapeLike } from './read-sql.js';
import { asNumber, rowToPropertyDefinition } from './rows.js';

export async function groupPropertyValues(
  db: DuckDBConnections,
  projectId: number,
  groupTypeIndex: number,
  key: string,
  valueContains: string | undefined,
  limit: number,
): Promise<PropertyValueCount[]> {
  return propertyValues(db, 'current_groups', 'project_id = ? AND group_type_index = ?', [projectId, groupTypeIndex], key, valueContains, limit);
}

export async function eventPropertyValues(db: DuckDBConnections, projectId: number, key: string, valueContains: string | undefined, limit: number, since?: Date): Promise<PropertyValueCount[]> {
  if (since === undefined) return propertyValues(db, 'events', 'project_id = ?', [projectId], key, valueContains, limit);
  return propertyValues(db, 'events', 'project_id = ? AND timestamp >= ?', [projectId, since], key, valueContains, limit);
}

export async function personPropertyValues(db: DuckDBConnections, projectId: number, key: string, valueContains: string | undefined, limit: number): Promise<PropertyValueCount[]> {
  return propertyValues(db, 'current_persons', 'project_id = ?', [projectId], key, valueContains, limit);
}

/**
 * Counts the scalar values of property `key` in the JSON `properties` column of `table`'s rows
 * matching `where` (objects, arrays, JSON null and absent keys are left out).
 */
async function propertyValues(
  db: DuckDBConnections,
  table: 'events' | 'current_persons' | 'current_groups',
  where: string,
  whereParams: Cell[],
  key: string,
  valueContains: string | undefined,
  limit: number,
): Promise<PropertyValueCount[]> {
  const params: Cell[] = [jsonKeyPath(key), ...whereParams];
  let filter = '';
  if (valueContains) {
    filter = `AND value ${ILIKE}`;
    params.push(`%${escapeLike(valueContains)}%`);
  }
  params.push(limit);
  const rows = await db.read(
    `SELECT value, count(*) AS count FROM (
         SELECT json_type(json) AS type, json ->> '$' AS value FROM (
           SELECT json_extract(properties, ?) AS json FROM ${table} WHERE ${where}
         )
       ) WHERE type NOT IN ('NULL', 'OBJECT', 'ARRAY') ${filter}
       GROUP BY value ORDER BY count DESC, value LIMIT ?`,
    params,
  );
  return rows.map((r) => ({ value: String(r.value), count: asNumber(r.count) }));
}

export async function listPropertyDefinitions(
  db: DuckDBConnections,
  q: { projectId: number; type: PropertyDefinitionType; groupTypeIndex: number; search?: string; limit: number; offset: number },
): Promise<{ count: number; results: PropertyDefinition[] }> {
  const where = ['project_id = ?', 'type = ?', 'group_type_index = ?'];
  const params: Cell[] = [q.projectId, q.type, q.groupTypeIndex];
  if (q.search) {
    where.push(`name ${ILIKE}`);
    params.push(`%${escapeLike(q.search)}%`);
  }
  const [countRow] = await db.read(`SELECT count(*) AS n FROM property_definitions WHERE ${where.join(' AND ')}`, params);
  const rows = await db.read(
    `SELECT * FROM property_definitions WHERE ${where.join(' AND ')} ORDER BY name LIMIT ? OFFSET ?`,
    [...params, q.limit, q.offset],
  );
  return { count: asNumber(countRow.n), results: rows.map(rowToPropertyDefinition) };
}

/** JSONPath selecting the top-level key `key` as written, dots and quotes included. */
function jsonKeyPath(key: string): string {
  return `$."${key.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
