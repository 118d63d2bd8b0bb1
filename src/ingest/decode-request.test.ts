import zlib from 'node:zlib';
import LZString from 'lz-string';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { decodeCaptureRequest, type CaptureRequest } from './decode-request.js';
import { lz64Bomb } from './lz64-bomb.test-helper.js';

const LIMIT = 2 * 1024 * 1024;
const event = { event: 'signed_up', distinct_id: 'user-1', properties: { token: 'phc_t', plan: 'pro' } };

function decode(body: string | Buffer, options: Partial<Omit<CaptureRequest, 'body'>> = {}) {
  return decodeCaptureRequest({
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    query: options.query ?? {},
    contentType: options.contentType,
    contentEncoding: options.contentEncoding,
    limit: options.limit ?? LIMIT,
  });
}

async function decodeError(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

const json = (value: unknown) => JSON.stringify(value);
const base64 = (text: string | Buffer) => Buffer.from(text).toString('base64');


/** An event whose base64 encoding contains "+", to exercise form and query decoding. */
function eventWithPlusInBase64(): { event: typeof event; encoded: string } {
  for (let i = 0; ; i++) {
    const candidate = { ...event, properties: { ...event.properties, pad: '>'.repeat(i), q: '?>?' } };
    const encoded = base64(json(candidate));
    if (encoded.includes('+')) return { event: candidate, encoded };
  }
}

describe('decodeCaptureRequest: JSON shapes', () => {
  it('reads a plain JSON body holding a single event object', async () => {
    const decoded = await decode(json(event));
    expect(decoded).toEqual({ events: [event], envelopeToken: undefined, sentAt: undefined });
  });

  it('reads an array body as a list of events', async () => {
    const decoded = await decode(json([event, { ...event, event: 'second' }]));
    expect(decoded.events.map((e) => (e as { event: string }).event)).toEqual(['signed_up', 'second']);
    expect(decoded.envelopeToken).toBeUndefined();
  });

  it('takes the project token and sent_at from an envelope with api_key', async () => {
    const decoded = await decode(json({ api_key: 'phc_env', batch: [event], sent_at: '2026-01-02T03:04:05.678Z' }));
    expect(decoded.events).toEqual([event]);
    expect(decoded.envelopeToken).toBe('phc_env');
    expect(decoded.sentAt?.toISOString()).toBe('2026-01-02T03:04:05.678Z');
  });

  it('takes the project token from an envelope with token instead of api_key', async () => {
    const decoded = await decode(json({ token: 'phc_env', batch: [event] }));
    expect(decoded.envelopeToken).toBe('phc_env');
  });

  it('leaves the token to the events when the envelope has none or an empty one', async () => {
    expect((await decode(json({ batch: [event] }))).envelopeToken).toBeUndefined();
    expect((await decode(json({ api_key: '', batch: [event] }))).envelopeToken).toBeUndefined();
  });

  it('strips a UTF-8 byte order mark before parsing', async () => {
    expect((await decode(`\uFEFF${json(event)}`)).events).toEqual([event]);
  });

  it('accepts JSON nested 128 levels deep and rejects 129 with 400, brackets inside strings aside', async () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    // Brackets, an escaped quote and a backslash inside a string do not count.
    const tricky = '[[[{{{\\"[[ \\';
    // The event object and its properties are two levels; the value makes up the rest.
    const body = (levels: number) => `{"event":"e","distinct_id":"u","properties":{"x":${nested(levels - 2)},"s":${JSON.stringify(tricky)}}}`;
    const accepted = await decode(body(128));
    expect((accepted.events[0] as { properties: { s: string } }).properties.s).toBe(tricky);
    const error = await decodeError(decode(body(129)));
    expect(error.status).toBe(400);
    expect(error.detail).toBe('Request body nests JSON deeper than 128 levels.');
    // However it is encoded.
    expect((await decodeError(decode(zlib.gzipSync(body(5000))))).status).toBe(400);
  });

  it('keeps non-ASCII text intact', async () => {
    const fancy = { ...event, event: 'café 🎉 日本' };
    expect((await decode(json(fancy))).events).toEqual([fancy]);
  });
});

describe('decodeCaptureRequest: encodings', () => {
  it('gunzips a body recognised by its magic bytes, without any hint', async () => {
    const decoded = await decode(zlib.gzipSync(json({ api_key: 'phc_t', batch: [event] })), { contentType: 'text/plain' });
    expect(decoded.events).toEqual([event]);
  });

  it('gunzips a body sent with ?compression=gzip-js', async () => {
    const decoded = await decode(zlib.gzipSync(json([event])), { query: { compression: 'gzip-js' } });
    expect(decoded.events).toEqual([event]);
  });

  it('gunzips a body sent with Content-Encoding: gzip', async () => {
    const decoded = await decode(zlib.gzipSync(json([event])), { contentEncoding: 'gzip', contentType: 'application/json' });
    expect(decoded.events).toEqual([event]);
  });

  it('reads JSON even when a gzip hint is wrong', async () => {
    expect((await decode(json(event), { query: { compression: 'gzip-js' } })).events).toEqual([event]);
  });

  it('decodes a body that is strict base64 of JSON', async () => {
    expect((await decode(base64(json(event)))).events).toEqual([event]);
  });

  it('decodes base64 of gzip', async () => {
    expect((await decode(base64(zlib.gzipSync(json([event]))))).events).toEqual([event]);
  });

  it('decodes base64 twice for legacy clients', async () => {
    expect((await decode(base64(base64(json(event))))).events).toEqual([event]);
  });

  it('decodes a body hinted as base64 even without padding', async () => {
    const unpadded = base64(json([event])).replace(/=+$/, '');
    expect((await decode(unpadded, { query: { compression: 'base64' } })).events).toEqual([event]);
  });

  it('decodes a urlencoded form whose data field is base64 with "+" turned into spaces', async () => {
    const { event: original, encoded } = eventWithPlusInBase64();
    // Sent unescaped, as some old clients do: form decoding turns every "+" into a space.
    const decoded = await decode(`data=${encoded}`, { contentType: 'application/x-www-form-urlencoded' });
    expect(decoded.events).toEqual([original]);
  });

  it('decodes a urlencoded form with a compression=base64 field', async () => {
    const body = `data=${encodeURIComponent(base64(json([event])))}&compression=base64`;
    const decoded = await decode(body, { contentType: 'application/x-www-form-urlencoded; charset=UTF-8' });
    expect(decoded.events).toEqual([event]);
  });

  it('decodes a urlencoded form whose data field is JSON with non-ASCII characters', async () => {
    const fancy = { ...event, event: 'café 🎉' };
    const decoded = await decode(`data=${encodeURIComponent(json(fancy))}`, { contentType: 'application/x-www-form-urlencoded' });
    expect(decoded.events).toEqual([fancy]);
  });

  it('reads JSON sent under a form content type without a data field', async () => {
    const decoded = await decode(json([event]), { contentType: 'application/x-www-form-urlencoded' });
    expect(decoded.events).toEqual([event]);
  });

  it('rejects a form without a data field', async () => {
    const error = await decodeError(decode('foo=bar', { contentType: 'application/x-www-form-urlencoded' }));
    expect(error.code).toBe('malformed_body');
  });

  it('prefers the data query parameter over the body', async () => {
    const decoded = await decode('', { query: { data: json(event) } });
    expect(decoded.events).toEqual([event]);
  });

  it('decodes a base64 data query parameter whose "+" became spaces', async () => {
    const { event: original, encoded } = eventWithPlusInBase64();
    const decoded = await decode('', { query: { data: encoded.replaceAll('+', ' ') } });
    expect(decoded.events).toEqual([original]);
  });

  it('decodes lz-string (lz64) when hinted with compression=lz64 or lz-string', async () => {
    const body = LZString.compressToBase64(json({ api_key: 'phc_t', batch: [event] }));
    expect((await decode(body, { query: { compression: 'lz64' } })).events).toEqual([event]);
    expect((await decode(body, { query: { compression: 'lz-string' } })).events).toEqual([event]);
  });

  it('decodes lz64 in a urlencoded form with a compression field, "+" turned into spaces', async () => {
    let payload: unknown[] = [event];
    let compressed = LZString.compressToBase64(json(payload));
    for (let i = 0; !compressed.includes('+'); i++) {
      payload = [{ ...event, properties: { ...event.properties, pad: 'x'.repeat(i) } }];
      compressed = LZString.compressToBase64(json(payload));
    }
    const decoded = await decode(`data=${compressed}&compression=lz64`, { contentType: 'application/x-www-form-urlencoded' });
    expect(decoded.events).toEqual(payload);
  });

  it('decodes lz64 exactly like lz-string for long, repetitive and non-ASCII payloads', async () => {
    const payloads = [
      'a',
      'x'.repeat(100_000),
      'héllo wörld ✓ 🎉 日本語 '.repeat(500),
      Array.from({ length: 3000 }, (_, i) => `${i}:${(i * 7919) % 1000}`).join(','),
    ];
    for (const text of payloads) {
      const body = LZString.compressToBase64(json({ batch: [{ ...event, properties: { text } }] }));
      const decoded = await decode(body, { query: { compression: 'lz64' } });
      expect((decoded.events[0] as { properties: { text: string } }).properties.text).toBe(text);
    }
  });

  it('does not try lz64 without a hint', async () => {
    const error = await decodeError(decode(LZString.compressToBase64(json([event]))));
    expect(error.code).toBe('malformed_body');
  });

  it('rejects invalid lz64 data with 400', async () => {
    const error = await decodeError(decode('@@@@not lz64@@@@', { query: { compression: 'lz64' } }));
    expect(error.status).toBe(400);
  });

  it('uses the first value of repeated query parameters', async () => {
    const decoded = await decode(zlib.gzipSync(json([event])), { query: { compression: ['gzip-js', 'lz64'], sent_at: ['1795663288033', 'x'] } });
    expect(decoded.events).toEqual([event]);
    expect(decoded.sentAt?.getTime()).toBe(1795663288033);
  });
});

describe('decodeCaptureRequest: sent_at', () => {
  it('accepts query sent_at (or _) in epoch milliseconds', async () => {
    expect((await decode(json([event]), { query: { sent_at: '1795663288033' } })).sentAt?.getTime()).toBe(1795663288033);
    expect((await decode(json([event]), { query: { _: '1795663288033' } })).sentAt?.getTime()).toBe(1795663288033);
  });

  it('ignores query sent_at in seconds or garbage', async () => {
    expect((await decode(json([event]), { query: { sent_at: '1795663288' } })).sentAt).toBeUndefined();
    expect((await decode(json([event]), { query: { sent_at: 'yesterday' } })).sentAt).toBeUndefined();
  });

  it('lets the envelope sent_at win over the query one', async () => {
    const decoded = await decode(json({ api_key: 'k', batch: [event], sent_at: '2026-01-01T00:00:00Z' }), { query: { _: '1795663288033' } });
    expect(decoded.sentAt?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('decodeCaptureRequest: bad input', () => {
  it('rejects an empty body without data parameter as no_events (400)', async () => {
    const error = await decodeError(decode(''));
    expect([error.status, error.code]).toEqual([400, 'no_events']);
  });

  it('rejects malformed JSON with 400', async () => {
    const error = await decodeError(decode('{"event": "x", '));
    expect([error.status, error.code]).toEqual([400, 'malformed_body']);
  });

  it('rejects a JSON string, number or null body with 400', async () => {
    for (const body of ['"just a string"', '42', 'null', 'true']) {
      const error = await decodeError(decode(body));
      expect([error.status, error.code]).toEqual([400, 'malformed_body']);
    }
  });

  it('rejects an envelope whose batch is not an array, naming the field', async () => {
    const error = await decodeError(decode(json({ api_key: 'k', batch: { event: 'x' } })));
    expect([error.status, error.code, error.attr]).toEqual([400, 'malformed_body', 'batch']);
  });

  it('rejects an envelope whose api_key is not a string', async () => {
    const error = await decodeError(decode(json({ api_key: 42, batch: [event] })));
    expect([error.status, error.attr]).toEqual([400, 'api_key']);
  });

  it('rejects broken gzip with 400', async () => {
    const gz = zlib.gzipSync(json([event]));
    const error = await decodeError(decode(Buffer.concat([gz.subarray(0, 12), Buffer.from('garbage garbage')])));
    expect([error.status, error.code]).toEqual([400, 'malformed_body']);
  });

  it('stops a gzip bomb at the limit with 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(100 * 1024 * 1024));
    const error = await decodeError(decode(bomb));
    expect([error.status, error.code]).toEqual([413, 'payload_too_large']);
  });

  it('builds lz64 bombs that lz-string itself decodes', () => {
    expect(LZString.decompressFromBase64(lz64Bomb(100))).toBe('a'.repeat((101 * 102) / 2));
  });

  it('stops an lz64 bomb at the limit with 413', async () => {
    // 60 kB of lz64 that would expand to 200 million characters.
    const bomb = lz64Bomb(20_000);
    expect(bomb.length).toBeLessThan(60_000);
    const error = await decodeError(decode(bomb, { query: { compression: 'lz64' } }));
    expect([error.status, error.code]).toEqual([413, 'payload_too_large']);
  });

  it('rejects a payload over the limit with 413', async () => {
    const error = await decodeError(decode(json([event]), { limit: 10 }));
    expect([error.status, error.code]).toEqual([413, 'payload_too_large']);
  });

  it('rejects a decompressed payload over the limit even when the compressed one fits', async () => {
    const big = zlib.gzipSync(json([{ ...event, properties: { text: 'y'.repeat(5000) } }]));
    expect(big.length).toBeLessThan(1000);
    const error = await decodeError(decode(big, { limit: 1000 }));
    expect(error.status).toBe(413);
  });
});
