// A test server's process: its output kept for error messages, its exit awaited, and a wait until
// it answers (server.ts, clickhouse/, postgres/ start theirs with these).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface LoggedChild {
  readonly process: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
}

export function spawnLogged(command: string, args: readonly string[], options: SpawnOptions = {}): LoggedChild {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { process: child, output: () => output, exited, running: () => child.exitCode === null && child.signalCode === null };
}

/**
 * Polls `ready` (false or a throw: not yet) every 100 ms until it holds; kills the process and
 * throws with its output if it exits first or `timeoutMs` passes.
 */
export async function untilReady(c: LoggedChild, what: string, ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!c.running()) throw new Error(`${what} exited before it was ready:\n${c.output()}`);
    let last: unknown;
    try {
      if (await ready()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      c.process.kill('SIGKILL');
      throw new Error(`${what} was not ready within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}:\n${c.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
