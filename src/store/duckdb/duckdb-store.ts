// The embedded store: one DuckDB database file in the data directory.
import fs from 'node:fs';
import path from 'node:path';
import {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampValue,
  INTEGER,
  LIST,
  listValue,
  VARCHAR,
  type DuckDBValue,
} from '@duckdb/node-api';
import type {
  EventListQuery,
  Group,
  GroupListQuery,
  GroupType,
  IngestCommit,
  IngestLogPosition,
  IngestState,
  IngestionWarning,
  Person,
  FeatureFlagRecord,
  PersonalApiKey,
  DocumentKind,
  StoredDocument,
  PersonRow,
  PersonListQuery,
  Project,
  PropertyDefinition,
  PropertyDefinitionType,
  PropertyValueCount,
  RelatedActors,
  Store,
  StoredEvent,
} from '../store.js';
import { duckdbDialect } from './duckdb-dialect.js';
import { EventStage } from './event-stage.js';
import { RowStage, type ColumnKind, type StagedCell } from './row-stage.js';
import { concatEventRows } from '../event-rows.js';
import { GROUP_SLOTS, groupColumn, mergeChangesStatements, schemaStatements } from './schema.js';

type Row = Record<string, unknown>;

/** Tables written through a staging table (upserts): the stages are created once per connection. */
const STAGED_TABLES = ['person_overrides', 'ingestion_warnings'] as const;
type StagedTable = (typeof STAGED_TABLES)[number];

function groupBy<T, K, V>(items: readonly T[], key: (item: T) => K, value: (item: T) => V): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(value(item));
    groups.set(key(item), list);
  }
  return groups;
}

/** The change logs' columns, in the order writeChanges builds their rows. */
const PERSON_CHANGE_COLUMNS: [string, ColumnKind][] = [
  ['project_id', 'integer'], ['id', 'text'], ['properties', 'text'], ['is_identified', 'boolean'],
  ['created_at', 'timestamp'], ['version', 'integer'], ['seq', 'integer'], ['deleted', 'boolean'],
];
const DISTINCT_ID_CHANGE_COLUMNS: [string, ColumnKind][] = [['project_id', 'integer'], ['distinct_id', 'text'], ['person_id', 'text'], ['seq', 'integer']];
const GROUP_CHANGE_COLUMNS: [string, ColumnKind][] = [
  ['project_id', 'integer'], ['group_type_index', 'integer'], ['group_key', 'text'], ['properties', 'text'],
  ['created_at', 'timestamp'], ['updated_at', 'timestamp'], ['version', 'integer'], ['seq', 'integer'],
];

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

/** Connections taking turns: a DuckDB connection runs one statement at a time, and a second
 * call on a busy one blocks a libuv pool thread on its lock (which can starve the commits). */
class ConnectionPool {
  private readonly idle: DuckDBConnection[];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];
  constructor(readonly connections: DuckDBConnection[]) {
    this.idle = [...connections];
  }
  async use<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = this.idle.pop() ?? (await new Promise<DuckDBConnection>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(c);
    } finally {
      const next = this.waiting.shift();
      if (next) next(c);
      else this.idle.push(c);
    }
  }
}

/** The current person id of each of the distinct ids $2. */
const LOOKUP_OWNERS_SQL = `SELECT DISTINCT person_id FROM (
  SELECT person_id FROM (
    SELECT distinct_id, person_id, seq FROM person_distinct_id_changes WHERE project_id = $1 AND distinct_id IN (SELECT unnest($2))
    UNION ALL
    SELECT distinct_id, person_id, -1 FROM person_distinct_ids WHERE project_id = $1 AND distinct_id IN (SELECT unnest($2))
  ) QUALIFY row_number() OVER (PARTITION BY distinct_id ORDER BY seq DESC) = 1
)`;

/** The current persons $2 (deleted ones left out), each with its current distinct ids. */
const LOOKUP_PERSONS_SQL = `WITH ids AS (
  SELECT person_id, list(distinct_id ORDER BY distinct_id) AS distinct_ids FROM (
    SELECT distinct_id, person_id FROM (
      -- All logged rows: a settled id of these persons may have moved to another person since.
      SELECT distinct_id, person_id, seq FROM person_distinct_id_changes WHERE project_id = $1
      UNION ALL
      SELECT distinct_id, person_id, -1 FROM person_distinct_ids WHERE project_id = $1 AND person_id IN (SELECT unnest($2))
    ) QUALIFY row_number() OVER (PARTITION BY distinct_id ORDER BY seq DESC) = 1
  ) WHERE person_id IN (SELECT unnest($2)) GROUP BY person_id
),
latest AS (
  SELECT * FROM (
    SELECT project_id, id, properties, is_identified, created_at, version, seq, deleted
      FROM person_changes WHERE project_id = $1 AND id IN (SELECT unnest($2))
    UNION ALL
    SELECT project_id, id, properties, is_identified, created_at, version, -1, false
      FROM persons WHERE project_id = $1 AND id IN (SELECT unnest($2))
  ) QUALIFY row_number() OVER (PARTITION BY id ORDER BY seq DESC) = 1
)
SELECT p.project_id, p.id, p.properties, p.is_identified, p.created_at, p.version, i.distinct_ids
FROM latest p JOIN ids i ON i.person_id = p.id WHERE NOT p.deleted ORDER BY p.id`;

/** The current groups of any type with one of the keys $2. */
const LOOKUP_GROUPS_SQL = `SELECT * EXCLUDE (seq) FROM (
  SELECT project_id, group_type_index, group_key, properties, created_at, updated_at, version, seq
    FROM group_changes WHERE project_id = $1 AND group_key IN (SELECT unnest($2))
  UNION ALL
  SELECT project_id, group_type_index, group_key, properties, created_at, updated_at, version, -1
    FROM groups WHERE project_id = $1 AND group_key IN (SELECT unnest($2))
) QUALIFY row_number() OVER (PARTITION BY group_type_index, group_key ORDER BY seq DESC) = 1
ORDER BY group_type_index, group_key`;

/** Change-log rows after which the logs are folded into the settled tables. */
const MERGE_AFTER_ROWS = 50_000;
/** ...or time after which pending changes are folded anyway, so reads stay cheap. */
const MERGE_AFTER_MS = 10_000;
/** Reads (insights, lists) that run at once; each holds one connection and one pool thread. */
const READ_CONNECTIONS = 2;

export interface DuckDBStoreOptions {
  /** DuckDB's memory_limit, bytes (its buffer manager: cached table data, query state). */
  readonly memoryLimitBytes?: number;
}

export class DuckDBStore implements Store {
  private readonly writes = new SerialQueue();
  /**
   * Point reads (lookupPersons, lookupGroups) get a connection of their own, opened on first use:
   * a connection runs one statement at a time, so on the reader they would wait behind a long
   * insight query. Serialized here, since a second call would block a libuv thread on its lock.
   */
  private readonly lookups = new SerialQueue();
  private lookupConnection: DuckDBConnection | undefined;
  /** Folds, and the few writes that touch the settled tables they rewrite. */
  private readonly folds = new SerialQueue();
  /**
   * Orders rows in the change logs. It only grows: folds run beside ingestion commits, so rows
   * of later commits may be appended while a fold runs.
   */
  private changeSeq = 0;
  /** Seq of the last committed ingestion transaction (what a fold may take). */
  private committedChangeSeq = 0;
  private pendingChanges = 0;
  private lastMerge = Date.now();
  private merging = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly folder: DuckDBConnection,
    private readonly readers: ConnectionPool,
    private readonly eventStage: EventStage,
    private readonly changeStage: RowStage,
  ) {}

  static async open(dataDir: string, options: DuckDBStoreOptions = {}): Promise<DuckDBStore> {
    fs.mkdirSync(dataDir, { recursive: true });
    const instance = await DuckDBInstance.create(path.join(dataDir, 'prickle.duckdb'));
    const writer = await instance.connect();
    for (const statement of schemaStatements) await writer.run(statement);
    // DuckDB keeps what was committed since the last checkpoint in memory, and a checkpoint
    // blocks commits while it runs: small, frequent ones keep both short. Acknowledgements do
    // not wait for commits (the ingest log does), so a checkpoint only delays visibility.
    const memoryLimit = options.memoryLimitBytes ?? 768 * 1024 * 1024;
    const checkpointMb = Math.max(16, Math.min(64, Math.floor(memoryLimit / 8 / 1024 / 1024)));
    await writer.run(`SET checkpoint_threshold = '${checkpointMb}MB'`);
    // DuckDB caches up to 80% of RAM by default; the server keeps to its own bound. Queries
    // spill or re-read past this.
    await writer.run(`SET memory_limit = '${Math.floor(memoryLimit / 1024 / 1024)}MB'`);
    for (const table of STAGED_TABLES) {
      await writer.run(`CREATE TEMP TABLE IF NOT EXISTS stage_${table} AS SELECT * FROM ${table} LIMIT 0`);
    }
    const folder = await instance.connect();
    const readers = new ConnectionPool(await Promise.all(Array.from({ length: READ_CONNECTIONS }, () => instance.connect())));
    const store = new DuckDBStore(instance, writer, folder, readers, new EventStage(path.join(dataDir, 'events-stage.csv')), new RowStage(path.join(dataDir, 'changes-stage.csv')));
    const [row] = await store.read('SELECT greatest((SELECT max(seq) FROM person_changes), (SELECT max(seq) FROM person_distinct_id_changes), (SELECT max(seq) FROM group_changes)) AS seq');
    store.changeSeq = store.committedChangeSeq = asNumber(row.seq ?? 0);
    await store.mergeChanges();
    return store;
  }

  /**
   * Folds the change logs, up to the last committed ingestion, into the settled tables (one
   * transaction on a connection of its own, so ingestion commits go on beside it: appends never
   * conflict with the fold's deletes).
   */
  mergeChanges(): Promise<void> {
    return this.folds.run(async () => {
      const upTo = this.committedChangeSeq;
      const folded = this.pendingChanges;
      const c = this.folder;
      await c.run('BEGIN TRANSACTION');
      try {
        for (const statement of mergeChangesStatements) await c.run(statement, [upTo]);
        await c.run('COMMIT');
      } catch (error) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
      this.pendingChanges = Math.max(0, this.pendingChanges - folded);
      this.lastMerge = Date.now();
    });
  }

  private maybeMergeChanges(): void {
    if (this.merging || this.pendingChanges === 0) return;
    if (this.pendingChanges < MERGE_AFTER_ROWS && Date.now() - this.lastMerge < MERGE_AFTER_MS) return;
    this.merging = true;
    // A failed merge is rolled back and retried later.
    this.mergeChanges()
      .catch(() => undefined)
      .finally(() => {
        this.merging = false;
      });
  }

  async close(): Promise<void> {
    await this.lookups.run(async () => {
      this.lookupConnection?.closeSync();
      this.lookupConnection = undefined;
    });
    await this.mergeChanges();
    await this.writes.run(async () => {
      await this.writer.run('CHECKPOINT');
      for (const c of this.readers.connections) c.closeSync();
      this.folder.closeSync();
      this.writer.closeSync();
      this.instance.closeSync();
      this.eventStage.remove();
      this.changeStage.remove();
    });
  }

  readonly dialect = duckdbDialect;

  async query(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.read(sql, params as Cell[]);
  }

  private async read(sql: string, params: Cell[] = []): Promise<Row[]> {
    const result = await this.readers.use((c) => c.runAndReadAll(sql, params.map(param)));
    return result.getRowObjectsJS() as Row[];
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
  private async upsertRows(c: DuckDBConnection, table: StagedTable, rows: readonly Cell[][]): Promise<void> {
    if (rows.length === 0) return;
    const stage = `stage_${table}`;
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

  updateProject(projectId: number, changes: { name?: string; timezone?: string }): Promise<void> {
    return this.transaction(async (c) => {
      if (changes.name !== undefined) await c.run('UPDATE projects SET name = ? WHERE id = ?', [changes.name, projectId]);
      if (changes.timezone !== undefined) await c.run('UPDATE projects SET timezone = ? WHERE id = ?', [changes.timezone, projectId]);
    });
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
    return r ? rowToPersonalApiKey(r) : null;
  }

  async listPersonalApiKeys(projectId: number): Promise<PersonalApiKey[]> {
    return (await this.read('SELECT * FROM personal_api_keys WHERE project_id = ? ORDER BY created_at, id', [projectId])).map(rowToPersonalApiKey);
  }

  async deletePersonalApiKey(projectId: number, id: string): Promise<boolean> {
    let deleted = false;
    await this.transaction(async (c) => {
      const result = await c.run('DELETE FROM personal_api_keys WHERE project_id = ? AND id = ?', [projectId, id]);
      deleted = Number(result.rowsChanged) > 0;
    });
    return deleted;
  }

  // Web app records.

  putDocument(d: StoredDocument): Promise<void> {
    return this.transaction(async (c) => {
      await c.run('DELETE FROM documents WHERE kind = ? AND id = ?', [d.kind, d.id]);
      await this.appendRows(c, 'documents', [[d.kind, d.id, d.projectId, JSON.stringify(d.body), d.createdAt, d.updatedAt]]);
    });
  }

  async getDocument(kind: DocumentKind, id: string): Promise<StoredDocument | null> {
    const [r] = await this.read('SELECT * FROM documents WHERE kind = ? AND id = ?', [kind, id]);
    return r ? rowToDocument(r) : null;
  }

  async listDocuments(kind: DocumentKind, projectId?: number): Promise<StoredDocument[]> {
    const rows =
      projectId === undefined
        ? await this.read('SELECT * FROM documents WHERE kind = ? ORDER BY updated_at DESC, id', [kind])
        : await this.read('SELECT * FROM documents WHERE kind = ? AND project_id = ? ORDER BY updated_at DESC, id', [kind, projectId]);
    return rows.map(rowToDocument);
  }

  async deleteDocument(kind: DocumentKind, id: string): Promise<boolean> {
    let deleted = false;
    await this.transaction(async (c) => {
      const result = await c.run('DELETE FROM documents WHERE kind = ? AND id = ?', [kind, id]);
      deleted = Number(result.rowsChanged) > 0;
    });
    return deleted;
  }

  // Ingestion.

  async loadIngestState(): Promise<IngestState> {
    const [projects, groupTypes, definitions] = [
      await this.listProjects(),
      (await this.read('SELECT * FROM group_type_mappings ORDER BY project_id, group_type_index')).map(rowToGroupType),
      (await this.read('SELECT * FROM property_definitions')).map(rowToPropertyDefinition),
    ];
    return { projects, groupTypes, propertyDefinitions: definitions };
  }

  private lookup<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.lookups.run(async () => {
      this.lookupConnection ??= await this.instance.connect();
      return work(this.lookupConnection);
    });
  }

  // The point reads below spell out what the current_* views mean (a logged row wins over the
  // settled one; settled rows take seq -1, below every logged seq) instead of reading the views:
  // DuckDB does not push a semi-join on a key list through the views' anti-join, so through them
  // every lookup computed the whole view (~0.5 s over 1M persons), where this reads each table
  // with a hash semi-join (~10 ms for one key, ~100 ms for thousands, over 1M persons).

  async lookupPersons(projectId: number, distinctIds: readonly string[]): Promise<Person[]> {
    if (distinctIds.length === 0) return [];
    return this.lookup(async (c) => {
      const owners = await c.runAndReadAll(LOOKUP_OWNERS_SQL, [projectId, listValue([...distinctIds])], [INTEGER, LIST(VARCHAR)]);
      const personIds = owners.getColumnsJS()[0] ?? [];
      if (personIds.length === 0) return [];
      // Between the two statements only persons a commit changed can differ, and ingestion never
      // looks up those (they are pinned in its cache); /flags tolerates a moment's staleness.
      const persons = await c.runAndReadAll(LOOKUP_PERSONS_SQL, [projectId, listValue(personIds as string[])], [INTEGER, LIST(VARCHAR)]);
      return (persons.getRowObjectsJS() as Row[]).map((r) => ({
        projectId: asNumber(r.project_id),
        id: String(r.id),
        properties: JSON.parse(String(r.properties)),
        isIdentified: Boolean(r.is_identified),
        createdAt: asDate(r.created_at),
        version: asNumber(r.version),
        distinctIds: (r.distinct_ids as string[]).map(String),
      }));
    });
  }

  async lookupGroups(projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): Promise<Group[]> {
    if (keys.length === 0) return [];
    const wanted = new Set(keys.map((k) => `${k.groupTypeIndex}\u0000${k.groupKey}`));
    const rows = await this.lookup(async (c) => {
      const reader = await c.runAndReadAll(LOOKUP_GROUPS_SQL, [projectId, listValue([...new Set(keys.map((k) => k.groupKey))])], [INTEGER, LIST(VARCHAR)]);
      return reader.getRowObjectsJS() as Row[];
    });
    // Selected by key only (one semi-join); a key may exist under other group types too.
    return rows.map(rowToGroup).filter((g) => wanted.has(`${g.groupTypeIndex}\u0000${g.groupKey}`));
  }

  async forEachDistinctId(visit: (projectId: number, distinctId: string) => void): Promise<void> {
    await this.lookup(async (c) => {
      const result = await c.stream('SELECT project_id, distinct_id FROM current_person_distinct_ids');
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        const [projects, ids] = chunk.getColumns();
        for (let i = 0; i < chunk.rowCount; i++) visit(Number(projects[i]), String(ids[i]));
      }
    });
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

  private async saveLogPosition(c: DuckDBConnection, position: IngestLogPosition): Promise<void> {
    const moved = await c.run('UPDATE ingest_log_position SET segment = ?, "offset" = ?', [position.segment, position.offset]);
    if (Number(moved.rowsChanged) === 0) await c.run('INSERT INTO ingest_log_position VALUES (?, ?)', [position.segment, position.offset]);
  }

  async loadIngestLogPosition(): Promise<IngestLogPosition | null> {
    const [row] = await this.read('SELECT segment, "offset" FROM ingest_log_position');
    return row ? { segment: asNumber(row.segment), offset: asNumber(row.offset) } : null;
  }

  async commitIngest(commits: IngestCommit | readonly IngestCommit[], logPosition?: IngestLogPosition): Promise<void> {
    const batches: readonly IngestCommit[] = Array.isArray(commits) ? commits : [commits as IngestCommit];
    let committedSeq = 0;
    await this.transaction(async (c) => {
      await this.eventStage.insert(c, concatEventRows(batches.map((b) => b.events)));
      if (logPosition) await this.saveLogPosition(c, logPosition);
      committedSeq = await this.writeChanges(c, batches);
    });
    this.committedChangeSeq = Math.max(this.committedChangeSeq, committedSeq);
    this.maybeMergeChanges();
  }

  /**
   * The batches' persons, groups and the rest, each batch with a change-log seq of its own;
   * returns the last seq. Rows of all batches go to each table in one statement: the change logs
   * through the CSV stage, the rare rest with the appender.
   */
  private async writeChanges(c: DuckDBConnection, batches: readonly IngestCommit[]): Promise<number> {
    const personRows: StagedCell[][] = [];
    const distinctIdRows: StagedCell[][] = [];
    const groupRows: StagedCell[][] = [];
    const groupTypeRows: Cell[][] = [];
    const definitionRows: Cell[][] = [];
    const warnings = new Map<string, IngestionWarning>();
    let seq = 0;
    for (const commit of batches) {
      // Persons, distinct ids and groups: appended to the change logs, all with this batch's seq.
      seq = ++this.changeSeq;
      const personCells = (p: PersonRow, deleted: boolean): StagedCell[] => [
        p.projectId, p.id, JSON.stringify(p.properties), p.isIdentified, p.createdAt, p.version, seq, deleted,
      ];
      for (const p of commit.newPersons) personRows.push(personCells(p, false));
      for (const p of commit.changedPersons) personRows.push(personCells(p, false));
      for (const d of commit.deletedPersons) {
        personRows.push(personCells({ projectId: d.projectId, id: d.personId, properties: {}, isIdentified: false, createdAt: new Date(0), version: 0 }, true));
      }
      for (const d of commit.distinctIds) distinctIdRows.push([d.projectId, d.distinctId, d.personId, seq]);
      for (const g of [...commit.newGroups, ...commit.changedGroups]) {
        groupRows.push([g.projectId, g.groupTypeIndex, g.groupKey, JSON.stringify(g.properties), g.createdAt, g.updatedAt, g.version, seq]);
      }
      for (const t of commit.newGroupTypes) groupTypeRows.push([t.projectId, t.groupTypeIndex, t.groupType, t.nameSingular, t.namePlural, t.createdAt]);
      for (const d of commit.newPropertyDefinitions) definitionRows.push([d.projectId, d.type, d.groupTypeIndex, d.name, d.propertyType, d.createdAt]);
      for (const w of commit.warnings) {
        const id = `${w.projectId}\u0000${w.type}\u0000${w.key}`;
        const earlier = warnings.get(id);
        warnings.set(
          id,
          earlier
            ? { ...w, count: earlier.count + w.count, firstSeen: earlier.firstSeen < w.firstSeen ? earlier.firstSeen : w.firstSeen, lastSeen: earlier.lastSeen > w.lastSeen ? earlier.lastSeen : w.lastSeen }
            : w,
        );
      }
      if (commit.personOverrides.length > 0) {
        // In batch order: keep overrides one hop deep, whatever pointed at the merged person now
        // points at the survivor.
        for (const o of commit.personOverrides) {
          await c.run('UPDATE person_overrides SET new_person_id = ? WHERE project_id = ? AND new_person_id = ?', [
            o.newPersonId,
            o.projectId,
            o.oldPersonId,
          ]);
        }
        await this.upsertRows(c, 'person_overrides', commit.personOverrides.map((o) => [o.projectId, o.oldPersonId, o.newPersonId]));
      }
    }
    this.pendingChanges += personRows.length + distinctIdRows.length + groupRows.length;
    await this.changeStage.insert(c, 'person_changes', PERSON_CHANGE_COLUMNS, personRows);
    await this.changeStage.insert(c, 'person_distinct_id_changes', DISTINCT_ID_CHANGE_COLUMNS, distinctIdRows);
    await this.changeStage.insert(c, 'group_changes', GROUP_CHANGE_COLUMNS, groupRows);
    await this.appendRows(c, 'group_type_mappings', groupTypeRows);
    await this.appendRows(c, 'property_definitions', definitionRows);
    if (warnings.size > 0) {
      await this.appendRows(
        c,
        'stage_ingestion_warnings',
        [...warnings.values()].map((w) => [w.projectId, w.type, w.key, JSON.stringify(w.details), w.count, w.firstSeen, w.lastSeen]),
      );
      await c.run(`INSERT INTO ingestion_warnings SELECT * FROM stage_ingestion_warnings
        ON CONFLICT (project_id, type, key) DO UPDATE SET
          count = ingestion_warnings.count + excluded.count,
          last_seen = greatest(ingestion_warnings.last_seen, excluded.last_seen),
          details = excluded.details`);
      await c.run('DELETE FROM stage_ingestion_warnings');
    }
    return seq;
  }

  // Feature flags.

  async listFeatureFlags(projectId: number): Promise<FeatureFlagRecord[]> {
    const rows = await this.read('SELECT * FROM feature_flags WHERE project_id = ? ORDER BY id', [projectId]);
    return rows.map((r) => ({
      projectId: asNumber(r.project_id),
      id: asNumber(r.id),
      key: String(r.key),
      name: String(r.name),
      active: Boolean(r.active),
      deleted: Boolean(r.deleted),
      version: asNumber(r.version),
      ensureExperienceContinuity: Boolean(r.ensure_experience_continuity),
      filters: JSON.parse(String(r.filters)),
      createdAt: asDate(r.created_at),
      updatedAt: asDate(r.updated_at),
    }));
  }

  async nextFeatureFlagId(projectId: number): Promise<number> {
    const [row] = await this.read('SELECT coalesce(max(id), 0) + 1 AS next FROM feature_flags WHERE project_id = ?', [projectId]);
    return asNumber(row.next);
  }

  saveFeatureFlag(f: FeatureFlagRecord): Promise<void> {
    return this.transaction(async (c) => {
      await c.run('DELETE FROM feature_flags WHERE project_id = ? AND id = ?', [f.projectId, f.id]);
      await this.appendRows(c, 'feature_flags', [
        [f.projectId, f.id, f.key, f.name, f.active, f.deleted, f.version, f.ensureExperienceContinuity, JSON.stringify(f.filters), f.createdAt, f.updatedAt],
      ]);
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
    // It deletes settled group rows, which a fold rewrites: never beside one.
    return this.folds.run(() => this.transaction(async (c) => {
      // Blank the slot in stored events so a type created later in this slot starts clean.
      await c.run(`UPDATE events SET ${column} = '' WHERE project_id = ? AND ${column} <> ''`, [projectId]);
      await c.run('DELETE FROM groups WHERE project_id = ? AND group_type_index = ?', [projectId, groupTypeIndex]);
      await c.run('DELETE FROM group_changes WHERE project_id = ? AND group_type_index = ?', [projectId, groupTypeIndex]);
      await c.run("DELETE FROM property_definitions WHERE project_id = ? AND type = 'group' AND group_type_index = ?", [
        projectId,
        groupTypeIndex,
      ]);
      await c.run('DELETE FROM group_type_mappings WHERE project_id = ? AND group_type_index = ?', [projectId, groupTypeIndex]);
    }));
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
      `SELECT * FROM current_groups WHERE ${where.join(' AND ')} ORDER BY created_at DESC, group_key DESC LIMIT ?`,
      params,
    );
    return rows.map(rowToGroup);
  }

  async findGroup(projectId: number, groupTypeIndex: number, groupKey: string): Promise<Group | null> {
    const [r] = await this.read('SELECT * FROM current_groups WHERE project_id = ? AND group_type_index = ? AND group_key = ?', [
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
      `SELECT g.* FROM current_groups g JOIN (VALUES ${tuples}) AS k(idx, key) ON g.group_type_index = k.idx AND g.group_key = k.key
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
    return this.propertyValues('current_groups', 'project_id = ? AND group_type_index = ?', [projectId, groupTypeIndex], key, valueContains, limit);
  }

  async eventPropertyValues(projectId: number, key: string, valueContains: string | undefined, limit: number, since?: Date): Promise<PropertyValueCount[]> {
    if (since === undefined) return this.propertyValues('events', 'project_id = ?', [projectId], key, valueContains, limit);
    return this.propertyValues('events', 'project_id = ? AND timestamp >= ?', [projectId, since], key, valueContains, limit);
  }

  async personPropertyValues(projectId: number, key: string, valueContains: string | undefined, limit: number): Promise<PropertyValueCount[]> {
    return this.propertyValues('current_persons', 'project_id = ?', [projectId], key, valueContains, limit);
  }

  /**
   * Counts the scalar values of property `key` in the JSON `properties` column of `table`'s rows
   * matching `where` (objects, arrays, JSON null and absent keys are left out).
   */
  private async propertyValues(
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
    const rows = await this.read(
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

  /** Current person of each event: the stored person id, followed through merges. */
  private readonly personExpr = 'coalesce(o.new_person_id, e.person_id)';
  private readonly personJoin = 'LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id';

  private async relatedGroupsOfEvents(where: string, params: Cell[], excludeIndex: number | null): Promise<RelatedActors['groups']> {
    const selects = Array.from({ length: GROUP_SLOTS }, (_, i) => i)
      .filter((i) => i !== excludeIndex)
      .map((i) => `SELECT DISTINCT ${i} AS idx, e.${groupColumn(i)} AS key FROM events e ${this.personJoin} WHERE ${where} AND e.${groupColumn(i)} <> ''`);
    const rows = await this.read(
      `SELECT k.idx, k.key FROM (${selects.join(' UNION ALL ')}) k
       JOIN current_groups g ON g.project_id = ? AND g.group_type_index = k.idx AND g.group_key = k.key
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
       JOIN current_persons p ON p.project_id = e.project_id AND p.id = ${this.personExpr}
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
      where.push('p.id IN (SELECT person_id FROM current_person_distinct_ids WHERE project_id = ? AND distinct_id = ?)');
      params.push(q.projectId, q.distinctId);
    }
    if (q.search) {
      where.push(
        `(p.properties ${ILIKE} OR p.id IN (SELECT person_id FROM current_person_distinct_ids WHERE project_id = ? AND distinct_id ${ILIKE}))`,
      );
      params.push(`%${escapeLike(q.search)}%`, q.projectId, `%${escapeLike(q.search)}%`);
    }
    const rows = await this.read(
      `SELECT p.* FROM current_persons p WHERE ${where.join(' AND ')} ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?`,
      [...params, q.limit, q.offset],
    );
    return this.withDistinctIds(q.projectId, rows);
  }

  async getPersons(projectId: number, personIds: readonly string[]): Promise<Person[]> {
    if (personIds.length === 0) return [];
    const rows = await this.read(
      `SELECT * FROM current_persons WHERE project_id = ? AND id IN (${personIds.map(() => '?').join(', ')}) ORDER BY id`,
      [projectId, ...personIds],
    );
    return this.withDistinctIds(projectId, rows);
  }

  private async withDistinctIds(projectId: number, personRows: Row[]): Promise<Person[]> {
    if (personRows.length === 0) return [];
    const ids = personRows.map((r) => String(r.id));
    const distinctRows = await this.read(
      `SELECT * FROM current_person_distinct_ids WHERE project_id = ? AND person_id IN (${ids.map(() => '?').join(', ')})`,
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

/** JSONPath selecting the top-level key `key` as written, dots and quotes included. */
function jsonKeyPath(key: string): string {
  return `$."${key.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

function rowToPersonalApiKey(r: Row): PersonalApiKey {
  return {
    id: String(r.id),
    projectId: asNumber(r.project_id),
    label: String(r.label),
    secretHash: String(r.secret_hash),
    maskValue: String(r.mask_value),
    createdAt: asDate(r.created_at),
  };
}

function rowToDocument(r: Row): StoredDocument {
  return {
    kind: String(r.kind) as DocumentKind,
    id: String(r.id),
    projectId: r.project_id === null ? null : asNumber(r.project_id),
    body: JSON.parse(String(r.body)) as Record<string, unknown>,
    createdAt: asDate(r.created_at),
    updatedAt: asDate(r.updated_at),
  };
}
