// Starts the real server (`src/main.ts`) as a child process on a free port with its own data dir:
// for tests where the process is the point (kill -9, `npm start` itself, upgrades, browsers).
// API tests start it in the test's own process instead (in-process-server.ts).
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnLogged, untilReady } from './child.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A server listening on a loopback port, in this process or another: what the helpers need. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly token: string;
  readonly apiKey: string;
  /** The web app user created at first start. */
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** Private API call with the personal API key; returns status and parsed JSON. */
  api<T = any>(pathname: string, init?: { method?: string; body?: unknown; key?: string | null }): Promise<{ status: number; body: T }>;
  /** Graceful stop: drains ingestion, checkpoints, closes the store. */
  stop(): Promise<unknown>;
}

/** The server as a child process. */
export interface TestServer extends RunningServer {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Output of the server so far (stdout and stderr). */
  output(): string;
  /** Graceful stop (SIGTERM: drains ingestion, checkpoints, exits); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Hard kill, as a crash. */
  kill9(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-test-'));
}

export interface StartOptions {
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
  readonly token?: string;
  readonly apiKey?: string;
  /** Extra flags for the server's node process, e.g. ['--cpu-prof']. */
  readonly nodeArgs?: readonly string[];
}

const ADMIN_EMAIL = 'admin@prickle.test';
const ADMIN_PASSWORD = 'test-admin-password';

/** The server's environment (its whole configuration, src/config.ts) for a test on `port`. */
export function serverEnv(port: number, dataDir: string, token: string, apiKey: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    PRICKLE_DATA_DIR: dataDir,
    PRICKLE_PROJECT_TOKEN: token,
    PRICKLE_PERSONAL_API_KEY: apiKey,
    PRICKLE_ADMIN_EMAIL: ADMIN_EMAIL,
    PRICKLE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    PRICKLE_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** `RunningServer.api`: a private API call with `apiKey` unless told otherwise. */
export function apiClient(url: string, apiKey: string): RunningServer['api'] {
  return async (pathname, init = {}) => {
    const headers: Record<string, string> = {};
    const key = init.key === undefined ? apiKey : init.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${pathname}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

/** What `npm start` runs (package.json), so tests and benchmarks run what users run. */
const START_SCRIPT = path.join(repoRoot, 'scripts', 'start.sh');

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const port = await freePort();
  const dataDir = options.dataDir ?? tempDataDir();
  const token = options.token ?? 'phc_test_project_token';
  const apiKey = options.apiKey ?? 'phx_test_personal_key';
  const server = spawnLogged('sh', [START_SCRIPT, ...(options.nodeArgs ?? [])], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...serverEnv(port, dataDir, token, apiKey, options.env) },
  });
  const child = server.process;
  const url = `http://127.0.0.1:${port}`;
  const exited = server.exited.then(({ code }) => code);
  await untilReady(server, 'server', async () => (await fetch(`${url}/_health`)).ok);

  return {
    url,
    port,
    pid: child.pid!,
    dataDir,
    token,
    apiKey,
    adminEmail: options.env?.PRICKLE_ADMIN_EMAIL ?? ADMIN_EMAIL,
    adminPassword: options.env?.PRICKLE_ADMIN_PASSWORD ?? ADMIN_PASSWORD,
    process: child,
    output: server.output,
    api: apiClient(url, apiKey),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
