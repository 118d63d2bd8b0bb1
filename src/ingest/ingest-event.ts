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
  const unset = Array.isArray(p.$unset) ? p.$unset : isPlainObject(p.$unset) ? Object.keys(p.$unset) : undefined;
  return {
    uuid: e.uuid,
    event: e.event,
    distinctId: e.distinctId,
    timestampMs: e.timestamp.getTime(),
    propertiesJson: JSON.stringify(p),
    personless: p.$process_person_profile === false,
    groups: isPlainObject(p.$groups) ? p.$groups : undefined,
    groupIdentify: e.event === '$groupidentify' ? { type: p.$group_type, key: p.$group_key, set: p.$group_set } : undefined,
    set: mergeUpdates(p.$set, e.set),
    setOnce: mergeUpdates(p.$set_once, e.setOnce),
    unset,
    anonDistinctId: typeof p.$anon_distinct_id === 'string' ? p.$anon_distinct_id : undefined,
    alias: typeof p.alias === 'string' ? p.alias : undefined,
  };
}

/** Adds the (name, type) of each visible property not yet in `seen`. */
export function collectPropertyTypes(properties: Properties, seen: Map<string, PropertyValueType>): void {
  for (const name in properties) {
    if (seen.has(name) || isHiddenProperty(name)) continue;
    const type = detectPropertyType(properties[name]);
    if (type !== null) seen.set(name, type);
  }
}
