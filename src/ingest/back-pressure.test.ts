// Back-pressure: when the engine cannot keep up, capture answers 503 with Retry-After before the
// backlog passes its bound, and every event it answered 200 for reaches the engine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { buildServer } from '../server.js';
import { DuckDBStore } from '../store/duckdb/duckdb-store.js';
import type { IngestCommit, IngestLogPosition, Store } from '../store/store.js';

/** A real store whose commits wait until released, as an engine stuck in a long checkpoint. */
function stalled(store: Store): Store & { release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return Object.assign(Object.create(store) as Store, {
    release: () => release(),
    async commitIngest(commit: IngestCommit, position?: IngestLogPosition) {
      await gate;
      return store.commitIngest(commit, position);
    },
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('capture back-pressure', () => {
  it('answers 503 with Retry-After once the backlog is full, and loses none of the 200s', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-backpressure-'));
    const real = await DuckDBStore.open(dataDir);
    await real.createProject({ id: 1, name: 'One', apiToken: 'phc_backpressure', timezone: 'UTC', createdAt: new Date() });
    const store = stalled(real);
    const config = loadConfig({ PRICKLE_DATA_DIR: dataDir, PRICKLE_MEMORY_LIMIT: '1GB', PRICKLE_LOG_LEVEL: 'silent' });
    const { app, queue } = await buildServer(config, store);
    cleanups.push(async () => {
      await real.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    cleanups.push(async () => {
      store.release();
      await app.close();
      await queue.close();
    });

    const padding = 'x'.repeat(4_000);
    const accepted: string[] = [];
    let refused: { status: number; retryAfter: string | undefined; body: unknown } | undefined;
    for (let request = 0; request < 200 && !refused; request++) {
      const batch = Array.from({ length: 500 }, (_, i) => ({ event: 'load', distinct_id: `user-${request}`, uuid: undefined, properties: { i, padding } }));
      const response = await app.inject({ method: 'POST', url: '/batch', payload: { api_key: 'phc_backpressure', batch }, headers: { 'content-type': 'application/json' } });
      if (response.statusCode === 200) accepted.push(`user-${request}`);
      else refused = { status: response.statusCode, retryAfter: response.headers['retry-after'] as string | undefined, body: response.json() };
    }
    expect(refused, 'the backlog filled up').toBeDefined();
    expect(refused!.status).toBe(503);
    expect(refused!.retryAfter).toBe('1');
    expect(refused!.body).toMatchObject({ code: 'unavailable', detail: 'Ingestion is behind; retry shortly.' });
    // Refused before passing the bound by much: at most one request over it was taken.
    expect(accepted.length * 500 * padding.length).toBeLessThan(config.memory.ingestBacklog + 2 * 500 * (padding.length + 200));

    // The engine recovers: everything answered 200 is stored, and capture accepts again.
    store.release();
    await queue.drain();
    const [row] = await real.query('SELECT count(*) AS n, count(DISTINCT distinct_id) AS ids FROM events', []);
    expect(Number(row.n)).toBe(accepted.length * 500);
    expect(Number(row.ids)).toBe(accepted.length);
    const again = await app.inject({ method: 'POST', url: '/batch', payload: { api_key: 'phc_backpressure', batch: [{ event: 'after', distinct_id: 'after' }] } });
    expect(again.statusCode, again.body).toBe(200);
  }, 120_000);
});
