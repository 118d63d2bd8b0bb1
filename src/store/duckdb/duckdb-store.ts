// The embedded store: one DuckDB database file in the data directory. The class holds the
// connections and the ingestion state and hands each method to the module of its concern:
// connections.ts (the connections and the queues taking turns on them), ingest-writes.ts
// (commits and change-log folds), ingest-lookups.ts (ingestion's and /flags' point reads),
// metadata.ts (projects, keys, documents, flags, group types), and the reads in actor-reads.ts,
// event-reads.ts and property-reads.ts.
import fs from 'node:fs';
import path from 'node:path';
import type {
  DocumentKind,
  EventListQuery,
  FeatureFlagRecord,
  Group,
  GroupListQuery,
  IngestCommit,
  IngestLogPosition,
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
  StoreCapabilities,
  StoredDocument,
  StoredEvent,
} from '../store.js';
import * as actors from './actor-reads.js';
import { DuckDBConnections, type Cell, type Row } from './connections.js';
import { duckdbDialect } from './duckdb-dialect.js';
import * as events from './event-reads.js';
import { EventStage } from './event-stage.js';
import * as lookups from './ingest-lookups.js';
import { IngestWrites } from './ingest-writes.js';
import * as metadata from './metadata.js';
import * as properties from './property-reads.js';
import { RowStage } from './row-stage.js';

export interface DuckDBStoreOptions {
  /** DuckDB's memory_limit, bytes (its buffer manager: cached table data, query state). */
  readonly memoryLimitBytes?: number;
}

export class DuckDBStore implements Store {
  private constructor(
    private readonly db: DuckDBConnections,
    private readonly ingest: IngestWrites,
  ) {}

  static async open(dataDir: string, options: DuckDBStoreOptions = {}): Promise<DuckDBStore> {
    fs.mkdirSync(dataDir, { recursive: true });
    const db = await DuckDBConnections.open(path.join(dataDir, 'prickle.duckdb'), options.memoryLimitBytes);
    const ingest = new IngestWrites(db, new EventStage(path.join(dataDir, 'events-stage.csv')), new RowStage(path.join(dataDir, 'changes-stage.csv')));
    const store = new DuckDBStore(db, ingest);
    await ingest.resumeChangeSeq();
    await store.mergeChanges();
    return store;
  }

  /** Folds the change logs into the settled tables (see IngestWrites.mergeChanges). */
  mergeChanges(): Promise<void> {
    return this.ingest.mergeChanges();
  }

  async close(): Promise<void> {
    await this.db.closeLookupConnection();
    await this.mergeChanges();
    await this.db.close(() => this.ingest.removeStages());
  }

  readonly dialect = duckdbDialect;
  /** One engine, one file: an ingestion commit (events, state, log position) is one transaction. */
  readonly capabilities: StoreCapabilities = { atomicIngestCommit: true };

  async query(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.db.read(sql, params as Cell[]);
  }

  // Projects and keys.

  listProjects(): Promise<Project[]> {
    return metadata.listProjects(this.db);
  }

  nextProjectId(): Promise<number> {
    return metadata.nextProjectId(this.db);
  }

  updateProject(projectId: number, changes: { name?: string; timezone?: string }): Promise<void> {
    return metadata.updateProject(this.db, projectId, changes);
  }

  createProject(p: Project): Promise<void> {
    return metadata.createProject(this.db, p);
  }

  createPersonalApiKey(k: PersonalApiKey): Promise<void> {
    return metadata.createPersonalApiKey(this.db, k);
  }

  findPersonalApiKey(secretHash: string): Promise<PersonalApiKey | null> {
    return metadata.findPersonalApiKey(this.db, secretHash);
  }

  listPersonalApiKeys(projectId: number): Promise<PersonalApiKey[]> {
    return metadata.listPersonalApiKeys(this.db, projectId);
  }

  deletePersonalApiKey(projectId: number, id: string): Promise<boolean> {
    return metadata.deletePersonalApiKey(this.db, projectId, id);
  }

  // Web app records.

  putDocument(d: StoredDocument): Promise<void> {
    return metadata.putDocument(this.db, d);
  }

  getDocument(kind: DocumentKind, id: string): Promise<StoredDocument | null> {
    return metadata.getDocument(this.db, kind, id);
  }

  listDocuments(kind: DocumentKind, projectId?: number): Promise<StoredDocument[]> {
    return metadata.listDocuments(this.db, kind, projectId);
  }

  deleteDocument(kind: DocumentKind, id: string): Promise<boolean> {
    return metadata.deleteDocument(this.db, kind, id);
  }

  // Ingestion.

  loadIngestState(): Promise<IngestState> {
    return metadata.loadIngestState(this.db);
  }

  lookupPersons(projectId: number, distinctIds: readonly string[]): Promise<Person[]> {
    return lookups.lookupPersons(this.db, projectId, distinctIds);
  }

  lookupGroups(projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): Promise<Group[]> {
    return lookups.lookupGroups(this.db, projectId, keys);
  }

  forEachDistinctId(visit: (projectId: number, distinctId: string) => void): Promise<void> {
    return lookups.forEachDistinctId(this.db, visit);
  }

  loadIngestLogPosition(): Promise<IngestLogPosition | null> {
    return this.ingest.loadIngestLogPosition();
  }

  commitIngest(commits: IngestCommit | readonly IngestCommit[], logPosition?: IngestLogPosition): Promise<void> {
    return this.ingest.commitIngest(commits, logPosition);
  }

  // Feature flags.

  listFeatureFlags(projectId: number): Promise<FeatureFlagRecord[]> {
    return metadata.listFeatureFlags(this.db, projectId);
  }

  nextFeatureFlagId(projectId: number): Promise<number> {
    return metadata.nextFeatureFlagId(this.db, projectId);
  }

  saveFeatureFlag(f: FeatureFlagRecord): Promise<void> {
    return metadata.saveFeatureFlag(this.db, f);
  }

  // Group types.

  renameGroupType(projectId: number, groupTypeIndex: number, nameSingular: string | null, namePlural: string | null): Promise<void> {
    return metadata.renameGroupType(this.db, projectId, groupTypeIndex, nameSingular, namePlural);
  }

  deleteGroupType(projectId: number, groupTypeIndex: number): Promise<void> {
    return metadata.deleteGroupType(this.db, projectId, groupTypeIndex);
  }

  // Reads.

  listGroups(q: GroupListQuery): Promise<Group[]> {
    return actors.listGroups(this.db, q);
  }

  findGroup(projectId: number, groupTypeIndex: number, groupKey: string): Promise<Group | null> {
    return actors.findGroup(this.db, projectId, groupTypeIndex, groupKey);
  }

  findGroups(projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): Promise<Group[]> {
    return actors.findGroups(this.db, projectId, keys);
  }

  groupPropertyValues(projectId: number, groupTypeIndex: number, key: string, valueContains: string | undefined, limit: number): Promise<PropertyValueCount[]> {
    return properties.propertyValues(this.db, projectId, { kind: 'groups', groupTypeIndex }, key, valueContains, limit);
  }

  eventPropertyValues(projectId: number, key: string, valueContains: string | undefined, limit: number, since?: Date): Promise<PropertyValueCount[]> {
    return properties.propertyValues(this.db, projectId, { kind: 'events', since }, key, valueContains, limit);
  }

  personPropertyValues(projectId: number, key: string, valueContains: string | undefined, limit: number): Promise<PropertyValueCount[]> {
    return properties.propertyValues(this.db, projectId, { kind: 'persons' }, key, valueContains, limit);
  }

  relatedToGroup(projectId: number, groupTypeIndex: number, groupKey: string, since: Date): Promise<RelatedActors> {
    return actors.relatedToGroup(this.db, projectId, groupTypeIndex, groupKey, since);
  }

  relatedToPerson(projectId: number, personId: string, since: Date): Promise<RelatedActors> {
    return actors.relatedToPerson(this.db, projectId, personId, since);
  }

  listPropertyDefinitions(q: {
    projectId: number;
    type: PropertyDefinitionType;
    groupTypeIndex: number;
    search?: string;
    limit: number;
    offset: number;
  }): Promise<{ count: number; results: PropertyDefinition[] }> {
    return properties.listPropertyDefinitions(this.db, q);
  }

  listPersons(q: PersonListQuery): Promise<Person[]> {
    return actors.listPersons(this.db, q);
  }

  getPersons(projectId: number, personIds: readonly string[]): Promise<Person[]> {
    return actors.getPersons(this.db, projectId, personIds);
  }

  listEvents(q: EventListQuery): Promise<StoredEvent[]> {
    return events.listEvents(this.db, q);
  }

  listIngestionWarnings(projectId: number): Promise<IngestionWarning[]> {
    return events.listIngestionWarnings(this.db, projectId);
  }
}
