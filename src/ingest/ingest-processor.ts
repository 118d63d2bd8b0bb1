// Applies the ingestion steps to normalized events, in ingestion order, mutating the in-memory
// project state and collecting everything to write into a CommitBuilder.
import type { Properties } from '../store/store.js';
import { CommitBuilder } from './commit-builder.js';
import { applyGroupIdentify, normalizeGroupKey, resolveEventGroups, type GroupContext } from './groups.js';
import type { NormalizedEvent } from './normalize-event.js';
import { personIdWithoutProcessing, processPerson } from './persons.js';
import type { ProjectState } from './project-state.js';
import { recordPropertyDefinitions } from './property-definitions.js';

export const WARNING_EVENT_DROPPED = 'event_dropped';

const isPlainObject = (v: unknown): v is Properties => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * posthog-node's groupIdentify without a distinct id sends "$<type>_<key>": a stand-in, not a
 * person, so it must not create one.
 */
function isSyntheticGroupIdentify(event: NormalizedEvent): boolean {
  if (event.event !== '$groupidentify') return false;
  const key = normalizeGroupKey(event.properties.$group_key);
  return key !== undefined && event.distinctId === `$${String(event.properties.$group_type)}_${key}`;
}

export function ingestEvent(state: ProjectState, event: NormalizedEvent, ctx: GroupContext, now: Date): void {
  const commit = ctx.commit;
  const personless = event.properties.$process_person_profile === false || isSyntheticGroupIdentify(event);

  // Groups attach to every event, personless ones included (PostHog drops them there).
  const groupKeys = resolveEventGroups(state, event, ctx);
  if (event.event === '$groupidentify') {
    applyGroupIdentify(state, event, ctx);
    const groupSet = event.properties.$group_set;
    const index = state.groupTypesByName.get(String(event.properties.$group_type))?.groupTypeIndex;
    if (index !== undefined && isPlainObject(groupSet)) {
      recordPropertyDefinitions(state, 'group', index, groupSet, now, commit);
    }
  }

  const personId = personless ? personIdWithoutProcessing(state, event.distinctId) : processPerson(state, event, commit);
  if (!personless) {
    const props = event.properties;
    for (const update of [props.$set, props.$set_once, event.set, event.setOnce]) {
      if (isPlainObject(update)) recordPropertyDefinitions(state, 'person', -1, update, now, commit);
    }
  }
  recordPropertyDefinitions(state, 'event', -1, event.properties, now, commit);

  commit.events.push({
    uuid: event.uuid,
    projectId: state.project.id,
    event: event.event,
    distinctId: event.distinctId,
    personId,
    timestamp: event.timestamp,
    propertiesJson: JSON.stringify(event.properties),
    groupKeys,
    createdAt: now,
  });
}
