// Sustained mixed load on one server: paced posthog-node /batch senders, closed-loop /flags
// clients and a loop of insight queries at the same time, for minutes, with a line every 10 s;
// at the end the server is stopped and the events it stored are counted against those it
// acknowledged.
import http from 'node:http';
import type { TestServer } from '../test/support/server.js';
import { defaultGeneratorOptions, generateTraffic, type GeneratedBody, type GeneratedTraffic } from './event-generator.js';
import { defaultFlagsOptions, flagsRequestSource, setupFlagsData, type FlagsBenchOptions } from './flags-bench.js';
import { post, postGzipBatch } from './http-post.js';
import { countStoredEvents } from './ingest-bench.js';
import { dailyTrend, funnelByCompany } from './insight-queries.js';
import { RawHttpConnection } from './raw-http-client.js';
import { formatBytes, formatInt, formatSeconds, type ResultRow } from './report.js';
import { cpuShares, cpuSnapshot, readProcessMemory, readProcessTreeRss } from './server-process.js';
import { summarizeLatencies, type LatencySummary } from './stats.js';

export interface SoakBenchOptions {
  readonly seconds: number;
  /** Events per second, all senders together. */
  readonly rate: number;
  readonly senders: number;
  readonly batchSize: number;
  readonly flagsClients: number;
  /** Pause between the end of one round of the three queries and the start of the next, ms. */
  readonly queryPauseMs: number;
  /** Seconds between progress lines. */
  readonly reportSeconds: number;
  readonly seed: number;
}

export const defaultSoakOptions: SoakBenchOptions = {
  seconds: 300,
  rate: 20_000,
  senders: 4,
  batchSize: 1_000,
  flagsClients: 8,
  queryPauseMs: 200,
  reportSeconds: 10,
  seed: 42,
};

export const SOAK_TARGETS = {
  /** Acknowledged events/s as a share of the target rate, %. */
  ratePercent: 95,
  flagsP99Ms: 50,
  queryP99Ms: 1_500,
  /** Last-minute RSS peak over the second minute's. */
  rssGrowth: 1.1,
  rssBytes: 1024 ** 3,
};

/** 50 flags, half by person, half aggregated by company, on the ingest traffic's companies. */
export function soakFlagsOptions(options: SoakBenchOptions): FlagsBenchOptions {
  return {
    ...defaultFlagsOptions,
    companies: defaultGeneratorOptions('').companies,
    personFlags: 25,
    groupFlags: 25,
    concurrency: options.flagsClients,
    companyKeyPrefix: 'c',
  };
}

/** The query client's round, in order, as sent to POST /api/projects/@current/query/. */
export const SOAK_QUERIES: Record<string, Record<string, unknown>> = {
  'unique companies, daily, 7 days': dailyTrend({ event: null, math: 'unique_group', math_group_type_index: 0 }, '-7d'),
  'funnel by company, 3 steps': funnelByCompany(['dashboard_viewed', 'insight_created', 'export_started'], '-7d', 1),
  'DAU by company plan, daily, 7 days': dailyTrend({ event: null, math: 'dau' }, '-7d', {
    breakdownFilter: { breakdown: 'plan', breakdown_type: 'group', breakdown_group_type_index: 0 },
  }),
};

/** All the run's /batch bodies, distinct events with unique uuids, made before the server starts. */
export async function prepareSoakTraffic(token: string, options: SoakBenchOptions): Promise<GeneratedTraffic> {
  return generateTraffic({
    ...defaultGeneratorOptions(token),
    events: Math.round(options.rate * options.seconds),
    batchSize: options.batchSize,
    seed: options.seed,
  });
}

export interface SoakWindow {
  readonly elapsedSeconds: number;
  readonly ingestPerSecond: number;
  readonly flags: LatencySummary;
  readonly queries: LatencySummary;
  readonly rss: number;
  readonly eventsBehind: number;
  /** CPU, % of one core: the server, this bench process, all other processes; and the time the
   *  server's threads were runnable without a CPU (summed over threads). */
  readonly cpu: CpuUse;
}

type CpuUse = ReturnType<typeof cpuShares>;

export interface SoakResult {
  readonly options: SoakBenchOptions;
  readonly flagsCount: number;
  readonly setupCompanies: number;
  readonly setupPersons: number;
  readonly setupEvents: number;
  readonly setupSeconds: number;
  /** From the first request to the last answer. */
  readonly seconds: number;
  readonly windows: SoakWindow[];
  readonly sent: number;
  readonly acknowledged: number;
  /** Events scheduled but not sent when the time was up. */
  readonly eventsBehindAtEnd: number;
  readonly maxEventsBehind: number;
  readonly batchLatency: LatencySummary;
  /** 503s from capture, each retried after Retry-After. */
  readonly retried503: number;
  /** Other non-2xx answers and network errors, by status or error code. */
  readonly failures: Record<string, { count: number; example: string }>;
  readonly unacknowledged: number;
  readonly flags: LatencySummary;
  readonly queries: LatencySummary;
  readonly queriesByName: Record<string, LatencySummary>;
  readonly lastAnswers: Record<string, string>;
  /** Over the whole run. */
  readonly cpu: CpuUse;
  readonly rssWindowSeconds: number;
  readonly rssSecondWindowPeak: number;
  readonly rssLastWindowPeak: number;
  readonly rssMax: number;
  readonly stopSeconds: number;
  readonly exitCode: number | null;
  /** Events in the table after the stop; null when the server did not stop cleanly. */
  readonly stored: number | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Latencies of the current window and of the whole run. */
class Latencies {
  window: number[] = [];
  readonly all: number[] = [];
  add(ms: number): void {
    this.window.push(ms);
    this.all.push(ms);
  }
  takeWindow(): LatencySummary {
    const summary = summarizeLatencies(this.window);
    this.window = [];
    return summary;
  }
}

/** Sets up companies, persons and flags, runs the mixed load, stops the server and counts. */
export async function runSoakBench(
  server: TestServer,
  options: SoakBenchOptions,
  traffic: GeneratedTraffic,
  log: (line: string) => void,
): Promise<SoakResult> {
  const flagsOptions = soakFlagsOptions(options);
  const setup = await setupFlagsData(server, flagsOptions);
  const setupEvents = flagsOptions.companies + flagsOptions.persons;

  const batchUrl = new URL('/batch/', server.url);
  const flagsUrl = new URL('/flags/?v=2', server.url);
  const queryUrl = new URL('/api/projects/@current/query/', server.url);
  const batchAgent = new http.Agent({ keepAlive: true, maxSockets: options.senders });
  const queryAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const queryHeaders = { authorization: `Bearer ${server.apiKey}` };
  const queries = Object.entries(SOAK_QUERIES).map(([name, query]) => ({ name, body: JSON.stringify({ query }) }));
  const nextFlagsRequest = flagsRequestSource(flagsUrl, server.token, flagsOptions);
  const connections = Array.from({ length: options.flagsClients }, () => new RawHttpConnection(flagsUrl));

  // Before the clock: every query answers, and /flags answers all 50 flags.
  for (const q of queries) {
    const res = await post(queryAgent, queryUrl, q.body, queryHeaders);
    if (res.status !== 200) throw new Error(`${q.name}: ${res.status} ${res.body.slice(0, 300)}`);
  }
  const probe = await connections[0].request(nextFlagsRequest(0), true);
  const probeText = probe.body?.toString('utf8') ?? '';
  if (probe.status !== 200) throw new Error(`/flags answered ${probe.status}: ${probeText.slice(0, 300)}`);
  const flagsCount = Object.keys((JSON.parse(probeText) as { flags: object }).flags).length;
  if (flagsCount !== setup.flags) throw new Error(`/flags answered ${flagsCount} flags, ${setup.flags} were created`);

  const failures: Record<string, { count: number; example: string }> = {};
  const fail = (key: string, example: string) => void ((failures[key] ??= { count: 0, example: example.slice(0, 300) }).count++);
  const flagsLatency = new Latencies();
  const queryLatency = new Latencies();
  const queryByName = new Map(queries.map((q) => [q.name, [] as number[]]));
  const batchLatency: number[] = [];
  const lastAnswers: Record<string, string> = {};
  let acknowledged = 0;
  let windowAcknowledged = 0;
  let sent = 0;
  let retried503 = 0;
  let unacknowledged = 0;
  let maxEventsBehind = 0;
  let done = false;

  const durationMs = options.seconds * 1000;
  // Open-loop pacing: request k of the whole run is due at k * interval; sender s sends
  // requests s, s + senders, ...; one that falls behind sends at once, never two at a time.
  const intervalMs = (options.batchSize / options.rate) * 1000;
  const started = performance.now();
  const scheduledEvents = (now: number) => Math.min(traffic.events, (Math.floor((now - started) / intervalMs) + 1) * options.batchSize);
  const eventsBehind = (now: number) => Math.max(0, scheduledEvents(now) - sent);

  const send = async (body: GeneratedBody) => {
    for (;;) {
      const t0 = performance.now();
      try {
        const res = await postGzipBatch(batchAgent, batchUrl, body.gzipped);
        batchLatency.push(performance.now() - t0);
        if (res.status === 200) {
          acknowledged += body.events;
          windowAcknowledged += body.events;
          return;
        }
        if (res.status !== 503) {
          fail(`/batch ${res.status}`, res.body);
          unacknowledged += body.events;
          return;
        }
        // Retryable: the server is behind. Wait as told (default 1 s) and send it again, for
        // up to a minute past the end of the run.
        retried503++;
        if (performance.now() - started > durationMs + 60_000) {
          fail('/batch 503, given up a minute after the end', res.body);
          unacknowledged += body.events;
          return;
        }
        const after = Number(res.headers['retry-after']);
        await sleep((Number.isFinite(after) && after > 0 ? after : 1) * 1000);
      } catch (error) {
        const err = error as NodeJS.ErrnoException;
        fail(`/batch ${err.code ?? err.name}`, err.message);
        unacknowledged += body.events;
        return;
      }
    }
  };
  const sender = async (s: number) => {
    for (let k = s; k < traffic.bodies.length; k += options.senders) {
      const wait = started + k * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      if (performance.now() - started >= durationMs) return; // the rest counts as behind
      sent += traffic.bodies[k].events;
      await send(traffic.bodies[k]);
    }
  };

  const flagsClient = async (connection: RawHttpConnection, index: number) => {
    for (let i = index; !done; i += options.flagsClients) {
      const t0 = performance.now();
      try {
        const res = await connection.request(nextFlagsRequest(i));
        flagsLatency.add(performance.now() - t0);
        if (res.status !== 200) fail(`/flags ${res.status}`, res.body?.toString('utf8') ?? '');
      } catch (error) {
        const err = error as NodeJS.ErrnoException;
        fail(`/flags ${err.code ?? err.name}`, err.message);
        return;
      }
    }
  };

  // Sequential rounds: the next round starts queryPauseMs after the previous one finished.
  const queryClient = async () => {
    while (!done) {
      for (const q of queries) {
        if (done) break;
        const t0 = performance.now();
        try {
          const res = await post(queryAgent, queryUrl, q.body, queryHeaders);
          const ms = performance.now() - t0;
          queryLatency.add(ms);
          queryByName.get(q.name)!.push(ms);
          if (res.status === 200) lastAnswers[q.name] = res.body;
          else fail(`query ${res.status}`, res.body);
        } catch (error) {
          const err = error as NodeJS.ErrnoException;
          fail(`query ${err.code ?? err.name}`, err.message);
        }
      }
      await sleep(options.queryPauseMs);
    }
  };

  const rssSamples: { t: number; rss: number }[] = [];
  const sampleRss = () => rssSamples.push({ t: (performance.now() - started) / 1000, rss: readProcessTreeRss(server.pid) });
  sampleRss();
  const rssTimer = setInterval(sampleRss, 1000);

  const windows: SoakWindow[] = [];
  let windowStarted = started;
  const cpuAtStart = cpuSnapshot(server.pid);
  let cpuBefore = cpuAtStart;
  const report = () => {
    const now = performance.now();
    const cpu = cpuSnapshot(server.pid, cpuBefore);
    const behind = eventsBehind(now);
    maxEventsBehind = Math.max(maxEventsBehind, behind);
    const w: SoakWindow = {
      elapsedSeconds: (now - started) / 1000,
      ingestPerSecond: windowAcknowledged / ((now - windowStarted) / 1000),
      flags: flagsLatency.takeWindow(),
      queries: queryLatency.takeWindow(),
      rss: readProcessTreeRss(server.pid),
      eventsBehind: behind,
      cpu: cpuShares(cpuBefore, cpu),
    };
    windows.push(w);
    windowAcknowledged = 0;
    windowStarted = now;
    cpuBefore = cpu;
    const failed = Object.values(failures).reduce((n, f) => n + f.count, 0);
    log(
      `${w.elapsedSeconds.toFixed(0).padStart(4)} s  ingest ${formatInt(w.ingestPerSecond).padStart(6)} ev/s  ` +
        `flags p50/p99 ${ms(w.flags.p50)}/${ms(w.flags.p99)} n=${formatInt(w.flags.count)}  ` +
        `query p50/p99 ${ms(w.queries.p50)}/${ms(w.queries.p99)} n=${w.queries.count}  ` +
        `rss ${formatBytes(w.rss)}  behind ${formatInt(w.eventsBehind)}  503 ${retried503}  errors ${failed}  cpu ${percents(w.cpu)}`,
    );
  };
  const reportTimer = setInterval(report, options.reportSeconds * 1000);

  log(
    `soak: ${formatInt(options.rate)} events/s from ${options.senders} senders (${formatInt(options.batchSize)} per request), ` +
      `${options.flagsClients} /flags clients, 1 query client, ${options.seconds} s; a line every ${options.reportSeconds} s ` +
      `(503 and errors are totals so far; cpu server/bench/others in % of one core: others above ~20 means the machine is shared)`,
  );
  const senders = Promise.all(Array.from({ length: options.senders }, (_, s) => sender(s)));
  const readers = Promise.all([...connections.map(flagsClient), queryClient()]);
  await sleep(durationMs);
  done = true;
  await Promise.all([senders, readers]);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(reportTimer);
  clearInterval(rssTimer);
  sampleRss();
  const eventsBehindAtEnd = traffic.events - sent;
  const cpu = cpuShares(cpuAtStart, cpuSnapshot(server.pid, cpuAtStart));
  const peakOfMainProcess = readProcessMemory(server.pid)?.peakRss ?? 0;
  for (const connection of connections) connection.close();
  batchAgent.destroy();
  queryAgent.destroy();

  const stopStarted = performance.now();
  const exitCode = await server.stop();
  const stopSeconds = (performance.now() - stopStarted) / 1000;
  const stored = exitCode === 0 ? await countStoredEvents(server.dataDir) : null;

  // RSS: the peak of the second window (the first is warm-up) against the last one's.
  const rssWindowSeconds = Math.min(60, options.seconds / 3);
  const peakBetween = (from: number, to: number) => Math.max(0, ...rssSamples.filter((s) => s.t >= from && s.t <= to).map((s) => s.rss));
  const queriesByName: Record<string, LatencySummary> = {};
  for (const [name, values] of queryByName) queriesByName[name] = summarizeLatencies(values);
  return {
    options,
    flagsCount,
    setupCompanies: flagsOptions.companies,
    setupPersons: flagsOptions.persons,
    setupEvents,
    setupSeconds: setup.seconds,
    seconds,
    windows,
    sent,
    acknowledged,
    eventsBehindAtEnd,
    maxEventsBehind: Math.max(maxEventsBehind, eventsBehindAtEnd),
    batchLatency: summarizeLatencies(batchLatency),
    retried503,
    failures,
    unacknowledged,
    flags: summarizeLatencies(flagsLatency.all),
    queries: summarizeLatencies(queryLatency.all),
    queriesByName,
    lastAnswers,
    cpu,
    rssWindowSeconds,
    rssSecondWindowPeak: peakBetween(rssWindowSeconds, 2 * rssWindowSeconds),
    rssLastWindowPeak: peakBetween(options.seconds - rssWindowSeconds, Infinity),
    rssMax: Math.max(peakOfMainProcess, ...rssSamples.map((s) => s.rss)),
    stopSeconds,
    exitCode,
    stored,
  };
}

function percents(cpu: CpuUse): string {
  return `${cpu.server.toFixed(0)}/${cpu.bench.toFixed(0)}/${cpu.others.toFixed(0)}%`;
}

function ms(x: number): string {
  return x < 10 ? x.toFixed(1) : formatInt(x);
}

/** A short account of a query answer: the last day's value of each series, or the funnel's steps. */
function describeAnswer(text: string | undefined): string {
  if (!text) return 'no answer';
  const results = (JSON.parse(text) as { results: Record<string, unknown>[] }).results;
  if (results.length > 0 && 'data' in results[0]) {
    const today = (r: Record<string, unknown>) => formatInt((r.data as number[]).at(-1) ?? 0);
    const shown = results.slice(0, 4).map((r) => (r.breakdown_value === undefined ? today(r) : `${String(r.breakdown_value)} ${today(r)}`));
    return `today: ${shown.join(', ')}${results.length > 4 ? `, ... (${results.length} series)` : ''}`;
  }
  return `steps ${results.map((s) => formatInt(Number(s.count))).join(' → ')}`;
}

export interface SoakVerdicts {
  readonly rate: boolean;
  readonly flags: boolean;
  readonly queries: boolean;
  readonly rss: boolean;
  readonly nothingLost: boolean;
}

export function soakVerdicts(r: SoakResult): SoakVerdicts {
  const ratePercent = (r.acknowledged / r.options.seconds / r.options.rate) * 100;
  return {
    rate: ratePercent >= SOAK_TARGETS.ratePercent,
    flags: r.flags.p99 < SOAK_TARGETS.flagsP99Ms,
    queries: r.queries.p99 < SOAK_TARGETS.queryP99Ms,
    rss: r.rssLastWindowPeak <= SOAK_TARGETS.rssGrowth * r.rssSecondWindowPeak && r.rssLastWindowPeak < SOAK_TARGETS.rssBytes,
    nothingLost: r.stored === r.acknowledged + r.setupEvents && r.unacknowledged === 0,
  };
}

export function soakRows(r: SoakResult): ResultRow[] {
  const row = (metric: string, value: string): ResultRow => ({ section: 'soak', metric, value });
  const latency = (l: LatencySummary, unit = 'requests') => `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)} ms (${formatInt(l.count)} ${unit})`;
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const o = r.options;
  // Over the schedule's length: the last requests' answers arrive a little after it.
  const rate = r.acknowledged / o.seconds;
  const verdicts = soakVerdicts(r);
  const rows = [
    row('setup (untimed)', `${formatInt(r.setupCompanies)} companies and ${formatInt(r.setupPersons)} persons identified, ${r.flagsCount} flags (25 person, 25 by company) in ${formatSeconds(r.setupSeconds)}`),
    row(
      'load',
      `${formatInt(o.rate)} events/s target from ${o.senders} paced senders (${formatInt(o.batchSize)}/request), ` +
        `${o.flagsClients} closed-loop /flags clients, 1 query client (${o.queryPauseMs} ms between rounds), ${formatSeconds(r.seconds)}`,
    ),
    row('events acknowledged / sent / scheduled', `${formatInt(r.acknowledged)} / ${formatInt(r.sent)} / ${formatInt(r.sent + r.eventsBehindAtEnd)}`),
    row('ingest rate held', `${formatInt(rate)} events/s (${((rate / o.rate) * 100).toFixed(1)}% of target)`),
    row('events behind schedule (max / at end)', `${formatInt(r.maxEventsBehind)} / ${formatInt(r.eventsBehindAtEnd)}`),
    row('/batch latency p50 / p99 / max', latency(r.batchLatency)),
    row('/batch 503s (retried after Retry-After)', formatInt(r.retried503)),
    row('POST /flags/?v=2 p50 / p99 / max', `${latency(r.flags)}, ${formatInt(r.flags.count / r.seconds)} req/s`),
    row('queries p50 / p99 / max (all three)', latency(r.queries, 'queries')),
  ];
  for (const [name, l] of Object.entries(r.queriesByName)) rows.push(row(`  ${name}`, `${latency(l, 'runs')}; last answer ${describeAnswer(r.lastAnswers[name])}`));
  rows.push(row('failed requests (non-2xx other than 503, errors)', formatInt(Object.values(r.failures).reduce((n, f) => n + f.count, 0))));
  for (const [key, f] of Object.entries(r.failures)) rows.push(row(`  ${key}`, `${formatInt(f.count)} e.g. ${f.example.replace(/\s+/g, ' ')}`));
  rows.push(
    row('CPU, % of one core: server / bench / other processes', percents(r.cpu)),
    row("server threads runnable without a CPU", `${r.cpu.serverWait.toFixed(0)}% (summed over threads: its own threads, the bench and others all compete for 2 cores)`),
  );
  const w = `${formatInt(r.rssWindowSeconds)} s`;
  rows.push(
    row(`server RSS peak, 2nd ${w} / last ${w}`, `${mib(r.rssSecondWindowPeak)} / ${mib(r.rssLastWindowPeak)} (x${(r.rssLastWindowPeak / r.rssSecondWindowPeak).toFixed(2)})`),
    row('server RSS max (process tree, sampled; VmHWM)', mib(r.rssMax)),
    row('graceful stop (SIGTERM)', `${formatSeconds(r.stopSeconds)}, exit ${r.exitCode}`),
    row(
      'stored events (read back after stop)',
      r.stored === null
        ? 'not counted (the server did not stop cleanly)'
        : `${formatInt(r.stored)} in the table (${formatInt(r.acknowledged)} acknowledged + ${formatInt(r.setupEvents)} setup: ` +
            `${r.stored === r.acknowledged + r.setupEvents ? 'match' : 'MISMATCH'})`,
    ),
    row(`target rate >= ${SOAK_TARGETS.ratePercent}% of ${formatInt(o.rate)} events/s`, met(verdicts.rate)),
    row(`target /flags p99 < ${SOAK_TARGETS.flagsP99Ms} ms`, met(verdicts.flags)),
    row(`target query p99 < ${formatInt(SOAK_TARGETS.queryP99Ms)} ms`, met(verdicts.queries)),
    row(`target RSS last ${w} peak <= ${SOAK_TARGETS.rssGrowth}x 2nd ${w} peak and < 1 GiB`, met(verdicts.rss)),
    row('target nothing lost (stored = acknowledged, no failed /batch)', met(verdicts.nothingLost)),
  );
  return rows;
}
