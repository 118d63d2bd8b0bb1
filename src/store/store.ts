// The narrow interface every storage backend implements. Only code under store/<backend>/ may
// name a backend; the rest of the server speaks these types.

import type { Dialect } from '../sql/dialect.js';
import type { EventRows } from './event-rows.js';

export type Properties = Record<string, unknown>;

export interface Project {
  readonly id: number;
  readonly name: string;
  /** Public project token (phc_...): writes events and reads flags, nothing else. */
  readonly apiToken: string;
  readonly timezone: string;
  readonly createdAt: Date;
}

export interface PersonalApiKey {
  readonly id: string;
  readonly projectId: number;
  readonly label: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  readonly secretHash: string;
  /** First and last characters, for display ("phx_ab...yz"). */
  readonly maskValue: string;
  readonly createdAt: Date;
}

/** What the web app keeps besides analytics data: users, sign-in sessions, saved insights. */
export type DocumentKind = 'user' | 'session' | 'insight';

/**
 * One such record, its fields as JSON in `body`. `id` is unique per kind (an email for users, a
 * token hash for sessions, a short id for insights); `projectId` is null for instance-wide kinds.
 */
export interface StoredDocument {
  readonly kind: DocumentKind;
  readonly id: string;
  readonly projectId: number | null;
  readonly body: Record<string, unknown>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface GroupType {
  readonly projectId: number;
  readonly groupTypeIndex: number;
  readonly groupType: string;
  readonly nameSingular: string | null;
  readonly namePlural: string | null;
  readonly createdAt: Date;
}

export interface Group {
  readonly projectId: number;
  readonly groupTypeIndex: number;
  readonly groupKey: string;
  readonly properties: Properties;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface Person {
  readonly projectId: number;
  /** UUID. */
  readonly id: string;
  readonly properties: Properties;
  readonly isIdentified: boolean;
  readonly createdAt: Date;
  readonly version: number;
  readonly distinctIds: readonly string[];
}

export interface StoredEvent {
  readonly uuid: string;
  readonly projectId: number;
  readonly event: string;
  readonly distinctId: string;
  readonly personId: string;
  readonly timestamp: Date;
  /** Event properties as JSON text (serialized once, at ingestion). */
  readonly propertiesJson: string;
  /** Group key per slot ($group_0..$group_N-1); '' where the event has no group of that type. */
  readonly groupKeys: readonly string[];
  readonly createdAt: Date;
}

export type PropertyDefinitionType = 'event' | 'person' | 'group';
export type PropertyValueType = 'String' | 'Numeric' | 'Boolean' | 'DateTime';

export interface PropertyDefinition {
  readonly projectId: number;
  readonly type: PropertyDefinitionType;
  /** Group type index for type 'group', -1 otherwise. */
  readonly groupTypeIndex: number;
  readonly name: string;
  readonly propertyType: PropertyValueType | null;
  readonly createdAt: Date;
}

/** A feature flag as stored; `filters` is PostHog's filters object, validated at the edge. */
export interface FeatureFlagRecord {
  readonly projectId: number;
  readonly id: number;
  readonly key: string;
  readonly name: string;
  readonly active: boolean;
  readonly deleted: boolean;
  readonly version: number;
  readonly ensureExperienceContinuity: boolean;
  readonly filters: Properties;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface IngestionWarning {
  readonly projectId: number;
  /** What went wrong, e.g. 'group_type_limit_exceeded', 'event_dropped', 'invalid_group_set'. */
  readonly type: string;
  /** Distinguishes warnings of one type (e.g. "company\u0000org_1"); counts add up per key. */
  readonly key: string;
  readonly details: Properties;
  readonly count: number;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
}

/** A person row as written; its distinct ids are written separately. */
export type PersonRow = Omit<Person, 'distinctIds'>;

export interface DistinctIdAssignment {
  readonly projectId: number;
  readonly distinctId: string;
  readonly personId: string;
}

/**
 * Everything one group commit writes, in one transaction. New rows and changed rows are apart
 * because inserting is much cheaper than replacing in an indexed table.
 */
export interface IngestCommit {
  /** The events, encoded as event-rows.ts describes. */
  readonly events: EventRows;
  /** Persons first stored by this commit. */
  readonly newPersons: readonly PersonRow[];
  /** Full current state of stored persons that changed. */
  readonly changedPersons: readonly PersonRow[];
  /** Distinct ids that are new or now point at another person (after a merge). */
  readonly distinctIds: readonly DistinctIdAssignment[];
  /** Persons merged away into another one. */
  readonly deletedPersons: readonly { projectId: number; personId: string }[];
  readonly personOverrides: readonly { projectId: number; oldPersonId: string; newPersonId: string }[];
  /** Groups first stored by this commit. */
  readonly newGroups: readonly Group[];
  /** Full current state of stored groups that changed. */
  readonly changedGroups: readonly Group[];
  readonly newGroupTypes: readonly GroupType[];
  /** Definitions never stored before. */
  readonly newPropertyDefinitions: readonly PropertyDefinition[];
  /** Increments: count is added to the stored count, lastSeen replaces it. */
  readonly warnings: readonly IngestionWarning[];
}

/** How far the engine has applied the durable ingest log (see ingest/ingest-log.ts). */
export interface IngestLogPosition {
  readonly segment: number;
  /** Byte offset just past the last record applied. */
  readonly offset: number;
}

/** What ingestion keeps in memory from the start; persons and groups are read as needed. */
export interface IngestState {
  readonly projects: readonly Project[];
  readonly groupTypes: readonly GroupType[];
  readonly propertyDefinitions: readonly PropertyDefinition[];
}

export interface GroupListQuery {
  readonly projectId: number;
  readonly groupTypeIndex: number;
  /** Case-insensitive substring of the properties JSON, or case-insensitive exact key. */
  readonly search?: string;
  /** Case-insensitive substring of the key. */
  readonly groupKeyContains?: string;
  /** Keyset position: rows strictly after (createdAt DESC, groupKey DESC). */
  readonly after?: { createdAt: Date; groupKey: string };
  readonly limit: number;
}

export interface PersonListQuery {
  readonly projectId: number;
  readonly search?: string;
  readonly distinctId?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface EventListQuery {
  readonly projectId: number;
  readonly event?: string;
  readonly distinctId?: string;
  readonly personId?: string;
  readonly group?: { groupTypeIndex: number; groupKey: string };
  readonly after?: Date;
  readonly before?: Date;
  /** Keyset position: rows strictly after (timestamp DESC, uuid DESC). */
  readonly afterRow?: { timestamp: Date; uuid: string };
  readonly limit: number;
}

export interface RelatedActors {
  readonly personIds: readonly string[];
  readonly groups: readonly { groupTypeIndex: number; groupKey: string }[];
}

export interface PropertyValueCount {
  readonly value: string;
  readonly count: number;
}

/**
 * What a backend can promise, declared rather than assumed by the code above it. Ingestion keeps
 * its log position in the same transaction as the events and the persons and groups they
 * changed; a backend whose events and state live in two engines cannot, and must say so.
 */
export interface StoreCapabilities {
  /** commitIngest writes events, state and the log position in one transaction. */
  readonly atomicIngestCommit: boolean;
}

/** The events and the analytic queries over them: what an analytics engine holds. */
export interface EventStore {
  // Insights: SQL compiled by src/query with this backend's dialect.
  readonly dialect: Dialect;
  /** Runs a read-only query; placeholders (the dialect's) take `params` in order (Dates as timestamps). */
  query(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  listEvents(query: EventListQuery): Promise<StoredEvent[]>;
  /** Values of event property `key` (JSON scalars as text), most frequent first; only those containing `valueContains` (any case) when given, and of events since `since` when given. */
  eventPropertyValues(projectId: number, key: string, valueContains: string | undefined, limit: number, since?: Date): Promise<PropertyValueCount[]>;
  relatedToGroup(projectId: number, groupTypeIndex: number, groupKey: string, since: Date): Promise<RelatedActors>;
  relatedToPerson(projectId: number, personId: string, since: Date): Promise<RelatedActors>;
}

/** Everything else: projects, keys, documents, flags, group types, persons, groups, definitions, warnings. */
export interface MetadataStore {
  // Projects and keys.
  listProjects(): Promise<Project[]>;
  createProject(project: Project): Promise<void>;
  updateProject(projectId: number, changes: { name?: string; timezone?: string }): Promise<void>;
  nextProjectId(): Promise<number>;
  createPersonalApiKey(key: PersonalApiKey): Promise<void>;
  findPersonalApiKey(secretHash: string): Promise<PersonalApiKey | null>;
  /** A project's keys, oldest first. */
  listPersonalApiKeys(projectId: number): Promise<PersonalApiKey[]>;
  deletePersonalApiKey(projectId: number, id: string): Promise<boolean>;

  // Web app records.
  /** Inserts or replaces the document with this (kind, id). */
  putDocument(document: StoredDocument): Promise<void>;
  getDocument(kind: DocumentKind, id: string): Promise<StoredDocument | null>;
  /** Documents of a kind (of one project, when given), newest updated first. */
  listDocuments(kind: DocumentKind, projectId?: number): Promise<StoredDocument[]>;
  deleteDocument(kind: DocumentKind, id: string): Promise<boolean>;

  // Ingestion state.
  loadIngestState(): Promise<IngestState>;
  // Point reads for ingestion and /flags. They must not wait behind analytic queries or
  // commits (a backend serves them apart), and take many keys at once: callers batch them.
  /** The current persons owning any of these distinct ids, each with all its distinct ids (sorted). */
  lookupPersons(projectId: number, distinctIds: readonly string[]): Promise<Person[]>;
  /** The current groups with these keys. */
  lookupGroups(projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): Promise<Group[]>;
  /** Calls `visit` for every current (project, distinct id), streamed rather than loaded whole. */
  forEachDistinctId(visit: (projectId: number, distinctId: string) => void): Promise<void>;

  // Feature flags.
  listFeatureFlags(projectId: number): Promise<FeatureFlagRecord[]>;
  /** Inserts or replaces the flag with this (project, id). */
  saveFeatureFlag(flag: FeatureFlagRecord): Promise<void>;
  nextFeatureFlagId(projectId: number): Promise<number>;

  // Group types.
  renameGroupType(projectId: number, groupTypeIndex: number, nameSingular: string | null, namePlural: string | null): Promise<void>;

  // Reads.
  listGroups(query: GroupListQuery): Promise<Group[]>;
  findGroup(projectId: number, groupTypeIndex: number, groupKey: string): Promise<Group | null>;
  findGroups(projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): Promise<Group[]>;
  groupPropertyValues(projectId: number, groupTypeIndex: number, key: string, valueContains: string | undefined, limit: number): Promise<PropertyValueCount[]>;
  /** Values of person property `key` over current persons, as eventPropertyValues. */
  personPropertyValues(projectId: number, key: string, valueContains: string | undefined, limit: number): Promise<PropertyValueCount[]>;
  listPropertyDefinitions(query: { projectId: number; type: PropertyDefinitionType; groupTypeIndex: number; search?: string; limit: number; offset: number }): Promise<{ count: number; results: PropertyDefinition[] }>;
  listPersons(query: PersonListQuery): Promise<Person[]>;
  getPersons(projectId: number, personIds: readonly string[]): Promise<Person[]>;
  listIngestionWarnings(projectId: number): Promise<IngestionWarning[]>;
}

/**
 * The server's store: both halves (one engine, as DuckDB, or two), and the operations that span
 * them. The server speaks to this; a backend made of two engines implements each half apart and
 * declares in `capabilities` what it cannot do atomically.
 */
export interface Store extends EventStore, MetadataStore {
  readonly capabilities: StoreCapabilities;
  close(): Promise<void>;
  /**
   * Writes applied batches, in order, and (when given) the log position they reach, in one
   * transaction when `capabilities.atomicIngestCommit`. Later batches' persons and groups win
   * over earlier ones'.
   */
  commitIngest(commits: IngestCommit | readonly IngestCommit[], logPosition?: IngestLogPosition): Promise<void>;
  /** The position of the last commit, null before the first. */
  loadIngestLogPosition(): Promise<IngestLogPosition | null>;
  /** Removes the type, its groups and definitions, and blanks its slot in stored events. */
  deleteGroupType(projectId: number, groupTypeIndex: number): Promise<void>;
}
