// Writes ingested events into the events table through CSV staging files that DuckDB parses on
// its own threads (event-rows.ts: the decoding workers' part and the main thread's part, read
// side by side with a POSITIONAL JOIN). The appender made ~14 synchronous N-API calls per event
// and flushed synchronously, all on the main thread (a 50,000-event commit held it for ~300 ms);
// here the main thread only writes bytes it already has.
// The files only carry rows into the transaction: durability still comes from the WAL sync at
// COMMIT, so they are never synced and are overwritten by the next commit.
import fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CSV_QUOTE, EVENT_FIELD_COLUMNS, RESOLVED_COLUMNS, type EventRows } from '../event-rows.js';
import { GROUP_SLOTS, groupColumn } from './schema.js';

/** read_csv's default max_line_size (bytes); a longer line fails the read unless it is raised. */
const DEFAULT_MAX_LINE_BYTES = 2_000_000;

const slots = Array.from({ length: GROUP_SLOTS }, (_, i) => i);

const COLUMN_TYPES: Record<string, string> = { timestamp_ms: 'BIGINT', project_id: 'INTEGER', created_at_ms: 'BIGINT' };
const typeOf = (name: string) => COLUMN_TYPES[name] ?? 'VARCHAR';

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export class EventStage {
  private readonly resolvedFile: string;

  constructor(private readonly file: string) {
    this.resolvedFile = file.replace(/\.csv$/, '') + '-resolved.csv';
  }

  /** Appends the events to the events table inside the connection's open transaction. */
  async insert(c: DuckDBConnection, rows: EventRows): Promise<void> {
    if (rows.count === 0) return;
    await writeAll(this.file, rows.fields);
    await writeAll(this.resolvedFile, rows.resolved);
    await c.run(this.insertSql(rows.maxLineBytes));
  }

  /** Deletes the staging files (they hold nothing that is not in the database). */
  remove(): void {
    fs.rmSync(this.file, { force: true });
    fs.rmSync(this.resolvedFile, { force: true });
  }

  // The paths are the store's own files and the line size a number: nothing here comes from a user.
  private insertSql(maxLineBytes: number): string {
    const typed = (names: readonly string[]) => names.map((name): [string, string] => [name, typeOf(name)]);
    const targets = ['uuid', 'project_id', 'event', 'distinct_id', 'person_id', 'timestamp', 'properties', ...slots.map(groupColumn), 'created_at'];
    const values = [
      'uuid',
      'project_id',
      'event',
      'distinct_id',
      'person_id',
      'make_timestamp(timestamp_ms * 1000)',
      'properties',
      ...slots.map((i) => `group_${i}`),
      'make_timestamp(created_at_ms * 1000)',
    ];
    return `INSERT INTO events (${targets.join(', ')}) SELECT ${values.join(', ')}
      FROM ${readCsv(this.file, typed(EVENT_FIELD_COLUMNS), maxLineBytes)}
      POSITIONAL JOIN ${readCsv(this.resolvedFile, typed(RESOLVED_COLUMNS), maxLineBytes)}`;
  }
}

/** read_csv of a staging file in event-rows.ts's CSV dialect, with these columns and types. */
export function readCsv(file: string, columns: readonly [name: string, type: string][], maxLineBytes: number): string {
  const options = [
    'header = false',
    'auto_detect = false',
    "delim = ','",
    `quote = '${CSV_QUOTE}'`,
    `escape = '${CSV_QUOTE}'`,
    // An empty quoted string is '' (the group slots hold '' for "no group"), not NULL; an
    // unquoted empty field is NULL.
    'allow_quoted_nulls = false',
    'strict_mode = true',
    `max_line_size = ${Math.max(DEFAULT_MAX_LINE_BYTES, maxLineBytes + 1)}`,
    `columns = {${columns.map(([name, type]) => `${name}: '${type}'`).join(', ')}}`,
  ];
  return `read_csv(${sqlString(file)}, ${options.join(', ')})`;
}

export async function writeAll(file: string, chunks: readonly Uint8Array[]): Promise<void> {
  const handle = await fs.promises.open(file, 'w');
  try {
    await handle.writev(chunks as Uint8Array[]);
  } finally {
    await handle.close();
  }
}
