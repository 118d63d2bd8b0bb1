// Starts a throwaway PostgreSQL cluster for tests: Debian's server binaries, initdb into a data
// directory of its own, one postgres process on a free loopback port (no Unix socket), trust
// authentication for loopback, stopped by pid (SIGINT: PostgreSQL's "fast" shutdown). initdb
// refuses to run as root, so as root the cluster belongs to the `postgres` user.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../server.js';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** Fast shutdown, then the data directory is removed; resolves with the exit code or signal. */
  stop(): Promise<number | string | null>;
}

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) {
    const dir = path.join(root, major, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (Debian: apt-get install postgresql)');
}

const asRoot = process.getuid?.() === 0;
/** A command as the cluster's owner: `postgres` when we are root. */
const asOwner = (command: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]);

async function waitForConnection(url: string, exited: () => boolean, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`PostgreSQL exited before accepting connections:\n${output()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms (${String(error)}):\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = binDir();
  // Its own directory, reachable by the owner: under the test run's scratch directory when that
  // directory lets others through, else in the system's temp directory.
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-pg-'));
  fs.chmodSync(parent, 0o755);
  for (let dir = path.dirname(parent); asRoot && dir !== path.dirname(dir); dir = path.dirname(dir)) {
    // Directories of ours on the way (the run's scratch directory is 0700): let the owner through.
    if (path.basename(dir).startsWith('prickle-')) fs.chmodSync(dir, fs.statSync(dir).mode | 0o111);
  }
  const dataDir = path.join(parent, 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  if (asRoot) execFileSync('chown', ['postgres:postgres', dataDir]);
  const [initdb, initArgs] = asOwner(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
  execFileSync(initdb, initArgs, { stdio: 'pipe' });

  const port = await freePort();
  const [postgres, args] = asOwner(path.join(bin, 'postgres'), [
    '-D', dataDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'fsync=on',
  ]);
  const child = spawn(postgres, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitForConnection(url, () => child.exitCode !== null || child.signalCode !== null, () => log);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    port,
    pid: child.pid!,
    dataDir,
    stop: async () => {
      // SIGINT is PostgreSQL's fast shutdown. It goes to the postmaster itself (its pid is the
      // first line of postmaster.pid): runuser, when it started it, does not pass SIGINT on.
      if (child.exitCode === null && child.signalCode === null) {
        const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        process.kill(postmaster > 0 ? postmaster : child.pid!, 'SIGINT');
      }
      const result = await exited;
      fs.rmSync(parent, { recursive: true, force: true });
      return result;
    },
  };
}
