// What the decoding worker hands on per event: the few fields ingestion acts on, and the stored
// fields encoded for the store (event-rows.ts), together as one ingest log payload.
import type { Properties, PropertyValueType } from '../store/store.js';
import type { NormalizedEvent } from './normalize-event.js';
import { eventFieldsLine } from '../store/event-rows.js';
import { encodePayload, type EncodedPayload } from './ingest-log.js';
import { ByteWriter } from '../byte-writer.js';
import { detectPropertyType, isHiddenProperty } from './property-definitions.js';

/** What ingestion acts on, per event; its stored fields travel apart (event-rows.ts). */
export interface IngestEvent {
  readonly event: string;
  readonly distinctId: string;
  /** Epoch milliseconds. */
  readonly timestampMs: number;
  /** `$process_person_profile: false`. */
  readonly personless?: true;
  /** `$groups`, when it is an object. */
  readonly groups?: Properties;
  /** `$group_type`, `$group_key`, `$group_set` of a `$groupidentify`. */
  readonly groupIdentify?: { readonly type: unknown; readonly key: unknown; readonly set: unknown };
  /** `$set` and `$set_once` from properties, overridden per key by the top-level ones. */
  readonly set?: Properties;
  readonly setOnce?: Properties;
  /** `$unset` keys. */
  readonly unset?: readonly unknown[];
  readonly anonDistinctId?: string;
  readonly alias?: string;
}

/** Event property names with the type of their value, as first seen in one request. */
export type PropertyTypes = [name: string, type: PropertyValueType][];

const isPlainObject = (v: unknown): v is Properties => v !== null && typeof v === 'object' && !Array.isArray(v);

function mergeUpdates(fromProperties: unknown, topLevel: Properties | undefined): Properties | undefined {
  const inner = isPlainObject(fromProperties) ? fromProperties : undefined;
  if (!inner) return topLevel;
  return topLevel ? { ...inner, ...topLevel } : inner;
}

export function toIngestEvent(e: NormalizedEvent): IngestEvent {
  const p = e.properties;
  // Only fields that are present: every key is written to the log and parsed on the main thread.
  const event: Mutable<IngestEvent> = { event: e.event, distinctId: e.distinctId, timestampMs: e.timestamp.getTime() };
  if (p.$process_person_profile === false) event.personless = true;
  if (isPlainObject(p.$groups)) event.groups = p.$groups;
  if (e.event === '$groupidentify') event.groupIdentify = { type: p.$group_type, key: p.$group_key, set: p.$group_set };
  const set = mergeUpdates(p.$set, e.set);
  if (set) event.set = set;
  const setOnce = mergeUpdates(p.$set_once, e.setOnce);
  if (setOnce) event.setOnce = setOnce;
  if (p.$unset !== undefined) {
    const unset = Array.isArray(p.$unset) ? p.$unset : isPlainObject(p.$unset) ? Object.keys(p.$unset) : undefined;
    if (unset) event.unset = unset;
  }
  if (typeof p.$anon_distinct_id === 'string') event.anonDistinctId = p.$anon_distinct_id;
  if (typeof p.alias === 'string') event.alias = p.alias;
  return event;
}

/**
 * A request's accepted events as one ingest log payload (ingest-log.ts): what ingestion acts on,
 * and the stored fields as event-rows.ts encodes them, serialized once, here in the worker.
 */
export function encodeCapturedEvents(events: readonly NormalizedEvent[], dropped: readonly string[], propertyTypes: PropertyTypes): EncodedPayload {
  const acts: IngestEvent[] = [];
  // Written as bytes, not built as one string (see byte-writer.ts).
  const fields = new ByteWriter();
  let longest = 0;
  for (const e of events) {
    acts.push(toIngestEvent(e));
    const line = eventFieldsLine(e.uuid, e.event, e.distinctId, e.timestamp.getTime(), JSON.stringify(e.properties));
    if (line.length > longest) longest = line.length;
    fields.write(line);
  }
  // A UTF-16 code unit takes at most 3 bytes of UTF-8.
  return encodePayload({ events: acts, dropped, propertyTypes, maxLineBytes: longest * 3 }, fields.bytes());
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Adds the (name, type) of each visible property not yet in `seen`. */
export function collectPropertyTypes(properties: Properties, seen: Map<string, PropertyValueType>): void {
  for (const name in properties) {
    if (seen.has(name) || isHiddenProperty(name)) continue;
    const type = detectPropertyType(properties[name]);
    if (type !== null) seen.set(name, type);
  }
}
