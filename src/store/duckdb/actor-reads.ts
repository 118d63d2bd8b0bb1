// The DuckDB store's reads of groups and persons, compiled by store/reads/ through the DuckDB
// dialect: the lists, point reads by key or id, and the actors related through shared events.
import { groupsRelatedSql, personsRelatedToGroupSql } from '../reads/event-reads.js';
import { findGroupSql, findGroupsSql, listGroupsSql } from '../reads/group-reads.js';
import { distinctIdsOfSql, getPersonsSql, listPersonsSql } from '../reads/person-reads.js';
import type { Group, GroupListQuery, Person, PersonListQuery, RelatedActors } from '../store.js';
import type { DuckDBConnections, Row } from './connections.js';
import { duckdbDialect as dialect } from './duckdb-dialect.js';
import { asNumber, rowToGroup, rowToPerson } from './rows.js';

// Groups.

export async function listGroups(db: DuckDBConnections, q: GroupListQuery): Promise<Group[]> {
  return (await db.readCompiled(listGroupsSql(dialect, q))).map(rowToGroup);
}

export async function findGroup(db: DuckDBConnections, projectId: number, groupTypeIndex: number, groupKey: string): Promise<Group | null> {
  const [r] = await db.readCompiled(findGroupSql(dialect, projectId, groupTypeIndex, groupKey));
  return r ? rowToGroup(r) : null;
}

export async function findGroups(db: DuckDBConnections, projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): Promise<Group[]> {
  if (keys.length === 0) return [];
  return (await db.readCompiled(findGroupsSql(dialect, projectId, keys))).map(rowToGroup);
}

const toGroupKeys = (rows: Row[]): RelatedActors['groups'] => rows.map((r) => ({ groupTypeIndex: asNumber(r.idx), groupKey: String(r.key) }));

export async function relatedToGroup(db: DuckDBConnections, projectId: number, groupTypeIndex: number, groupKey: string, since: Date): Promise<RelatedActors> {
  const group = { groupTypeIndex, groupKey };
  const people = await db.readCompiled(personsRelatedToGroupSql(dialect, projectId, group, since));
  return {
    personIds: people.map((r) => String(r.person_id)),
    groups: toGroupKeys(await db.readCompiled(groupsRelatedSql(dialect, projectId, { group }, since))),
  };
}

export async function relatedToPerson(db: DuckDBConnections, projectId: number, personId: string, since: Date): Promise<RelatedActors> {
  return { personIds: [], groups: toGroupKeys(await db.readCompiled(groupsRelatedSql(dialect, projectId, { personId }, since))) };
}

// Persons.

export async function listPersons(db: DuckDBConnections, q: PersonListQuery): Promise<Person[]> {
  return withDistinctIds(db, q.projectId, await db.readCompiled(listPersonsSql(dialect, q)));
}

export async function getPersons(db: DuckDBConnections, projectId: number, personIds: readonly string[]): Promise<Person[]> {
  if (personIds.length === 0) return [];
  return withDistinctIds(db, projectId, await db.readCompiled(getPersonsSql(dialect, projectId, personIds)));
}

async function withDistinctIds(db: DuckDBConnections, projectId: number, personRows: Row[]): Promise<Person[]> {
  if (personRows.length === 0) return [];
  const distinctRows = await db.readCompiled(distinctIdsOfSql(dialect, projectId, personRows.map((r) => String(r.id))));
  const idsByPerson = new Map<string, string[]>();
  for (const r of distinctRows) {
    const k = `${r.project_id}/${r.person_id}`;
    const list = idsByPerson.get(k) ?? [];
    list.push(String(r.distinct_id));
    idsByPerson.set(k, list);
  }
  return personRows.map((r) => rowToPerson(r, (idsByPerson.get(`${r.project_id}/${r.id}`) ?? []).sort()));
}
