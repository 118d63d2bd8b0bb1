// Many persons and groups: a fresh server loads `persons` persons (with email, plan and more
// through $identify or $set) and `groups` companies ($groupidentify) through posthog-node /batch
// requests; then /flags latency for persons loaded early and not seen since (cold), for a few
// thousand asked again and again (warm) and for unknown ids (anonymous), with 50 flags whose
// conditions read the stored properties; answers are checked against the loaded properties.
// Last, a restart on the same data shows what starting with that many persons costs.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { TestServer } from '../test/support/server.js';
import { gzipBodies, LIB_VERSION, type GeneratedTraffic } from './event-generator.js';
import { companyKey, companyProps, createFlags, flagDefinitions, personId, personProps } from './flags-bench.js';
import { post } from './http-post.js';
import { countStoredEvents, defaultIngestOptions, runIngestBench, type IngestResult } from './ingest-bench.js';
import { postRequestBytes, RawHttpConnection } from './raw-http-client.js';
import { rng } from './random.js';
import { formatBytes, formatInt, formatSeconds, type ResultRow } from './report.js';
import { readProcessMemory, readProcessTreeRss } from './server-process.js';
import { summarizeLatencies, type LatencySummary } from './stats.js';

export interface ScaleBenchOptions {
  readonly persons: number;
  /** Companies (group type "company", index 0). */
  readonly groups: number;
  readonly senders: number;
  readonly batchSize: number;
  /** Cold persons asked about once each, taken from the first half loaded. */
  readonly coldAsks: number;
  /** Warm persons (the last loaded), asked `warmRounds` times each after one untimed round. */
  readonly warmPersons: number;
  readonly warmRounds: number;
  readonly anonymousAsks: number;
  /** Concurrent /flags clients, one request in flight each. */
  readonly clients: number;
  /** Persons whose answers are checked against their stored properties. */
  readonly verifyPersons: number;
  readonly seed: number;
  readonly progress: boolean;
}

export const defaultScaleOptions: ScaleBenchOptions = {
  persons: 1_000_000,
  groups: 200_000,
  senders: 4,
  batchSize: 1_000,
  coldAsks: 5_000,
  warmPersons: 2_000,
  warmRounds: 5,
  anonymousAsks: 5_000,
  clients: 4,
  verifyPersons: 50,
  seed: 11,
  progress: true,
};

const PLANS = ['free', 'starter', 'pro', 'enterprise'];

/** Flags whose answers follow from the loaded properties alone (all at 100% rollout). */
const CHECKED_FLAGS: Record<string, unknown>[] = [
  { key: 'scale-plan-pro', filters: { groups: [{ properties: [{ key: 'plan', operator: 'exact', value: ['pro'], type: 'person' }], rollout_percentage: 100 }] } },
  { key: 'scale-email-acme', filters: { groups: [{ properties: [{ key: 'email', operator: 'icontains', value: 'ACME', type: 'person' }], rollout_percentage: 100 }] } },
  {
    key: 'scale-company-pro',
    filters: {
      aggregation_group_type_index: 0,
      groups: [{ properties: [{ key: 'plan', operator: 'exact', value: ['pro'], type: 'group', group_type_index: 0 }], rollout_percentage: 100 }],
    },
  },
];

/** Each person's plan, drawn once from the seed (not a pattern of the index). */
function personPlans(options: ScaleBenchOptions): Uint8Array {
  const random = rng(options.seed);
  return Uint8Array.from({ length: options.persons }, () => Math.floor(random() * PLANS.length));
}

const personSet = (i: number, plans: Uint8Array) => ({ ...personProps(i), plan: PLANS[plans[i]] });

/** The load as posthog-node sends it: companies first (the first one alone), then persons. */
async function loadTraffic(token: string, options: ScaleBenchOptions, plans: Uint8Array): Promise<{ first: string; traffic: GeneratedTraffic }> {
  const lib = { $lib: 'posthog-node', $lib_version: LIB_VERSION };
  const group = (i: number) => ({
    event: '$groupidentify',
    distinct_id: `$company_${companyKey(i)}`,
    uuid: randomUUID(),
    timestamp: new Date().toISOString(),
    properties: { $group_type: 'company', $group_key: companyKey(i), $group_set: companyProps(i), ...lib },
  });
  // Three in four persons through identify(); the others through a `$set` event (as
  // posthog-js's people.set and capture with $set do).
  const person = (i: number) => ({
    event: i % 4 === 3 ? '$set' : '$identify',
    distinct_id: personId(i),
    uuid: randomUUID(),
    timestamp: new Date().toISOString(),
    properties: { $set: personSet(i, plans), $set_once: { first_seen: 'scale-bench' }, ...lib },
  });
  const envelope = (batch: object[]) => ({ json: JSON.stringify({ api_key: token, batch, sent_at: new Date().toISOString() }), events: batch.length });
  function* envelopes(): Generator<{ json: string; events: number }> {
    for (let from = 1; from < options.groups; from += options.batchSize) {
      yield envelope(Array.from({ length: Math.min(options.batchSize, options.groups - from) }, (_, k) => group(from + k)));
    }
    for (let from = 0; from < options.persons; from += options.batchSize) {
      yield envelope(Array.from({ length: Math.min(options.batchSize, options.persons - from) }, (_, k) => person(from + k)));
    }
  }
  const { bodies, rawBytes, gzippedBytes } = await gzipBodies(envelopes());
  const events = bodies.reduce((n, b) => n + b.events, 0);
  return {
    first: envelope([group(0)]).json,
    traffic: { bodies, events, rawBytes, gzippedBytes, groupIdentifies: options.groups - 1, identifies: options.persons },
  };
}

interface FlagsAnswer {
  readonly flags: Record<string, { enabled: boolean }>;
}

/** Sends each request once from `clients` connections; latency of the 200s, count of the rest. */
async function timeRequests(url: URL, clients: number, requests: readonly Buffer[]): Promise<{ latency: LatencySummary; failed: number; example: string }> {
  const connections = Array.from({ length: clients }, () => new RawHttpConnection(url));
  const latencies: number[] = [];
  let failed = 0;
  let example = '';
  let next = 0;
  try {
    await Promise.all(
      connections.map(async (connection) => {
        while (next < requests.length) {
          const request = requests[next++];
          const t0 = performance.now();
          const res = await connection.request(request);
          if (res.status === 200) latencies.push(performance.now() - t0);
          else {
            failed++;
            example ||= `${res.status} ${res.body?.toString('utf8').slice(0, 200)}`;
          }
        }
      }),
    );
  } finally {
    for (const connection of connections) connection.close();
  }
  return { latency: summarizeLatencies(latencies), failed, example };
}

/** `count` distinct integers below `below`, in random order. */
function sample(count: number, below: number, random: () => number): number[] {
  const picked = new Set<number>();
  while (picked.size < Math.min(count, below)) picked.add(Math.floor(random() * below));
  return [...picked];
}

export interface ScalePhase {
  readonly label: string;
  readonly latency: LatencySummary;
  readonly failed: number;
  readonly example: string;
}

export interface RestartFigures {
  /** From spawning the process to its first healthy answer. */
  readonly seconds: number;
  readonly firstFlagsMs: number;
  /** Of the process tree, after the first /flags answer. */
  readonly rss: number;
  readonly exitCode: number | null;
}

/** Starts a server on the stopped one's data, asks one /flags, stops it. */
async function measureRestart(startAgain: (dataDir: string) => Promise<TestServer>, dataDir: string): Promise<RestartFigures> {
  const started = performance.now();
  const server = await startAgain(dataDir);
  try {
    const seconds = (performance.now() - started) / 1000;
    const url = new URL('/flags/?v=2', server.url);
    const connection = new RawHttpConnection(url);
    const t0 = performance.now();
    const res = await connection.request(postRequestBytes(url, JSON.stringify({ token: server.token, distinct_id: personId(0), groups: { company: companyKey(0) } })));
    const firstFlagsMs = performance.now() - t0;
    connection.close();
    if (res.status !== 200) throw new Error(`/flags after restart answered ${res.status}`);
    return { seconds, firstFlagsMs, rss: readProcessTreeRss(server.pid), exitCode: await server.stop() };
  } catch (error) {
    await server.kill9();
    throw error;
  }
}

export interface ScaleResult {
  readonly options: ScaleBenchOptions;
  readonly generateSeconds: number;
  readonly load: IngestResult;
  readonly rssAfterLoad: number;
  readonly rssPeakDuringLoad: number;
  readonly flagsCount: number;
  readonly phases: ScalePhase[];
  readonly verified: number;
  /** Of the checked answers, how many should be enabled (so that a check of all-false can't pass by luck). */
  readonly expectedEnabled: number;
  readonly mismatches: string[];
  readonly rssAfterFlags: number;
  readonly rssPeak: number;
  readonly stopSeconds: number;
  readonly exitCode: number | null;
  readonly stored: number | null;
  readonly restart: RestartFigures | null;
  /** Why the restart did not answer (e.g. not healthy within startServer's 30 s). */
  readonly restartError: string | null;
  readonly ok: boolean;
}

export async function runScaleBench(
  server: TestServer,
  options: ScaleBenchOptions,
  log: (line: string) => void,
  startAgain?: (dataDir: string) => Promise<TestServer>,
): Promise<ScaleResult> {
  const random = rng(options.seed + 1);
  const plans = personPlans(options);
  const pick = (n: number) => Math.floor(random() * n);

  log(`scale: generating ${formatInt(options.groups)} companies and ${formatInt(options.persons)} persons...`);
  const generateStarted = performance.now();
  const { first, traffic } = await loadTraffic(server.token, options, plans);
  const generateSeconds = (performance.now() - generateStarted) / 1000;
  log(`generated ${formatInt(traffic.bodies.length)} gzipped requests (${formatBytes(traffic.gzippedBytes)}) in ${formatSeconds(generateSeconds)}`);

  // Group types get their index in the order first seen: the company type must be index 0.
  const agent = new http.Agent({ keepAlive: true });
  const firstAnswer = await post(agent, new URL('/batch/', server.url), first);
  agent.destroy();
  if (firstAnswer.status !== 200) throw new Error(`/batch answered ${firstAnswer.status}: ${firstAnswer.body.slice(0, 300)}`);
  const load = await runIngestBench(
    server,
    { ...defaultIngestOptions, events: traffic.events, batchSize: options.batchSize, concurrency: options.senders, progress: options.progress },
    { traffic, seconds: generateSeconds },
  );
  const rssAfterLoad = readProcessTreeRss(server.pid);

  const definitions = [...flagDefinitions(23, 24), ...CHECKED_FLAGS];
  await createFlags(server, definitions);

  const url = new URL('/flags/?v=2', server.url);
  // Only the distinct id and the company: the conditions must read the stored properties.
  const request = (distinctId: string, company = pick(options.groups)) =>
    postRequestBytes(url, JSON.stringify({ token: server.token, distinct_id: distinctId, groups: { company: companyKey(company) } }));
  const phases: ScalePhase[] = [];
  const phase = async (label: string, requests: Buffer[]) => {
    log(`scale: /flags, ${label}...`);
    phases.push({ label, ...(await timeRequests(url, options.clients, requests)) });
  };
  await phase(
    `cold persons (loaded in the first half, asked once each)`,
    sample(options.coldAsks, Math.max(1, Math.floor(options.persons / 2)), random).map((i) => request(personId(i))),
  );
  const warm = Array.from({ length: Math.min(options.warmPersons, options.persons) }, (_, k) => request(personId(options.persons - 1 - k)));
  await timeRequests(url, options.clients, warm);
  await phase(`warm persons (${formatInt(warm.length)}, asked ${options.warmRounds} more times each)`, Array.from({ length: options.warmRounds }, () => warm).flat());
  await phase(`anonymous (new distinct ids)`, Array.from({ length: options.anonymousAsks }, (_, k) => request(`anon-scale-${k}`)));

  // Answers: half of the checked persons from the cold half, half from anywhere.
  const checked = [
    ...sample(Math.ceil(options.verifyPersons / 2), Math.max(1, Math.floor(options.persons / 2)), random),
    ...sample(Math.floor(options.verifyPersons / 2), options.persons, random),
  ];
  const connection = new RawHttpConnection(url);
  const mismatches: string[] = [];
  let expectedEnabled = 0;
  let flagsCount = 0;
  try {
    for (const i of checked) {
      const company = pick(options.groups);
      const res = await connection.request(request(personId(i), company), true);
      if (res.status !== 200) throw new Error(`/flags answered ${res.status}: ${res.body?.toString('utf8').slice(0, 300)}`);
      const answer = (JSON.parse(res.body!.toString('utf8')) as FlagsAnswer).flags;
      flagsCount = Object.keys(answer).length;
      const expected: Record<string, boolean> = {
        'scale-plan-pro': personSet(i, plans).plan === 'pro',
        'scale-email-acme': personSet(i, plans).email.toLowerCase().includes('acme'),
        'scale-company-pro': companyProps(company).plan === 'pro',
      };
      for (const [key, value] of Object.entries(expected)) {
        if (value) expectedEnabled++;
        if (answer[key]?.enabled !== value) mismatches.push(`${personId(i)} / ${companyKey(company)}: ${key} is ${answer[key]?.enabled}, expected ${value}`);
      }
    }
  } finally {
    connection.close();
  }
  const rssAfterFlags = readProcessTreeRss(server.pid);
  const rssPeak = Math.max(readProcessMemory(server.pid)?.peakRss ?? 0, load.serverRssPeak, rssAfterFlags);

  const stopStarted = performance.now();
  const exitCode = await server.stop();
  const stopSeconds = (performance.now() - stopStarted) / 1000;
  const stored = exitCode === 0 ? await countStoredEvents(server.dataDir) : null;

  let restart: RestartFigures | null = null;
  let restartError: string | null = null;
  if (startAgain && exitCode === 0) {
    log('scale: restarting on the same data...');
    try {
      restart = await measureRestart(startAgain, server.dataDir);
    } catch (error) {
      // startServer has killed a server that did not become healthy in time; report it.
      restartError = error instanceof Error ? error.message.split('\n')[0] : String(error);
    }
  }

  const ok =
    load.failedRequests === 0 &&
    phases.every((p) => p.failed === 0) &&
    mismatches.length === 0 &&
    expectedEnabled > 0 &&
    flagsCount === definitions.length &&
    stored === load.acknowledged + 1 &&
    restartError === null &&
    (restart === null || restart.exitCode === 0);
  return {
    options,
    generateSeconds,
    load,
    rssAfterLoad,
    rssPeakDuringLoad: load.serverRssPeak,
    flagsCount,
    phases,
    verified: checked.length,
    expectedEnabled,
    mismatches,
    rssAfterFlags,
    rssPeak,
    stopSeconds,
    exitCode,
    stored,
    restart,
    restartError,
    ok,
  };
}

export function scaleRows(r: ScaleResult): ResultRow[] {
  const row = (metric: string, value: string): ResultRow => ({ section: 'scale', metric, value });
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const o = r.options;
  const rows = [
    row(
      'load through /batch',
      `${formatInt(o.groups)} companies + ${formatInt(o.persons)} persons, ${o.senders} senders, ${formatInt(o.batchSize)} per gzip request, ` +
        `${formatInt(r.load.acknowledged + 1)} acknowledged, ${formatInt(r.load.failedRequests)} failed requests, ${formatInt(r.load.retried503)} 503s sent again`,
    ),
    row('ingest rate while loading', `${formatInt(r.load.eventsPerSecond)} events/s (${formatSeconds(r.load.seconds)}; request p50/p99 ${formatInt(r.load.requestLatencyMs.p50)}/${formatInt(r.load.requestLatencyMs.p99)} ms)`),
    row(
      'server CPU while loading',
      `${r.load.serverCpuSeconds.toFixed(1)} s (${((r.load.serverCpuSeconds / r.load.seconds) * 100).toFixed(0)}% of one core; ` +
        `other processes ${r.load.otherProcessesCpuPercent.toFixed(0)}%)`,
    ),
    row('server RSS after loading (process tree)', mib(r.rssAfterLoad)),
    row('server RSS peak while loading (VmHWM)', mib(r.rssPeakDuringLoad)),
    row('flags', `${r.flagsCount} active (25 person: email, plan, country, age, ...; 25 by company: plan, seats, industry, name)`),
  ];
  for (const p of r.phases) {
    rows.push(
      row(
        `/flags ${p.label}`,
        `p50 ${ms(p.latency.p50)} / p99 ${ms(p.latency.p99)} / max ${ms(p.latency.max)} (${formatInt(p.latency.count)} requests, ${o.clients} clients)` +
          (p.failed > 0 ? `; ${formatInt(p.failed)} failed, e.g. ${p.example}` : ''),
      ),
    );
  }
  rows.push(
    row(
      'answers match the loaded properties',
      r.mismatches.length === 0
        ? `yes: ${r.verified} persons x 3 flags (plan exact pro, email icontains acme, company plan exact pro), ${r.expectedEnabled} of them enabled`
        : `NO: ${r.mismatches.length} of ${r.verified * 3}, e.g. ${r.mismatches.slice(0, 3).join('; ')}`,
    ),
    row('server RSS after the /flags requests', mib(r.rssAfterFlags)),
    row('server RSS peak (VmHWM)', `${mib(r.rssPeak)} (target < 1 GiB: ${r.rssPeak < 1024 ** 3 ? 'met' : 'NOT met'})`),
    row('graceful stop (SIGTERM)', `${formatSeconds(r.stopSeconds)}, exit ${r.exitCode}`),
    row(
      'stored events (read back after stop)',
      r.stored === null ? 'not counted' : `${formatInt(r.stored)} (${r.stored === r.load.acknowledged + 1 ? 'matches acknowledged' : `MISMATCH: ${formatInt(r.load.acknowledged + 1)} acknowledged`})`,
    ),
  );
  if (r.restartError) rows.push(row('restart on the same data', `FAILED: ${r.restartError}`));
  if (r.restart) {
    rows.push(
      row('restart on the same data: healthy after', formatSeconds(r.restart.seconds)),
      row('restart: server RSS after its first /flags (process tree)', mib(r.restart.rss)),
      row('restart: first /flags answer', ms(r.restart.firstFlagsMs)),
    );
  }
  return rows;
}
