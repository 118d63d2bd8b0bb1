// The embedded store: one DuckDB database file in the data directory.
import fs from 'node:fs';
import path from 'node:path';
import {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import type {
  EventListQuery,
  Group,
  GroupListQuery,
  GroupType,
  IngestCommit,
  IngestState,
  IngestionWarning,
  Person,
  PersonalApiKey,
  PersonListQuery,
  Project,
  PropertyDefinition,
  PropertyDefinitionType,
  PropertyValueCount,
  RelatedActors,
  Store,
  StoredEvent,
} from '../store.js';
import { GROUP_SLOTS, groupColumn, schemaStatements } from './schema.js';

type Row = Record<string, unknown>;

/** Case-insensitive LIKE with '!' as the escape character (see escapeLike). */
const ILIKE = "ILIKE ? ESCAPE '!'";
type Cell = string | number | boolean | bigint | Date | null;

const toTimestamp = (date: Date): DuckDBTimestampValue => new DuckDBTimestampValue(BigInt(date.getTime()) * 1000n);

/** Converts JS values into DuckDB parameter values (Dates become timestamps). */
function param(value: Cell): DuckDBValue {
  return value instanceof Date ? toTimestamp(value) : value;
}

function appendCell(appender: DuckDBAppender, value: Cell): void {
  if (value === null) appender.appendNull();
  else if (typeof value === 'string') appender.appendVarchar(value);
  else if (typeof value === 'boolean') appender.appendBoolean(value);
  else if (typeof value === 'bigint') appender.appendBigInt(value);
  else if (value instanceof Date) appender.appendTimestamp(toTimestamp(value));
  else if (Number.isInteger(value)) appender.appendBigInt(BigInt(value));
  else appender.appendDouble(value);
}

const asDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const asNumber = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));

function rowToGroup(r: Row): Group {
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

function rowToGroupType(r: Row): GroupType {
  return {
    projectId: asNumber(r.project_id),
    groupTypeIndex: asNumber(r.group_type_index),
    groupType: String(r.group_type),
    nameSingular: r.name_singular == null ? null : String(r.name_singular),
    namePlural: r.name_plural == null ? null : String(r.name_plural),
    createdAt: asDate(r.created_at),
  };
}

function rowToProject(r: Row): Project {
  return {
    id: asNumber(r.id),
    name: String(r.name),
    apiToken: String(r.api_token),
    timezone: String(r.timezone),
    createdAt: asDate(r.created_at),
  };
}

function rowToPropertyDefinition(r: Row): PropertyDefinition {
  return {
    projectId: asNumber(r.project_id),
    type: String(r.type) as PropertyDefinitionType,
    groupTypeIndex: asNumber(r.group_type_index),
    name: String(r.name),
    propertyType: r.property_type == null ? null : (String(r.property_type) as PropertyDefinition['propertyType']),
    createdAt: asDate(r.created_at),
  };
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

/** Serializes async work on one connection: DuckDB transactions are per connection. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class DuckDBStore implements Store {
  private readonly writes = new SerialQueue();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
  ) {}

  static async open(dataDir: string): Promise<DuckDBStore> {
    fs.mkdirSync(dataDir, { recursive: true });
    const instance = await DuckDBInstance.create(path.join(dataDir, 'prickle.duckdb'));
    const writer = await instance.connect();
    for (const statement of schemaStatements) await writer.run(statement);
    const reader = await instance.connect();
    return new DuckDBStore(instance, writer, reader);
  }

  async close(): Promise<void> {
    await this.writes.run(async () => {
      await this.writer.run('CHECKPOINT');
      this.reader.closeSync();
      this.writer.closeSync();
      this.instance.closeSync();
    });
  }

  private async read(sql: string, params: Cell[] = []): Promise<Row[]> {
    const reader = await this.reader.runAndReadAll(sql, params.map(param));
    return reader.getRowObjectsJS() as Row[];
  }

  /** Runs statements in one write transaction, rolled back on any error. */
  private transaction(work: (c: DuckDBConnection) => Promise<void>): Promise<void> {
    return this.writes.run(async () => {
      await this.writer.run('BEGIN TRANSACTION');
      try {
        await work(this.writer);
        await this.writer.run('COMMIT');
      } catch (error) {
        await this.writer.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  private async appendRows(c: DuckDBConnection, table: string, rows: readonly Cell[][]): Promise<void> {
    if (rows.length === 0) return;
    const appender = await c.createAppender(table);
    try {
      for (const row of rows) {
        for (const cell of row) appendCell(appender, cell);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** Upserts whole rows: stage with the appender, then one INSERT OR REPLACE. */
  private async upsertRows(c: DuckDBConnection, table: string, rows: readonly Cell[][]): Promise<void> {
    if (rows.length === 0) return;
    const stage = `stage_${table}`;
    await c.run(`CREATE TEMP TABLE IF NOT EXISTS ${stage} AS SELECT * FROM ${table} LIMIT 0`);
    await this.appendRows(c, stage, rows);
    await c.run(`INSERT OR REPLACE INTO ${table} SELECT * FROM ${stage}`);
    await c.run(`DELETE FROM ${stage}`);
  }

  // Projects and keys.

  async listProjects(): Promise<Project[]> {
    return (await this.read('SELECT * FROM projects ORDER BY id')).map(rowToProject);
  }

  async nextProjectId(): Promise<number> {
    const [row] = await this.read('SELECT coalesce(max(id), 0) + 1 AS next FROM projects');
    return asNumber(row.next);
  }

  createProject(p: Project): Promise<void> {
    return this.transaction((c) => this.appendRows(c, 'projects', [[p.id, p.name, p.apiToken, p.timezone, p.createdAt]]));
  }

  createPersonalApiKey(k: PersonalApiKey): Promise<void> {
    return this.transaction((c) =>
      this.appendRows(c, 'personal_api_keys', [[k.id, k.projectId, k.label, k.secretHash, k.maskValue, k.createdAt]]),
    );
  }

  async findPersonalApiKey(secretHash: string): Promise<PersonalApiKey | null> {
    const [r] = await this.read('SELECT * FROM personal_api_keys WHERE secret_hash = ?', [secretHash]);
    if (!r) return null;
    return {
      id: String(r.id),
      projectId: asNumber(r.project_id),
      label: String(r.label),
      secretHash: String(r.secret_hash),
      maskValue: String(r.mask_value),
      createdAt: asDate(r.created_at),
    };
  }

  // Ingestion.

  async loadIngestState(): Promise<IngestState> {
    const [projects, groupTypes, groups, personRows, distinctRows, definitions] = [
      await this.listProjects(),
      (await this.read('SELECT * FROM group_type_mappings ORDER BY project_id, group_type_index')).map(rowToGroupType),
      (await this.read('SELECT * FROM groups')).map(rowToGroup),
      await this.read('SELECT * FROM persons'),
      await this.read('SELECT * FROM person_distinct_ids'),
      (await this.read('SELECT * FROM property_definitions')).map(rowToPropertyDefinition),
    ];
    return { projects, groupTypes, groups, persons: this.assemblePersons(personRows, distinctRows), propertyDefinitions: definitions };
  }

  private assemblePersons(personRows: Row[], distinctRows: Row[]): Person[] {
    const idsByPerson = new Map<string, string[]>();
    for (const r of distinctRows) {
      const k = `${r.project_id}/${r.person_id}`;
      const list = idsByPerson.get(k) ?? [];
      list.push(String(r.distinct_id));
      idsByPerson.set(k, list);
    }
    return personRows.map((r) => ({
      projectId: asNumber(r.project_id),
      id: String(r.id),
      properties: JSON.parse(String(r.properties)),
      isIdentified: Boolean(r.is_identified),
      createdAt: asDate(r.created_at),
      version: asNumber(r.version),
      distinctIds: (idsByPerson.get(`${r.project_id}/${r.id}`) ?? []).sort(),
    }));
  }

  commitIngest(commit: IngestCommit): Promise<void> {
    return this.transaction(async (c) => {
      await this.appendRows(
        c,
        'events',
        commit.events.map((e) => [
          e.uuid,
          e.projectId,
          e.event,
          e.distinctId,
          e.personId,
          e.timestamp,
          e.propertiesJson,
          ...Array.from({ length: GROUP_SLOTS }, (_, i) => e.groupKeys[i] ?? ''),
          e.createdAt,
        ]),
      );
      for (const d of commit.deletedPersons) {
        await c.run('DELETE FROM persons WHERE project_id = ? AND id = ?', [d.projectId, d.personId]);
      }
      for (const o of commit.personOverrides) {
        // Keep overrides one hop deep: whatever pointed at the merged person now points at the survivor.
        await c.run('UPDATE person_overrides SET new_person_id = ? WHERE project_id = ? AND new_person_id = ?', [
          o.newPersonId,
          o.projectId,
          o.oldPersonId,
        ]);
      }
      await this.upsertRows(
        c,
        'person_overrides',
        commit.personOverrides.map((o) => [o.projectId, o.oldPersonId, o.newPersonId]),
      );
      await this.upsertRows(
        c,
        'persons',
        commit.persons.map((p) => [p.projectId, p.id, JSON.stringify(p.properties), p.isIdentified, p.createdAt, p.version]),
      );
      await this.upsertRows(
        c,
        'person_distinct_ids',
        commit.persons.flatMap((p) => p.distinctIds.map((d) => [p.projectId, d, p.id])),
      );
      await this.upsertRows(
        c,
        'groups',
        commit.groups.map((g) => [g.projectId, g.groupTypeIndex, g.groupKey, JSON.stringify(g.properties), g.createdAt, g.updatedAt, g.version]),
      );
      await this.appendRows(
        c,
        'group_type_mappings',
        commit.newGroupTypes.map((t) => [t.projectId, t.groupTypeIndex, t.groupType, t.nameSingular, t.namePlural, t.createdAt]),
      );
      await this.upsertRows(
        c,
        'property_definitions',
        commit.newPropertyDefinitions.map((d) => [d.projectId, d.type, d.groupTypeIndex, d.name, d.propertyType, d.createdAt]),
      );
      if (commit.warnings.length > 0) {
        const stage = 'stage_warning_increments';
        await c.run(`CREATE TEMP TABLE IF NOT EXISTS ${stage} AS SELECT * FROM ingestion_warnings LIMIT 0`);
        await this.appendRows(
          c,
          stage,
          commit.warnings.map((w) => [w.projectId, w.type, w.key, JSON.stringify(w.details), w.count, w.firstSeen, w.lastSeen]),
        );
        await c.run(`INSERT INTO ingestion_warnings SELECT * FROM ${stage}
          ON CONFLICT (project_id, type, key) DO UPDATE SET
            count = ingestion_warnings.count + excluded.count,
            last_seen = greatest(ingestion_warnings.last_seen, excluded.last_seen),
            details = excluded.details`);
        await c.run(`DELETE FROM ${stage}`);
      }
    });
  }

  // Group types.

  renameGroupType(projectId: number, groupTypeIndex: number, nameSingular: string | null, namePlural: string | null): Promise<void> {
    return this.transaction(async (c) => {
      await c.run(
        'UPDATE group_type_mappings SET name_singular = ?, name_plural = ? WHERE project_id = ? AND group_type_index = ?',
        [nameSingular, namePlural, projectId, groupTypeIndex],
      );
    });
  }

  deleteGroupType(projectId: number, groupTypeIndex: number): Promise<void> {
    const column = groupColumn(groupTypeIndex);
    return this.transaction(async (c) => {
      // Blank the slot in stored events so a type created later in this slot starts clean.
      await c.run(`UPDATE events SET ${column} = '' WHERE project_id = ? AND ${column} <> ''`, [projectId]);
      await c.run('DELETE FROM groups WHERE project_id = ? AND group_type_index = ?', [projectId, groupTypeIndex]);
      await c.run("DELETE FROM property_definitions WHERE project_id = ? AND type = 'group' AND group_type_index = ?", [
        projectId,
        groupTypeIndex,
      ]);
      await c.run('DELETE FROM group_type_mappings WHERE project_id = ? AND group_type_index = ?', [projectId, groupTypeIndex]);
    });
  }

  // Reads.

  async listGroups(q: GroupListQuery): Promise<Group[]> {
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
    const rows = await this.read(
      `SELECT * FROM groups WHERE ${where.join(' AND ')} ORDER BY created_at DESC, group_key DESC LIMIT ?`,
      params,
    );
    return rows.map(rowToGroup);
  }

  async findGroup(projectId: number, groupTypeIndex: number, groupKey: string): Promise<Group | null> {
    const [r] = await this.read('SELECT * FROM groups WHERE project_id = ? AND group_type_index = ? AND group_key = ?', [
      projectId,
      groupTypeIndex,
      groupKey,
    ]);
    return r ? rowToGroup(r) : null;
  }

  async findGroups(projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): Promise<Group[]> {
    if (keys.length === 0) return [];
    const tuples = keys.map(() => '(?, ?)').join(', ');
    const rows = await this.read(
      `SELECT g.* FROM groups g JOIN (VALUES ${tuples}) AS k(idx, key) ON g.group_type_index = k.idx AND g.group_key = k.key
       WHERE g.project_id = ? ORDER BY g.group_type_index, g.group_key`,
      [...keys.flatMap((k) => [k.groupTypeIndex, k.groupKey]), projectId],
    );
    return rows.map(rowToGroup);
  }

  async groupPropertyValues(
    projectId: number,
    groupTypeIndex: number,
    key: string,
    valueContains: string | undefined,
    limit: number,
  ): Promise<PropertyValueCount[]> {
    const params: Cell[] = [`$."${key.replaceAll('"', '\\"')}"`, projectId, groupTypeIndex];
    let filter = '';
    if (valueContains) {
      filter = `AND value ${ILIKE}`;
      params.push(`%${escapeLike(valueContains)}%`);
    }
    params.push(limit);
    const rows = await this.read(
      `SELECT value, count(*) AS count FROM (
         SELECT json_extract_string(properties, ?) AS value FROM groups WHERE project_id = ? AND group_type_index = ?
       ) WHERE value IS NOT NULL ${filter}
       GROUP BY value ORDER BY count DESC, value LIMIT ?`,
      params,
    );
    return rows.map((r) => ({ value: String(r.value), count: asNumber(r.count) }));
  }

  /** Current person of each event: the stored person id, followed through merges. */
  private readonly personExpr = 'coalesce(o.new_person_id, e.person_id)';
  private readonly personJoin = 'LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id';

  private async relatedGroupsOfEvents(where: string, params: Cell[], excludeIndex: number | null): Promise<RelatedActors['groups']> {
    const selects = Array.from({ length: GROUP_SLOTS }, (_, i) => i)
      .filter((i) => i !== excludeIndex)
      .map((i) => `SELECT DISTINCT ${i} AS idx, e.${groupColumn(i)} AS key FROM events e ${this.personJoin} WHERE ${where} AND e.${groupColumn(i)} <> ''`);
    const rows = await this.read(
      `SELECT k.idx, k.key FROM (${selects.join(' UNION ALL ')}) k
       JOIN groups g ON g.project_id = ? AND g.group_type_index = k.idx AND g.group_key = k.key
       ORDER BY k.idx, k.key`,
      [...selects.flatMap(() => params), params[0]],
    );
    return rows.map((r) => ({ groupTypeIndex: asNumber(r.idx), groupKey: String(r.key) }));
  }

  async relatedToGroup(projectId: number, groupTypeIndex: number, groupKey: string, since: Date): Promise<RelatedActors> {
    const where = `e.project_id = ? AND e.${groupColumn(groupTypeIndex)} = ? AND e.timestamp > ?`;
    const params: Cell[] = [projectId, groupKey, since];
    const people = await this.read(
      `SELECT DISTINCT ${this.personExpr} AS person_id FROM events e ${this.personJoin}
       JOIN persons p ON p.project_id = e.project_id AND p.id = ${this.personExpr}
       WHERE ${where} ORDER BY 1`,
      params,
    );
    return {
      personIds: people.map((r) => String(r.person_id)),
      groups: await this.relatedGroupsOfEvents(where, params, groupTypeIndex),
    };
  }

  async relatedToPerson(projectId: number, personId: string, since: Date): Promise<RelatedActors> {
    const where = `e.project_id = ? AND ${this.personExpr} = ? AND e.timestamp > ?`;
    return { personIds: [], groups: await this.relatedGroupsOfEvents(where, [projectId, personId, since], null) };
  }

  async listPropertyDefinitions(q: {
    projectId: number;
    type: PropertyDefinitionType;
    groupTypeIndex: number;
    search?: string;
    limit: number;
    offset: number;
  }): Promise<{ count: number; results: PropertyDefinition[] }> {
    const where = ['project_id = ?', 'type = ?', 'group_type_index = ?'];
    const params: Cell[] = [q.projectId, q.type, q.groupTypeIndex];
    if (q.search) {
      where.push(`name ${ILIKE}`);
      params.push(`%${escapeLike(q.search)}%`);
    }
    const [countRow] = await this.read(`SELECT count(*) AS n FROM property_definitions WHERE ${where.join(' AND ')}`, params);
    const rows = await this.read(
      `SELECT * FROM property_definitions WHERE ${where.join(' AND ')} ORDER BY name LIMIT ? OFFSET ?`,
      [...params, q.limit, q.offset],
    );
    return { count: asNumber(countRow.n), results: rows.map(rowToPropertyDefinition) };
  }

  async listPersons(q: PersonListQuery): Promise<Person[]> {
    const where = ['p.project_id = ?'];
    const params: Cell[] = [q.projectId];
    if (q.distinctId !== undefined) {
      where.push('p.id IN (SELECT person_id FROM person_distinct_ids WHERE project_id = ? AND distinct_id = ?)');
      params.push(q.projectId, q.distinctId);
    }
    if (q.search) {
      where.push(
        `(p.properties ${ILIKE} OR p.id IN (SELECT person_id FROM person_distinct_ids WHERE project_id = ? AND distinct_id ${ILIKE}))`,
      );
      params.push(`%${escapeLike(q.search)}%`, q.projectId, `%${escapeLike(q.search)}%`);
    }
    const rows = await this.read(
      `SELECT p.* FROM persons p WHERE ${where.join(' AND ')} ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?`,
      [...params, q.limit, q.offset],
    );
    return this.withDistinctIds(q.projectId, rows);
  }

  async getPersons(projectId: number, personIds: readonly string[]): Promise<Person[]> {
    if (personIds.length === 0) return [];
    const rows = await this.read(
      `SELECT * FROM persons WHERE project_id = ? AND id IN (${personIds.map(() => '?').join(', ')}) ORDER BY id`,
      [projectId, ...personIds],
    );
    return this.withDistinctIds(projectId, rows);
  }

  private async withDistinctIds(projectId: number, personRows: Row[]): Promise<Person[]> {
    if (personRows.length === 0) return [];
    const ids = personRows.map((r) => String(r.id));
    const distinctRows = await this.read(
      `SELECT * FROM person_distinct_ids WHERE project_id = ? AND person_id IN (${ids.map(() => '?').join(', ')})`,
      [projectId, ...ids],
    );
    return this.assemblePersons(personRows, distinctRows);
  }

  async listEvents(q: EventListQuery): Promise<StoredEvent[]> {
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
      where.push(`${this.personExpr} = ?`);
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
    const rows = await this.read(
      `SELECT e.* EXCLUDE (person_id), ${this.personExpr} AS person_id FROM events e ${this.personJoin}
       WHERE ${where.join(' AND ')} ORDER BY e.timestamp DESC, e.uuid DESC LIMIT ?`,
      params,
    );
    return rows.map(rowToEvent);
  }

  async listIngestionWarnings(projectId: number): Promise<IngestionWarning[]> {
    const rows = await this.read('SELECT * FROM ingestion_warnings WHERE project_id = ? ORDER BY last_seen DESC, type, key', [projectId]);
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
}

function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}
