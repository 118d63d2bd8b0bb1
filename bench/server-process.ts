// Process statistics of the server under benchmark, read from /proc. The server itself is
// started by test/support/server.ts, as in the tests.
import fs from 'node:fs';
import path from 'node:path';

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

/** The process and all its descendants, from /proc/<pid>/task/<tid>/children (Linux). */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${pids[i]}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        const children = fs.readFileSync(`/proc/${pids[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(' ').map(Number));
      } catch {
        // thread gone
      }
    }
  }
  return pids;
}

/** Sum of VmRSS over a process and its descendants, bytes (0 when it is gone). */
export function readProcessTreeRss(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + (readProcessMemory(p)?.rss ?? 0), 0);
}

/** User + system CPU seconds a process has used so far (Linux /proc, 100 ticks per second). */
export function readProcessCpuSeconds(pid: number): number | undefined {
  return cpuSecondsOf(`/proc/${pid}/stat`);
}

/** The same for the process's main thread alone (its thread id is the process id). */
export function readMainThreadCpuSeconds(pid: number): number | undefined {
  return cpuSecondsOf(`/proc/${pid}/task/${pid}/stat`);
}

function cpuSecondsOf(statFile: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(statFile, 'utf8');
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

/** CPU seconds the whole machine has spent busy so far, all cores together (/proc/stat). */
export function readMachineBusySeconds(): number {
  // cpu  user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** Where the machine's CPU went: the server, this (bench) process, everything else. */
export interface CpuSnapshot {
  readonly atMs: number;
  readonly server: number;
  readonly serverWait: number;
  readonly bench: number;
  readonly machine: number;
}

export function cpuSnapshot(serverPid: number, previous?: CpuSnapshot): CpuSnapshot {
  const bench = process.cpuUsage();
  return {
    atMs: performance.now(),
    server: readProcessCpuSeconds(serverPid) ?? previous?.server ?? 0,
    serverWait: readProcessRunQueueWaitSeconds(serverPid) ?? previous?.serverWait ?? 0,
    bench: (bench.user + bench.system) / 1e6,
    machine: readMachineBusySeconds(),
  };
}

/** Between two snapshots, each as % of one core (the server's wait is summed over its threads). */
export function cpuShares(from: CpuSnapshot, to: CpuSnapshot): { server: number; bench: number; others: number; serverWait: number } {
  const seconds = (to.atMs - from.atMs) / 1000;
  const pct = (x: number) => (Math.max(0, x) / seconds) * 100;
  const server = to.server - from.server;
  const bench = to.bench - from.bench;
  return { server: pct(server), bench: pct(bench), others: pct(to.machine - from.machine - server - bench), serverWait: pct(to.serverWait - from.serverWait) };
}
