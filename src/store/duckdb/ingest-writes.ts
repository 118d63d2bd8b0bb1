// Ingestion commits: events through the CSV event stage, persons, distinct ids and groups
// appended to the change logs, and the folds of those logs into the settled tables.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IngestCommit, IngestLogPosition, IngestionWarning, PersonRow } from '../store.js';
import { concatEventRows } from '../event-rows.js';
import { appendRows, upsertRows, type Cell, type DuckDBConnections } from './connections.js';
import type { EventStage } from './event-stage.js';
import type { ColumnKind, RowStage, StagedCell } from './row-stage.js';
import { asNumber } from './rows.js';
import { mergeChangesStatements } from './schema.js';

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

/** Change-log rows after which the logs are folded into the settled tables. */
const MERGE_AFTER_ROWS = 50_000;
/** ...or time after which pending changes are folded anyway, so reads stay cheap. */
const MERGE_AFTER_MS = 10_000;

export class IngestWrites {
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

  constructor(
    private readonly db: DuckDBConnections,
    private readonly eventStage: EventStage,
    private readonly changeStage: RowStage,
  ) {}

  /** Goes on from the last seq in the change logs (those of an earlier run, not yet folded). */
  async resumeChangeSeq(): Promise<void> {
    const [row] = await this.db.read('SELECT greatest((SELECT max(seq) FROM person_changes), (SELECT max(seq) FROM person_distinct_id_changes), (SELECT max(seq) FROM group_changes)) AS seq');
    this.changeSeq = this.committedChangeSeq = asNumber(row.seq ?? 0);
  }

  /**
   * Folds the change logs, up to the last committed ingestion, into the settled tables (one
   * transaction on a connection of its own, so ingestion commits go on beside it: appends never
   * conflict with the fold's deletes).
   */
  mergeChanges(): Promise<void> {
    return this.db.folds.run(async () => {
      const upTo = this.committedChangeSeq;
      const folded = this.pendingChanges;
      const c = this.db.folder;
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

  /** Deletes the staging files (at close, once the last commit is done). */
  removeStages(): void {
    this.eventStage.remove();
    this.changeStage.remove();
  }

  private async saveLogPosition(c: DuckDBConnection, position: IngestLogPosition): Promise<void> {
    const moved = await c.run('UPDATE ingest_log_position SET segment = ?, "offset" = ?', [position.segment, position.offset]);
    if (Number(moved.rowsChanged) === 0) await c.run('INSERT INTO ingest_log_position VALUES (?, ?)', [position.segment, position.offset]);
  }

  async loadIngestLogPosition(): Promise<IngestLogPosition | null> {
    const [row] = await this.db.read('SELECT segment, "offset" FROM ingest_log_position');
    return row ? { segment: asNumber(row.segment), offset: asNumber(row.offset) } : null;
  }

  async commitIngest(commits: IngestCommit | readonly IngestCommit[], logPosition?: IngestLogPosition): Promise<void> {
    const batches: readonly IngestCommit[] = Array.isArray(commits) ? commits : [commits as IngestCommit];
    let committedSeq = 0;
    await this.db.transaction(async (c) => {
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
        await upsertRows(c, 'person_overrides', commit.personOverrides.map((o) => [o.projectId, o.oldPersonId, o.newPersonId]));
      }
    }
    this.pendingChanges += personRows.length + distinctIdRows.length + groupRows.length;
    await this.changeStage.insert(c, 'person_changes', PERSON_CHANGE_COLUMNS, personRows);
    await this.changeStage.insert(c, 'person_distinct_id_changes', DISTINCT_ID_CHANGE_COLUMNS, distinctIdRows);
    await this.changeStage.insert(c, 'group_changes', GROUP_CHANGE_COLUMNS, groupRows);
    await appendRows(c, 'group_type_mappings', groupTypeRows);
    await appendRows(c, 'property_definitions', definitionRows);
    if (warnings.size > 0) {
      await appendRows(
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
}
