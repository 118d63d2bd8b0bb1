// The DuckDB store's reads of properties, compiled by store/reads/ through the DuckDB dialect:
// the values seen for a key (of events, persons or groups), and the property definitions
// ingestion recorded.
import {
  countPropertyDefinitionsSql,
  listPropertyDefinitionsSql,
  propertyValuesSql,
  type DefinitionListQuery,
  type PropertyOwner,
} from '../reads/property-reads.js';
import type { PropertyDefinition, PropertyValueCount } from '../store.js';
import type { DuckDBConnections } from './connections.js';
import { duckdbDialect as dialect } from './duckdb-dialect.js';
import { asNumber, rowToPropertyDefinition } from './rows.js';

export async function propertyValues(
  db: DuckDBConnections,
  projectId: number,
  owner: PropertyOwner,
  key: string,
  valueContains: string | undefined,
  limit: number,
): Promise<PropertyValueCount[]> {
  const rows = await db.readCompiled(propertyValuesSql(dialect, projectId, owner, key, valueContains, limit));
  return rows.map((r) => ({ value: String(r.value), count: asNumber(r.count) }));
}

export async function listPropertyDefinitions(db: DuckDBConnections, q: DefinitionListQuery): Promise<{ count: number; results: PropertyDefinition[] }> {
  const [countRow] = await db.readCompiled(countPropertyDefinitionsSql(dialect, q));
  const rows = await db.readCompiled(listPropertyDefinitionsSql(dialect, q));
  return { count: asNumber(countRow.n), results: rows.map(rowToPropertyDefinition) };
}
