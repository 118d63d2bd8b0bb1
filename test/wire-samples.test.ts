// Replays real requests captured from posthog-js and posthog-node (spec wire samples) against a
// real server, then checks what the events API shows.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const samplesDir = path.resolve(repoRoot, 'test/fixtures/wire-samples');

interface WireSample {
  readonly file: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly gzip: boolean;
  readonly body: unknown;
}

interface RawEvent {
  uuid?: string;
  event: string;
  distinct_id?: unknown;
  timestamp?: string;
  properties?: Record<string, unknown>;
}

interface StoredEvent {
  uuid: string;
  event: string;
  distinct_id: string;
  properties: Record<string, unknown>;
  timestamp: string;
}

const CAPTURE_PATHS = new Set(['/e', '/i/v0/e', '/capture', '/track', '/engage', '/batch']);
const capturePath = (url: string) => url.split('?')[0].replace(/\/+$/, '');

function loadSamples(): WireSample[] {
  const files = fs
    .readdirSync(samplesDir)
    .filter((f) => f.endsWith('.ndjson'))
    .sort();
  return files.flatMap((file) =>
    fs
      .readFileSync(path.join(samplesDir, file), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => ({ file, ...(JSON.parse(line) as Omit<WireSample, 'file'>) })),
  );
}

const samples = loadSamples();
// Flags and remote config are a later issue: only capture requests are replayed here.
const captureSamples = samples.filter((s) => s.method === 'POST' && CAPTURE_PATHS.has(capturePath(s.url)));

function eventsOf(sample: WireSample): RawEvent[] {
  const body = sample.body as { batch?: RawEvent[] } | RawEvent[] | RawEvent;
  if (Array.isArray(body)) return body;
  return 'batch' in body && Array.isArray(body.batch) ? body.batch : [body as RawEvent];
}

function sentAtOf(sample: WireSample): number | undefined {
  const sentAt = (sample.body as { sent_at?: string }).sent_at;
  return sentAt ? Date.parse(sentAt) : undefined;
}

const distinctIdOf = (e: RawEvent) => String(e.distinct_id ?? e.properties?.distinct_id);

let server: RunningServer;
const stored = new Map<string, StoredEvent>();
const statuses: { url: string; file: string; status: number; body: string }[] = [];
let replayStart = 0;
let replayEnd = 0;

beforeAll(async () => {
  server = await startInProcessServer({ token: 'phc_test' });
  replayStart = Date.now();
  for (const sample of captureSamples) {
    const text = JSON.stringify(sample.body);
    const response = await fetch(`${server.url}${sample.url}`, {
      method: sample.method,
      headers: sample.headers,
      body: sample.gzip ? zlib.gzipSync(text) : text,
    });
    statuses.push({ url: sample.url, file: sample.file, status: response.status, body: await response.text() });
  }
  replayEnd = Date.now();
  const res = await server.api<{ results: StoredEvent[] }>('/api/projects/@current/events/?limit=1000');
  expect(res.status).toBe(200);
  for (const event of res.body.results) stored.set(event.uuid, event);
});

afterAll(async () => {
  await server?.stop();
});

describe('wire samples from real SDKs', () => {
  it('finds capture requests from both SDKs in the samples', () => {
    const files = new Set(captureSamples.map((s) => s.file));
    expect([...files].some((f) => f.startsWith('posthog-js'))).toBe(true);
    expect([...files].some((f) => f.startsWith('posthog-node'))).toBe(true);
    expect(captureSamples.some((s) => s.gzip)).toBe(true);
  });

  it('answers 200 to every replayed capture request', () => {
    expect(statuses).toHaveLength(captureSamples.length);
    for (const s of statuses) expect(s, `${s.file} ${s.url}: ${s.body}`).toMatchObject({ status: 200 });
  });

  it('stores every sent event once, with its uuid, name and distinct id', () => {
    const sent = captureSamples.flatMap(eventsOf);
    expect(stored.size).toBe(sent.length);
    for (const event of sent) {
      const found = stored.get(event.uuid!);
      expect(found, `event ${event.event} ${event.uuid}`).toBeDefined();
      expect(found!.event).toBe(event.event);
      expect(found!.distinct_id).toBe(distinctIdOf(event));
    }
  });

  it('puts group keys in $group_N, the first group type seen getting index 0', () => {
    // Replay order: posthog-js first (company, then channel), then posthog-node (company).
    const typeIndex = new Map<string, number>();
    for (const event of captureSamples.flatMap(eventsOf)) {
      const types = [...Object.keys((event.properties?.$groups as Record<string, unknown>) ?? {})];
      if (event.event === '$groupidentify') types.push(String(event.properties?.$group_type));
      for (const type of types) if (!typeIndex.has(type)) typeIndex.set(type, typeIndex.size);
    }
    expect(Object.fromEntries(typeIndex)).toEqual({ company: 0, channel: 1 });

    for (const event of captureSamples.flatMap(eventsOf)) {
      const groups = (event.properties?.$groups as Record<string, string>) ?? {};
      const properties = stored.get(event.uuid!)!.properties;
      const expected: Record<string, string> = {};
      for (const [type, key] of Object.entries(groups)) expected[`$group_${typeIndex.get(type)}`] = key;
      const actual = Object.fromEntries(Object.entries(properties).filter(([k]) => /^\$group_\d$/.test(k)));
      expect(actual, `${event.event} ${event.uuid}`).toEqual(expected);
    }
  });

  it('shows the expected group keys on a posthog-js pageview and a posthog-node event', () => {
    const pageview = [...stored.values()].find((e) => e.event === '$pageview')!;
    expect(pageview.distinct_id).toBe('user-1');
    expect(pageview.properties).toMatchObject({ $group_0: 'company_id_in_your_db', $group_1: 'chan-9' });
    const signedUp = [...stored.values()].find((e) => e.event === 'signed_up')!;
    expect(signedUp.distinct_id).toBe('u1');
    expect(signedUp.properties.$group_0).toBe('c1');
    expect(signedUp.properties).not.toHaveProperty('$group_1');
  });

  it('creates the group types and the groups from $groupidentify', async () => {
    const types = await server.api('/api/projects/@current/groups_types/');
    expect(types.body.map((t: { group_type: string; group_type_index: number }) => [t.group_type, t.group_type_index])).toEqual([
      ['company', 0],
      ['channel', 1],
    ]);
    const companies = await server.api('/api/projects/@current/groups/?group_type_index=0');
    const byKey = Object.fromEntries(companies.body.results.map((g: { group_key: string; group_properties: unknown }) => [g.group_key, g.group_properties]));
    expect(byKey.c1).toEqual({ name: 'Acme', plan: 'pro' });
    expect(byKey.company_id_in_your_db).toMatchObject({ name: 'PostHog', subscription: 'subscription' });
  });

  it('drops the project token from stored properties', () => {
    for (const event of stored.values()) expect(event.properties).not.toHaveProperty('token');
  });

  it('corrects the SDK clock with sent_at: each event keeps its distance to the send time', () => {
    for (const sample of captureSamples) {
      const sentAt = sentAtOf(sample);
      expect(sentAt, `${sample.file} ${sample.url} has sent_at`).toBeDefined();
      for (const event of eventsOf(sample)) {
        const ageAtSend = sentAt! - Date.parse(event.timestamp!);
        const time = Date.parse(stored.get(event.uuid!)!.timestamp);
        // The server clock during the replay was in [replayStart, replayEnd].
        expect(time).toBeGreaterThanOrEqual(replayStart - ageAtSend);
        expect(time).toBeLessThanOrEqual(replayEnd - ageAtSend);
      }
    }
  });
});
