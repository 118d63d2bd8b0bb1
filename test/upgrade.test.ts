// An upgrade opens the previous release's data directory with everything intact.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { sendEvents } from './support/query.js';
import { startServer, tempDataDir, type TestServer } from './support/server.js';

const fixture = new URL('./fixtures/data-0.1.0/prickle.duckdb.gz', import.meta.url);
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  if (servers[0]) fs.rmSync(servers[0].dataDir, { recursive: true, force: true });
});

async function open(dataDir: string): Promise<TestServer> {
  const server = await startServer({ dataDir, token: 'phc_upgrade_token', apiKey: 'phx_upgrade_key' });
  servers.push(server);
  return server;
}

async function expectIntact(server: TestServer, extraEvents: number): Promise<void> {
  const persons = await server.api('/api/projects/@current/persons/?limit=200');
  expect(persons.status).toBe(200);
  expect(persons.body.results).toHaveLength(100);
  const user7 = persons.body.results.find((p: { properties: { email?: string } }) => p.properties.email === 'u7@example.com');
  expect([...user7.distinct_ids].sort()).toEqual(['anon-7', 'user-7']);
  const groups = await server.api('/api/projects/@current/groups/?group_type_index=0&limit=100');
  expect(groups.body.results).toHaveLength(20);
  expect(groups.body.results.find((g: { group_key: string }) => g.group_key === 'c3').group_properties).toEqual({ name: 'Company 3', plan: 'pro' });
  const trend = await server.api('/api/projects/@current/query/', {
    method: 'POST',
    body: { query: { kind: 'TrendsQuery', dateRange: { date_from: '2026-11-01', date_to: '2026-11-30' }, series: [{ kind: 'EventsNode', event: 'signed_up', math: 'unique_group', math_group_type_index: 0 }, { kind: 'EventsNode', event: 'page' }] } },
  });
  expect(trend.status, JSON.stringify(trend.body)).toBe(200);
  expect(trend.body.results.map((r: { count: number }) => r.count)).toEqual([20, 600 + extraEvents]);
  const insights = await server.api('/api/projects/@current/insights/');
  expect(insights.body.results.map((i: { name: string }) => i.name)).toEqual(['Signups']);
  const flags = await fetch(`${server.url}/flags/?v=2`, { method: 'POST', body: JSON.stringify({ token: server.token, distinct_id: 'user-3', groups: { company: 'c3' } }) });
  expect((await flags.json()).flags['pro-companies'].enabled).toBe(true);
  const login = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: server.adminEmail, password: server.adminPassword }) });
  expect(login.status).toBe(200);
}

describe('upgrade from 0.1.0', () => {
  it("opens 0.1.0's data directory with persons, groups, events, flags, insights and users intact, and keeps ingesting", async () => {
    const dataDir = tempDataDir();
    fs.writeFileSync(path.join(dataDir, 'prickle.duckdb'), zlib.gunzipSync(fs.readFileSync(fixture)));
    const first = await open(dataDir);
    await expectIntact(first, 0);
    await sendEvents(first, [{ event: 'page', distinct_id: 'user-7', timestamp: '2026-11-20T00:00:00Z', properties: { $groups: { company: 'c7' } } }]);
    await expectIntact(first, 1);
    // Killed, not stopped: the new event comes back from the ingest log or the engine's WAL.
    await first.kill9();
    const second = await open(dataDir);
    await expectIntact(second, 1);
  }, 120_000);

  it('applies acknowledged events still waiting in an ingest log of the first format', async () => {
    // A server of the first ingest-log format answered these, then stopped before its engine
    // committed them: a record ("PRKL") whose JSON line holds the events' fields, their
    // properties texts after it.
    const dataDir = tempDataDir();
    fs.writeFileSync(path.join(dataDir, 'prickle.duckdb'), zlib.gunzipSync(fs.readFileSync(fixture)));
    const events = ['00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-00000000a002'].map((uuid, i) => ({
      uuid,
      event: 'page',
      distinctId: 'user-7',
      timestampMs: Date.parse('2026-11-21T00:00:00Z') + i,
      personless: false,
      groups: { company: 'c7' },
    }));
    const properties = events.map(() => JSON.stringify({ $groups: { company: 'c7' }, $lib: 'posthog-node' }));
    const meta = JSON.stringify({ d: [], t: [], e: events, p: properties.map((text) => Buffer.byteLength(text)) });
    const payload = Buffer.from(`${meta}\n${properties.join('')}`);
    const header = Buffer.alloc(16);
    header.writeUInt32LE(0x4c4b5250, 0);
    header.writeUInt32LE(payload.length, 4);
    header.writeUInt32LE(zlib.crc32(payload), 8);
    header.writeUInt32LE(1, 12);
    fs.mkdirSync(path.join(dataDir, 'ingest-log'));
    fs.writeFileSync(path.join(dataDir, 'ingest-log', '000000000001.log'), Buffer.concat([header, payload]));

    const server = await open(dataDir);
    await expectIntact(server, 2);
    const listed = await server.api('/api/projects/@current/events/?event=page&after=2026-11-20&limit=10');
    expect(listed.body.results.map((e: { id: string }) => e.id).sort()).toEqual(events.map((e) => e.uuid));
  }, 120_000);
});
