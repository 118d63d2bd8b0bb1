// Row mappers shared by the DuckDB store's modules: result rows (getRowObjectsJS) into the
// Store interface's records.
import type { Group, Person, PropertyDefinition, PropertyDefinitionType } from '../store.js';
import type { Row } from './connections.js';

export const asDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
export const asNumber = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));

export function rowToGroup(r: Row): Group {
  return {
    projectId: asNumber(r.project_id),
    groupTypeIndex: asNumber(r.group_type_index),
    groupKey: String(r.group_key),
    properties: JSON.parse(String(r.properties)),
    createdAt: asDate(r.created_at),
    updatedAt: asDate(r.updated_at),
    version: asNumber(r.version),
  };
}

export function rowToPropertyDefinition(r: Row): PropertyDefinition {
  return {
    projectId: asNumber(r.project_id),
    type: String(r.type) as PropertyDefinitionType,
    groupTypeIndex: asNumber(r.group_type_index),
    name: String(r.name),
    propertyType: r.property_type == null ? null : (String(r.property_type) as PropertyDefinition['propertyType']),
    createdAt: asDate(r.created_at),
  };
}

export function rowToPerson(r: Row, distinctIds: string[]): Person {
  return {
    projectId: asNumber(r.project_id),
    id: String(r.id),
    properties: JSON.parse(String(r.properties)),
    isIdentified: Boolean(r.is_identified),
    createdAt: asDate(r.created_at),
    version: asNumber(r.version),
    distinctIds,
  };
}
