// ClickHouse schema, a first version (issue 12 refines it): the tables the dialect's logical
// tables read (clickhouse-dialect.ts), laid out as the scale-out notes suggest. Events are
// ReplacingMergeTree on their ingestion time with the uuid last in the sort key, so a resent
// event collapses on merge (event reads use no FINAL). State tables are ReplacingMergeTree on a
// version and read through FINAL. Statements are idempotent.

import { EVENT_GROUP_SLOTS } from '../event-rows.js';

const TIMESTAMP = "DateTime64(6, 'UTC')";
// Named as the compiler reads them (e."$group_0"; ClickHouse takes double-quoted identifiers).
const groupColumns = Array.from({ length: EVENT_GROUP_SLOTS }, (_, i) => `"$group_${i}" String DEFAULT ''`).join(',\n  ');

export const schemaStatements: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS events (
  uuid String,
  project_id Int32,
  event LowCardinality(String),
  distinct_id String,
  person_id String,
  timestamp ${TIMESTAMP},
  properties String CODEC(ZSTD(3)),
  ${groupColumns},
  created_at ${TIMESTAMP},
  inserted_at ${TIMESTAMP} DEFAULT now64(6)
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid))`,
  `CREATE TABLE IF NOT EXISTS persons (
  project_id Int32,
  id String,
  properties String,
  is_identified Bool,
  created_at ${TIMESTAMP},
  version UInt64,
  is_deleted UInt8 DEFAULT 0
) ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY (project_id, id)`,
  `CREATE TABLE IF NOT EXISTS person_distinct_ids (
  project_id Int32,
  distinct_id String,
  person_id String,
  version UInt64,
  is_deleted UInt8 DEFAULT 0
) ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY (project_id, distinct_id)`,
  // A person merged into another: events keep the old id, and reads follow the override.
  `CREATE TABLE IF NOT EXISTS person_overrides (
  project_id Int32,
  old_person_id String,
  new_person_id String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, old_person_id)`,
  `CREATE TABLE IF NOT EXISTS groups (
  project_id Int32,
  group_type_index UInt8,
  group_key String,
  properties String,
  created_at ${TIMESTAMP},
  updated_at ${TIMESTAMP},
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, group_type_index, group_key)`,
  `CREATE TABLE IF NOT EXISTS property_definitions (
  project_id Int32,
  type LowCardinality(String),
  group_type_index UInt8,
  name String,
  property_type Nullable(String),
  created_at ${TIMESTAMP}
) ENGINE = ReplacingMergeTree
ORDER BY (project_id, type, group_type_index, name)`,
  // Increments, summed per (project, type, key) when read.
  `CREATE TABLE IF NOT EXISTS ingestion_warnings (
  project_id Int32,
  type LowCardinality(String),
  key String,
  details String,
  count UInt64,
  first_seen ${TIMESTAMP},
  last_seen ${TIMESTAMP}
) ENGINE = MergeTree
ORDER BY (project_id, type, key)`,
];
