// The DuckDB store's reads of what was ingested, compiled by store/reads/ through the DuckDB
// dialect: events (each with its current person) and the ingestion warnings.
import { listEventsSql, listIngestionWarningsSql } from '../reads/event-reads.js';
import type { EventListQuery, IngestionWarning, StoredEvent } from '../store.js';
import type { DuckDBConnections, Row } from './connections.js';
import { duckdbDialect as dialect } from './duckdb-dialect.js';
import { asDate, asNumber } from './rows.js';
import { GROUP_SLOTS } from './schema.js';

export async function listEvents(db: DuckDBConnections, q: EventListQuery): Promise<StoredEvent[]> {
  return (await db.readCompiled(listEventsSql(dialect, q))).map(rowToEvent);
}

export async function listIngestionWarnings(db: DuckDBConnections, projectId: number): Promise<IngestionWarning[]> {
  const rows = await db.readCompiled(listIngestionWarningsSql(dialect, projectId));
  return rows.map((r) => ({
    projectId: asNumber(r.project_id),
    type: String(r.type),
    key: String(r.key),
    details: JSON.parse(String(r.details)),
    count: asNumber(r.count),
    firstSeen: asDate(r.first_seen),
    lastSeen: asDate(r.last_seen),
  }));
}

function rowToEvent(r: Row): StoredEvent {
  return {
    uuid: String(r.uuid),
    projectId: asNumber(r.project_id),
    event: String(r.event),
    distinctId: String(r.distinct_id),
    personId: String(r.person_id),
    timestamp: asDate(r.timestamp),
    propertiesJson: String(r.properties),
    groupKeys: Array.from({ length: GROUP_SLOTS }, (_, i) => String(r[`$group_${i}`] ?? '')),
    createdAt: asDate(r.created_at),
  };
}
