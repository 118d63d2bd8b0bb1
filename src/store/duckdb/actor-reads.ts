// The DuckDB store's reads of groups and persons: the lists, point reads by key or id, and the
// actors related through shared events.
import type { Group, GroupListQuery, Person, PersonListQuery, RelatedActors } from '../store.js';
import type { Cell, DuckDBConnections, Row } from './connections.js';
import { ILIKE, PERSON_OF_EVENT, PERSON_OVERRIDES_JOIN, escapeLike } from './read-sql.js';
import { asNumber, rowToGroup, rowToPerson } from './rows.js';
import { GROUP_SLOTS, groupColumn } from './schema.js';

// Groups.

export async function listGroups(db: DuckDBConnections, q: GroupListQuery): Promise<Group[]> {
  const where = ['project_id = ?', 'group_type_index = ?'];
  const params: Cell[] = [q.projectId, q.groupTypeIndex];
  if (q.search) {
    where.push(`(properties ${ILIKE} OR lower(group_key) = lower(?))`);
    params.push(`%${escapeLike(q.search)}%`, q.search);
  }
  if (q.groupKeyContains) {
    where.push(`group_key ${ILIKE}`);
    params.push(`%${escapeLike(q.groupKeyContains)}%`);
  }
  if (q.after) {
    where.push('(created_at < ? OR (created_at = ? AND group_key < ?))');
    params.push(q.after.createdAt, q.after.createdAt, q.after.groupKey);
  }
  params.push(q.limit);
  const rows = await db.read(
    `SELECT * FROM current_groups WHERE ${where.join(' AND ')} ORDER BY created_at DESC, group_key DESC LIMIT ?`,
    params,
  );
  return rows.map(rowToGroup);
}

export async function findGroup(db: DuckDBConnections, projectId: number, groupTypeIndex: number, groupKey: string): Promise<Group | null> {
  const [r] = await db.read('SELECT * FROM current_groups WHERE project_id = ? AND group_type_index = ? AND group_key = ?', [
    projectId,
    groupTypeIndex,
    groupKey,
  ]);
  return r ? rowToGroup(r) : null;
}

export async function findGroups(db: DuckDBConnections, projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): Promise<Group[]> {
  if (keys.length === 0) return [];
  const tuples = keys.map(() => '(?, ?)').join(', ');
  const rows = await db.read(
    `SELECT g.* FROM current_groups g JOIN (VALUES ${tuples}) AS k(idx, key) ON g.group_type_index = k.idx AND g.group_key = k.key
       WHERE g.project_id = ? ORDER BY g.group_type_index, g.group_key`,
    [...keys.flatMap((k) => [k.groupTypeIndex, k.groupKey]), projectId],
  );
  return rows.map(rowToGroup);
}

async function relatedGroupsOfEvents(db: DuckDBConnections, where: string, params: Cell[], excludeIndex: number | null): Promise<RelatedActors['groups']> {
  const selects = Array.from({ length: GROUP_SLOTS }, (_, i) => i)
    .filter((i) => i !== excludeIndex)
    .map((i) => `SELECT DISTINCT ${i} AS idx, e.${groupColumn(i)} AS key FROM events e ${PERSON_OVERRIDES_JOIN} WHERE ${where} AND e.${groupColumn(i)} <> ''`);
  const rows = await db.read(
    `SELECT k.idx, k.key FROM (${selects.join(' UNION ALL ')}) k
       JOIN current_groups g ON g.project_id = ? AND g.group_type_index = k.idx AND g.group_key = k.key
       ORDER BY k.idx, k.key`,
    [...selects.flatMap(() => params), params[0]],
  );
  return rows.map((r) => ({ groupTypeIndex: asNumber(r.idx), groupKey: String(r.key) }));
}

export async function relatedToGroup(db: DuckDBConnections, projectId: number, groupTypeIndex: number, groupKey: string, since: Date): Promise<RelatedActors> {
  const where = `e.project_id = ? AND e.${groupColumn(groupTypeIndex)} = ? AND e.timestamp > ?`;
  const params: Cell[] = [projectId, groupKey, since];
  const people = await db.read(
    `SELECT DISTINCT ${PERSON_OF_EVENT} AS person_id FROM events e ${PERSON_OVERRIDES_JOIN}
       JOIN current_persons p ON p.project_id = e.project_id AND p.id = ${PERSON_OF_EVENT}
       WHERE ${where} ORDER BY 1`,
    params,
  );
  return {
    personIds: people.map((r) => String(r.person_id)),
    groups: await relatedGroupsOfEvents(db, where, params, groupTypeIndex),
  };
}

export async function relatedToPerson(db: DuckDBConnections, projectId: number, personId: string, since: Date): Promise<RelatedActors> {
  const where = `e.project_id = ? AND ${PERSON_OF_EVENT} = ? AND e.timestamp > ?`;
  return { personIds: [], groups: await relatedGroupsOfEvents(db, where, [projectId, personId, since], null) };
}

// Persons.

export async function listPersons(db: DuckDBConnections, q: PersonListQuery): Promise<Person[]> {
  const where = ['p.project_id = ?'];
  const params: Cell[] = [q.projectId];
  if (q.distinctId !== undefined) {
    where.push('p.id IN (SELECT person_id FROM current_person_distinct_ids WHERE project_id = ? AND distinct_id = ?)');
    params.push(q.projectId, q.distinctId);
  }
  if (q.search) {
    where.push(
      `(p.properties ${ILIKE} OR p.id IN (SELECT person_id FROM current_person_distinct_ids WHERE project_id = ? AND distinct_id ${ILIKE}))`,
    );
    params.push(`%${escapeLike(q.search)}%`, q.projectId, `%${escapeLike(q.search)}%`);
  }
  const rows = await db.read(
    `SELECT p.* FROM current_persons p WHERE ${where.join(' AND ')} ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?`,
    [...params, q.limit, q.offset],
  );
  return withDistinctIds(db, q.projectId, rows);
}

export async function getPersons(db: DuckDBConnections, projectId: number, personIds: readonly string[]): Promise<Person[]> {
  if (personIds.length === 0) return [];
  const rows = await db.read(
    `SELECT * FROM current_persons WHERE project_id = ? AND id IN (${personIds.map(() => '?').join(', ')}) ORDER BY id`,
    [projectId, ...personIds],
  );
  return withDistinctIds(db, projectId, rows);
}

async function withDistinctIds(db: DuckDBConnections, projectId: number, personRows: Row[]): Promise<Person[]> {
  if (personRows.length === 0) return [];
  const ids = personRows.map((r) => String(r.id));
  const distinctRows = await db.read(
    `SELECT * FROM current_person_distinct_ids WHERE project_id = ? AND person_id IN (${ids.map(() => '?').join(', ')})`,
    [projectId, ...ids],
  );
  return assemblePersons(personRows, distinctRows);
}

function assemblePersons(personRows: Row[], distinctRows: Row[]): Person[] {
  const idsByPerson = new Map<string, string[]>();
  for (const r of distinctRows) {
    const k = `${r.project_id}/${r.person_id}`;
    const list = idsByPerson.get(k) ?? [];
    list.push(String(r.distinct_id));
    idsByPerson.set(k, list);
  }
  return personRows.map((r) => rowToPerson(r, (idsByPerson.get(`${r.project_id}/${r.id}`) ?? []).sort()));
}
