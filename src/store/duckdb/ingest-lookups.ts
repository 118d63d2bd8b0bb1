// The point reads of ingestion and /flags (persons by distinct id, groups by key), on the lookup
// connection so that they never wait behind a long insight query.
import { INTEGER, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import type { Group, Person } from '../store.js';
import type { DuckDBConnections, Row } from './connections.js';
import { rowToGroup, rowToPerson } from './rows.js';

// The point reads below spell out what the current_* views mean (a logged row wins over the
// settled one; settled rows take seq -1, below every logged seq) instead of reading the views:
// DuckDB does not push a semi-join on a key list through the views' anti-join, so through them
// every lookup computed the whole view (~0.5 s over 1M persons), where this reads each table
// with a hash semi-join (~10 ms for one key, ~100 ms for thousands, over 1M persons).

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

export async function lookupPersons(db: DuckDBConnections, projectId: number, distinctIds: readonly string[]): Promise<Person[]> {
  if (distinctIds.length === 0) return [];
  return db.lookup(async (c) => {
    const owners = await c.runAndReadAll(LOOKUP_OWNERS_SQL, [projectId, listValue([...distinctIds])], [INTEGER, LIST(VARCHAR)]);
    const personIds = owners.getColumnsJS()[0] ?? [];
    if (personIds.length === 0) return [];
    // Between the two statements only persons a commit changed can differ, and ingestion never
    // looks up those (they are pinned in its cache); /flags tolerates a moment's staleness.
    const persons = await c.runAndReadAll(LOOKUP_PERSONS_SQL, [projectId, listValue(personIds as string[])], [INTEGER, LIST(VARCHAR)]);
    return (persons.getRowObjectsJS() as Row[]).map((r) => rowToPerson(r, (r.distinct_ids as string[]).map(String)));
  });
}

export async function lookupGroups(db: DuckDBConnections, projectId: number, keys: readonly { groupTypeIndex: number; groupKey: string }[]): Promise<Group[]> {
  if (keys.length === 0) return [];
  const wanted = new Set(keys.map((k) => `${k.groupTypeIndex}\u0000${k.groupKey}`));
  const rows = await db.lookup(async (c) => {
    const reader = await c.runAndReadAll(LOOKUP_GROUPS_SQL, [projectId, listValue([...new Set(keys.map((k) => k.groupKey))])], [INTEGER, LIST(VARCHAR)]);
    return reader.getRowObjectsJS() as Row[];
  });
  // Selected by key only (one semi-join); a key may exist under other group types too.
  return rows.map(rowToGroup).filter((g) => wanted.has(`${g.groupTypeIndex}\u0000${g.groupKey}`));
}

export async function forEachDistinctId(db: DuckDBConnections, visit: (projectId: number, distinctId: string) => void): Promise<void> {
  await db.lookup(async (c) => {
    const result = await c.stream('SELECT project_id, distinct_id FROM current_person_distinct_ids');
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const [projects, ids] = chunk.getColumns();
      for (let i = 0; i < chunk.rowCount; i++) visit(Number(projects[i]), String(ids[i]));
    }
  });
}
