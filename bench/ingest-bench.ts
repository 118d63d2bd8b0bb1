// Ingestion benchmark: several concurrent senders post pre-generated, pre-gzipped posthog-node
// /batch requests to a running server. A 200 is only sent after the events' transaction has
// committed, so acknowledged events are durable events.
import http from 'node:http';
import { postGzipBatch } from './http-post.js';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { defaultGeneratorOptions, generateTraffic, type GeneratedTraffic, type GeneratorOptions } from './event-generator.js';
import { progressBar } from './progress.js';
import { percentile } from './stats.js';
import { formatBytes, formatInt, formatSeconds, type ResultRow } from './report.js';
import {
  cpuShares,
  cpuSnapshot,
  directorySize,
  readProcessCpuSeconds,
  readProcessMemory,
  readProcessRunQueueWaitSeconds,
  sampleRss,
} from './server-process.js';
import type { TestServer as BenchServer } from '../test/support/server.js';

export interface IngestBenchOptions {
  readonly events: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly companies: number;
  readonly projects: number;
  readonly persons: number;
  readonly seed: number;
  /** Print the progress bar on stderr. */
  readonly progress: boolean;
}

export const defaultIngestOptions: IngestBenchOptions = {
  events: 1_000_000,
  batchSize: 500,
  // Many SDK clients at once; each sender keeps one request in flight.
  concurrency: 32,
  companies: 2_000,
  projects: 5_000,
  persons: 20_000,
  seed: 42,
  progress: true,
};

export interface IngestResult {
  readonly events: number;
  readonly requests: number;
  readonly acknowledged: number;
  readonly failedRequests: number;
  /** 503s (back-pressure), each sent again after its Retry-After. */
  readonly retried503: number;
  /** Failed requests by status code (or network error code), with the first message seen. */
  readonly errors: Record<string, { count: number; example: string }>;
  readonly generateSeconds: number;
  readonly rawBytes: number;
  readonly gzippedBytes: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly requestLatencyMs: { p50: number; p90: number; p99: number; max: number };
  readonly serverRssPeak: number;
  readonly serverRssEnd: number;
  readonly serverCpuSeconds: number;
  /** Time the server's threads waited for a CPU (contention from other processes and the client). */
  readonly serverRunQueueWaitSeconds: number;
  readonly clientCpuSeconds: number;
  /** CPU of all other processes on the machine meanwhile, % of one core (high = the machine was shared). */
  readonly otherProcessesCpuPercent: number;
  readonly dataBytes: number;
}

/** Generates the traffic; separate from sending so it happens before the clock starts. */
export async function prepareIngestTraffic(token: string, options: IngestBenchOptions): Promise<{ traffic: GeneratedTraffic; seconds: number }> {
  const generator: GeneratorOptions = {
    ...defaultGeneratorOptions(token),
    events: options.events,
    batchSize: options.batchSize,
    companies: options.companies,
    projects: options.projects,
    persons: options.persons,
    seed: options.seed,
  };
  const started = performance.now();
  const traffic = await generateTraffic(generator);
  return { traffic, seconds: (performance.now() - started) / 1000 };
}

/** Sends the traffic with `concurrency` senders, each with one request in flight. */
export async function runIngestBench(
  server: BenchServer,
  options: IngestBenchOptions,
  prepared?: { traffic: GeneratedTraffic; seconds: number },
): Promise<IngestResult> {
  const { traffic, seconds: generateSeconds } = prepared ?? (await prepareIngestTraffic(server.token, options));
  const url = new URL('/batch/', server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const errors: Record<string, { count: number; example: string }> = {};
  const latencies: number[] = [];
  const fail = (key: string, example: string) => {
    const entry = (errors[key] ??= { count: 0, example: example.slice(0, 300) });
    entry.count++;
  };
  let acknowledged = 0;
  let failedRequests = 0;
  let retried503 = 0;
  let next = 0;

  const progress = options.progress ? progressBar('ingest', traffic.events) : undefined;
  const rss = sampleRss(server.pid);
  const serverCpuBefore = readProcessCpuSeconds(server.pid) ?? 0;
  const serverWaitBefore = readProcessRunQueueWaitSeconds(server.pid) ?? 0;
  const clientCpuBefore = process.cpuUsage();
  const cpuBefore = cpuSnapshot(server.pid);
  const started = performance.now();

  const sender = async () => {
    while (next < traffic.bodies.length) {
      const body = traffic.bodies[next++];
      const t0 = performance.now();
      try {
        let res = await postGzipBatch(agent, url, body.gzipped);
        // A 503 is back-pressure: wait as told and send again, as posthog-node and posthog-js do.
        while (res.status === 503 && retried503 < 10_000) {
          retried503++;
          const after = Number(res.headers['retry-after']);
          await new Promise((resolve) => setTimeout(resolve, (Number.isFinite(after) && after > 0 ? after : 1) * 1000));
          res = await postGzipBatch(agent, url, body.gzipped);
        }
        latencies.push(performance.now() - t0);
        if (res.status === 200) {
          acknowledged += body.events;
          progress?.add(body.events);
        } else {
          failedRequests++;
          fail(String(res.status), res.body);
        }
      } catch (error) {
        failedRequests++;
        const err = error as NodeJS.ErrnoException;
        fail(err.code ?? err.name, err.message);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));

  const seconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const cpu = cpuShares(cpuBefore, cpuSnapshot(server.pid, cpuBefore));
  const serverCpuAfter = readProcessCpuSeconds(server.pid) ?? serverCpuBefore;
  const serverWaitAfter = readProcessRunQueueWaitSeconds(server.pid) ?? serverWaitBefore;
  progress?.finish();
  agent.destroy();
  const sampledPeak = rss.stop();
  const memory = readProcessMemory(server.pid);
  latencies.sort((a, b) => a - b);

  return {
    events: traffic.events,
    requests: traffic.bodies.length,
    acknowledged,
    failedRequests,
    retried503,
    errors,
    generateSeconds,
    rawBytes: traffic.rawBytes,
    gzippedBytes: traffic.gzippedBytes,
    seconds,
    eventsPerSecond: acknowledged / seconds,
    requestLatencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
    },
    serverRssPeak: Math.max(memory?.peakRss ?? 0, sampledPeak),
    serverRssEnd: memory?.rss ?? 0,
    serverCpuSeconds: serverCpuAfter - serverCpuBefore,
    serverRunQueueWaitSeconds: Math.max(0, serverWaitAfter - serverWaitBefore),
    clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
    otherProcessesCpuPercent: cpu.others,
    dataBytes: directorySize(server.dataDir),
  };
}

/** Counts stored events by opening the (stopped) server's database read-only. */
export async function countStoredEvents(dataDir: string): Promise<number> {
  const instance = await DuckDBInstance.create(path.join(dataDir, 'prickle.duckdb'), { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll('SELECT count(*) AS n FROM events');
      return Number(reader.getRowObjectsJS()[0].n);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

export function ingestRows(r: IngestResult, options: IngestBenchOptions): ResultRow[] {
  const row = (metric: string, value: string): ResultRow => ({ section: 'ingest', metric, value });
  const rows = [
    row('events sent', `${formatInt(r.events)} in ${formatInt(r.requests)} requests of ${formatInt(options.batchSize)}`),
    row('concurrent senders', formatInt(options.concurrency)),
    row('payload (raw / gzip)', `${formatBytes(r.rawBytes)} / ${formatBytes(r.gzippedBytes)}`),
    row('generate + gzip (untimed)', formatSeconds(r.generateSeconds)),
    row('events acknowledged (200)', formatInt(r.acknowledged)),
    row('failed requests', formatInt(r.failedRequests)),
    row('503s, sent again after Retry-After', formatInt(r.retried503)),
    row('time', formatSeconds(r.seconds)),
    row('throughput', `${formatInt(r.eventsPerSecond)} events/s`),
    row('request latency p50/p90/p99/max', [r.requestLatencyMs.p50, r.requestLatencyMs.p90, r.requestLatencyMs.p99, r.requestLatencyMs.max].map((ms) => `${formatInt(ms)}`).join(' / ') + ' ms'),
    // Per event: the figure that compares runs of one tree on this machine, whose speed drifts by
    // a fifth within an hour (the same code measured 25 to 34 µs per event).
    row('server CPU', `${r.serverCpuSeconds.toFixed(1)} s (${((r.serverCpuSeconds / r.seconds) * 100).toFixed(0)}% of one core; ${((r.serverCpuSeconds / Math.max(1, r.acknowledged)) * 1e6).toFixed(1)} µs per event)`),
    row('server threads waiting for a CPU', `${r.serverRunQueueWaitSeconds.toFixed(1)} s (run queue; high = machine busy)`),
    row('client CPU', `${r.clientCpuSeconds.toFixed(1)} s (${((r.clientCpuSeconds / r.seconds) * 100).toFixed(0)}% of one core)`),
    row('other processes on the machine', `${r.otherProcessesCpuPercent.toFixed(0)}% of one core (high = the machine was shared)`),
    row('server RSS peak (VmHWM)', formatBytes(r.serverRssPeak)),
    row('server RSS at end', formatBytes(r.serverRssEnd)),
    row('data dir size before stop', formatBytes(r.dataBytes)),
  ];
  for (const [key, e] of Object.entries(r.errors)) rows.push(row(`errors ${key}`, `${formatInt(e.count)}: ${e.example}`));
  return rows;
}
