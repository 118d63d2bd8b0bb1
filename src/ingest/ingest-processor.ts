// Applies the ingestion steps to normalized events, in ingestion order, mutating the in-memory
// project state and collecting everything to write into a CommitBuilder.
import type { Properties } from '../store/store.js';
import { CommitBuilder } from './commit-builder.js';
import { applyGroupIdentify, normalizeGroupKey, resolveEventGroups, type GroupContext } from './groups.js';
import type { IngestEvent } from './ingest-event.js';
import { personIdWithoutProcessing, processPerson } from './persons.js';
import type { ProjectState } from './project-state.js';
import { recordPropertyDefinitions } from './property-definitions.js';

export const WARNING_EVENT_DROPPED = 'event_dropped';

const isPlainObject = (v: unknown): v is Properties => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * posthog-node's groupIdentify without a distinct id sends "$<type>_<key>": a stand-in, not a
 * person, so it must not create one.
 */
function isSyntheticGroupIdentify(event: IngestEvent): boolean {
  if (!event.groupIdentify) return false;
  const key = normalizeGroupKey(event.groupIdentify.key);
  return key !== undefined && event.distinctId === `$${String(event.groupIdentify.type)}_${key}`;
}

/** Event property definitions come per request (see recordEventPropertyTypes), not per event. */
export function ingestEvent(state: ProjectState, event: IngestEvent, ctx: GroupContext, now: Date): void {
  const commit = ctx.commit;
  const personless = event.personless || isSyntheticGroupIdentify(event);
  const timestamp = new Date(event.timestampMs);

  // Groups attach to every event, personless ones included (PostHog drops them there).
  const groupKeys = resolveEventGroups(state, event, timestamp, ctx);
  if (event.groupIdentify) {
    const index = applyGroupIdentify(state, event.groupIdentify, timestamp, ctx);
    const groupSet = event.groupIdentify.set;
    if (index !== undefined && isPlainObject(groupSet)) recordPropertyDefinitions(state, 'group', index, groupSet, now, commit);
  }

  const personId = personless ? personIdWithoutProcessing(state, event.distinctId) : processPerson(state, event, timestamp, commit);
  if (!personless) {
    if (event.set) recordPropertyDefinitions(state, 'person', -1, event.set, now, commit);
    if (event.setOnce) recordPropertyDefinitions(state, 'person', -1, event.setOnce, now, commit);
  }

  commit.addEvent(state.projectId, personId, groupKeys, now.getTime());
}
