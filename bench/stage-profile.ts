// Where does ingestion time go? Runs the server's ingestion stages in-process, one after the
// other, on the same generated traffic as the ingest benchmark, and times each stage:
// gunzip, JSON.parse, normalizeEvent, ingestEvent, CommitBuilder.build, and the DuckDB commit
// (split by statement via wrappers on @duckdb/node-api). No HTTP.
//
//   npx tsx bench/stage-profile.ts [--events 200000] [--batch 500] [--commit 4000]
//
// --commit is the number of events per group commit (the server takes whatever queued while
// the previous commit ran, up to 50,000; with 8 senders of 500 that is about 4,000).
// --rate sets the simulated arrival rate: each request is normalized with a server clock that
// advances by batch/rate, as in the server under that load (it matters for person rewrites:
// an event older than its person's created_at rewrites the person).
import fs from 'node:fs';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { FastifyBaseLogger } from 'fastify';
import { createProject } from '../src/api/project-routes.js';
import { CommitBuilder } from '../src/ingest/commit-builder.js';
import { decodeCaptureRequest } from '../src/ingest/decode-request.js';
import { ingestEvent } from '../src/ingest/ingest-processor.js';
import { IngestQueue } from '../src/ingest/ingest-queue.js';
import { normalizeEvent, type NormalizedEvent } from '../src/ingest/normalize-event.js';
import { DuckDBStore } from '../src/store/duckdb/duckdb-store.js';
import { defaultGeneratorOptions, generateTraffic } from './event-generator.js';
import { formatInt } from './report.js';
import { benchDataDir } from './server-process.js';

const gunzip = promisify(zlib.gunzip);

/** Accumulated milliseconds and call counts per label. */
class Timers {
  readonly ms = new Map<string, number>();
  readonly calls = new Map<string, number>();
  readonly samples = new Map<string, number[]>();
  add(label: string, ms: number): void {
    this.ms.set(label, (this.ms.get(label) ?? 0) + ms);
    this.calls.set(label, (this.calls.get(label) ?? 0) + 1);
    const list = this.samples.get(label) ?? [];
    list.push(ms);
    this.samples.set(label, list);
  }
  /** "min / median / max ms" of one label's calls. */
  spread(label: string): string {
    const list = [...(this.samples.get(label) ?? [])].sort((a, b) => a - b);
    if (list.length === 0) return '';
    return [list[0], list[Math.floor(list.length / 2)], list[list.length - 1]].map((ms) => ms.toFixed(0)).join(' / ') + ' ms';
  }
  async time<T>(label: string, work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.add(label, performance.now() - t0);
    }
  }
  timeSync<T>(label: string, work: () => T): T {
    const t0 = performance.now();
    try {
      return work();
    } finally {
      this.add(label, performance.now() - t0);
    }
  }
}

const duckdb = new Timers();

/** Wraps @duckdb/node-api methods to time statements, appender creation and flushes. */
function instrumentDuckDB(): void {
  const sqlLabel = (sql: string) => `run ${sql.replace(/\s+/g, ' ').trim().slice(0, 60)}`;
  const run = DuckDBConnection.prototype.run;
  DuckDBConnection.prototype.run = function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
    return duckdb.time(sqlLabel(sql), () => (run as (...a: unknown[]) => Promise<never>).call(this, sql, ...rest));
  } as typeof run;
  const createAppender = DuckDBConnection.prototype.createAppender;
  DuckDBConnection.prototype.createAppender = function (this: DuckDBConnection, ...args: unknown[]) {
    return duckdb.time('createAppender', () => (createAppender as (...a: unknown[]) => Promise<never>).apply(this, args));
  } as typeof createAppender;
  const flushSync = DuckDBAppender.prototype.flushSync;
  DuckDBAppender.prototype.flushSync = function (this: DuckDBAppender) {
    return duckdb.timeSync('appender.flushSync', () => flushSync.call(this));
  };
  const closeSync = DuckDBAppender.prototype.closeSync;
  DuckDBAppender.prototype.closeSync = function (this: DuckDBAppender) {
    return duckdb.timeSync('appender.closeSync', () => closeSync.call(this));
  };
}

const silentLog = {
  level: 'silent',
  fatal() {},
  error() {},
  warn() {},
  info() {},
  debug() {},
  trace() {},
  silent() {},
  child() {
    return silentLog;
  },
} as unknown as FastifyBaseLogger;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { events: { type: 'string' }, batch: { type: 'string' }, commit: { type: 'string' }, rate: { type: 'string' } },
  });
  const events = Number(values.events ?? 200_000);
  const batchSize = Number(values.batch ?? 500);
  const commitSize = Number(values.commit ?? 4_000);
  const rate = Number(values.rate ?? 50_000);
  const token = 'phc_bench_project_token';

  const traffic = await generateTraffic({ ...defaultGeneratorOptions(token), events, batchSize });
  const dataDir = benchDataDir();
  const store = await DuckDBStore.open(dataDir);
  const queue = await IngestQueue.open(store, 5, silentLog);
  const project = await createProject(store, queue, 'Bench', token, 'phx_bench_personal_key');
  const state = queue.project(project.id)!;
  instrumentDuckDB();

  const stages = new Timers();
  const wallStart = performance.now();

  // 1. Decoding, per request: the full decodeCaptureRequest, and its two expensive parts alone.
  const decoded: { events: unknown[]; sentAt: Date | undefined }[] = [];
  for (const body of traffic.bodies) {
    const payload = await stages.time('decodeCaptureRequest (gunzip + JSON.parse + shape)', () =>
      decodeCaptureRequest({ body: body.gzipped, query: {}, contentType: 'application/json', contentEncoding: 'gzip', limit: 20 * 1024 * 1024 }),
    );
    decoded.push(payload);
    const raw = await stages.time('  of which gunzip (async, thread pool)', () => gunzip(body.gzipped));
    const text = stages.timeSync('  of which Buffer.toString(utf8)', () => raw.toString('utf8'));
    stages.timeSync('  of which JSON.parse', () => JSON.parse(text));
  }

  // 2. Normalization, per event.
  const clock = Date.now();
  const normalized: NormalizedEvent[] = [];
  stages.timeSync('normalizeEvent', () => {
    for (const [k, payload] of decoded.entries()) {
      const now = new Date(clock + Math.round((k * batchSize * 1000) / rate));
      for (const raw of payload.events) {
        const result = normalizeEvent(raw, { sentAt: payload.sentAt, now });
        if (result.ok) normalized.push(result.event);
      }
    }
  });
  stages.timeSync('  JSON.stringify(properties) alone (part of ingestEvent)', () => {
    for (const e of normalized) JSON.stringify(e.properties);
  });

  // 3. Ingestion and commit, in group commits of `commitSize` events.
  let commits = 0;
  const rows = { events: 0, persons: 0, distinctIds: 0, groups: 0, definitions: 0 };
  for (let i = 0; i < normalized.length; i += commitSize) {
    const commit = new CommitBuilder();
    const ctx = { maxGroupTypes: 5, commit, onLimitExceeded: () => undefined };
    const at = new Date();
    const slice = normalized.slice(i, i + commitSize);
    stages.timeSync('ingestEvent (state, persons, groups, definitions, stringify)', () => {
      for (const event of slice) ingestEvent(state, event, ctx, at);
    });
    const built = stages.timeSync('CommitBuilder.build', () => commit.build());
    rows.events += built.events.length;
    rows.persons += built.newPersons.length + built.changedPersons.length;
    rows.distinctIds += built.distinctIds.length;
    rows.groups += built.newGroups.length + built.changedGroups.length;
    rows.definitions += built.newPropertyDefinitions.length;
    await stages.time('store.commitIngest (DuckDB transaction)', () => store.commitIngest(built));
    commits++;
  }
  const wallMs = performance.now() - wallStart;
  await store.close();
  const dataBytes = fs.readdirSync(dataDir).reduce((n, f) => n + fs.statSync(`${dataDir}/${f}`).size, 0);
  fs.rmSync(dataDir, { recursive: true, force: true });

  const n = normalized.length;
  const line = (label: string, ms: number, calls?: number) =>
    `${ms.toFixed(0).padStart(8)} ms ${((ms * 1000) / n).toFixed(2).padStart(8)} µs/event ${formatInt((n / ms) * 1000).padStart(11)} events/s  ${label}${calls ? ` (${formatInt(calls)} calls)` : ''}`;
  console.log(
    `${formatInt(n)} events, ${formatInt(traffic.bodies.length)} requests of ${batchSize}, ${commits} commits of ` +
      `${formatInt(commitSize)}, simulated arrival ${formatInt(rate)} events/s; data ${formatInt(dataBytes / 1048576)} MiB`,
  );
  const perCommit = Object.entries(rows).map(([k, v]) => `${k} ${formatInt(v / commits)}`).join(', ');
  console.log(`rows written per commit (average): ${perCommit}`);
  console.log('\nstages (single thread, sequential):');
  for (const [label, ms] of stages.ms) console.log(line(label, ms));
  const commitMs = stages.ms.get('store.commitIngest (DuckDB transaction)') ?? 0;
  const measured = [...duckdb.ms].reduce((s, [, ms]) => s + ms, 0);
  console.log('\ninside store.commitIngest:');
  for (const [label, ms] of [...duckdb.ms].sort((a, b) => b[1] - a[1])) {
    console.log(`${line(label, ms, duckdb.calls.get(label))}  [min/median/max ${duckdb.spread(label)}]`);
  }
  console.log(line('appender rows (JS -> appendVarchar etc., the rest)', commitMs - measured));
  const pipeline = ['decodeCaptureRequest (gunzip + JSON.parse + shape)', 'normalizeEvent', 'ingestEvent (state, persons, groups, definitions, stringify)', 'CommitBuilder.build', 'store.commitIngest (DuckDB transaction)'];
  const total = pipeline.reduce((s, k) => s + (stages.ms.get(k) ?? 0), 0);
  console.log(`\n${line('sum of pipeline stages (the ceiling for one core, without HTTP)', total)}`);
  console.log(`wall ${formatInt(wallMs)} ms (includes the extra split measurements)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
