// DuckDB schema. Statements are idempotent so opening an existing database is safe.

import { EVENT_GROUP_SLOTS } from '../event-rows.js';
export const GROUP_SLOTS = EVENT_GROUP_SLOTS;

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
  `CREATE TABLE IF NOT EXISTS documents (
  kind VARCHAR NOT NULL,
  id VARCHAR NOT NULL,
  project_id INTEGER,
  body JSON NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (kind, id)
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
  // Persons, their distinct ids and groups live in two parts: a settled table, and an append-only
  // change log written by every ingestion commit (appending is far cheaper than replacing rows in
  // DuckDB). The current_* views combine them; mergeChanges() folds the log into the settled
  // tables now and then. Only the views are read.
  `CREATE TABLE IF NOT EXISTS groups (
  project_id INTEGER NOT NULL,
  group_type_index INTEGER NOT NULL,
  group_key VARCHAR NOT NULL,
  properties VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  version BIGINT NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS group_changes (
  project_id INTEGER NOT NULL,
  group_type_index INTEGER NOT NULL,
  group_key VARCHAR NOT NULL,
  properties VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  version BIGINT NOT NULL,
  seq BIGINT NOT NULL
)`,
  `CREATE OR REPLACE VIEW current_groups AS
SELECT g.* FROM groups g
WHERE NOT EXISTS (SELECT 1 FROM group_changes c
  WHERE c.project_id = g.project_id AND c.group_type_index = g.group_type_index AND c.group_key = g.group_key)
UNION ALL
SELECT * EXCLUDE (seq, rn) FROM (
  SELECT *, row_number() OVER (PARTITION BY project_id, group_type_index, group_key ORDER BY seq DESC) AS rn FROM group_changes
) WHERE rn = 1`,
  `CREATE TABLE IF NOT EXISTS persons (
  project_id INTEGER NOT NULL,
  id VARCHAR NOT NULL,
  properties VARCHAR NOT NULL,
  is_identified BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL,
  version BIGINT NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS person_changes (
  project_id INTEGER NOT NULL,
  id VARCHAR NOT NULL,
  properties VARCHAR NOT NULL,
  is_identified BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL,
  version BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  deleted BOOLEAN NOT NULL
)`,
  `CREATE OR REPLACE VIEW current_persons AS
SELECT p.* FROM persons p
WHERE NOT EXISTS (SELECT 1 FROM person_changes c WHERE c.project_id = p.project_id AND c.id = p.id)
UNION ALL
SELECT * EXCLUDE (seq, deleted, rn) FROM (
  SELECT *, row_number() OVER (PARTITION BY project_id, id ORDER BY seq DESC) AS rn FROM person_changes
) WHERE rn = 1 AND NOT deleted`,
  `CREATE TABLE IF NOT EXISTS person_distinct_ids (
  project_id INTEGER NOT NULL,
  distinct_id VARCHAR NOT NULL,
  person_id VARCHAR NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS person_distinct_id_changes (
  project_id INTEGER NOT NULL,
  distinct_id VARCHAR NOT NULL,
  person_id VARCHAR NOT NULL,
  seq BIGINT NOT NULL
)`,
  `CREATE OR REPLACE VIEW current_person_distinct_ids AS
SELECT d.* FROM person_distinct_ids d
WHERE NOT EXISTS (SELECT 1 FROM person_distinct_id_changes c WHERE c.project_id = d.project_id AND c.distinct_id = d.distinct_id)
UNION ALL
SELECT * EXCLUDE (seq, rn) FROM (
  SELECT *, row_number() OVER (PARTITION BY project_id, distinct_id ORDER BY seq DESC) AS rn FROM person_distinct_id_changes
) WHERE rn = 1`,
  `CREATE TABLE IF NOT EXISTS person_overrides (
  project_id INTEGER NOT NULL,
  old_person_id VARCHAR NOT NULL,
  new_person_id VARCHAR NOT NULL,
  PRIMARY KEY (project_id, old_person_id)
)`,
  // uuid and properties are nearly all distinct: a dictionary never pays off for them, and
  // naming FSST spares every checkpoint from trying one first (about 3% of ingestion's CPU).
  // Tables created before keep DuckDB's own choice, which reads the same.
  `CREATE TABLE IF NOT EXISTS events (
  uuid VARCHAR NOT NULL USING COMPRESSION fsst,
  project_id INTEGER NOT NULL,
  event VARCHAR NOT NULL,
  distinct_id VARCHAR NOT NULL,
  person_id VARCHAR NOT NULL,
  timestamp TIMESTAMP NOT NULL,
  properties VARCHAR NOT NULL USING COMPRESSION fsst,
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
  `CREATE TABLE IF NOT EXISTS feature_flags (
  project_id INTEGER NOT NULL,
  id INTEGER NOT NULL,
  key VARCHAR NOT NULL,
  name VARCHAR NOT NULL,
  active BOOLEAN NOT NULL,
  deleted BOOLEAN NOT NULL,
  version INTEGER NOT NULL,
  ensure_experience_continuity BOOLEAN NOT NULL,
  filters VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (project_id, id)
)`,
  // One row: how far the ingest log has been applied, written with every ingestion commit.
  `CREATE TABLE IF NOT EXISTS ingest_log_position (
  segment BIGINT NOT NULL,
  "offset" BIGINT NOT NULL
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

/**
 * Folds the change logs into the settled tables, in one transaction. Each statement takes one
 * parameter: the last seq to fold (rows of commits after it stay in the logs).
 */
export const mergeChangesStatements: readonly string[] = [
  `DELETE FROM groups g USING (SELECT DISTINCT project_id, group_type_index, group_key FROM group_changes WHERE seq <= ?) c
   WHERE g.project_id = c.project_id AND g.group_type_index = c.group_type_index AND g.group_key = c.group_key`,
  `INSERT INTO groups SELECT * EXCLUDE (seq, rn) FROM (
     SELECT *, row_number() OVER (PARTITION BY project_id, group_type_index, group_key ORDER BY seq DESC) AS rn FROM group_changes WHERE seq <= ?
   ) WHERE rn = 1`,
  'DELETE FROM group_changes WHERE seq <= ?',
  `DELETE FROM persons p USING (SELECT DISTINCT project_id, id FROM person_changes WHERE seq <= ?) c
   WHERE p.project_id = c.project_id AND p.id = c.id`,
  `INSERT INTO persons SELECT * EXCLUDE (seq, deleted, rn) FROM (
     SELECT *, row_number() OVER (PARTITION BY project_id, id ORDER BY seq DESC) AS rn FROM person_changes WHERE seq <= ?
   ) WHERE rn = 1 AND NOT deleted`,
  'DELETE FROM person_changes WHERE seq <= ?',
  `DELETE FROM person_distinct_ids d USING (SELECT DISTINCT project_id, distinct_id FROM person_distinct_id_changes WHERE seq <= ?) c
   WHERE d.project_id = c.project_id AND d.distinct_id = c.distinct_id`,
  `INSERT INTO person_distinct_ids SELECT * EXCLUDE (seq, rn) FROM (
     SELECT *, row_number() OVER (PARTITION BY project_id, distinct_id ORDER BY seq DESC) AS rn FROM person_distinct_id_changes WHERE seq <= ?
   ) WHERE rn = 1`,
  'DELETE FROM person_distinct_id_changes WHERE seq <= ?',
];
