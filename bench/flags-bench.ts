// /flags throughput and latency: a fresh server with ~2,000 identified companies, some persons
// with $set, and 200 active flags (100 person flags, 100 group flags by company) created through
// the management API; then `concurrency` clients, each with one request in flight, POST
// /flags/?v=2 bodies shaped like posthog-js / posthog-node's for a fixed duration.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { TestServer } from '../test/support/server.js';
import { formatInt, type ResultRow } from './report.js';
import { readMainThreadCpuSeconds, readProcessCpuSeconds, readProcessMemory, readProcessRunQueueWaitSeconds, sampleRss } from './server-process.js';
import { post } from './http-post.js';
import { postRequestBytes, RawHttpConnection } from './raw-http-client.js';
import { rng } from './random.js';
import { percentile } from './stats.js';

export interface FlagsBenchOptions {
  readonly companies: number;
  readonly persons: number;
  /** Person flags and group flags (each). */
  readonly personFlags: number;
  readonly groupFlags: number;
  readonly concurrency: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** Distinct request bodies generated before the clock starts. */
  readonly bodies: number;
  readonly seed: number;
  /** Company group keys are this prefix and a number (the soak uses the ingest traffic's "c"). */
  readonly companyKeyPrefix: string;
}

export const defaultFlagsOptions: FlagsBenchOptions = {
  companies: 2_000,
  persons: 5_000,
  personFlags: 100,
  groupFlags: 100,
  concurrency: 32,
  warmupSeconds: 2,
  durationSeconds: 15,
  bodies: 4_000,
  seed: 7,
  companyKeyPrefix: 'company_',
};

/** What the issue asks for on a 2-core machine. */
export const FLAGS_TARGET = { requestsPerSecond: 5_000, p99Ms: 20 };


const PLANS = ['free', 'starter', 'pro', 'enterprise'];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'BR', 'IN', 'JP'];
const DOMAINS = ['acme.io', 'example.com', 'gmail.com', 'initech.com', 'globex.org'];

export const companyKey = (i: number, prefix = defaultFlagsOptions.companyKeyPrefix) => `${prefix}${i}`;
export const personId = (i: number) => `user_${i}`;
export const companyProps = (i: number) => ({ name: `Company ${i}`, plan: PLANS[i % PLANS.length], seats: 1 + ((i * 37) % 500), industry: i % 3 === 0 ? 'saas' : 'retail' });
export const personProps = (i: number) => ({
  email: `user${i}@${DOMAINS[i % DOMAINS.length]}`,
  country: COUNTRIES[i % COUNTRIES.length],
  age: 18 + (i % 60),
  signup_date: new Date(Date.UTC(2025, 0, 1) + (i % 365) * 86_400_000).toISOString(),
  beta: i % 5 === 0,
});


/** Person flag #i: rollout-only, person property conditions (various operators) or multivariate with payloads. */
export function personFlag(i: number): Record<string, unknown> {
  const key = `person-flag-${i}`;
  const p = (k: string, operator: string, value?: unknown) => ({ key: k, operator, type: 'person', ...(value === undefined ? {} : { value }) });
  switch (i % 5) {
    case 0:
      return { key, filters: { groups: [{ properties: [], rollout_percentage: 10 + (i % 90) }] } };
    case 1:
      return {
        key,
        filters: {
          groups: [
            { properties: [p('email', 'icontains', DOMAINS[i % DOMAINS.length])], rollout_percentage: 100 },
            { properties: [p('country', 'exact', [COUNTRIES[i % 7], COUNTRIES[(i + 1) % 7]])], rollout_percentage: 50 },
          ],
        },
      };
    case 2:
      return {
        key,
        filters: {
          groups: [
            { properties: [p('age', 'gte', 30 + (i % 20)), p('beta', 'exact', ['true'])], rollout_percentage: 100 },
            { properties: [p('email', 'regex', '^user[0-9]*7@'), p('country', 'is_not', 'US')], rollout_percentage: 75 },
          ],
        },
      };
    case 3:
      return {
        key,
        filters: {
          groups: [{ properties: [p('signup_date', 'is_date_after', '2025-06-01'), p('email', 'is_set')], rollout_percentage: 80 }],
        },
      };
    default:
      return {
        key,
        filters: {
          groups: [{ properties: [p('country', 'exact', COUNTRIES.slice(0, 4))], rollout_percentage: 100 }, { properties: [], rollout_percentage: 20 }],
          multivariate: { variants: [{ key: 'control', rollout_percentage: 34 }, { key: 'test-a', rollout_percentage: 33 }, { key: 'test-b', rollout_percentage: 33 }] },
          payloads: { 'test-a': `{"discount":${i % 30}}`, 'test-b': '{"layout":"grid"}' },
        },
      };
  }
}

/** Group flag #i, aggregated by company (group type index 0). */
export function groupFlag(i: number): Record<string, unknown> {
  const key = `company-flag-${i}`;
  const g = (k: string, operator: string, value?: unknown) => ({ key: k, operator, type: 'group', group_type_index: 0, ...(value === undefined ? {} : { value }) });
  const base = { aggregation_group_type_index: 0 };
  switch (i % 4) {
    case 0:
      return { key, filters: { ...base, groups: [{ properties: [g('plan', 'exact', [PLANS[i % 4], PLANS[(i + 1) % 4]])], rollout_percentage: 30 + (i % 70) }] } };
    case 1:
      return {
        key,
        filters: {
          ...base,
          groups: [
            { properties: [g('seats', 'gt', 50 + (i % 200))], rollout_percentage: 100 },
            { properties: [g('industry', 'exact', 'saas'), g('plan', 'is_not', 'free')], rollout_percentage: 40 },
          ],
        },
      };
    case 2:
      return { key, filters: { ...base, groups: [{ properties: [], rollout_percentage: 5 + (i % 95) }] } };
    default:
      return {
        key,
        filters: {
          ...base,
          groups: [{ properties: [g('plan', 'exact', ['pro', 'enterprise'])], rollout_percentage: 100 }, { properties: [g('name', 'icontains', '1')], rollout_percentage: 50 }],
          multivariate: { variants: [{ key: 'control', rollout_percentage: 50 }, { key: 'test', rollout_percentage: 50 }] },
          payloads: { test: `{"limit":${100 + i}}` },
        },
      };
  }
}

export interface FlagsSetup {
  readonly flags: number;
  readonly seconds: number;
}

/** Identifies companies and persons through /batch and creates the flags through the API. */
export async function setupFlagsData(server: TestServer, options: FlagsBenchOptions): Promise<FlagsSetup> {
  const started = performance.now();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const batchUrl = new URL('/batch/', server.url);
  const events: Record<string, unknown>[] = [];
  const timestamp = new Date().toISOString();
  for (let i = 0; i < options.companies; i++) {
    const key = companyKey(i, options.companyKeyPrefix);
    events.push({
      event: '$groupidentify',
      distinct_id: `$company_${key}`,
      timestamp,
      properties: { $group_type: 'company', $group_key: key, $group_set: companyProps(i), $lib: 'posthog-node' },
    });
  }
  for (let i = 0; i < options.persons; i++) {
    events.push({ event: '$identify', distinct_id: personId(i), timestamp, properties: { $set: personProps(i), $lib: 'posthog-node' } });
  }
  // Group types are assigned in the order first seen: send the companies first, on their own.
  const companyEvents = events.splice(0, options.companies);
  for (const batch of [companyEvents.slice(0, 1), companyEvents.slice(1)]) {
    if (batch.length === 0) continue;
    const res = await post(agent, batchUrl, JSON.stringify({ api_key: server.token, batch }));
    if (res.status !== 200) throw new Error(`/batch answered ${res.status}: ${res.body.slice(0, 300)}`);
  }
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < events.length; i += 1000) chunks.push(events.slice(i, i + 1000));
  await Promise.all(
    chunks.map(async (batch) => {
      const res = await post(agent, batchUrl, JSON.stringify({ api_key: server.token, batch }));
      if (res.status !== 200) throw new Error(`/batch answered ${res.status}: ${res.body.slice(0, 300)}`);
    }),
  );
  agent.destroy();

  const definitions = flagDefinitions(options.personFlags, options.groupFlags);
  await createFlags(server, definitions);
  return { flags: definitions.length, seconds: (performance.now() - started) / 1000 };
}

/** The first `personFlags` person flags and `groupFlags` company flags. */
export function flagDefinitions(personFlags: number, groupFlags: number): Record<string, unknown>[] {
  return [...Array.from({ length: personFlags }, (_, i) => personFlag(i)), ...Array.from({ length: groupFlags }, (_, i) => groupFlag(i))];
}

/** Creates active flags through the management API with the personal API key. */
export async function createFlags(server: TestServer, definitions: readonly Record<string, unknown>[]): Promise<void> {
  for (const body of definitions) {
    const res = await server.api('/api/projects/@current/feature_flags/', { method: 'POST', body: { name: body.key, active: true, ...body } });
    if (res.status !== 201) throw new Error(`creating flag ${String(body.key)}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }
}

/** Placeholder for a fresh anonymous distinct id; as long as every id that replaces it. */
const ANONYMOUS_ID = 'anon-000000000000';

/** Request bodies as posthog-js / posthog-node send them, generated before the clock starts. */
export function flagsBodies(token: string, options: FlagsBenchOptions): string[] {
  const random = rng(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const bodies: string[] = [];
  for (let n = 0; n < options.bodies; n++) {
    // Mostly known persons; some anonymous ids the server has never seen, a new one for every
    // request (the client fills in ANONYMOUS_ID), so that nothing about them can be cached.
    const known = random() < 0.8;
    const p = pick(options.persons);
    const c = pick(options.companies);
    const distinctId = known ? personId(p) : ANONYMOUS_ID;
    const company = companyProps(c);
    const key = companyKey(c, options.companyKeyPrefix);
    bodies.push(
      JSON.stringify({
        token,
        distinct_id: distinctId,
        groups: { company: key },
        // posthog-node sends what the caller passes; posthog-js sends a few initial props.
        person_properties: known ? { distinct_id: distinctId, country: personProps(p).country } : { $initial_referring_domain: '$direct', country: COUNTRIES[pick(7)] },
        group_properties: { company: { $group_key: key, plan: company.plan } },
      }),
    );
  }
  return bodies;
}

export interface FlagsResult {
  readonly flags: number;
  readonly setupSeconds: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly requests: number;
  readonly ok: number;
  readonly non200: number;
  readonly errors: Record<string, { count: number; example: string }>;
  readonly requestsPerSecond: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number };
  readonly flagsPerResponse: number;
  /** Mean enabled flags per response, over the first bodies (before the clock starts). */
  readonly enabledPerResponse: number;
  readonly responseBytes: number;
  readonly serverCpuSeconds: number;
  /** Of which the main thread's (HTTP and the store; /flags evaluation runs on its own thread). */
  readonly mainThreadCpuSeconds: number;
  readonly serverRunQueueWaitSeconds: number;
  readonly clientCpuSeconds: number;
  readonly serverRssPeak: number;
  readonly serverRssEnd: number;
  /** Requests/s of a bare server answering a fixed body as big, measured right after. */
  readonly baselineRequestsPerSecond: number;
}

/**
 * The `i`-th request's bytes, cycling over the generated bodies; an anonymous body gets a new
 * distinct id each time it is sent.
 */
export function flagsRequestSource(url: URL, token: string, options: FlagsBenchOptions): (i: number) => Buffer {
  const templates = flagsBodies(token, options).map((body) => {
    const bytes = postRequestBytes(url, body);
    return { bytes, anonymousIdAt: bytes.indexOf(ANONYMOUS_ID) };
  });
  let anonymous = 0;
  return (i: number) => {
    const { bytes, anonymousIdAt } = templates[i % templates.length];
    if (anonymousIdAt < 0) return bytes;
    const fresh = Buffer.from(bytes);
    fresh.write(`anon-${(anonymous++).toString(36).padStart(ANONYMOUS_ID.length - 5, '0')}`, anonymousIdAt, 'latin1');
    return fresh;
  };
}

/** Warm-up, then `durationSeconds` of closed-loop load from `concurrency` clients. */
export async function runFlagsBench(server: TestServer, options: FlagsBenchOptions, setup: FlagsSetup): Promise<FlagsResult> {
  const url = new URL('/flags/?v=2', server.url);
  const requestBytes = flagsRequestSource(url, server.token, options);
  const connections = Array.from({ length: options.concurrency }, () => new RawHttpConnection(url));

  // Sanity check: every request answers every flag, and the conditions do match some of them.
  let probeFlags = 0;
  let probeEnabled = 0;
  const probes = Math.min(50, options.bodies);
  for (let i = 0; i < probes; i++) {
    const probe = await connections[0].request(requestBytes(i), true);
    const text = probe.body?.toString('utf8') ?? '';
    if (probe.status !== 200) throw new Error(`/flags answered ${probe.status}: ${text.slice(0, 300)}`);
    const answered = Object.values((JSON.parse(text) as { flags: Record<string, { enabled: boolean }> }).flags);
    probeFlags = answered.length;
    probeEnabled += answered.filter((f) => f.enabled).length;
  }

  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  let next = 0;
  const latencies: number[] = [];
  const errors: Record<string, { count: number; example: string }> = {};
  let ok = 0;
  let non200 = 0;
  let responseBytes = 0;
  const fail = (key: string, example: string) => {
    if (phase !== 'measure') return;
    non200++;
    (errors[key] ??= { count: 0, example: example.slice(0, 300) }).count++;
  };
  const client = async (connection: RawHttpConnection) => {
    while (phase !== 'done') {
      const request = requestBytes(next++);
      const measuring = phase === 'measure';
      const t0 = performance.now();
      try {
        const res = await connection.request(request);
        if (!measuring || phase !== 'measure') continue;
        latencies.push(performance.now() - t0);
        if (res.status === 200) {
          ok++;
          responseBytes += res.bytes;
        } else fail(String(res.status), res.body?.toString('utf8') ?? '');
      } catch (error) {
        const err = error as NodeJS.ErrnoException;
        if (measuring) fail(err.code ?? err.name, err.message);
        return;
      }
    }
  };
  const running = Promise.all(connections.map(client));

  await new Promise((r) => setTimeout(r, options.warmupSeconds * 1000));
  const rss = sampleRss(server.pid);
  const serverCpuBefore = readProcessCpuSeconds(server.pid) ?? 0;
  const mainThreadCpuBefore = readMainThreadCpuSeconds(server.pid) ?? 0;
  const serverWaitBefore = readProcessRunQueueWaitSeconds(server.pid) ?? 0;
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  phase = 'measure';
  await new Promise((r) => setTimeout(r, options.durationSeconds * 1000));
  phase = 'done';
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const serverCpuAfter = readProcessCpuSeconds(server.pid) ?? serverCpuBefore;
  const mainThreadCpuAfter = readMainThreadCpuSeconds(server.pid) ?? mainThreadCpuBefore;
  const serverWaitAfter = readProcessRunQueueWaitSeconds(server.pid) ?? serverWaitBefore;
  const sampledPeak = rss.stop();
  await running;
  for (const connection of connections) connection.close();
  const memory = readProcessMemory(server.pid);
  const baselineRequestsPerSecond = await measureBaseline(ok > 0 ? responseBytes / ok : 1, options.concurrency, 3);
  latencies.sort((a, b) => a - b);
  return {
    flags: setup.flags,
    setupSeconds: setup.seconds,
    concurrency: options.concurrency,
    seconds,
    requests: latencies.length,
    ok,
    non200,
    errors,
    requestsPerSecond: ok / seconds,
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    flagsPerResponse: probeFlags,
    enabledPerResponse: probeEnabled / probes,
    responseBytes: ok > 0 ? responseBytes / ok : 0,
    serverCpuSeconds: serverCpuAfter - serverCpuBefore,
    mainThreadCpuSeconds: mainThreadCpuAfter - mainThreadCpuBefore,
    serverRunQueueWaitSeconds: Math.max(0, serverWaitAfter - serverWaitBefore),
    clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
    serverRssPeak: Math.max(memory?.peakRss ?? 0, sampledPeak),
    serverRssEnd: memory?.rss ?? 0,
    baselineRequestsPerSecond,
  };
}

// A bare node:http server answering a fixed body of the same size: what this machine can do
// right now for answers this big, with the same client. The machine's speed is not constant
// (a shared VM can halve it for minutes), so /flags figures are best read against this one.
const BASELINE_SERVER = `
const http = require('node:http');
const body = Buffer.alloc(Number(process.argv[1]), 'x');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

/** Requests/s of the baseline server with `concurrency` clients for `seconds`. */
export async function measureBaseline(responseBytes: number, concurrency: number, seconds: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', BASELINE_SERVER, String(Math.round(responseBytes))], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}`)));
    });
    const url = new URL(`http://127.0.0.1:${port}/flags/?v=2`);
    const request = postRequestBytes(url, '{"token":"baseline","distinct_id":"baseline"}');
    const connections = Array.from({ length: concurrency }, () => new RawHttpConnection(url));
    let answered = 0;
    const end = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      connections.map(async (connection) => {
        while (performance.now() < end) if ((await connection.request(request)).status === 200) answered++;
      }),
    );
    const rate = answered / ((performance.now() - started) / 1000);
    for (const connection of connections) connection.close();
    return rate;
  } finally {
    child.kill();
  }
}

export function flagsTargetMet(r: FlagsResult): boolean {
  return r.requestsPerSecond >= FLAGS_TARGET.requestsPerSecond && r.latencyMs.p99 < FLAGS_TARGET.p99Ms && r.non200 === 0;
}

export function flagsRows(r: FlagsResult, options: FlagsBenchOptions): ResultRow[] {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const row = (metric: string, value: string): ResultRow => ({ section: 'flags', metric, value });
  const rows = [
    row(
      'setup',
      `${formatInt(options.companies)} companies, ${formatInt(options.persons)} persons, ${r.flags} active flags ` +
        `(${options.personFlags} person, ${options.groupFlags} by company) in ${r.setupSeconds.toFixed(1)} s`,
    ),
    row('load', `${r.concurrency} clients, one request in flight each, ${r.seconds.toFixed(1)} s after ${options.warmupSeconds} s warm-up`),
    row('POST /flags/?v=2 requests/s', `${formatInt(r.requestsPerSecond)} (${formatInt(r.ok)} answered 200; ${r.flagsPerResponse} flags, ~${r.enabledPerResponse.toFixed(0)} enabled, ${formatInt(r.responseBytes)} B per response)`),
    row('latency p50 / p90 / p99 / max', `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p90)} / ${ms(r.latencyMs.p99)} / ${ms(r.latencyMs.max)}`),
    row('non-200 responses and errors', formatInt(r.non200)),
  ];
  for (const [key, e] of Object.entries(r.errors)) rows.push(row(`  ${key}`, `${formatInt(e.count)} e.g. ${e.example.replace(/\s+/g, ' ')}`));
  rows.push(
    row('server CPU', `${r.serverCpuSeconds.toFixed(1)} s (${((r.serverCpuSeconds / r.seconds) * 100).toFixed(0)}% of one core; ${r.ok > 0 ? ((r.serverCpuSeconds / r.ok) * 1000).toFixed(2) : '-'} ms per request)`),
    row('  of which the main thread', `${r.mainThreadCpuSeconds.toFixed(1)} s (${((r.mainThreadCpuSeconds / r.seconds) * 100).toFixed(0)}% of one core: near 100% means it is the limit)`),
    row('server threads waiting for a CPU', `${r.serverRunQueueWaitSeconds.toFixed(1)} s (run queue; high = machine busy)`),
    row('bench client CPU', `${r.clientCpuSeconds.toFixed(1)} s (shares the machine with the server)`),
    row('server RSS peak / at end', `${mib(r.serverRssPeak)} / ${mib(r.serverRssEnd)}`),
    row(
      'machine baseline (same client)',
      `${formatInt(r.baselineRequestsPerSecond)} req/s from a bare node:http server sending a fixed ${formatInt(r.responseBytes)} B answer, measured just after`,
    ),
    row(
      `target >= ${formatInt(FLAGS_TARGET.requestsPerSecond)} req/s and p99 < ${FLAGS_TARGET.p99Ms} ms`,
      flagsTargetMet(r) ? 'met' : 'NOT met',
    ),
  );
  return rows;
}
