// Starts a current ClickHouse server (the engine of the pinned chdb dev dependency, 26.7) for
// tests, on free loopback ports with a data directory of its own: chdb-server.c, compiled once
// with the system's C compiler into node_modules/.cache, runs a clickhouse-local command line
// that opens the HTTP and native listeners and then keeps the process alive. Stopped by pid.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnLogged, untilReady } from '../child.js';
import { freePort, tempDataDir } from '../server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const SOURCE = path.join(here, 'chdb-server.c');

export interface ClickHouseServer {
  /** The HTTP interface, e.g. http://127.0.0.1:PORT (what @clickhouse/client takes as `url`). */
  readonly url: string;
  readonly tcpPort: number;
  readonly pid: number;
  readonly dataDir: string;
  /** SIGTERM, then waits for the exit; resolves with the exit code or signal. */
  stop(): Promise<number | string | null>;
}

/** The launcher, compiled once per source version. */
function launcher(): string {
  const source = fs.readFileSync(SOURCE);
  const binary = path.join(repoRoot, 'node_modules', '.cache', 'prickle', `chdb-server-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  const partial = `${binary}.${process.pid}`;
  try {
    execFileSync('cc', ['-O2', '-o', partial, SOURCE, '-ldl'], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`compiling ${path.relative(repoRoot, SOURCE)} failed (needs a C compiler: Debian's gcc and libc6-dev): ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
  // Renamed into place, so a concurrent start never runs a half-written file.
  fs.renameSync(partial, binary);
  return binary;
}

async function libchdb(): Promise<string> {
  const { libchdbPath } = (await import('chdb/libchdb')) as { libchdbPath: () => string };
  return libchdbPath();
}

export async function startClickHouseServer(options: { dataDir?: string } = {}): Promise<ClickHouseServer> {
  const dataDir = options.dataDir ?? tempDataDir();
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  // The keep-alive query sleeps a second per row (max_block_size=1) for a day; SIGTERM ends it.
  const args = [
    await libchdb(),
    `--path=${dataDir}`,
    '--listen_host=127.0.0.1',
    `--http_port=${httpPort}`,
    `--tcp_port=${tcpPort}`,
    '--max_block_size=1',
    '--query',
    'SYSTEM START LISTEN HTTP; SYSTEM START LISTEN TCP; SELECT sleepEachRow(1) FROM numbers(86400) FORMAT Null',
  ];
  const server = spawnLogged(launcher(), args);
  const url = `http://127.0.0.1:${httpPort}`;
  await untilReady(server, 'ClickHouse', async () => (await fetch(`${url}/ping`)).ok);
  return {
    url,
    tcpPort,
    pid: server.process.pid!,
    dataDir,
    stop: async () => {
      if (server.running()) server.process.kill('SIGTERM');
      const { code, signal } = await server.exited;
      return code ?? signal;
    },
  };
}
