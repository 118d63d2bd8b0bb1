// DuckDB schema. Statements are idempotent so opening an existing database is safe.

export const GROUP_SLOTS = 5;

export const groupColumn = (index: number): string => `"$group_${index}"`;

const groupColumns = Array.from({ length: GROUP_SLOTS }, (_, i) => `${groupColumn(i)} VARCHAR NOT NULL DEFAULT ''`).join(',\n  ');

export const schemaStatements: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS projects (
  id INTEGER PRIMARY KEY,
  name VARCHAR NOT NULL,
  api_token VARCHAR NOT NULL UNIQUE,
  timezone VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS personal_api_keys (
  id VARCHAR PRIMARY KEY,
  project_id INTEGER NOT NULL,
  label VARCHAR NOT NULL,
  secret_hash VARCHAR NOT NULL UNIQUE,
  mask_value VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS group_type_mappings (
  project_id INTEGER NOT NULL,
  group_type_index INTEGER NOT NULL,
  group_type VARCHAR NOT NULL,
  name_singular VARCHAR,
  name_plural VARCHAR,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (project_id, group_type_index)
)`,
  `CREATE TABLE IF NOT EXISTS groups (
  project_id INTEGER NOT NULL,
  group_type_index INTEGER NOT NULL,
  group_key VARCHAR NOT NULL,
  properties VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (project_id, group_type_index, group_key)
)`,
  `CREATE TABLE IF NOT EXISTS persons (
  project_id INTEGER NOT NULL,
  id VARCHAR NOT NULL,
  properties VARCHAR NOT NULL,
  is_identified BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (project_id, id)
)`,
  `CREATE TABLE IF NOT EXISTS person_distinct_ids (
  project_id INTEGER NOT NULL,
  distinct_id VARCHAR NOT NULL,
  person_id VARCHAR NOT NULL,
  PRIMARY KEY (project_id, distinct_id)
)`,
  `CREATE TABLE IF NOT EXISTS person_overrides (
  project_id INTEGER NOT NULL,
  old_person_id VARCHAR NOT NULL,
  new_person_id VARCHAR NOT NULL,
  PRIMARY KEY (project_id, old_person_id)
)`,
  `CREATE TABLE IF NOT EXISTS events (
  uuid VARCHAR NOT NULL,
  project_id INTEGER NOT NULL,
  event VARCHAR NOT NULL,
  distinct_id VARCHAR NOT NULL,
  person_id VARCHAR NOT NULL,
  timestamp TIMESTAMP NOT NULL,
  properties VARCHAR NOT NULL,
  ${groupColumns},
  created_at TIMESTAMP NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS property_definitions (
  project_id INTEGER NOT NULL,
  type VARCHAR NOT NULL,
  group_type_index INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  property_type VARCHAR,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (project_id, type, group_type_index, name)
)`,
  `CREATE TABLE IF NOT EXISTS ingestion_warnings (
  project_id INTEGER NOT NULL,
  type VARCHAR NOT NULL,
  key VARCHAR NOT NULL,
  details VARCHAR NOT NULL,
  count BIGINT NOT NULL,
  first_seen TIMESTAMP NOT NULL,
  last_seen TIMESTAMP NOT NULL,
  PRIMARY KEY (project_id, type, key)
)`,
];
