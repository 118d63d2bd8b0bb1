// Starts the real server (`src/main.ts`) as a child process for benchmarks, and reads its
// memory and CPU figures from /proc. Like test/support/server.ts, plus extra node flags
// (e.g. --cpu-prof) and process statistics.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchServerOptions {
  /** Extra flags for the server's node process, e.g. ['--cpu-prof', '--cpu-prof-dir=prof']. */
  readonly nodeArgs?: readonly string[];
  /** Modules loaded with --import after tsx (so they may be TypeScript), relative to the repo root. */
  readonly imports?: readonly string[];
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
}

export interface BenchServer {
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly token: string;
  readonly apiKey: string;
  readonly process: ChildProcess;
  /** Server output so far (stdout and stderr). */
  output(): string;
  /** Graceful stop (SIGTERM: drains the ingest queue, checkpoints, exits); resolves with the exit code. */
  stop(): Promise<number | null>;
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

export function benchDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-bench-'));
}

export async function startBenchServer(options: BenchServerOptions = {}): Promise<BenchServer> {
  const port = await freePort();
  const dataDir = options.dataDir ?? benchDataDir();
  const token = 'phc_bench_project_token';
  const apiKey = 'phx_bench_personal_key';
  const imports = (options.imports ?? []).flatMap((m) => ['--import', `./${m}`]);
  // The same flags as `npm start` (package.json), so the benchmark measures what users run.
  const startFlags = ['--max-semi-space-size=32'];
  const child = spawn(process.execPath, [...startFlags, ...(options.nodeArgs ?? []), '--import', 'tsx', ...imports, 'src/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      PRICKLE_DATA_DIR: dataDir,
      PRICKLE_PROJECT_TOKEN: token,
      PRICKLE_PERSONAL_API_KEY: apiKey,
      PRICKLE_LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/_health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become healthy:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    pid: child.pid!,
    dataDir,
    token,
    apiKey,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface ProcessMemory {
  /** Resident set size now, bytes. */
  readonly rss: number;
  /** Peak resident set size since start (VmHWM), bytes. */
  readonly peakRss: number;
}

/** VmRSS and VmHWM of a process, or undefined when it is gone (or /proc is missing). */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
}

/** User + system CPU seconds a process has used so far (Linux /proc, 100 ticks per second). */
export function readProcessCpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may contain spaces) start at field 3 (state).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / 100;
}

/**
 * Seconds the process's threads spent runnable but waiting for a CPU (sum of the run-queue
 * wait in /proc/<pid>/task/<tid>/schedstat): a measure of contention from other processes.
 * Threads that already exited are not counted.
 */
export function readProcessRunQueueWaitSeconds(pid: number): number | undefined {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      // thread gone
    }
  }
  return ns / 1e9;
}

/** Total size of the files in a directory (the DuckDB file and its WAL), bytes. */
export function directorySize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile()) total += fs.statSync(full).size;
    else if (entry.isDirectory()) total += directorySize(full);
  }
  return total;
}

/** Samples a process's RSS periodically; `stop()` returns the highest sample seen. */
export function sampleRss(pid: number, intervalMs = 250): { stop(): number } {
  let max = 0;
  const sample = () => {
    const memory = readProcessMemory(pid);
    if (memory && memory.rss > max) max = memory.rss;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return max;
    },
  };
}
