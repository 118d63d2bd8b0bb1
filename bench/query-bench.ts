// Query latency: loads a large dataset through the capture API, then times insight queries
// through the HTTP API; afterwards (server stopped) replays the SQL they issue directly on the
// engine, to show what the HTTP layer and result shaping add.
import http from 'node:http';
import type { TestServer } from '../test/support/server.js';
import { runActors } from '../src/query/actors/run.js';
import { actorsQuerySchema } from '../src/query/actors/schema.js';
import { runFunnels } from '../src/query/funnels/run.js';
import { funnelsQuerySchema } from '../src/query/funnels/schema.js';
import { runTrends } from '../src/query/trends/run.js';
import { trendsQuerySchema } from '../src/query/trends/schema.js';
import { type QueryContext } from '../src/query/context.js';
import { openStore } from '../src/store/open-store.js';
import { progressBar } from './progress.js';
import { datasetBatches, type DatasetOptions } from './query-dataset.js';
import { formatInt, formatSeconds, type ResultRow } from './report.js';
import { sampleRss } from './server-process.js';
import { post } from './http-post.js';
import { dailyTrend, funnelByCompany } from './insight-queries.js';

export interface QueryBenchOptions {
  readonly dataset: DatasetOptions;
  readonly repetitions: number;
  readonly concurrency: number;
  readonly progress: boolean;
}

const FUNNEL = funnelByCompany(['signed_up', 'created_project', 'upgraded_plan'], '-60d', 14);

/** The benchmark's queries, by name, as sent to POST /api/projects/@current/query/. */
export const BENCH_QUERIES: Record<string, Record<string, unknown>> = {
  'trends: daily unique companies, 30 days, group filter': dailyTrend({ event: 'api_request', math: 'unique_group', math_group_type_index: 0 }, '-30d', {
    properties: [{ key: 'plan', value: 'pro', operator: 'exact', type: 'group', group_type_index: 0 }],
  }),
  'funnel: 3 steps by company, 14-day window': FUNNEL,
  'funnel: companies dropped off before step 2': {
    kind: 'ActorsQuery',
    source: { kind: 'FunnelsActorsQuery', source: FUNNEL, funnelStep: -2 },
    select: ['actor'],
    limit: 100,
  },
};

export const QUERY_TARGETS_MS: Record<string, number> = {
  'trends: daily unique companies, 30 days, group filter': 150,
  'funnel: 3 steps by company, 14-day window': 400,
  'funnel: companies dropped off before step 2': 400,
};


/** Streams the dataset into the server through /batch with `concurrency` senders. */
export async function loadQueryDataset(server: TestServer, options: QueryBenchOptions): Promise<{ events: number; seconds: number; rssPeak: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL('/batch/', server.url);
  const batches = datasetBatches(options.dataset, 1000);
  const progress = options.progress ? progressBar('load', options.dataset.events) : undefined;
  const rss = sampleRss(server.pid);
  const started = performance.now();
  let events = 0;
  const sender = async () => {
    for (;;) {
      const next = batches.next();
      if (next.done) return;
      const body = JSON.stringify({ api_key: server.token, batch: next.value });
      const res = await post(agent, url, body, {});
      if (res.status !== 200) throw new Error(`capture answered ${res.status}: ${res.body.slice(0, 200)}`);
      events += next.value.length;
      progress?.add(next.value.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  progress?.finish();
  agent.destroy();
  return { events, seconds: (performance.now() - started) / 1000, rssPeak: rss.stop() };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface QueryTiming {
  readonly name: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly summary: string;
}

/** Times each query through HTTP (after one warm-up run). */
export async function timeQueriesOverHttp(server: TestServer, repetitions: number): Promise<{ timings: QueryTiming[]; rssPeak: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL('/api/projects/@current/query/', server.url);
  const rss = sampleRss(server.pid);
  const timings: QueryTiming[] = [];
  for (const [name, query] of Object.entries(BENCH_QUERIES)) {
    const body = JSON.stringify({ query });
    const run = async () => {
      const res = await post(agent, url, body, { authorization: `Bearer ${server.apiKey}` });
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${res.body.slice(0, 300)}`);
      return JSON.parse(res.body) as { results: unknown };
    };
    const first = await run();
    const ms: number[] = [];
    for (let i = 0; i < repetitions; i++) {
      const t0 = performance.now();
      await run();
      ms.push(performance.now() - t0);
    }
    timings.push({ name, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), summary: summarize(first.results) });
  }
  agent.destroy();
  // Sampled during the queries only (VmHWM would include the load).
  return { timings, rssPeak: rss.stop() };
}

function summarize(results: unknown): string {
  if (!Array.isArray(results)) return '';
  const first = results[0] as Record<string, unknown> | unknown[] | undefined;
  if (Array.isArray(first) && first.length > 0 && typeof first[0] === 'object' && first[0] && 'type' in first[0]) return `${results.length} actors`;
  if (first && !Array.isArray(first) && Array.isArray(first.data)) return `${(first.data as number[]).length} buckets, total ${formatInt(Number(first.count))}`;
  if (first && !Array.isArray(first) && 'count' in first) return `steps ${results.map((s) => formatInt(Number((s as { count: number }).count))).join(' → ')}`;
  return `${results.length} rows`;
}

/**
 * With the server stopped: runs each query in-process against the same database, recording the
 * SQL it issues, then times that SQL alone on the engine.
 */
export async function timeQueriesOnEngine(dataDir: string, repetitions: number, maxGroupTypes = 5): Promise<QueryTiming[]> {
  const store = await openStore({ dataDir });
  const recorded: { sql: string; params: readonly unknown[] }[] = [];
  const recording = Object.assign(Object.create(store) as typeof store, {
    query: (sql: string, params: readonly unknown[]) => {
      recorded.push({ sql, params });
      return store.query(sql, params);
    },
  });
  const [project] = await store.listProjects();
  const ctx: QueryContext = {
    store: recording,
    projectId: project.id,
    timeZone: project.timezone,
    maxGroupTypes,
    now: new Date(),
    groupNames: async () => new Map(),
  };
  const timings: QueryTiming[] = [];
  try {
    for (const [name, query] of Object.entries(BENCH_QUERIES)) {
      recorded.length = 0;
      if (query.kind === 'TrendsQuery') await runTrends(ctx, trendsQuerySchema.parse(query));
      else if (query.kind === 'FunnelsQuery') await runFunnels(ctx, funnelsQuerySchema.parse(query));
      else await runActors(ctx, actorsQuerySchema.parse(query));
      const statements = [...recorded];
      const ms: number[] = [];
      for (let i = 0; i < repetitions; i++) {
        const t0 = performance.now();
        for (const s of statements) await store.query(s.sql, s.params);
        ms.push(performance.now() - t0);
      }
      timings.push({ name, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), summary: `${statements.length} SQL statement(s)` });
    }
  } finally {
    await store.close();
  }
  return timings;
}

export function queryRows(
  load: { events: number; seconds: number; rssPeak: number },
  http: QueryTiming[],
  engine: QueryTiming[],
  queryRssPeak: number,
): ResultRow[] {
  const rows: ResultRow[] = [
    { section: 'query', metric: 'dataset loaded through /batch', value: `${formatInt(load.events)} events in ${formatSeconds(load.seconds)}` },
  ];
  for (const t of http) {
    const target = QUERY_TARGETS_MS[t.name];
    const engineTime = engine.find((e) => e.name === t.name);
    rows.push({
      section: 'query',
      metric: `${t.name} (HTTP median)`,
      value: `${t.medianMs.toFixed(0)} ms (min ${t.minMs.toFixed(0)}, max ${t.maxMs.toFixed(0)}; target < ${target} ms: ${t.medianMs < target ? 'met' : 'NOT met'}) ${t.summary}`,
    });
    if (engineTime) rows.push({ section: 'query', metric: `${t.name} (engine only)`, value: `${engineTime.medianMs.toFixed(0)} ms, ${engineTime.summary}` });
  }
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  rows.push({ section: 'query', metric: 'server RSS peak while loading (sampled)', value: mib(load.rssPeak) });
  rows.push({
    section: 'query',
    metric: 'server RSS peak while querying (sampled)',
    value: `${mib(queryRssPeak)} (target < 1536 MiB: ${queryRssPeak < 1536 * 1024 * 1024 ? 'met' : 'NOT met'})`,
  });
  return rows;
}
