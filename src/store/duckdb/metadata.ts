// The metadata of the DuckDB store: projects and their keys, the web app's documents, feature
// flags and group types, and what ingestion loads of them at start.
import type {
  DocumentKind,
  FeatureFlagRecord,
  GroupType,
  IngestState,
  PersonalApiKey,
  Project,
  StoredDocument,
} from '../store.js';
import { appendRows, type DuckDBConnections, type Row } from './connections.js';
import { asDate, asNumber, rowToPropertyDefinition } from './rows.js';
import { groupColumn } from './schema.js';

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

// Projects and keys.

export async function listProjects(db: DuckDBConnections): Promise<Project[]> {
  return (await db.read('SELECT * FROM projects ORDER BY id')).map(rowToProject);
}

export async function nextProjectId(db: DuckDBConnections): Promise<number> {
  const [row] = await db.read('SELECT coalesce(max(id), 0) + 1 AS next FROM projects');
  return asNumber(row.next);
}

export function updateProject(db: DuckDBConnections, projectId: number, changes: { name?: string; timezone?: string }): Promise<void> {
  return db.transaction(async (c) => {
    if (changes.name !== undefined) await c.run('UPDATE projects SET name = ? WHERE id = ?', [changes.name, projectId]);
    if (changes.timezone !== undefined) await c.run('UPDATE projects SET timezone = ? WHERE id = ?', [changes.timezone, projectId]);
  });
}

export function createProject(db: DuckDBConnections, p: Project): Promise<void> {
  return db.transaction((c) => appendRows(c, 'projects', [[p.id, p.name, p.apiToken, p.timezone, p.createdAt]]));
}

export function createPersonalApiKey(db: DuckDBConnections, k: PersonalApiKey): Promise<void> {
  return db.transaction((c) =>
    appendRows(c, 'personal_api_keys', [[k.id, k.projectId, k.label, k.secretHash, k.maskValue, k.createdAt]]),
  );
}

export async function findPersonalApiKey(db: DuckDBConnections, secretHash: string): Promise<PersonalApiKey | null> {
  const [r] = await db.read('SELECT * FROM personal_api_keys WHERE secret_hash = ?', [secretHash]);
  return r ? rowToPersonalApiKey(r) : null;
}

export async function listPersonalApiKeys(db: DuckDBConnections, projectId: number): Promise<PersonalApiKey[]> {
  return (await db.read('SELECT * FROM personal_api_keys WHERE project_id = ? ORDER BY created_at, id', [projectId])).map(rowToPersonalApiKey);
}

/** Runs a DELETE in its own transaction; whether it removed anything. */
async function deleteRows(db: DuckDBConnections, statement: string, params: (string | number)[]): Promise<boolean> {
  let deleted = false;
  await db.transaction(async (c) => {
    const result = await c.run(statement, params);
    deleted = Number(result.rowsChanged) > 0;
  });
  return deleted;
}

export function deletePersonalApiKey(db: DuckDBConnections, projectId: number, id: string): Promise<boolean> {
  return deleteRows(db, 'DELETE FROM personal_api_keys WHERE project_id = ? AND id = ?', [projectId, id]);
}

// Web app records.

export function putDocument(db: DuckDBConnections, d: StoredDocument): Promise<void> {
  return db.transaction(async (c) => {
    await c.run('DELETE FROM documents WHERE kind = ? AND id = ?', [d.kind, d.id]);
    await appendRows(c, 'documents', [[d.kind, d.id, d.projectId, JSON.stringify(d.body), d.createdAt, d.updatedAt]]);
  });
}

export async function getDocument(db: DuckDBConnections, kind: DocumentKind, id: string): Promise<StoredDocument | null> {
  const [r] = await db.read('SELECT * FROM documents WHERE kind = ? AND id = ?', [kind, id]);
  return r ? rowToDocument(r) : null;
}

export async function listDocuments(db: DuckDBConnections, kind: DocumentKind, projectId?: number): Promise<StoredDocument[]> {
  const rows =
    projectId === undefined
      ? await db.read('SELECT * FROM documents WHERE kind = ? ORDER BY updated_at DESC, id', [kind])
      : await db.read('SELECT * FROM documents WHERE kind = ? AND project_id = ? ORDER BY updated_at DESC, id', [kind, projectId]);
  return rows.map(rowToDocument);
}

export function deleteDocument(db: DuckDBConnections, kind: DocumentKind, id: string): Promise<boolean> {
  return deleteRows(db, 'DELETE FROM documents WHERE kind = ? AND id = ?', [kind, id]);
}

// Ingestion.

export async function loadIngestState(db: DuckDBConnections): Promise<IngestState> {
  const [projects, groupTypes, definitions] = [
    await listProjects(db),
    (await db.read('SELECT * FROM group_type_mappings ORDER BY project_id, group_type_index')).map(rowToGroupType),
    (await db.read('SELECT * FROM property_definitions')).map(rowToPropertyDefinition),
  ];
  return { projects, groupTypes, propertyDefinitions: definitions };
}

// Feature flags.

export async function listFeatureFlags(db: DuckDBConnections, projectId: number): Promise<FeatureFlagRecord[]> {
  const rows = await db.read('SELECT * FROM feature_flags WHERE project_id = ? ORDER BY id', [projectId]);
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

export async function nextFeatureFlagId(db: DuckDBConnections, projectId: number): Promise<number> {
  const [row] = await db.read('SELECT coalesce(max(id), 0) + 1 AS next FROM feature_flags WHERE project_id = ?', [projectId]);
  return asNumber(row.next);
}

export function saveFeatureFlag(db: DuckDBConnections, f: FeatureFlagRecord): Promise<void> {
  return db.transaction(async (c) => {
    await c.run('DELETE FROM feature_flags WHERE project_id = ? AND id = ?', [f.projectId, f.id]);
    await appendRows(c, 'feature_flags', [
      [f.projectId, f.id, f.key, f.name, f.active, f.deleted, f.version, f.ensureExperienceContinuity, JSON.stringify(f.filters), f.createdAt, f.updatedAt],
    ]);
  });
}

// Group types.

export function renameGroupType(db: DuckDBConnections, projectId: number, groupTypeIndex: number, nameSingular: string | null, namePlural: string | null): Promise<void> {
  return db.transaction(async (c) => {
    await c.run(
      'UPDATE group_type_mappings SET name_singular = ?, name_plural = ? WHERE project_id = ? AND group_type_index = ?',
      [nameSingular, namePlural, projectId, groupTypeIndex],
    );
  });
}

export function deleteGroupType(db: DuckDBConnections, projectId: number, groupTypeIndex: number): Promise<void> {
  const column = groupColumn(groupTypeIndex);
  // It deletes settled group rows, which a fold rewrites: never beside one.
  return db.folds.run(() => db.transaction(async (c) => {
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
