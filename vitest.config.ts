import { configDefaults, defineConfig } from 'vitest/config';

// Test tiers (test/README.md): `vitest run` runs them all, `--project <name>` one of them.
/** Tests that start the server as a child process because the process is what they test. */
const PROCESS_TESTS = ['test/crash-durability.test.ts', 'test/upgrade.test.ts', 'test/ingest-query-fairness.test.ts', 'test/clickhouse-server.test.ts', 'test/postgres-server.test.ts'];
const REFERENCE = 'test/reference';
/** Tests that drive Chromium against a server process. */
const BROWSER_TESTS = ['test/browser-*.test.ts', 'test/web-*.test.ts'];

export default defineConfig({
  test: {
    // Integration tests start servers and browsers: give them time, and run at most two files at
    // once on small CI machines.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    pool: 'forks',
    // One scratch directory per run, removed at the end (test/support/scratch-dir.ts).
    globalSetup: ['test/support/scratch-dir.ts'],
    projects: [
      // The independent reference under test/reference needs no server either.
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', `${REFERENCE}/**/*.test.ts`] } },
      // Every other file under test/ is an API test against an in-process server.
      {
        extends: true,
        test: {
          name: 'api',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, `${REFERENCE}/**`, ...PROCESS_TESTS, ...BROWSER_TESTS],
          // The libuv pool scripts/start.sh gives the server (engine work and file writes share it);
          // libuv reads this only when the worker process starts, so it is set here, not in a test.
          env: { UV_THREADPOOL_SIZE: '8' },
        },
      },
      { extends: true, test: { name: 'process', include: PROCESS_TESTS } },
      // A page reaches its state through debounced inputs, API reads that wait for commits and
      // renders: on a busy two-core machine that can take longer than expect.poll's default second.
      { extends: true, test: { name: 'browser', include: BROWSER_TESTS, expect: { poll: { timeout: 10_000 } } } },
    ],
  },
});
