// Vitest global setup: every test's scratch files (data directories, stores, logs) go under one
// directory per run, removed when the run ends, so `npm test` leaves nothing in the system's temp
// directory. Test files keep calling os.tmpdir(); TMPDIR, set here before the workers start, points
// it (and the servers and browsers they spawn) at the run's directory. Vitest runs a global setup
// once per project: the first creates the directory, the others find it (nesting would make paths
// too long for Chromium's socket).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MARK = 'PRICKLE_TEST_SCRATCH';

export default function setup(): () => void {
  if (process.env[MARK]) return () => undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-tests-'));
  // Others may pass through (not list): servers some tests run as another user (PostgreSQL as
  // `postgres` when the tests run as root) reach directories they are given inside it.
  fs.chmodSync(dir, 0o711);
  const before = process.env.TMPDIR;
  process.env[MARK] = dir;
  process.env.TMPDIR = dir;
  return () => {
    delete process.env[MARK];
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
