// The compact form of a normalized event that crosses from the decoding worker to the ingest
// queue: the properties as JSON text (stored as is) plus the few fields ingestion acts on.
import type { Properties, PropertyValueType } from '../store/store.js';
import type { NormalizedEvent } from './normalize-event.js';
import { detectPropertyType, isHiddenProperty } from './property-definitions.js';

export interface IngestEvent {
  readonly uuid: string;
  readonly event: string;
  readonly distinctId: string;
  /** Epoch milliseconds. */
  readonly timestampMs: number;
  readonly propertiesJson: string;
  /** `$process_person_profile: false`. */
  readonly personless: boolean;
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
  // Only fields that are present: every key costs when the event crosses to the main thread.
  const event: Mutable<IngestEvent> = {
    uuid: e.uuid,
    event: e.event,
    distinctId: e.distinctId,
    timestampMs: e.timestamp.getTime(),
    propertiesJson: JSON.stringify(p),
    personless: p.$process_person_profile === false,
  };
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

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Adds the (name, type) of each visible property not yet in `seen`. */
export function collectPropertyTypes(properties: Properties, seen: Map<string, PropertyValueType>): void {
  for (const name in properties) {
    if (seen.has(name) || isHiddenProperty(name)) continue;
    const type = detectPropertyType(properties[name]);
    if (type !== null) seen.set(name, type);
  }
}
