// The "common steps" funnel: three steps that are each about 7% of all events, by company (2,000
// zipf-skewed companies), over 30 days with a 14-day window. Most companies have thousands of
// attempts, so this is the funnel where the per-attempt work shows. Its events go to a project
// of their own; the funnel is timed through the HTTP API, then (server stopped) as hand-written
// DuckDB SQL run directly on the same database file, for the ratio.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestServer } from '../test/support/server.js';
import { runFunnels } from '../src/query/funnels/run.js';
import { funnelsQuerySchema } from '../src/query/funnels/schema.js';
import { openStore } from '../src/store/open-store.js';
import { post } from './http-post.js';
import { funnelByCompany } from './insight-queries.js';
import { progressBar } from './progress.js';
import { rng, zipfSampler } from './random.js';
import type { ResultRow } from './report.js';
import { formatInt } from './report.js';

export interface CommonStepsOptions {
  readonly events: number;
  readonly companies: number;
  readonly personsPerCompany: number;
  readonly days: number;
  readonly windowDays: number;
  readonly seed: number;
  readonly repetitions: number;
  readonly progress: boolean;
}

export const defaultCommonStepsOptions: Omit<CommonStepsOptions, 'repetitions' | 'progress'> = {
  events: 1_000_000,
  companies: 2_000,
  personsPerCompany: 5,
  days: 30,
  windowDays: 14,
  seed: 11,
};

const STEPS = ['signed_up', 'created_project', 'upgraded_plan'] as const;
/** Share of all events per step event; the rest is activity no step matches. */
const STEP_SHARE = 0.07;
const OTHER_EVENTS = ['api_request', 'pageview', 'query_run', 'dashboard_viewed'];

type Event = { event: string; distinct_id: string; timestamp: string; uuid: string; properties: Record<string, unknown> };

function* batches(options: CommonStepsOptions, batchSize: number, now: number): Generator<Event[]> {
  const random = rng(options.seed);
  const company = zipfSampler(options.companies, 1, random);
  const start = now - options.days * 86_400_000;
  let batch: Event[] = [];
  for (let i = 0; i < options.events; i++) {
    const c = company();
    const x = random();
    const event = x < STEP_SHARE * STEPS.length ? STEPS[Math.floor(x / STEP_SHARE)] : OTHER_EVENTS[Math.floor(random() * OTHER_EVENTS.length)];
    batch.push({
      event,
      distinct_id: `cs-user-${c}-${Math.floor(random() * options.personsPerCompany)}`,
      timestamp: new Date(start + Math.floor(random() * (now - start - 1000))).toISOString(),
      uuid: randomUUID(),
      properties: { $groups: { company: `c${c}` }, $lib: 'posthog-node' },
    });
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export const commonStepsQuery = (options: Pick<CommonStepsOptions, 'days' | 'windowDays'>) => funnelByCompany(STEPS, `-${options.days}d`, options.windowDays);

/**
 * The same funnel written by hand for DuckDB: one ASOF join per step from every step-1 event,
 * each company's furthest attempt (the earliest of equals), then counts and conversion times.
 */
function handWrittenSql(windowMicros: number): string {
  return `
    WITH ev AS (
      SELECT "$group_0" AS company, CAST(epoch_us(timestamp) AS DOUBLE) AS t, event
      FROM events
      WHERE project_id = ? AND timestamp >= ? AND timestamp <= ? AND "$group_0" <> ''
        AND event IN ('signed_up', 'created_project', 'upgraded_plan')
    ),
    s1 AS (SELECT company, t AS t0 FROM ev WHERE event = 'signed_up'),
    s2 AS (
      SELECT s1.*, n.t AS t1 FROM s1
      ASOF LEFT JOIN (SELECT company, t FROM ev WHERE event = 'created_project') n ON n.company = s1.company AND n.t > s1.t0
    ),
    s3 AS (
      SELECT s2.*, n.t AS t2 FROM s2
      ASOF LEFT JOIN (SELECT company, t FROM ev WHERE event = 'upgraded_plan') n ON n.company = s2.company AND n.t > s2.t1
    ),
    attempts AS (
      SELECT company, t0,
        CASE WHEN t1 <= t0 + ${windowMicros} THEN t1 END AS t1,
        CASE WHEN t1 IS NOT NULL AND t2 <= t0 + ${windowMicros} THEN t2 END AS t2
      FROM s3
    ),
    best AS (
      SELECT company, max(1 + (t1 IS NOT NULL)::INT + (t2 IS NOT NULL)::INT) AS reached,
        arg_min((t1 - t0) / 1e6, (-(1 + (t1 IS NOT NULL)::INT + (t2 IS NOT NULL)::INT), t0)) AS d1,
        arg_min((t2 - t1) / 1e6, (-(1 + (t1 IS NOT NULL)::INT + (t2 IS NOT NULL)::INT), t0)) AS d2
      FROM attempts GROUP BY company
    )
    SELECT count(*) AS c0, count(*) FILTER (WHERE reached > 1) AS c1, count(*) FILTER (WHERE reached > 2) AS c2,
      avg(d1) AS avg1, median(d1) AS median1, avg(d2) AS avg2, median(d2) AS median2
    FROM best`;
}

export interface CommonStepsResult {
  readonly events: number;
  readonly apiMs: number;
  readonly handMs: number;
  readonly apiCounts: number[];
  readonly handCounts: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timed(repetitions: number, run: () => Promise<unknown>): Promise<number> {
  await run();
  const ms: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** Medians of runs taking turns, after one warm-up run each. */
async function timedInTurns(repetitions: number, runs: (() => Promise<unknown>)[]): Promise<number[]> {
  for (const run of runs) await run();
  const ms = runs.map((): number[] => []);
  for (let i = 0; i < repetitions; i++) {
    for (const [k, run] of runs.entries()) {
      const t0 = performance.now();
      await run();
      ms[k].push(performance.now() - t0);
    }
  }
  return ms.map(median);
}

/** Loads the events into a new project and times the funnel through the API (the server keeps running). */
export async function runCommonStepsOverHttp(server: TestServer, options: CommonStepsOptions): Promise<{ projectId: number; apiMs: number; apiCounts: number[]; from: Date; to: Date }> {
  const created = await server.api<{ id: number; api_token: string; personal_api_key: string }>('/api/projects/', { method: 'POST', body: { name: 'common steps' } });
  if (created.status !== 201) throw new Error(`project creation answered ${created.status}`);
  const project = created.body;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const now = Date.now();
  const source = batches(options, 1000, now);
  const progress = options.progress ? progressBar('common steps', options.events) : undefined;
  const sender = async () => {
    for (let next = source.next(); !next.done; next = source.next()) {
      const body = JSON.stringify({ api_key: project.api_token, batch: next.value });
      for (;;) {
        const res = await post(agent, new URL('/batch/', server.url), body, {});
        if (res.status === 200) break;
        // Back-pressure: send the batch again after a pause, as the SDKs do.
        if (res.status !== 503) throw new Error(`capture answered ${res.status}: ${res.body.slice(0, 200)}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      progress?.add(next.value.length);
    }
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  progress?.finish();

  const url = new URL('/api/projects/@current/query/', server.url);
  const body = JSON.stringify({ query: commonStepsQuery(options) });
  let apiCounts: number[] = [];
  const apiMs = await timed(options.repetitions, async () => {
    const res = await post(agent, url, body, { authorization: `Bearer ${project.personal_api_key}` });
    if (res.status !== 200) throw new Error(`common steps funnel: ${res.status} ${res.body.slice(0, 300)}`);
    apiCounts = (JSON.parse(res.body) as { results: { count: number }[] }).results.map((s) => s.count);
  });
  agent.destroy();
  // The API's range for "-30d" (project in UTC) starts at the start of that day; every event is before now.
  const from = new Date(Math.floor((now - options.days * 86_400_000) / 86_400_000) * 86_400_000);
  return { projectId: project.id, apiMs, apiCounts, from, to: new Date(now + 86_400_000) };
}

/**
 * With the server stopped, on the same database file: the hand-written SQL, and the SQL the API
 * issued (recorded from an in-process run) alone, timed in turns.
 */
export async function runCommonStepsByHand(
  dataDir: string,
  options: CommonStepsOptions,
  projectId: number,
  from: Date,
  to: Date,
): Promise<{ handMs: number; handCounts: number[]; engineMs: number }> {
  const store = await openStore({ dataDir });
  try {
    const recorded: { sql: string; params: readonly unknown[] }[] = [];
    const recording = Object.assign(Object.create(store) as typeof store, {
      query: (sql: string, params: readonly unknown[]) => {
        recorded.push({ sql, params });
        return store.query(sql, params);
      },
    });
    const ctx = { store: recording, projectId, timeZone: 'UTC', maxGroupTypes: 5, now: new Date(), groupNames: async () => new Map<string, string>() };
    await runFunnels(ctx, funnelsQuerySchema.parse(commonStepsQuery(options)));
    const text = handWrittenSql(options.windowDays * 86_400_000_000);
    let handCounts: number[] = [];
    // In turns, so that load from elsewhere on the machine falls on both alike.
    const [engineMs, handMs] = await timedInTurns(options.repetitions, [
      async () => {
        for (const statement of recorded) await store.query(statement.sql, statement.params);
      },
      async () => {
        const [row] = await store.query(text, [projectId, from, to]);
        handCounts = [row.c0, row.c1, row.c2].map(Number);
      },
    ]);
    return { handMs, handCounts, engineMs };
  } finally {
    await store.close();
  }
}

/**
 * The same rows in ClickHouse (chdb: its engine in-process, in a scratch directory), and the
 * funnel as ClickHouse users write it: windowFunnel per company, over microsecond times.
 */
export async function runCommonStepsOnClickHouse(
  dataDir: string,
  options: CommonStepsOptions,
  projectId: number,
  from: Date,
  to: Date,
): Promise<{ clickhouseMs: number; clickhouseCounts: number[]; version: string }> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-bench-chdb-'));
  const parquet = path.join(scratch, 'events.parquet');
  try {
    const store = await openStore({ dataDir });
    try {
      // Parameters do not reach COPY's target: the file name is ours, the rest are parameters.
      await store.query(
        `COPY (SELECT "$group_0" AS company, CAST(epoch_us(timestamp) AS BIGINT) AS t, event FROM events
           WHERE project_id = ? AND timestamp >= ? AND timestamp <= ? AND "$group_0" <> '') TO '${parquet}' (FORMAT parquet)`,
        [projectId, from, to],
      );
    } finally {
      await store.close();
    }
    const { Session } = await import('chdb');
    const session = new Session(path.join(scratch, 'clickhouse'));
    try {
      session.query('CREATE TABLE events (company String, t UInt64, event LowCardinality(String)) ENGINE = MergeTree ORDER BY (company, t)');
      session.query(`INSERT INTO events SELECT company, t, event FROM file('${parquet}', Parquet)`);
      const version = session.query('SELECT version()', 'CSV').trim().replaceAll('"', '');
      const conditions = STEPS.map((step) => `event = '${step}'`).join(', ');
      const text = `SELECT level, count() AS actors FROM (
          SELECT company, windowFunnel(${options.windowDays * 86_400_000_000})(t, ${conditions}) AS level
          FROM events WHERE event IN (${STEPS.map((step) => `'${step}'`).join(', ')}) GROUP BY company
        ) GROUP BY level`;
      let clickhouseCounts: number[] = [];
      const clickhouseMs = await timed(options.repetitions, async () => {
        const levels = session
          .query(text, 'JSONEachRow')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { level: number; actors: number | string });
        // Companies reaching at least each step.
        clickhouseCounts = STEPS.map((_, k) => levels.filter((l) => Number(l.level) > k).reduce((n, l) => n + Number(l.actors), 0));
      });
      return { clickhouseMs, clickhouseCounts, version };
    } finally {
      session.cleanup();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export function commonStepsRows(
  options: CommonStepsOptions,
  api: { apiMs: number; apiCounts: number[] },
  hand: { handMs: number; handCounts: number[]; engineMs: number },
  clickhouse?: { clickhouseMs: number; clickhouseCounts: number[]; version: string },
): ResultRow[] {
  const same = api.apiCounts.join() === hand.handCounts.join();
  const clickhouseRow: ResultRow[] = clickhouse
    ? [
        {
          section: 'query',
          metric: `funnel: common steps, the same rows in ClickHouse ${clickhouse.version} (chdb, in-process): windowFunnel per company`,
          value: `${clickhouse.clickhouseMs.toFixed(0)} ms; API / ClickHouse ${(api.apiMs / clickhouse.clickhouseMs).toFixed(2)}x, hand-written DuckDB SQL / ClickHouse ${(hand.handMs / clickhouse.clickhouseMs).toFixed(2)}x; steps ${clickhouse.clickhouseCounts.map(formatInt).join(' → ')}${clickhouse.clickhouseCounts.join() === api.apiCounts.join() ? ' (same as the API)' : ' (DIFFERENT from the API)'}`,
        },
      ]
    : [];
  return [
    {
      section: 'query',
      metric: `funnel: common steps (3 steps of 7% each, ${formatInt(options.companies)} companies, ${formatInt(options.events)} events) API vs hand-written SQL`,
      value: `API ${api.apiMs.toFixed(0)} ms (its SQL alone ${hand.engineMs.toFixed(0)} ms), hand-written DuckDB SQL ${hand.handMs.toFixed(0)} ms, ratio ${(api.apiMs / hand.handMs).toFixed(2)}x (SQL alone ${(hand.engineMs / hand.handMs).toFixed(2)}x); steps ${api.apiCounts.map(formatInt).join(' → ')}${same ? '' : ` (hand-written: ${hand.handCounts.map(formatInt).join(' → ')}: DIFFERENT)`}`,
    },
    ...clickhouseRow,
  ];
}
