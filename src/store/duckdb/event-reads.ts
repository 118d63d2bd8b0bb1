// The DuckDB store's reads of what was ingested: events (each with its current person) and the
// ingestion warnings.
import type { EventListQuery, IngestionWarning, StoredEvent } from '../store.js';
import type { Cell, DuckDBConnections, Row } from './connections.js';
import { PERSON_OF_EVENT, PERSON_OVERRIDES_JOIN } from './read-sql.js';
import { asDate, asNumber } from './rows.js';
import { GROUP_SLOTS, groupColumn } from './schema.js';

export async function listEvents(db: DuckDBConnections, q: EventListQuery): Promise<StoredEvent[]> {
  const where = ['e.project_id = ?'];
  const params: Cell[] = [q.projectId];
  if (q.event !== undefined) {
    where.push('e.event = ?');
    params.push(q.event);
  }
  if (q.distinctId !== undefined) {
    where.push('e.distinct_id = ?');
    params.push(q.distinctId);
  }
  if (q.personId !== undefined) {
    where.push(`${PERSON_OF_EVENT} = ?`);
    params.push(q.personId);
  }
  if (q.group) {
    where.push(`e.${groupColumn(q.group.groupTypeIndex)} = ?`);
    params.push(q.group.groupKey);
  }
  if (q.after) {
    where.push('e.timestamp > ?');
    params.push(q.after);
  }
  if (q.before) {
    where.push('e.timestamp < ?');
    params.push(q.before);
  }
  if (q.afterRow) {
    where.push('(e.timestamp < ? OR (e.timestamp = ? AND e.uuid < ?))');
    params.push(q.afterRow.timestamp, q.afterRow.timestamp, q.afterRow.uuid);
  }
  params.push(q.limit);
  const rows = await db.read(
    `SELECT e.* EXCLUDE (person_id), ${PERSON_OF_EVENT} AS person_id FROM events e ${PERSON_OVERRIDES_JOIN}
       WHERE ${where.join(' AND ')} ORDER BY e.timestamp DESC, e.uuid DESC LIMIT ?`,
    params,
  );
  return rows.map(rowToEvent);
}

export async function listIngestionWarnings(db: DuckDBConnections, projectId: number): Promise<IngestionWarning[]> {
  const rows = await db.read('SELECT * FROM ingestion_warnings WHERE project_id = ? ORDER BY last_seen DESC, type, key', [projectId]);
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
