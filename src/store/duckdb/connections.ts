// The DuckDB store's connections and the queues that take turns on them: one writer for the
// ingestion commits and the other writes, one folder for the change-log folds, a pool of readers,
// and one connection for the point lookups of ingestion and /flags.
import {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { CompiledSql } from '../../sql/sql.js';
import { schemaStatements } from './schema.js';

export type Row = Record<string, unknown>;
export type Cell = string | number | boolean | bigint | Date | null;

/** Tables written through a staging table (upserts): the stages are created once per connection. */
const STAGED_TABLES = ['person_overrides', 'ingestion_warnings'] as const;
type StagedTable = (typeof STAGED_TABLES)[number];

/** Reads (insights, lists) that run at once; each holds one connection and one pool thread. */
const READ_CONNECTIONS = 2;

const toTimestamp = (date: Date): DuckDBTimestampValue => new DuckDBTimestampValue(BigInt(date.getTime()) * 1000n);

/** Converts JS values into DuckDB parameter values (Dates become timestamps). */
function param(value: Cell): DuckDBValue {
  return value instanceof Date ? toTimestamp(value) : value;
}

function appendCell(appender: DuckDBAppender, value: Cell): void {
  if (value === null) appender.appendNull();
  else if (typeof value === 'string') appender.appendVarchar(value);
  else if (typeof value === 'boolean') appender.appendBoolean(value);
  else if (typeof value === 'bigint') appender.appendBigInt(value);
  else if (value instanceof Date) appender.appendTimestamp(toTimestamp(value));
  else if (Number.isInteger(value)) appender.appendBigInt(BigInt(value));
  else appender.appendDouble(value);
}

/** Serializes async work on one connection: DuckDB transactions are per connection. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Connections taking turns: a DuckDB connection runs one statement at a time, and a second
 * call on a busy one blocks a libuv pool thread on its lock (which can starve the commits). */
class ConnectionPool {
  private readonly idle: DuckDBConnection[];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];
  constructor(readonly connections: DuckDBConnection[]) {
    this.idle = [...connections];
  }
  async use<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = this.idle.pop() ?? (await new Promise<DuckDBConnection>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(c);
    } finally {
      const next = this.waiting.shift();
      if (next) next(c);
      else this.idle.push(c);
    }
  }
}

export class DuckDBConnections {
  readonly writes = new SerialQueue();
  /**
   * Point reads (lookupPersons, lookupGroups) get a connection of their own, opened on first use:
   * a connection runs one statement at a time, so on the reader they would wait behind a long
   * insight query. Serialized here, since a second call would block a libuv thread on its lock.
   */
  private readonly lookups = new SerialQueue();
  private lookupConnection: DuckDBConnection | undefined;
  /** Folds, and the few writes that touch the settled tables they rewrite. */
  readonly folds = new SerialQueue();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    /** The folds' connection (see IngestWrites.mergeChanges). */
    readonly folder: DuckDBConnection,
    private readonly readers: ConnectionPool,
  ) {}

  /** Opens the database file, creating its schema, with the memory bound in bytes. */
  static async open(file: string, memoryLimitBytes: number | undefined): Promise<DuckDBConnections> {
    const instance = await DuckDBInstance.create(file);
    const writer = await instance.connect();
    for (const statement of schemaStatements) await writer.run(statement);
    // DuckDB keeps what was committed since the last checkpoint in memory, and a checkpoint
    // blocks commits while it runs: small, frequent ones keep both short. Acknowledgements do
    // not wait for commits (the ingest log does), so a checkpoint only delays visibility.
    const memoryLimit = memoryLimitBytes ?? 768 * 1024 * 1024;
    const checkpointMb = Math.max(16, Math.min(64, Math.floor(memoryLimit / 8 / 1024 / 1024)));
    await writer.run(`SET checkpoint_threshold = '${checkpointMb}MB'`);
    // DuckDB caches up to 80% of RAM by default; the server keeps to its own bound. Queries
    // spill or re-read past this.
    await writer.run(`SET memory_limit = '${Math.floor(memoryLimit / 1024 / 1024)}MB'`);
    for (const table of STAGED_TABLES) {
      await writer.run(`CREATE TEMP TABLE IF NOT EXISTS stage_${table} AS SELECT * FROM ${table} LIMIT 0`);
    }
    const folder = await instance.connect();
    const readers = new ConnectionPool(await Promise.all(Array.from({ length: READ_CONNECTIONS }, () => instance.connect())));
    return new DuckDBConnections(instance, writer, folder, readers);
  }

  async read(sql: string, params: Cell[] = []): Promise<Row[]> {
    const result = await this.readers.use((c) => c.runAndReadAll(sql, params.map(param)));
    return result.getRowObjectsJS() as Row[];
  }

  /** A read compiled through the dialect (store/reads/). */
  readCompiled(compiled: CompiledSql): Promise<Row[]> {
    return this.read(compiled.sql, compiled.params as Cell[]);
  }

  /** Runs statements in one write transaction, rolled back on any error. */
  transaction(work: (c: DuckDBConnection) => Promise<void>): Promise<void> {
    return this.writes.run(async () => {
      await this.writer.run('BEGIN TRANSACTION');
      try {
        await work(this.writer);
        await this.writer.run('COMMIT');
      } catch (error) {
        await this.writer.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  lookup<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.lookups.run(async () => {
      this.lookupConnection ??= await this.instance.connect();
      return work(this.lookupConnection);
    });
  }

  /** Closes the lookup connection, after the lookups queued before. */
  closeLookupConnection(): Promise<void> {
    return this.lookups.run(async () => {
      this.lookupConnection?.closeSync();
      this.lookupConnection = undefined;
    });
  }

  /**
   * Checkpoints and closes the other connections and the database; `then` runs last. Queued
   * behind the writes, so a commit queued before is not cut short.
   */
  close(then: () => void): Promise<void> {
    return this.writes.run(async () => {
      await this.writer.run('CHECKPOINT');
      for (const c of this.readers.connections) c.closeSync();
      this.folder.closeSync();
      this.writer.closeSync();
      this.instance.closeSync();
      then();
    });
  }
}

export async function appendRows(c: DuckDBConnection, table: string, rows: readonly Cell[][]): Promise<void> {
  if (rows.length === 0) return;
  const appender = await c.createAppender(table);
  try {
    for (const row of rows) {
      for (const cell of row) appendCell(appender, cell);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** Upserts whole rows: stage with the appender, then one INSERT OR REPLACE. */
export async function upsertRows(c: DuckDBConnection, table: StagedTable, rows: readonly Cell[][]): Promise<void> {
  if (rows.length === 0) return;
  const stage = `stage_${table}`;
  await appendRows(c, stage, rows);
  await c.run(`INSERT OR REPLACE INTO ${table} SELECT * FROM ${stage}`);
  await c.run(`DELETE FROM ${stage}`);
}
