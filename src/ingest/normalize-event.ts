// Turns one raw event from the wire into a normalized event, or a reason to drop it.
// Rules from PostHog's capture service (spec 2.2-2.3).
import { randomUUID } from 'node:crypto';
import type { Properties } from '../store/store.js';

export interface NormalizedEvent {
  readonly uuid: string;
  readonly event: string;
  readonly distinctId: string;
  readonly properties: Properties;
  readonly timestamp: Date;
  /** Top-level `$set`/`$set_once` (they win over the same keys in properties). */
  readonly set: Properties | undefined;
  readonly setOnce: Properties | undefined;
}

export type NormalizeResult = { ok: true; event: NormalizedEvent } | { ok: false; reason: string };

export interface NormalizeContext {
  readonly sentAt: Date | undefined;
  readonly now: Date;
  /** `/engage` events without a name are identify calls. */
  readonly defaultEventName?: string;
}

const MAX_DISTINCT_ID_LENGTH = 200;
const MAX_EVENT_NAME_LENGTH = 200;
const MAX_FUTURE_MS = 23 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isPlainObject = (v: unknown): v is Properties => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A token carried by the event itself (`token`, `$token`, `api_key`, or `properties.token`). */
export function eventToken(raw: unknown): string | undefined {
  if (!isPlainObject(raw)) return undefined;
  const props = isPlainObject(raw.properties) ? raw.properties : {};
  const token = raw.token ?? raw.$token ?? raw.api_key ?? props.token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

function normalizeDistinctId(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  let id = typeof value === 'string' ? value : JSON.stringify(value);
  id = id.replaceAll('\u0000', '\uFFFD');
  if (id.trim() === '') return undefined;
  return id.length > MAX_DISTINCT_ID_LENGTH ? [...id].slice(0, MAX_DISTINCT_ID_LENGTH).join('') : id;
}

const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Lenient timestamp parsing: RFC 3339, "+HH" offsets, date-only, space-separated, numeric epochs;
 * datetimes without a zone are UTC (never the server's local time).
 */
export function parseTimestamp(value: unknown): Date | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    // Epoch seconds or milliseconds: anything below 1e11 is seconds (that is before 1973 in ms).
    return validDate(Math.abs(value) < 1e11 ? value * 1000 : value);
  }
  if (typeof value !== 'string') return undefined;
  // Fast path for what SDKs send: "2026-11-26T03:21:43.048Z" (JavaScript's toISOString).
  if (value.length === 24 && ISO_UTC_MS.test(value)) return validDate(Date.parse(value));
  let text = value.trim();
  if (text === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(text)) return parseTimestamp(Number(text));
  text = text.replace(/^(\d{4}-\d{2}-\d{2}) +(?=\d)/, '$1T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00Z';
  if (/^\d{4}-\d{2}-\d{2}T\d/.test(text)) {
    // "+HH" and "+HHMM" offsets become "+HH:MM"; no zone at all means UTC.
    text = text.replace(/\s+([+-]\d{2}(?::?\d{2})?|Z)$/i, '$1');
    text = text.replace(/([+-]\d{2})$/, '$1:00').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
    if (/T[\d:.]+$/.test(text)) text += 'Z';
  }
  return validDate(Date.parse(text));
}

function validDate(ms: number): Date | undefined {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function eventTime(raw: Properties, props: Properties, context: NormalizeContext): Date {
  const { now, sentAt } = context;
  let time: Date;
  if (typeof raw.offset === 'number' && Number.isFinite(raw.offset)) {
    time = new Date(now.getTime() - raw.offset);
  } else {
    const parsed = parseTimestamp(raw.timestamp);
    if (!parsed) {
      time = now;
    } else if (sentAt && !props.$ignore_sent_at) {
      // The client clock may be off: shift by the difference between its send time and ours.
      time = new Date(parsed.getTime() - (sentAt.getTime() - now.getTime()));
    } else {
      time = parsed;
    }
  }
  if (Number.isNaN(time.getTime())) return now;
  // In this order, as PostHog: far future becomes now, then years outside 0..9999 the epoch.
  if (time.getTime() - now.getTime() > MAX_FUTURE_MS) return now;
  const year = time.getUTCFullYear();
  if (year < 0 || year > 9999) return new Date(0);
  return time;
}

export function normalizeEvent(raw: unknown, context: NormalizeContext): NormalizeResult {
  if (!isPlainObject(raw)) return { ok: false, reason: 'event_not_an_object' };
  // The parsed request is ours alone: use its properties object as is rather than copying it.
  const props: Properties = isPlainObject(raw.properties) ? raw.properties : {};
  const name = raw.event ?? context.defaultEventName;
  if (typeof name !== 'string' || name === '') return { ok: false, reason: 'missing_event_name' };
  const distinctId = normalizeDistinctId(raw.distinct_id ?? raw.$distinct_id ?? props.distinct_id);
  if (distinctId === undefined) return { ok: false, reason: 'missing_distinct_id' };
  const uuid = typeof raw.uuid === 'string' && UUID.test(raw.uuid) ? raw.uuid.toLowerCase() : randomUUID();
  // The token authenticates the request; it is not an event property worth keeping.
  if ('token' in props) delete props.token;
  return {
    ok: true,
    event: {
      uuid,
      event: name.length > MAX_EVENT_NAME_LENGTH ? [...name].slice(0, MAX_EVENT_NAME_LENGTH).join('') : name,
      distinctId,
      properties: props,
      timestamp: eventTime(raw, props, context),
      set: isPlainObject(raw.$set) ? raw.$set : undefined,
      setOnce: isPlainObject(raw.$set_once) ? raw.$set_once : undefined,
    },
  };
}
