// A 200 from capture means the events are durable: kill -9 the server (no graceful close) while
// senders are mid-request, restart it on the same data directory, and find every acknowledged event.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { postBatch, SendLedger, wireEvent } from './support/load.js';
import { startServer, tempDataDir, type TestServer } from './support/server.js';

const SENDERS = 8;
const EVENTS_PER_BATCH = 200;
/** Each distinct id gets at most this many batches, so one 1000-event page lists all its events. */
const BATCHES_PER_DISTINCT_ID = 4;
/** Kill once this many events have been acknowledged. */
const KILL_AFTER_ACKNOWLEDGED = 20_000;
const PAGE_LIMIT = 1000;

const servers: TestServer[] = [];
async function start(dataDir: string): Promise<TestServer> {
  const server = await startServer({ dataDir });
  servers.push(server);
  return server;
}

afterEach(async () => {
  const dataDirs = new Set<string>();
  for (const s of servers.splice(0)) {
    await s.stop();
    dataDirs.add(s.dataDir);
  }
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** All stored events of one distinct id, as uuids (the distinct ids are sized to fit one page). */
async function storedUuids(server: TestServer, distinctId: string): Promise<string[]> {
  const res = await server.api(`/api/projects/@current/events/?distinct_id=${encodeURIComponent(distinctId)}&limit=${PAGE_LIMIT}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.next, `events of ${distinctId} fit one page`).toBeNull();
  return res.body.results.map((e: { uuid: string }) => e.uuid);
}

async function expectHealthyAndIngesting(server: TestServer, distinctId: string): Promise<void> {
  const health = await fetch(`${server.url}/_health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  const fresh = wireEvent('after_restart', distinctId, { $groups: { company: 'company-after' } }, new Date());
  const res = await postBatch(server.url, server.token, [fresh], true);
  expect(res.status).toBe(200);
  expect(await storedUuids(server, distinctId)).toEqual([fresh.uuid]);
}

describe('crash durability', () => {
  it('keeps every acknowledged event when killed with -9 under concurrent load', async () => {
    const dataDir = tempDataDir();
    const first = await start(dataDir);
    const ledger = new SendLedger();
    let stopSending = false;
    const baseTime = Date.now() - 60 * 60 * 1000;

    const sender = async (s: number) => {
      for (let batchNo = 0; !stopSending; batchNo++) {
        const distinctId = `crash-s${s}-d${Math.floor(batchNo / BATCHES_PER_DISTINCT_ID)}`;
        const batch = Array.from({ length: EVENTS_PER_BATCH }, (_, i) =>
          wireEvent('crash_test_event', distinctId, { $groups: { company: `company-${s % 3}` }, sender: s, batch: batchNo, seq: i }, new Date(baseTime + batchNo * EVENTS_PER_BATCH + i)),
        );
        // posthog-node gzips by default; send every third batch uncompressed as with disableCompression.
        await ledger.send(first.url, first.token, batch, batchNo % 3 !== 0);
        // After a failure the server is gone: stop sending.
        if (ledger.failedRequests > 0) return;
      }
    };

    const senders = Array.from({ length: SENDERS }, (_, s) => sender(s));
    const deadline = Date.now() + 60_000;
    while (ledger.acknowledgedCount < KILL_AFTER_ACKNOWLEDGED || ledger.inFlight === 0) {
      if (Date.now() > deadline) throw new Error(`only ${ledger.acknowledgedCount} events acknowledged; statuses ${JSON.stringify([...ledger.otherStatuses])}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const inFlightAtKill = ledger.inFlight;
    stopSending = true;
    await first.kill9();
    await Promise.all(senders);

    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(first.process.signalCode).toBe('SIGKILL');
    // Before the kill, nothing was refused (503s or 4xx would make this test meaningless).
    expect([...ledger.otherStatuses]).toEqual([]);
    expect(ledger.acknowledgedCount).toBeGreaterThanOrEqual(KILL_AFTER_ACKNOWLEDGED);

    const second = await start(dataDir);
    const missing: string[] = [];
    const unknown: string[] = [];
    const duplicated: string[] = [];
    let storedUnacknowledged = 0;
    for (const [distinctId, attempted] of ledger.attempted) {
      const acknowledged = ledger.acknowledged.get(distinctId) ?? new Set<string>();
      const stored = await storedUuids(second, distinctId);
      const storedSet = new Set(stored);
      if (storedSet.size !== stored.length) duplicated.push(distinctId);
      for (const uuid of acknowledged) if (!storedSet.has(uuid)) missing.push(`${distinctId}/${uuid}`);
      for (const uuid of storedSet) {
        if (!attempted.has(uuid)) unknown.push(`${distinctId}/${uuid}`);
        else if (!acknowledged.has(uuid)) storedUnacknowledged += 1;
      }
    }
    expect(missing.length, `acknowledged events lost, e.g. ${missing.slice(0, 5).join(', ')}`).toBe(0);
    expect(unknown, 'stored events nobody sent').toEqual([]);
    expect(duplicated, 'distinct ids with an event stored twice').toEqual([]);
    // Requests are all-or-nothing: unacknowledged events that survived come in whole batches.
    expect(storedUnacknowledged % EVENTS_PER_BATCH).toBe(0);

    // Group processing survived with the events: the company type and its $group_0 column.
    const types = await second.api('/api/projects/@current/groups_types/');
    expect(types.body.map((t: { group_type: string }) => t.group_type)).toEqual(['company']);
    const sample = await second.api('/api/projects/@current/events/?distinct_id=crash-s1-d0&limit=1');
    expect(sample.body.results[0].properties.$group_0).toBe('company-1');

    await expectHealthyAndIngesting(second, 'crash-after-restart');
  }, 120_000);

  it('keeps a single acknowledged event when killed with -9 right after the answer', async () => {
    const dataDir = tempDataDir();
    const first = await start(dataDir);
    const event = wireEvent('single_before_kill', 'crash-single', { $groups: { company: 'acme' } }, new Date());
    const res = await postBatch(first.url, first.token, [event], true);
    expect(res.status).toBe(200);
    await first.kill9();
    expect(first.process.signalCode).toBe('SIGKILL');

    const second = await start(dataDir);
    const stored = await second.api('/api/projects/@current/events/?distinct_id=crash-single');
    expect(stored.status).toBe(200);
    expect(stored.body.results).toHaveLength(1);
    expect(stored.body.results[0]).toMatchObject({
      uuid: event.uuid,
      event: 'single_before_kill',
      distinct_id: 'crash-single',
      properties: { $group_0: 'acme', $groups: { company: 'acme' } },
    });
    const persons = await second.api('/api/projects/@current/persons/?distinct_id=crash-single');
    expect(persons.body.results).toHaveLength(1);

    await expectHealthyAndIngesting(second, 'crash-single-after-restart');
  });
});
