// Starts a throwaway PostgreSQL cluster for tests: Debian's server binaries, initdb into a data
// directory of its own, one postgres process on a free loopback port (no Unix socket), trust
// authentication for loopback, stopped by pid (SIGINT: PostgreSQL's "fast" shutdown). initdb
// refuses to run as root, so as root the cluster belongs to the `postgres` user.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnLogged, untilReady } from '../child.js';
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

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = binDir();
  // Its own directory, which the cluster's owner can reach (the tests' scratch directory lets
  // others through, see scratch-dir.ts).
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-pg-'));
  fs.chmodSync(parent, 0o755);
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
  const server = spawnLogged(postgres, args);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await untilReady(server, 'PostgreSQL', async () => {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  return {
    url,
    port,
    pid: server.process.pid!,
    dataDir,
    stop: async () => {
      // SIGINT is PostgreSQL's fast shutdown. It goes to the postmaster itself (its pid is the
      // first line of postmaster.pid): runuser, when it started it, does not pass SIGINT on.
      if (server.running()) {
        const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        process.kill(postmaster > 0 ? postmaster : server.process.pid!, 'SIGINT');
      }
      const { code, signal } = await server.exited;
      fs.rmSync(parent, { recursive: true, force: true });
      return code ?? signal;
    },
  };
}
