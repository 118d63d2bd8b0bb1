// Writes ingested events into the events table through a CSV staging file that DuckDB parses on
// its own threads. The appender made ~14 synchronous N-API calls per event and flushed
// synchronously, all on the main thread (a 50,000-event commit held it for ~300 ms). Building
// CSV text is a few string operations per event, done in slices with a yield between them.
// The file only carries rows into the transaction: durability still comes from the WAL sync at
// COMMIT, so it is never synced and is overwritten by the next commit.
import fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { StoredEvent } from '../store.js';
import { GROUP_SLOTS, groupColumn } from './schema.js';

/**
 * The CSV quote (and escape) character. JSON.stringify never emits a raw control character, so
 * properties JSON never contains it; in other strings it is doubled, as CSV escapes a quote.
 */
const QUOTE = '\u0001';
const QUOTE_TWICE = QUOTE + QUOTE;

/** Events encoded per slice; the main thread is free between slices (a slice takes ~3 ms). */
const SLICE_EVENTS = 2_000;

/** read_csv's default max_line_size (bytes); a longer line fails the read unless it is raised. */
const DEFAULT_MAX_LINE_BYTES = 2_000_000;

const slots = Array.from({ length: GROUP_SLOTS }, (_, i) => i);

/** The file's columns; timestamps travel as epoch milliseconds (what a Date holds). */
const CSV_COLUMNS: readonly [name: string, type: string][] = [
  ['uuid', 'VARCHAR'],
  ['project_id', 'INTEGER'],
  ['event', 'VARCHAR'],
  ['distinct_id', 'VARCHAR'],
  ['person_id', 'VARCHAR'],
  ['timestamp_ms', 'BIGINT'],
  ['properties', 'VARCHAR'],
  ...slots.map((i): [string, string] => [`group_${i}`, 'VARCHAR']),
  ['created_at_ms', 'BIGINT'],
];

function quoted(text: string): string {
  return text.includes(QUOTE) ? QUOTE + text.replaceAll(QUOTE, QUOTE_TWICE) + QUOTE : QUOTE + text + QUOTE;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export interface EncodedEvents {
  readonly csv: string;
  /** Upper bound of the longest line's UTF-8 length. */
  readonly maxLineBytes: number;
}

/** CSV lines for events[start, end), in CSV_COLUMNS order. */
export function encodeEventsCsv(events: readonly StoredEvent[], start: number, end: number): EncodedEvents {
  let csv = '';
  let longest = 0;
  for (let i = start; i < end; i++) {
    const e = events[i];
    let line = `${quoted(e.uuid)},${e.projectId},${quoted(e.event)},${quoted(e.distinctId)},${quoted(e.personId)},${e.timestamp.getTime()},${quoted(e.propertiesJson)}`;
    for (const slot of slots) line += `,${quoted(e.groupKeys[slot] ?? '')}`;
    line += `,${e.createdAt.getTime()}\n`;
    if (line.length > longest) longest = line.length;
    csv += line;
  }
  // A UTF-16 code unit takes at most 3 bytes of UTF-8.
  return { csv, maxLineBytes: longest * 3 };
}

export class EventStage {
  constructor(private readonly file: string) {}

  /** Appends the events to the events table inside the connection's open transaction. */
  async insert(c: DuckDBConnection, events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    let maxLineBytes = 0;
    const handle = await fs.promises.open(this.file, 'w');
    try {
      for (let start = 0; start < events.length; start += SLICE_EVENTS) {
        const encoded = encodeEventsCsv(events, start, Math.min(events.length, start + SLICE_EVENTS));
        maxLineBytes = Math.max(maxLineBytes, encoded.maxLineBytes);
        // UTF-8 encoding turns lone surrogates into U+FFFD, as N-API's conversion did for the appender.
        await handle.writeFile(Buffer.from(encoded.csv));
      }
    } finally {
      await handle.close();
    }
    await c.run(this.insertSql(maxLineBytes));
  }

  /** Deletes the staging file (it holds nothing that is not in the database). */
  remove(): void {
    fs.rmSync(this.file, { force: true });
  }

  // The path is the store's own file and the line size a number: nothing here comes from a user.
  private insertSql(maxLineBytes: number): string {
    const columns = CSV_COLUMNS.map(([name, type]) => `${name}: '${type}'`).join(', ');
    const options = [
      'header = false',
      'auto_detect = false',
      "delim = ','",
      `quote = '${QUOTE}'`,
      `escape = '${QUOTE}'`,
      // An empty quoted string is '' (the group slots hold '' for "no group"), not NULL.
      'allow_quoted_nulls = false',
      'strict_mode = true',
      `max_line_size = ${Math.max(DEFAULT_MAX_LINE_BYTES, maxLineBytes + 1)}`,
      `columns = {${columns}}`,
    ];
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
    return `INSERT INTO events (${targets.join(', ')}) SELECT ${values.join(', ')} FROM read_csv(${sqlString(this.file)}, ${options.join(', ')})`;
  }
}
