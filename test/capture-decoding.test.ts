// The capture endpoints over real HTTP: every decoding path of spec 2.2, timestamps (2.3),
// distinct_id rules and the errors bad requests get. One server for the whole file.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import LZString from 'lz-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lz64Bomb } from '../src/ingest/lz64-bomb.test-helper.js';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

let server: RunningServer;
let token: string;

beforeAll(async () => {
  server = await startInProcessServer();
  token = server.token;
});

afterAll(async () => {
  await server?.stop();
});

interface StoredEvent {
  uuid: string;
  event: string;
  distinct_id: string;
  properties: Record<string, unknown>;
  timestamp: string;
}

const json = (value: unknown) => JSON.stringify(value);
const base64 = (data: string | Buffer) => Buffer.from(data).toString('base64');
const uniqueId = (label: string) => `${label}-${randomUUID()}`;

function send(path: string, init: { method?: string; body?: string | Uint8Array<ArrayBuffer>; headers?: Record<string, string> } = {}) {
  return fetch(`${server.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.headers,
    body: init.body,
  });
}

async function expectOk(response: Response): Promise<void> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(JSON.parse(text)).toEqual({ status: 1 });
}

async function eventsOf(distinctId: string): Promise<StoredEvent[]> {
  const res = await server.api<{ results: StoredEvent[] }>(`/api/projects/@current/events/?limit=1000&distinct_id=${encodeURIComponent(distinctId)}`);
  expect(res.status).toBe(200);
  return res.body.results;
}

async function namesOf(distinctId: string): Promise<string[]> {
  return (await eventsOf(distinctId)).map((e) => e.event).sort();
}

/** Everything a bad request must leave alone: all events and all ingestion warnings. */
async function snapshot(): Promise<unknown> {
  const events = await server.api('/api/projects/@current/events/?limit=1000');
  const warnings = await server.api('/api/projects/@current/ingestion_warnings/');
  expect([events.status, warnings.status]).toEqual([200, 200]);
  return { events: events.body, warnings: warnings.body };
}

/** Sends a bad request and checks the status, the PostHog error shape and that nothing was stored. */
async function expectRejected(request: () => Promise<Response>, status: number, code: string, attr: string | null = null) {
  const before = await snapshot();
  const response = await request();
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const body = JSON.parse(text);
  expect(body).toEqual({ type: expect.any(String), code, detail: expect.any(String), attr });
  expect(body.detail).not.toBe('');
  expect(await snapshot()).toEqual(before);
  return body as { type: string; code: string; detail: string; attr: string | null };
}

/** An event for `distinctId` whose base64 JSON contains "+" (which form decoding turns into a space). */
function eventWithPlusInBase64(name: string, distinctId: string) {
  for (let i = 0; ; i++) {
    const event = { event: name, distinct_id: distinctId, properties: { token, pad: '>'.repeat(i), q: '?>?' } };
    const encoded = base64(json(event));
    if (encoded.includes('+')) return { event, encoded };
  }
}

/**
 * A POST that announces `length` bytes of body in Content-Length but sends none of it, and
 * returns the response the server gives on the headers alone.
 */
function announceBody(path: string, length: number, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, 'content-length': String(length) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        req.destroy();
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}


describe('capture decoding (spec 2.2)', () => {
  it('stores a single event object sent as a plain JSON body', async () => {
    const id = uniqueId('plain');
    await expectOk(await send('/e/', { body: json({ event: 'plain_json', distinct_id: id, properties: { token, plan: 'pro' } }), headers: { 'content-type': 'application/json' } }));
    const [stored] = await eventsOf(id);
    expect(stored.event).toBe('plain_json');
    expect(stored.properties.plan).toBe('pro');
    expect(stored.properties).not.toHaveProperty('token');
  });

  it('stores every event of an array body', async () => {
    const id = uniqueId('array');
    const events = ['first', 'second', 'third'].map((event) => ({ event, distinct_id: id, properties: { token } }));
    await expectOk(await send('/batch/', { body: json(events), headers: { 'content-type': 'application/json' } }));
    expect(await namesOf(id)).toEqual(['first', 'second', 'third']);
  });

  it('accepts a single event carrying its token at the top level', async () => {
    const id = uniqueId('top-token');
    await expectOk(await send('/capture/', { body: json({ event: 'top_token', distinct_id: id, token }) }));
    await expectOk(await send('/capture/', { body: json({ event: 'top_api_key', distinct_id: id, api_key: token }) }));
    expect(await namesOf(id)).toEqual(['top_api_key', 'top_token']);
  });

  it('accepts an envelope with api_key', async () => {
    const id = uniqueId('api-key');
    await expectOk(await send('/batch/', { body: json({ api_key: token, batch: [{ event: 'env_api_key', distinct_id: id }] }) }));
    expect(await namesOf(id)).toEqual(['env_api_key']);
  });

  it('accepts an envelope with token', async () => {
    const id = uniqueId('token');
    await expectOk(await send('/batch/', { body: json({ token, batch: [{ event: 'env_token', distinct_id: id }] }) }));
    expect(await namesOf(id)).toEqual(['env_token']);
  });

  it('lets the envelope token win over tokens inside the events', async () => {
    const id = uniqueId('env-wins');
    const batch = [{ event: 'env_wins', distinct_id: id, properties: { token: 'phc_something_else' } }];
    await expectOk(await send('/batch/', { body: json({ api_key: token, batch }) }));
    expect(await namesOf(id)).toEqual(['env_wins']);
  });

  it('gunzips a body recognised by its magic bytes, with no hint at all', async () => {
    const id = uniqueId('gzip-magic');
    const body = zlib.gzipSync(json({ api_key: token, batch: [{ event: 'gzip_magic', distinct_id: id }] }));
    await expectOk(await send('/e/', { body, headers: { 'content-type': 'text/plain' } }));
    expect(await namesOf(id)).toEqual(['gzip_magic']);
  });

  it('gunzips a body sent with ?compression=gzip-js', async () => {
    const id = uniqueId('gzip-js');
    const body = zlib.gzipSync(json([{ event: 'gzip_js', distinct_id: id, properties: { token } }]));
    await expectOk(await send('/e/?compression=gzip-js&ver=1.2.3', { body, headers: { 'content-type': 'text/plain' } }));
    expect(await namesOf(id)).toEqual(['gzip_js']);
  });

  it('gunzips a body sent with Content-Encoding: gzip', async () => {
    const id = uniqueId('content-encoding');
    const body = zlib.gzipSync(json({ api_key: token, batch: [{ event: 'content_encoding_gzip', distinct_id: id }] }));
    await expectOk(await send('/batch/', { body, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }));
    expect(await namesOf(id)).toEqual(['content_encoding_gzip']);
  });

  it('decodes a body that is strict base64 of JSON', async () => {
    const id = uniqueId('base64');
    await expectOk(await send('/e/', { body: base64(json({ event: 'base64_body', distinct_id: id, properties: { token } })) }));
    expect(await namesOf(id)).toEqual(['base64_body']);
  });

  it('decodes a urlencoded data= form holding base64 whose "+" arrived as spaces', async () => {
    const id = uniqueId('form-plus');
    const { encoded } = eventWithPlusInBase64('form_base64_plus', id);
    await expectOk(await send('/e/', { body: `data=${encoded}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    const [stored] = await eventsOf(id);
    expect(stored.event).toBe('form_base64_plus');
    expect(stored.properties.q).toBe('?>?');
  });

  it('decodes a urlencoded data= form with a compression=base64 field', async () => {
    const id = uniqueId('form-compression');
    const data = encodeURIComponent(base64(json([{ event: 'form_compression_base64', distinct_id: id, properties: { token } }])));
    await expectOk(await send('/e/', { body: `data=${data}&compression=base64`, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' } }));
    expect(await namesOf(id)).toEqual(['form_compression_base64']);
  });

  it('decodes a urlencoded data= form holding JSON with non-ASCII text', async () => {
    const id = uniqueId('form-utf8');
    const data = encodeURIComponent(json({ event: 'form_json', distinct_id: id, properties: { token, city: 'Zürich 🏔' } }));
    await expectOk(await send('/e/', { body: `data=${data}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    const [stored] = await eventsOf(id);
    expect(stored.properties.city).toBe('Zürich 🏔');
  });

  it('reads the data= query parameter on GET, base64 (with raw "+") or URL-encoded JSON', async () => {
    const id = uniqueId('get-data');
    const { encoded } = eventWithPlusInBase64('get_base64', id);
    // "+" left unescaped in the query string, as some clients send it.
    await expectOk(await send(`/e/?data=${encoded}`));
    await expectOk(await send(`/e/?data=${encodeURIComponent(encoded)}`));
    const plain = json({ event: 'get_json', distinct_id: id, properties: { token } });
    await expectOk(await send(`/e/?data=${encodeURIComponent(plain)}&ver=1`));
    expect(await namesOf(id)).toEqual(['get_base64', 'get_base64', 'get_json']);
  });

  it('returns 204 for beacon requests (beacon=1)', async () => {
    const id = uniqueId('beacon');
    const response = await send('/e/?beacon=1', { body: json({ event: 'beacon', distinct_id: id, properties: { token } }) });
    expect(response.status).toBe(204);
    expect(await namesOf(id)).toEqual(['beacon']);
  });

  it('decodes lz64 (lz-string) with compression=lz64, in the body or in a form', async () => {
    const id = uniqueId('lz64');
    const body = LZString.compressToBase64(json({ api_key: token, batch: [{ event: 'lz64_body', distinct_id: id, properties: { word: 'héllo' } }] }));
    await expectOk(await send('/e/?compression=lz64', { body, headers: { 'content-type': 'text/plain' } }));
    const formData = LZString.compressToBase64(json([{ event: 'lz64_form', distinct_id: id, properties: { token } }]));
    await expectOk(
      await send('/e/', { body: `data=${encodeURIComponent(formData)}&compression=lz64`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    );
    const stored = await eventsOf(id);
    expect(stored.map((e) => e.event).sort()).toEqual(['lz64_body', 'lz64_form']);
    expect(stored.find((e) => e.event === 'lz64_body')!.properties.word).toBe('héllo');
  });

  it('treats an /engage event without an event name as $identify', async () => {
    const id = uniqueId('engage');
    await expectOk(await send('/engage/', { body: json({ distinct_id: id, token, $set: { plan: 'pro' } }) }));
    expect(await namesOf(id)).toEqual(['$identify']);
    const person = await server.api(`/api/projects/@current/persons/?distinct_id=${encodeURIComponent(id)}`);
    expect(person.body.results[0].properties.plan).toBe('pro');
  });

  it('does not name events without a name outside /engage', async () => {
    const id = uniqueId('no-engage');
    await expectOk(await send('/e/', { body: json([{ distinct_id: id, properties: { token } }, { event: 'named', distinct_id: id, properties: { token } }]) }));
    expect(await namesOf(id)).toEqual(['named']);
  });

  const paths = ['/e', '/i/v0/e', '/capture', '/track', '/engage', '/batch'].flatMap((p) => [p, `${p}/`]);
  it.each(paths)('accepts POST and GET events on %s', async (path) => {
    const id = uniqueId(`path${path}`);
    const event = { event: `via${path}`, distinct_id: id, properties: { token } };
    await expectOk(await send(path, { body: json({ api_key: token, batch: [event] }), headers: { 'content-type': 'application/json' } }));
    await expectOk(await send(`${path}?data=${encodeURIComponent(json(event))}`));
    expect(await namesOf(id)).toEqual([`via${path}`, `via${path}`]);
  });

  it('answers OPTIONS preflights with permissive CORS headers echoing the Origin', async () => {
    for (const path of ['/e/', '/batch', '/i/v0/e/']) {
      const response = await send(path, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-custom' },
      });
      expect(response.status).toBeLessThan(300);
      expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      expect(response.headers.get('access-control-allow-headers')).toContain('x-custom');
    }
  });

  it('keeps /flags, /decide and remote config permissive, but gives the private API and web app no CORS headers for another origin', async () => {
    const preflight = (path: string) =>
      send(path, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    for (const path of ['/flags?v=2', '/decide/', `/array/${token}/config`]) {
      const response = await preflight(path);
      expect(response.headers.get('access-control-allow-origin'), path).toBe('https://evil.example.net');
      expect(response.headers.get('access-control-allow-credentials'), path).toBe('true');
    }
    for (const path of ['/api/projects/@current/query/', '/api/users/@me', '/api/login', '/api/feature_flag/local_evaluation', '/', '/flagsx', '/batchy/api']) {
      const response = await preflight(path);
      expect(response.status, path).toBe(204);
      expect(response.headers.get('access-control-allow-origin'), path).toBeNull();
      expect(response.headers.get('access-control-allow-credentials'), path).toBeNull();
      expect(response.headers.get('access-control-allow-headers'), path).toBeNull();
    }
    const read = await send('/api/users/@me', { method: 'GET', headers: { origin: 'https://evil.example.net' } });
    expect(read.status).toBe(401);
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('echoes the Origin on capture responses', async () => {
    const id = uniqueId('cors');
    const response = await send('/e/', { body: json({ event: 'cors', distinct_id: id, properties: { token } }), headers: { origin: 'https://shop.example.org' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example.org');
  });

  it('accepts a batch bigger than 2 MB on /batch (the limit there is 20 MB)', async () => {
    const id = uniqueId('big-batch');
    const body = json({ api_key: token, batch: [{ event: 'big_batch', distinct_id: id }], padding: 'p'.repeat(3 * 1024 * 1024) });
    await expectOk(await send('/batch/', { body, headers: { 'content-type': 'application/json' } }));
    expect(await namesOf(id)).toEqual(['big_batch']);
  });
});

describe('capture timestamps (spec 2.3)', () => {
  /** Sends one event and returns its stored time with the bounds of the server clock during the request. */
  async function storedTime(event: Record<string, unknown>, envelope: Record<string, unknown> = {}, query = '') {
    const id = uniqueId('time');
    const before = Date.now();
    await expectOk(await send(`/batch/${query}`, { body: json({ api_key: token, batch: [{ event: 'timed', distinct_id: id, ...event }], ...envelope }) }));
    const after = Date.now();
    const [stored] = await eventsOf(id);
    return { time: Date.parse(stored.timestamp), before, after };
  }

  it('corrects client clock skew using the envelope sent_at', async () => {
    // The client clock is 3 days ahead; the event happened 10 s before sending.
    const skew = 3 * 24 * 3600_000;
    const sentAt = new Date(Date.now() + skew);
    const { time, before, after } = await storedTime({ timestamp: new Date(sentAt.getTime() - 10_000).toISOString() }, { sent_at: sentAt.toISOString() });
    // Server "now" at processing is in [before, after], so the event is 10 s before that.
    expect(time).toBeGreaterThanOrEqual(before - 10_000);
    expect(time).toBeLessThanOrEqual(after - 10_000);
  });

  it('corrects clock skew with the ms query parameter _ when the envelope has no sent_at', async () => {
    const sentAt = Date.now() - 7 * 24 * 3600_000;
    const { time, before, after } = await storedTime({ timestamp: new Date(sentAt - 5000).toISOString() }, {}, `?_=${sentAt}`);
    expect(time).toBeGreaterThanOrEqual(before - 5000);
    expect(time).toBeLessThanOrEqual(after - 5000);
  });

  it('keeps the timestamp as sent when $ignore_sent_at is set', async () => {
    const { time } = await storedTime(
      { timestamp: '2026-01-02T03:04:05.678Z', properties: { $ignore_sent_at: true } },
      { sent_at: new Date(Date.now() + 3600_000).toISOString() },
    );
    expect(new Date(time).toISOString()).toBe('2026-01-02T03:04:05.678Z');
  });

  it('uses offset as now - offset, whatever the timestamp', async () => {
    const { time, before, after } = await storedTime({ offset: 60_000, timestamp: '2020-01-01T00:00:00Z' });
    expect(time).toBeGreaterThanOrEqual(before - 60_000);
    expect(time).toBeLessThanOrEqual(after - 60_000);
  });

  it('clamps timestamps more than 23 hours in the future to now', async () => {
    const { time, before, after } = await storedTime({ timestamp: new Date(Date.now() + 48 * 3600_000).toISOString() });
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
  });

  it('reads date-only, "+HH", naive and numeric timestamps', async () => {
    expect(new Date((await storedTime({ timestamp: '2025-03-04' })).time).toISOString()).toBe('2025-03-04T00:00:00.000Z');
    expect(new Date((await storedTime({ timestamp: '2025-03-04T10:00:00+03' })).time).toISOString()).toBe('2025-03-04T07:00:00.000Z');
    expect(new Date((await storedTime({ timestamp: '2025-03-04T10:00:00' })).time).toISOString()).toBe('2025-03-04T10:00:00.000Z');
    expect(new Date((await storedTime({ timestamp: '2025-03-04 10:00:00' })).time).toISOString()).toBe('2025-03-04T10:00:00.000Z');
    expect(new Date((await storedTime({ timestamp: '1741082400' })).time).toISOString()).toBe('2025-03-04T10:00:00.000Z');
    expect(new Date((await storedTime({ timestamp: 1741082400000 })).time).toISOString()).toBe('2025-03-04T10:00:00.000Z');
  });
});

describe('capture distinct_id rules', () => {
  it('stringifies numeric distinct ids', async () => {
    const n = Math.floor(Math.random() * 1e9) + 1e9;
    await expectOk(await send('/batch/', { body: json({ api_key: token, batch: [{ event: 'numeric_id', distinct_id: n }] }) }));
    expect(await namesOf(String(n))).toEqual(['numeric_id']);
  });

  it('truncates distinct ids to 200 characters', async () => {
    const id = uniqueId('long').padEnd(250, 'z');
    await expectOk(await send('/batch/', { body: json({ api_key: token, batch: [{ event: 'long_id', distinct_id: id }] }) }));
    expect(await namesOf(id.slice(0, 200))).toEqual(['long_id']);
  });

  it('replaces NUL in distinct ids with U+FFFD', async () => {
    const id = uniqueId('nul');
    await expectOk(await send('/batch/', { body: json({ api_key: token, batch: [{ event: 'nul_id', distinct_id: `${id}\u0000x` }] }) }));
    expect(await namesOf(`${id}\uFFFDx`)).toEqual(['nul_id']);
  });

  it('accepts $distinct_id and falls back to properties.distinct_id', async () => {
    const id = uniqueId('alias');
    const batch = [
      { event: 'dollar_alias', $distinct_id: id },
      { event: 'props_fallback', properties: { distinct_id: id } },
    ];
    await expectOk(await send('/batch/', { body: json({ api_key: token, batch }) }));
    expect(await namesOf(id)).toEqual(['dollar_alias', 'props_fallback']);
  });
});

describe('capture rejections', () => {
  const post = (path: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) => () => send(path, { body, headers });

  it('rejects malformed JSON with 400', async () => {
    await expectRejected(post('/e/', '{"event": "x", "distinct_id": ', { 'content-type': 'application/json' }), 400, 'malformed_body');
  });

  it('rejects JSON nested deeper than 128 levels with 400, and the events list still reads', async () => {
    const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    const body = (id: string, levels: number) => `{"api_key":"${token}","batch":[{"event":"deep","distinct_id":"${id}","properties":{"x":${deep(levels)}}}]}`;
    const tooDeep = uniqueId('too-deep');
    await expectRejected(post('/batch/', body(tooDeep, 5000)), 400, 'malformed_body');
    await expectRejected(post('/batch/', zlib.gzipSync(body(tooDeep, 125)), { 'content-encoding': 'gzip' }), 400, 'malformed_body');
    // Envelope, batch, event and properties are four levels: 124 more make 128.
    const deepest = uniqueId('deepest');
    await expectOk(await send('/batch/', { body: body(deepest, 124) }));
    expect(await namesOf(deepest)).toEqual(['deep']);
    expect(await namesOf(tooDeep)).toEqual([]);
  });

  it('rejects broken gzip with 400', async () => {
    const gz = zlib.gzipSync(json({ api_key: token, batch: [{ event: 'x', distinct_id: 'broken' }] }));
    const broken = Buffer.concat([gz.subarray(0, 12), Buffer.alloc(40, 7)]);
    await expectRejected(post('/batch/', broken, { 'content-encoding': 'gzip' }), 400, 'malformed_body');
  });

  it('stops a gzip bomb (100 MB of zeros) with 413 and stays healthy', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(100 * 1024 * 1024));
    await expectRejected(post('/e/', bomb, { 'content-type': 'text/plain' }), 413, 'payload_too_large');
    await expectRejected(post('/batch/', bomb, { 'content-encoding': 'gzip' }), 413, 'payload_too_large');
    expect((await send('/_health')).status).toBe(200);
    const id = uniqueId('after-bomb');
    await expectOk(await send('/e/', { body: json({ event: 'after_bomb', distinct_id: id, properties: { token } }) }));
    expect(await namesOf(id)).toEqual(['after_bomb']);
  });

  it('stops an lz64 bomb with 413 and stays healthy', async () => {
    await expectRejected(post('/e/?compression=lz64', lz64Bomb(20_000), { 'content-type': 'text/plain' }), 413, 'payload_too_large');
    expect((await send('/_health')).status).toBe(200);
  });

  // Real uploads through fetch: the server must read the oversized body and answer 413, not
  // close the connection mid-upload (clients would see EPIPE and retry the same batch).
  const oversized = (bytes: number) => json({ api_key: token, batch: [{ event: 'x', distinct_id: 'big', properties: { pad: 'a'.repeat(bytes) } }] });

  it('rejects a body over 2 MB on /e with 413', async () => {
    await expectRejected(post('/e/', oversized(2 * 1024 * 1024 + 1)), 413, 'payload_too_large');
    await expectRejected(post('/capture', oversized(3 * 1024 * 1024), { 'content-type': 'text/plain' }), 413, 'payload_too_large');
  });

  it('rejects a body over 20 MB on /batch with 413', async () => {
    await expectRejected(post('/batch/', oversized(20 * 1024 * 1024 + 1)), 413, 'payload_too_large');
  });

  it('answers 413 at once when the declared size is far beyond the limit', async () => {
    await expectRejected(() => announceBody('/batch/', 200 * 1024 * 1024), 413, 'payload_too_large');
  });

  it('rejects an unknown token with 401', async () => {
    await expectRejected(post('/e/', json({ api_key: 'phc_unknown_token', batch: [{ event: 'x', distinct_id: 'u' }] })), 401, 'invalid_token');
  });

  it('rejects the personal API key used as a project token with 401', async () => {
    const body = await expectRejected(post('/batch/', json({ api_key: server.apiKey, batch: [{ event: 'x', distinct_id: 'u' }] })), 401, 'invalid_token');
    expect(body.detail).toMatch(/personal API key/i);
  });

  it('rejects events with different tokens in one request with 401', async () => {
    const events = [
      { event: 'x', distinct_id: 'u', properties: { token } },
      { event: 'y', distinct_id: 'u', properties: { token: 'phc_other_token' } },
    ];
    await expectRejected(post('/batch/', json(events)), 401, 'invalid_token');
  });

  it('rejects a request without any token with 401', async () => {
    await expectRejected(post('/e/', json({ event: 'x', distinct_id: 'u', properties: {} })), 401, 'invalid_token');
    await expectRejected(post('/batch/', json({ batch: [{ event: 'x', distinct_id: 'u' }] })), 401, 'invalid_token');
  });

  it('rejects an envelope whose batch is not an array with 400', async () => {
    await expectRejected(post('/batch/', json({ api_key: token, batch: { event: 'x', distinct_id: 'u' } })), 400, 'malformed_body', 'batch');
  });

  it('rejects a body that is a JSON string or number with 400', async () => {
    await expectRejected(post('/e/', json('just a string'), { 'content-type': 'application/json' }), 400, 'malformed_body');
    await expectRejected(post('/e/', '42', { 'content-type': 'application/json' }), 400, 'malformed_body');
    await expectRejected(post('/e/', 'null', { 'content-type': 'application/json' }), 400, 'malformed_body');
  });

  it('rejects an empty body, or an empty batch, with 400', async () => {
    await expectRejected(post('/e/', '', { 'content-type': 'application/json' }), 400, 'no_events');
    await expectRejected(() => send('/e/'), 400, 'no_events');
    await expectRejected(post('/batch/', json({ api_key: token, batch: [] })), 400, 'no_events');
  });

  it('does not fail on repeated query parameters', async () => {
    const id = uniqueId('repeated');
    const body = zlib.gzipSync(json([{ event: 'repeated_params', distinct_id: id, properties: { token } }]));
    await expectOk(await send('/e/?compression=gzip-js&compression=lz64&_=1&_=2', { body }));
    expect(await namesOf(id)).toEqual(['repeated_params']);
  });

  it('stores the good events of a batch, drops the bad ones and records event_dropped warnings', async () => {
    const dropped = async () => {
      const res = await server.api<{ results: { type: string; key: string; count: number }[] }>('/api/projects/@current/ingestion_warnings/');
      const counts: Record<string, number> = {};
      for (const w of res.body.results.filter((w) => w.type === 'event_dropped')) counts[w.key] = w.count;
      return counts;
    };
    const before = await dropped();
    const id = uniqueId('partial');
    const batch = [
      { event: 'good_one', distinct_id: id },
      { distinct_id: id, properties: { note: 'no name' } },
      { event: 'no_distinct_id', properties: {} },
      { event: 'good_two', distinct_id: id },
    ];
    await expectOk(await send('/batch/', { body: json({ api_key: token, batch }) }));
    expect(await namesOf(id)).toEqual(['good_one', 'good_two']);
    const after = await dropped();
    expect((after.missing_event_name ?? 0) - (before.missing_event_name ?? 0)).toBe(1);
    expect((after.missing_distinct_id ?? 0) - (before.missing_distinct_id ?? 0)).toBe(1);
    const warnings = await server.api('/api/projects/@current/ingestion_warnings/');
    const missingName = warnings.body.results.find((w: { type: string; key: string }) => w.type === 'event_dropped' && w.key === 'missing_event_name');
    expect(missingName.details).toEqual({ reason: 'missing_event_name' });
  });
});
