// Loaded into the benchmarked server with `--import` (see `npm run bench -- --instrument`):
// wraps the ingest queue's commit loop, the store's commit and @duckdb/node-api calls with
// timers, and writes the totals as JSON to $PRICKLE_BENCH_STATS when the process exits.
// It changes no behaviour; the wrappers cost well under a microsecond per call.
//
// Experiment knob: PRICKLE_BENCH_DUCKDB_SETTINGS='{"checkpoint_threshold":"1GB"}' adds DuckDB
// settings when the server opens its database, to measure a setting before changing src/.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { IngestQueue } from '../src/ingest/ingest-queue.js';
import { DuckDBStore } from '../src/store/duckdb/duckdb-store.js';

export interface TimerStats {
  calls: number;
  ms: number;
  maxMs: number;
}

export interface ServerStats {
  /** Seconds from the first to the end of the last commit. */
  activeSeconds: number;
  /** Main thread event loop utilization (0..1) over activeSeconds. */
  eventLoopUtilization: number;
  timers: Record<string, TimerStats>;
  /** Rows appended per table (stage_* tables feed the upserts). */
  appendedRows: Record<string, number>;
}

const timers: Record<string, TimerStats> = {};
function record(label: string, ms: number): void {
  const t = (timers[label] ??= { calls: 0, ms: 0, maxMs: 0 });
  t.calls++;
  t.ms += ms;
  if (ms > t.maxMs) t.maxMs = ms;
}

function wrapAsync(target: object, method: string, label: (self: unknown, args: unknown[]) => string): void {
  const proto = target as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = proto[method];
  proto[method] = async function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      record(label(this, args), performance.now() - t0);
    }
  };
}

function wrapSync(target: object, method: string, label: string): void {
  const proto = target as Record<string, (...args: unknown[]) => unknown>;
  const original = proto[method];
  proto[method] = function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      record(label, performance.now() - t0);
    }
  };
}

const sqlLabel = (sql: unknown): string => {
  const text = String(sql).replace(/\s+/g, ' ').trim();
  const words = text.split(' ');
  // "INSERT OR REPLACE INTO persons", "CREATE TEMP TABLE IF NOT EXISTS stage_x", "COMMIT", ...
  const into = words.findIndex((w) => /^(INTO|FROM|EXISTS|UPDATE)$/i.test(w));
  return `sql ${into >= 0 ? words.slice(0, into + 2).join(' ') : words.slice(0, 3).join(' ')}`;
};

const extraSettings = process.env.PRICKLE_BENCH_DUCKDB_SETTINGS;
if (extraSettings) {
  const settings = JSON.parse(extraSettings) as Record<string, string>;
  const create = DuckDBInstance.create.bind(DuckDBInstance);
  DuckDBInstance.create = (path?: string, options?: Record<string, string>) => create(path, { ...options, ...settings });
}

let firstCommit: number | undefined;
let lastCommitEnd = 0;
let eluAtFirst: ReturnType<typeof performance.eventLoopUtilization> | undefined;
let eluAtLast: ReturnType<typeof performance.eventLoopUtilization> | undefined;

const queueProto = IngestQueue.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
const commitNext = queueProto.commitNext;
queueProto.commitNext = async function (this: unknown, ...args: unknown[]) {
  const t0 = performance.now();
  if (firstCommit === undefined) {
    firstCommit = t0;
    eluAtFirst = performance.eventLoopUtilization();
  }
  try {
    return await commitNext.apply(this, args);
  } finally {
    lastCommitEnd = performance.now();
    eluAtLast = performance.eventLoopUtilization();
    record('queue.commitNext (ingest + store commit)', lastCommitEnd - t0);
  }
};
wrapAsync(DuckDBStore.prototype, 'commitIngest', () => 'store.commitIngest (DuckDB transaction)');
wrapAsync(DuckDBConnection.prototype, 'run', (_self, args) => sqlLabel(args[0]));
wrapAsync(DuckDBConnection.prototype, 'createAppender', () => 'appender create');

// Rows per table: remember each appender's table, count endRow calls.
const appendedRows: Record<string, number> = {};
const appenderTable = new WeakMap<object, string>();
const connectionProto = DuckDBConnection.prototype as unknown as Record<string, (...args: unknown[]) => Promise<object>>;
const createAppender = connectionProto.createAppender;
connectionProto.createAppender = async function (this: unknown, ...args: unknown[]) {
  const appender = await createAppender.apply(this, args);
  appenderTable.set(appender, String(args.at(-1)));
  return appender;
};
const appenderProto = DuckDBAppender.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
const endRow = appenderProto.endRow;
appenderProto.endRow = function (this: object) {
  const table = appenderTable.get(this) ?? '?';
  appendedRows[table] = (appendedRows[table] ?? 0) + 1;
  return endRow.call(this);
};
wrapSync(DuckDBAppender.prototype, 'flushSync', 'appender.flushSync');

process.on('exit', () => {
  const file = process.env.PRICKLE_BENCH_STATS;
  if (!file) return;
  const elu = eluAtLast && eluAtFirst ? performance.eventLoopUtilization(eluAtLast, eluAtFirst).utilization : 0;
  const stats: ServerStats = {
    activeSeconds: firstCommit === undefined ? 0 : (lastCommitEnd - firstCommit) / 1000,
    eventLoopUtilization: elu,
    timers,
    appendedRows,
  };
  fs.writeFileSync(file, JSON.stringify(stats));
});
