// Builders shared by the ingestion unit tests.
import type { Properties } from '../store/store.js';
import { CommitBuilder } from './commit-builder.js';
import type { GroupContext } from './groups.js';
import { encodeCapturedEvents, toIngestEvent, type IngestEvent, type PropertyTypes } from './ingest-event.js';
import type { EncodedPayload } from './ingest-log.js';
import type { NormalizedEvent } from './normalize-event.js';
import { ActorCache } from './actor-cache.js';
import { MembershipFilter } from './membership-filter.js';
import { ProjectState } from './project-state.js';

/** A project's state over a cache of its own (unbounded unless told). */
export function newProjectState(id = 1, cache = new ActorCache(Infinity)): ProjectState {
  return new ProjectState(id, cache, new MembershipFilter(1024));
}

let counter = 0;
/** A normalized event, as the decoding worker has it, built from wire-like fields. */
export function wireEvent(name: string, distinctId: string, properties: Properties = {}, extra: Partial<NormalizedEvent> = {}): NormalizedEvent {
  counter += 1;
  return {
    uuid: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    event: name,
    distinctId,
    properties,
    timestamp: extra.timestamp ?? new Date('2026-01-01T00:00:00Z'),
    set: undefined,
    setOnce: undefined,
    ...extra,
  };
}

/** What ingestion acts on for such an event. */
export function event(name: string, distinctId: string, properties: Properties = {}, extra: Partial<NormalizedEvent> = {}): IngestEvent {
  return toIngestEvent(wireEvent(name, distinctId, properties, extra));
}

/** A capture request's events as the decoding worker hands them to the ingest queue. */
export function captured(events: readonly NormalizedEvent[], dropped: readonly string[] = [], propertyTypes: PropertyTypes = []): EncodedPayload {
  return encodeCapturedEvents(events, dropped, propertyTypes);
}

export function groupContext(maxGroupTypes = 5): GroupContext & { overflowed: string[] } {
  const overflowed: string[] = [];
  return { maxGroupTypes, commit: new CommitBuilder(), onLimitExceeded: (_p, type) => overflowed.push(type), overflowed };
}
