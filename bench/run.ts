// `npm run bench`: starts the real server in a fresh data directory, runs the benchmark
// sections against it and prints a summary table. Sections live in their own files
// (ingest-bench.ts, query-bench.ts, flags-bench.ts, groups-bench.ts, soak-bench.ts, scale-bench.ts).
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { appenderEventsPerSecond } from './appender-reference.js';
import type { GeneratedTraffic } from './event-generator.js';
import {
  countStoredEvents,
  defaultIngestOptions,
  ingestRows,
  prepareIngestTraffic,
  runIngestBench,
  type IngestBenchOptions,
  type IngestResult,
} from './ingest-bench.js';
import { formatBytes, formatInt, formatSeconds, formatTable, type ResultRow } from './report.js';
import { startServer, type TestServer } from '../test/support/server.js';
import { directorySize } from './server-process.js';
import { defaultDatasetOptions } from './query-dataset.js';
import { loadQueryDataset, queryRows, timeQueriesOnEngine, timeQueriesOverHttp } from './query-bench.js';
import { commonStepsRows, defaultCommonStepsOptions, runCommonStepsByHand, runCommonStepsOnClickHouse, runCommonStepsOverHttp } from './common-steps-funnel.js';
import { defaultGroupsOptions, groupsRows, runGroupsBench } from './groups-bench.js';
import { defaultFlagsOptions, flagsRows, runFlagsBench, setupFlagsData, type FlagsBenchOptions, type FlagsResult } from './flags-bench.js';
import { defaultSoakOptions, prepareSoakTraffic, runSoakBench, soakRows, soakVerdicts, type SoakBenchOptions, type SoakResult } from './soak-bench.js';
import { defaultScaleOptions, runScaleBench, scaleRows, type ScaleBenchOptions, type ScaleResult } from './scale-bench.js';

/** Durable ingestion throughput the issues ask for on a 2-core machine, by sender count. */
const TARGET_EVENTS_PER_SECOND = 50_000;
const TARGET_EVENTS_PER_SECOND_4_SENDERS = 60_000;

/** Ingest runs without --senders: a few SDK processes with big batches, then many clients. */
const DEFAULT_SENDERS = [4, 32];

/** Events per request when --batch is not given: posthog-node's big batches from few senders. */
const defaultBatchFor = (senders: number) => (senders <= 4 ? 1_000 : defaultIngestOptions.batchSize);

const SECTIONS = ['ingest', 'query', 'flags', 'groups', 'soak', 'scale'];
const DEFAULT_SECTIONS = 'ingest,query,flags,groups';

const usage = `Usage: npm run bench -- [options]

  --events N         events to send per ingest run (default ${formatInt(defaultIngestOptions.events)})
  --senders LIST     concurrent senders, one request in flight each; a comma list runs the ingest
                     section once per value, each on a fresh server (default ${DEFAULT_SENDERS.join(',')})
  --concurrency LIST the same as --senders
  --batch N          events per /batch request (default 1,000 for 4 senders or fewer, else ${defaultIngestOptions.batchSize})
  --companies N      distinct "company" groups (default ${formatInt(defaultIngestOptions.companies)})
  --projects N       distinct "project" groups (default ${formatInt(defaultIngestOptions.projects)})
  --persons N        distinct persons (default ${formatInt(defaultIngestOptions.persons)})
  --seed N           random seed for the generated traffic (default ${defaultIngestOptions.seed})
  --no-appender      skip DuckDB's appender reference after the ingest runs
  --sections LIST    benchmark sections to run, comma-separated: ${SECTIONS.join(', ')}
                     (default ${DEFAULT_SECTIONS}; soak and scale take minutes)
  --query-events N   events loaded for the query section (default ${formatInt(defaultDatasetOptions.events)})
  --query-runs N     timed runs of each query, after one warm-up (default 5)
  --common-steps-events N  events of the query section's "common steps" funnel, loaded into a
                     project of their own (default ${formatInt(defaultCommonStepsOptions.events)}; 0 skips it)
  --flags-clients N  concurrent /flags clients, one request in flight each (default ${defaultFlagsOptions.concurrency})
  --flags-seconds N  timed /flags load, after a ${defaultFlagsOptions.warmupSeconds} s warm-up (default ${defaultFlagsOptions.durationSeconds})
  --soak-seconds N   length of the soak (default ${defaultSoakOptions.seconds})
  --soak-rate N      events/s the soak's ${defaultSoakOptions.senders} senders hold together (default ${formatInt(defaultSoakOptions.rate)})
  --soak-flags-clients N  closed-loop /flags clients during the soak (default ${defaultSoakOptions.flagsClients})
  --scale-persons N  persons loaded by the scale section (default ${formatInt(defaultScaleOptions.persons)})
  --scale-groups N   companies loaded by the scale section (default ${formatInt(defaultScaleOptions.groups)})
  --node-arg ARG     extra flag for the server's node process, repeatable
                     (e.g. --node-arg=--cpu-prof --node-arg=--cpu-prof-dir=prof)
  --env KEY=VALUE    extra environment variable for the server, repeatable
                     (e.g. --env UV_THREADPOOL_SIZE=8)
  --keep-data        keep the servers' data directories (printed at the end)
  --skip-verify      do not count the stored events after the server stopped
  --no-progress      no progress bar
  --json             print the results as JSON on stdout instead of a table
  -h, --help         this help
`;

function usageError(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replaceAll('_', '').replaceAll(',', ''));
  if (!Number.isInteger(n) || n <= 0) usageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** A comma list of positive integers (so no thousands separators here). */
function positiveIntList(name: string, value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  return value.split(',').map((item) => positiveInt(name, item.trim(), 0));
}

interface IngestRun {
  readonly options: IngestBenchOptions;
  readonly result: IngestResult;
  readonly stopSeconds: number;
  readonly stored: number | null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      batch: { type: 'string' },
      senders: { type: 'string' },
      concurrency: { type: 'string' },
      companies: { type: 'string' },
      projects: { type: 'string' },
      persons: { type: 'string' },
      seed: { type: 'string' },
      'no-appender': { type: 'boolean' },
      sections: { type: 'string' },
      'query-events': { type: 'string' },
      'query-runs': { type: 'string' },
      'common-steps-events': { type: 'string' },
      'flags-clients': { type: 'string' },
      'flags-seconds': { type: 'string' },
      'soak-seconds': { type: 'string' },
      'soak-rate': { type: 'string' },
      'soak-flags-clients': { type: 'string' },
      'scale-persons': { type: 'string' },
      'scale-groups': { type: 'string' },
      'node-arg': { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      'keep-data': { type: 'boolean' },
      'skip-verify': { type: 'boolean' },
      'no-progress': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  if (values.senders !== undefined && values.concurrency !== undefined) usageError('--senders and --concurrency are the same option: give one');
  const d = defaultIngestOptions;
  const ingestRuns: IngestBenchOptions[] = positiveIntList('senders', values.senders ?? values.concurrency, DEFAULT_SENDERS).map((senders) => ({
    events: positiveInt('events', values.events, d.events),
    batchSize: positiveInt('batch', values.batch, defaultBatchFor(senders)),
    concurrency: senders,
    companies: positiveInt('companies', values.companies, d.companies),
    projects: positiveInt('projects', values.projects, d.projects),
    persons: positiveInt('persons', values.persons, d.persons),
    seed: positiveInt('seed', values.seed, d.seed),
    progress: !values['no-progress'],
  }));
  const serverEnv: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) usageError(`--env must be KEY=VALUE, got "${pair}"`);
    serverEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const sections = new Set((values.sections ?? DEFAULT_SECTIONS).split(',').map((x) => x.trim()));
  for (const section of sections) if (!SECTIONS.includes(section)) usageError(`unknown section "${section}"`);

  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  log(`machine: ${os.cpus().length} cores, load average ${load}, node ${process.version}`);
  let current: TestServer | undefined;
  const abort = () => {
    current?.process.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);

  /** Runs `body` against a fresh server; kills it if `body` throws; removes its data afterwards. */
  const withServer = async <T>(label: string, body: (server: TestServer) => Promise<T>): Promise<T> => {
    const server = await startServer({
      token: `phc_bench_${label}_token`,
      apiKey: `phx_bench_${label}_key`,
      nodeArgs: values['node-arg'] ?? [],
      env: serverEnv,
    });
    current = server;
    log(`${label}: server pid ${server.pid} at ${server.url}, data in ${server.dataDir}`);
    try {
      return await body(server);
    } catch (error) {
      await server.kill9();
      throw error;
    } finally {
      if (values['keep-data']) log(`${label}: data kept in ${server.dataDir}`);
      else fs.rmSync(server.dataDir, { recursive: true, force: true });
    }
  };

  const rows: ResultRow[] = [];
  let ok = true;
  const ingestResults: IngestRun[] = [];
  let appenderReference: number | undefined;
  let referenceTraffic: GeneratedTraffic | undefined;
  if (sections.has('ingest')) {
    for (const ingestOptions of ingestRuns) {
      const label = `ingest-${ingestOptions.concurrency}`;
      const section = `ingest (${ingestOptions.concurrency} senders)`;
      log(
        `${label}: generating ${formatInt(ingestOptions.events)} events in requests of ${formatInt(ingestOptions.batchSize)} ` +
          `(${formatInt(ingestOptions.companies)} companies, ${formatInt(ingestOptions.projects)} projects, ${formatInt(ingestOptions.persons)} persons)...`,
      );
      const prepared = await prepareIngestTraffic(`phc_bench_${label}_token`, ingestOptions);
      log(
        `generated ${formatInt(prepared.traffic.bodies.length)} gzipped requests ` +
          `(${formatBytes(prepared.traffic.gzippedBytes)}) in ${formatSeconds(prepared.seconds)}`,
      );
      const run = await withServer(label, async (server): Promise<IngestRun> => {
        const result = await runIngestBench(server, ingestOptions, prepared);
        // Graceful stop: drains the ingest queue, checkpoints DuckDB, exits.
        const stopStarted = performance.now();
        const exitCode = await server.stop();
        const stopSeconds = (performance.now() - stopStarted) / 1000;
        const sectionRows = ingestRows(result, ingestOptions).map((r) => ({ ...r, section }));
        const target = ingestOptions.concurrency === 4 ? TARGET_EVENTS_PER_SECOND_4_SENDERS : TARGET_EVENTS_PER_SECOND;
        sectionRows.push(
          { section, metric: `target >= ${formatInt(target)} events/s durable`, value: result.eventsPerSecond >= target ? 'met' : 'NOT met' },
          { section, metric: 'graceful stop (SIGTERM, checkpoint)', value: `${formatSeconds(stopSeconds)}, exit ${exitCode}` },
          { section, metric: 'data dir size after stop', value: formatBytes(directorySize(server.dataDir)) },
        );
        if (result.failedRequests > 0 || exitCode !== 0) ok = false;
        if (exitCode !== 0) log(`server output:\n${server.output()}`);
        let stored: number | null = null;
        if (!values['skip-verify'] && exitCode === 0) {
          stored = await countStoredEvents(server.dataDir);
          const matches = stored === result.acknowledged;
          if (!matches) ok = false;
          sectionRows.push({
            section,
            metric: 'stored events (read back after stop)',
            value: `${formatInt(stored)} (${matches ? 'matches acknowledged' : `MISMATCH: ${formatInt(result.acknowledged)} acknowledged`})`,
          });
        }
        rows.push(...sectionRows);
        return { options: ingestOptions, result, stopSeconds, stored };
      });
      ingestResults.push(run);
      referenceTraffic ??= prepared.traffic;
    }
    if (referenceTraffic && !values['no-appender']) {
      // The first run's events through DuckDB's appender into a fresh file, no server around.
      appenderReference = await appenderEventsPerSecond(referenceTraffic);
      rows.push({
        section: 'ingest reference',
        metric: 'DuckDB appender, same events, fresh file',
        value: `${formatInt(appenderReference)} events/s (uuid, event, distinct_id, timestamp, properties JSON; no HTTP, persons or groups)`,
      });
    }
  }

  if (sections.has('query')) {
    // A fresh server: the query dataset is loaded through the capture API like any traffic.
    // 0 skips the common-steps funnel (and its million events).
    const commonStepsEvents = values['common-steps-events'] === '0' ? 0 : positiveInt('common-steps-events', values['common-steps-events'], defaultCommonStepsOptions.events);
    const queryOptions = {
      dataset: { ...defaultDatasetOptions, events: positiveInt('query-events', values['query-events'], defaultDatasetOptions.events) },
      repetitions: positiveInt('query-runs', values['query-runs'], 5),
      concurrency: 16,
      progress: !values['no-progress'],
    };
    await withServer('query', async (server) => {
      log(`query: loading ${formatInt(queryOptions.dataset.events)} events...`);
      const loaded = await loadQueryDataset(server, queryOptions);
      const { timings, rssPeak } = await timeQueriesOverHttp(server, queryOptions.repetitions);
      const commonSteps = { ...defaultCommonStepsOptions, events: commonStepsEvents, repetitions: queryOptions.repetitions, progress: queryOptions.progress };
      if (commonSteps.events > 0) log(`query: loading ${formatInt(commonSteps.events)} events for the common-steps funnel...`);
      const commonStepsApi = commonSteps.events > 0 ? await runCommonStepsOverHttp(server, commonSteps) : undefined;
      if ((await server.stop()) !== 0) ok = false;
      const engine = await timeQueriesOnEngine(server.dataDir, queryOptions.repetitions);
      rows.push(...queryRows(loaded, timings, engine, rssPeak));
      if (commonStepsApi) {
        const hand = await runCommonStepsByHand(server.dataDir, commonSteps, commonStepsApi.projectId, commonStepsApi.from, commonStepsApi.to);
        const clickhouse = await runCommonStepsOnClickHouse(server.dataDir, commonSteps, commonStepsApi.projectId, commonStepsApi.from, commonStepsApi.to);
        rows.push(...commonStepsRows(commonSteps, commonStepsApi, hand, clickhouse));
      }
    });
  }

  let flags: FlagsResult | undefined;
  if (sections.has('flags')) {
    // A fresh server: companies, persons and 200 flags, then closed-loop /flags load.
    const flagsOptions: FlagsBenchOptions = {
      ...defaultFlagsOptions,
      concurrency: positiveInt('flags-clients', values['flags-clients'], defaultFlagsOptions.concurrency),
      durationSeconds: positiveInt('flags-seconds', values['flags-seconds'], defaultFlagsOptions.durationSeconds),
    };
    flags = await withServer('flags', async (server) => {
      log(`flags: creating ${flagsOptions.personFlags + flagsOptions.groupFlags} flags...`);
      const setup = await setupFlagsData(server, flagsOptions);
      log(`flags: ${flagsOptions.concurrency} clients for ${flagsOptions.warmupSeconds} s warm-up + ${flagsOptions.durationSeconds} s...`);
      const result = await runFlagsBench(server, flagsOptions, setup);
      rows.push(...flagsRows(result, flagsOptions));
      if (result.non200 > 0) ok = false;
      if ((await server.stop()) !== 0) ok = false;
      return result;
    });
  }

  if (sections.has('groups')) {
    // A fresh server with 100,000 companies: the Persons & Groups list requests.
    await withServer('groups', async (server) => {
      log(`groups: identifying ${formatInt(defaultGroupsOptions.groups)} companies...`);
      rows.push(...groupsRows(await runGroupsBench(server, defaultGroupsOptions), defaultGroupsOptions));
      if ((await server.stop()) !== 0) ok = false;
    });
  }

  let soak: SoakResult | undefined;
  if (sections.has('soak')) {
    const soakOptions: SoakBenchOptions = {
      ...defaultSoakOptions,
      seconds: positiveInt('soak-seconds', values['soak-seconds'], defaultSoakOptions.seconds),
      rate: positiveInt('soak-rate', values['soak-rate'], defaultSoakOptions.rate),
      flagsClients: positiveInt('soak-flags-clients', values['soak-flags-clients'], defaultSoakOptions.flagsClients),
    };
    log(`soak: generating ${formatInt(soakOptions.rate * soakOptions.seconds)} events (every request distinct)...`);
    const started = performance.now();
    const traffic = await prepareSoakTraffic('phc_bench_soak_token', soakOptions);
    log(`generated ${formatInt(traffic.bodies.length)} gzipped requests (${formatBytes(traffic.gzippedBytes)}) in ${formatSeconds((performance.now() - started) / 1000)}`);
    soak = await withServer('soak', (server) => runSoakBench(server, soakOptions, traffic, log));
    rows.push(...soakRows(soak));
    if (!soakVerdicts(soak).nothingLost || Object.keys(soak.failures).length > 0) ok = false;
  }

  let scale: ScaleResult | undefined;
  if (sections.has('scale')) {
    const scaleOptions: ScaleBenchOptions = {
      ...defaultScaleOptions,
      persons: positiveInt('scale-persons', values['scale-persons'], defaultScaleOptions.persons),
      groups: positiveInt('scale-groups', values['scale-groups'], defaultScaleOptions.groups),
      progress: !values['no-progress'],
    };
    scale = await withServer('scale', (server) =>
      runScaleBench(server, scaleOptions, log, async (dataDir) => {
        current = await startServer({ dataDir, token: server.token, apiKey: server.apiKey, nodeArgs: values['node-arg'] ?? [], env: serverEnv });
        return current;
      }),
    );
    rows.push(...scaleRows(scale));
    if (!scale.ok) ok = false;
  }

  const loadAfter = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  rows.push({ section: 'machine', metric: 'cores / load average (1, 5, 15 min) at end', value: `${os.cpus().length} / ${loadAfter}` });

  if (values.json) process.stdout.write(`${JSON.stringify({ ingest: ingestResults, appenderReference, flags, soak, scale, rows }, null, 2)}\n`);
  else process.stdout.write(`\n${formatTable(rows)}\n`);
  if (!ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
