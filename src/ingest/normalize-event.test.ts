import { describe, expect, it } from 'vitest';
import { eventToken, normalizeEvent, parseTimestamp, type NormalizeContext, type NormalizedEvent } from './normalize-event.js';

const NOW = new Date('2026-06-15T12:00:00.000Z');
const HOUR = 60 * 60 * 1000;

function normalized(raw: Record<string, unknown>, context: Partial<NormalizeContext> = {}): NormalizedEvent {
  const result = normalizeEvent({ event: 'e', distinct_id: 'u', ...raw }, { sentAt: undefined, now: NOW, ...context });
  if (!result.ok) throw new Error(`event dropped: ${result.reason}`);
  return result.event;
}

const timeOf = (raw: Record<string, unknown>, context: Partial<NormalizeContext> = {}) => normalized(raw, context).timestamp.toISOString();
const iso = (value: unknown) => parseTimestamp(value)?.toISOString();

describe('parseTimestamp', () => {
  it('parses RFC 3339 with Z or an offset', () => {
    expect(iso('2026-06-15T10:20:30.123Z')).toBe('2026-06-15T10:20:30.123Z');
    expect(iso('2026-06-15T10:20:30+02:00')).toBe('2026-06-15T08:20:30.000Z');
    expect(iso('2026-06-15T10:20:30.5-05:30')).toBe('2026-06-15T15:50:30.500Z');
  });

  it('normalises "+HH" and "+HHMM" offsets', () => {
    expect(iso('2026-06-15T10:20:30.805+03')).toBe('2026-06-15T07:20:30.805Z');
    expect(iso('2026-06-15T10:20:30-05')).toBe('2026-06-15T15:20:30.000Z');
    expect(iso('2026-06-15T10:20:30+0530')).toBe('2026-06-15T04:50:30.000Z');
  });

  it('reads a date without a time as midnight UTC', () => {
    expect(iso('2026-06-15')).toBe('2026-06-15T00:00:00.000Z');
  });

  it('reads datetimes without a zone as UTC, whatever the local time zone', () => {
    expect(iso('2026-06-15T10:20:30')).toBe('2026-06-15T10:20:30.000Z');
    expect(iso('2026-06-15T10:20:30.250')).toBe('2026-06-15T10:20:30.250Z');
    expect(iso('2026-06-15T10:20')).toBe('2026-06-15T10:20:00.000Z');
  });

  it('accepts a space instead of T, with or without a zone', () => {
    expect(iso('2026-06-15 10:20:30')).toBe('2026-06-15T10:20:30.000Z');
    expect(iso('2026-06-15 10:20:30+02')).toBe('2026-06-15T08:20:30.000Z');
    expect(iso('2026-06-15 10:20:30 +02:00')).toBe('2026-06-15T08:20:30.000Z');
  });

  it('reads numeric epochs in seconds or milliseconds, as numbers or strings', () => {
    expect(iso(1781525630)).toBe('2026-06-15T12:13:50.000Z');
    expect(iso(1781525630123)).toBe('2026-06-15T12:13:50.123Z');
    expect(iso('1781525630')).toBe('2026-06-15T12:13:50.000Z');
    expect(iso('1781525630123')).toBe('2026-06-15T12:13:50.123Z');
    expect(iso('1781525630.5')).toBe('2026-06-15T12:13:50.500Z');
  });

  it('parses RFC 2822 dates, which contain spaces', () => {
    expect(iso('Mon, 15 Jun 2026 10:20:30 +0200')).toBe('2026-06-15T08:20:30.000Z');
    expect(iso('Mon, 15 Jun 2026 10:20:30 GMT')).toBe('2026-06-15T10:20:30.000Z');
  });

  it('trims surrounding whitespace', () => {
    expect(iso('  2026-06-15T10:20:30Z \n')).toBe('2026-06-15T10:20:30.000Z');
  });

  it('returns undefined for anything it cannot read', () => {
    for (const value of ['', '   ', 'not a date', '2026-13-45T99:99:99Z', null, undefined, {}, [], true, Number.NaN, Infinity, 1e20]) {
      expect(parseTimestamp(value)).toBeUndefined();
    }
  });
});

describe('normalizeEvent: timestamps', () => {
  it('uses the server time when there is no timestamp', () => {
    expect(timeOf({})).toBe(NOW.toISOString());
    expect(timeOf({ timestamp: 'garbage' })).toBe(NOW.toISOString());
  });

  it('keeps a timestamp as sent when there is no sent_at', () => {
    expect(timeOf({ timestamp: '2026-06-15T11:00:00Z' })).toBe('2026-06-15T11:00:00.000Z');
  });

  it('corrects client clock skew with sent_at: event time = timestamp - (sent_at - now)', () => {
    // The client clock is 2 days and 5 s ahead; the event happened 30 s before sending.
    const sentAt = new Date(NOW.getTime() + 48 * HOUR + 5000);
    const timestamp = new Date(sentAt.getTime() - 30_000).toISOString();
    expect(timeOf({ timestamp }, { sentAt })).toBe('2026-06-15T11:59:30.000Z');
    // A clock behind works the same way.
    const behind = new Date(NOW.getTime() - 3 * HOUR);
    expect(timeOf({ timestamp: new Date(behind.getTime() - 1000).toISOString() }, { sentAt: behind })).toBe('2026-06-15T11:59:59.000Z');
  });

  it('skips the skew correction when properties.$ignore_sent_at is set', () => {
    const sentAt = new Date(NOW.getTime() + 5 * HOUR);
    expect(timeOf({ timestamp: '2026-06-15T11:00:00Z', properties: { $ignore_sent_at: true } }, { sentAt })).toBe('2026-06-15T11:00:00.000Z');
  });

  it('does not use sent_at when the event has no parsable timestamp', () => {
    expect(timeOf({}, { sentAt: new Date(NOW.getTime() + 5 * HOUR) })).toBe(NOW.toISOString());
  });

  it('lets offset override timestamp and sent_at: event time = now - offset', () => {
    const sentAt = new Date(NOW.getTime() + 5 * HOUR);
    expect(timeOf({ offset: 1500, timestamp: '2020-01-01T00:00:00Z' }, { sentAt })).toBe('2026-06-15T11:59:58.500Z');
    expect(timeOf({ offset: 0 })).toBe(NOW.toISOString());
  });

  it('clamps timestamps more than 23 hours in the future to now', () => {
    expect(timeOf({ timestamp: new Date(NOW.getTime() + 23 * HOUR + 1000).toISOString() })).toBe(NOW.toISOString());
    expect(timeOf({ timestamp: '2099-01-01T00:00:00Z' })).toBe(NOW.toISOString());
    expect(timeOf({ offset: -24 * HOUR })).toBe(NOW.toISOString());
  });

  it('keeps timestamps up to 23 hours in the future', () => {
    const soon = new Date(NOW.getTime() + 22 * HOUR).toISOString();
    expect(timeOf({ timestamp: soon })).toBe(soon);
  });

  it('clamps far-future years (beyond 9999) to now, as the future check comes first', () => {
    expect(timeOf({ timestamp: '+010000-01-01T00:00:00Z' })).toBe(NOW.toISOString());
  });

  it('replaces years before 0 with the epoch', () => {
    expect(timeOf({ timestamp: '-000100-01-01T00:00:00Z' })).toBe('1970-01-01T00:00:00.000Z');
    expect(timeOf({ timestamp: -70_000_000_000_000 })).toBe('1970-01-01T00:00:00.000Z');
  });

  it('applies the lenient parser to event timestamps (date-only, "+HH", naive, epochs)', () => {
    expect(timeOf({ timestamp: '2026-06-14' })).toBe('2026-06-14T00:00:00.000Z');
    expect(timeOf({ timestamp: '2026-06-15T10:00:00+03' })).toBe('2026-06-15T07:00:00.000Z');
    expect(timeOf({ timestamp: '2026-06-15 10:00:00' })).toBe('2026-06-15T10:00:00.000Z');
    expect(timeOf({ timestamp: 1781520000 })).toBe('2026-06-15T10:40:00.000Z');
    expect(timeOf({ timestamp: '1781520000000' })).toBe('2026-06-15T10:40:00.000Z');
  });
});

describe('normalizeEvent: distinct_id', () => {
  it('stringifies non-string distinct ids as JSON', () => {
    expect(normalized({ distinct_id: 23 }).distinctId).toBe('23');
    expect(normalized({ distinct_id: 1.5 }).distinctId).toBe('1.5');
    expect(normalized({ distinct_id: true }).distinctId).toBe('true');
    expect(normalized({ distinct_id: { a: 1 } }).distinctId).toBe('{"a":1}');
  });

  it('truncates distinct ids to 200 characters, never splitting a character', () => {
    expect(normalized({ distinct_id: 'x'.repeat(250) }).distinctId).toBe('x'.repeat(200));
    expect(normalized({ distinct_id: 'x'.repeat(200) }).distinctId).toBe('x'.repeat(200));
    expect(normalized({ distinct_id: '🎉'.repeat(250) }).distinctId).toBe('🎉'.repeat(200));
  });

  it('replaces NUL characters with U+FFFD', () => {
    expect(normalized({ distinct_id: 'a\u0000b\u0000' }).distinctId).toBe('a\uFFFDb\uFFFD');
  });

  it('accepts $distinct_id as an alias', () => {
    expect(normalized({ distinct_id: undefined, $distinct_id: 'alias-id' }).distinctId).toBe('alias-id');
  });

  it('falls back to properties.distinct_id, after the top-level id', () => {
    expect(normalized({ distinct_id: undefined, properties: { distinct_id: 'from-props' } }).distinctId).toBe('from-props');
    expect(normalized({ distinct_id: null, properties: { distinct_id: 7 } }).distinctId).toBe('7');
    expect(normalized({ distinct_id: 'top', properties: { distinct_id: 'from-props' } }).distinctId).toBe('top');
  });

  it('drops events whose distinct id is missing, null or empty', () => {
    for (const distinct_id of [undefined, null, '']) {
      expect(normalizeEvent({ event: 'e', distinct_id }, { sentAt: undefined, now: NOW })).toEqual({ ok: false, reason: 'missing_distinct_id' });
    }
  });
});

describe('normalizeEvent: other fields', () => {
  it('drops events without a name, and anything that is not an object', () => {
    expect(normalizeEvent({ distinct_id: 'u' }, { sentAt: undefined, now: NOW })).toEqual({ ok: false, reason: 'missing_event_name' });
    expect(normalizeEvent({ event: '', distinct_id: 'u' }, { sentAt: undefined, now: NOW })).toEqual({ ok: false, reason: 'missing_event_name' });
    expect(normalizeEvent({ event: 5, distinct_id: 'u' }, { sentAt: undefined, now: NOW })).toEqual({ ok: false, reason: 'missing_event_name' });
    expect(normalizeEvent('x', { sentAt: undefined, now: NOW })).toEqual({ ok: false, reason: 'event_not_an_object' });
    expect(normalizeEvent([{ event: 'e' }], { sentAt: undefined, now: NOW })).toEqual({ ok: false, reason: 'event_not_an_object' });
  });

  it('names /engage events without an event field $identify', () => {
    const result = normalizeEvent({ distinct_id: 'u', $set: { plan: 'pro' } }, { sentAt: undefined, now: NOW, defaultEventName: '$identify' });
    expect(result.ok && result.event.event).toBe('$identify');
    expect(result.ok && result.event.set).toEqual({ plan: 'pro' });
  });

  it('truncates event names to 200 characters', () => {
    expect(normalized({ event: 'n'.repeat(300) }).event).toBe('n'.repeat(200));
  });

  it('keeps a valid uuid (lowercased) and generates one otherwise', () => {
    expect(normalized({ uuid: '01A215DF-56DF-76AF-BEB7-9AC224013900' }).uuid).toBe('01a215df-56df-76af-beb7-9ac224013900');
    for (const uuid of ['', 'not-a-uuid', 42, undefined]) {
      expect(normalized({ uuid }).uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  it('removes the project token from properties and keeps the others', () => {
    const event = normalized({ properties: { token: 'phc_x', plan: 'pro', $groups: { company: 'acme' } } });
    expect(event.properties).toEqual({ plan: 'pro', $groups: { company: 'acme' } });
  });

  it('takes over the raw properties object (no copy) and drops its token', () => {
    const raw = { event: 'e', distinct_id: 'u', properties: { token: 'phc_x', a: 1 } };
    const result = normalizeEvent(raw, { sentAt: undefined, now: NOW });
    expect(result.ok && result.event.properties).toBe(raw.properties);
    expect(raw.properties).toEqual({ a: 1 });
  });

  it('treats properties that are not an object as empty', () => {
    expect(normalized({ properties: 'nope' }).properties).toEqual({});
    expect(normalized({ properties: [1, 2] }).properties).toEqual({});
  });

  it('exposes top-level $set and $set_once only when they are objects', () => {
    const event = normalized({ $set: { a: 1 }, $set_once: { b: 2 } });
    expect([event.set, event.setOnce]).toEqual([{ a: 1 }, { b: 2 }]);
    const invalid = normalized({ $set: 'x', $set_once: [1] });
    expect([invalid.set, invalid.setOnce]).toEqual([undefined, undefined]);
  });
});

describe('eventToken', () => {
  it('reads token, $token, api_key or properties.token from an event', () => {
    expect(eventToken({ token: 'a' })).toBe('a');
    expect(eventToken({ $token: 'b' })).toBe('b');
    expect(eventToken({ api_key: 'c' })).toBe('c');
    expect(eventToken({ properties: { token: 'd' } })).toBe('d');
    expect(eventToken({ token: 'top', properties: { token: 'props' } })).toBe('top');
  });

  it('ignores empty or non-string tokens and non-objects', () => {
    expect(eventToken({ token: '' })).toBeUndefined();
    expect(eventToken({ token: 42 })).toBeUndefined();
    expect(eventToken('phc_x')).toBeUndefined();
    expect(eventToken(null)).toBeUndefined();
  });
});
