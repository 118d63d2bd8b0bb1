// Appends rows to a table through a CSV staging file that DuckDB parses on its own threads: the
// change logs (persons, distinct ids, groups) take a row per new or changed actor, tens of
// thousands in a transaction when many persons are new. The appender would run its flush on the
// main thread, synchronously, while /flags and capture wait; here the main thread only builds
// text. Same dialect and same durability argument as event-stage.ts.
import fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ByteWriter } from '../../byte-writer.js';
import { csvQuoted } from '../event-rows.js';
import { readCsv, writeAll } from './event-stage.js';

export type ColumnKind = 'text' | 'integer' | 'boolean' | 'timestamp';
export type StagedCell = string | number | boolean | Date | null;

/** Timestamps travel as epoch milliseconds (what a Date holds). */
const CSV_TYPES: Record<ColumnKind, string> = { text: 'VARCHAR', integer: 'BIGINT', boolean: 'BOOLEAN', timestamp: 'BIGINT' };

function cell(value: StagedCell): string {
  if (value === null) return ''; // unquoted and empty: NULL
  if (typeof value === 'string') return csvQuoted(value);
  if (value instanceof Date) return String(value.getTime());
  return String(value);
}

export class RowStage {
  constructor(private readonly file: string) {}

  /** Appends `rows` (cells in `columns` order) to `table` inside the connection's open transaction. */
  async insert(c: DuckDBConnection, table: string, columns: readonly [name: string, kind: ColumnKind][], rows: readonly StagedCell[][]): Promise<void> {
    if (rows.length === 0) return;
    // Written as bytes, not built as one string (see byte-writer.ts): a transaction with many new
    // persons makes megabytes of it.
    const text = new ByteWriter();
    let longest = 0;
    for (const row of rows) {
      let line = cell(row[0]);
      for (let i = 1; i < row.length; i++) line += `,${cell(row[i])}`;
      if (line.length > longest) longest = line.length;
      text.write(`${line}\n`);
    }
    await writeAll(this.file, [text.bytes()]);
    const values = columns.map(([name, kind]) => (kind === 'timestamp' ? `make_timestamp(${name} * 1000)` : name));
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const source = readCsv(this.file, columns.map(([name, kind]) => [name, CSV_TYPES[kind]]), longest * 3);
    // Table and column names are the store's own; nothing here comes from a user.
    await c.run(`INSERT INTO ${table} (${columns.map(([name]) => name).join(', ')}) SELECT ${values.join(', ')} FROM ${source}`);
  }

  remove(): void {
    fs.rmSync(this.file, { force: true });
  }
}
