// PostHog's JSON shapes for actors, groups and events (spec 4.2, 4.5).
import type { Group, GroupType, IngestionWarning, Person, PropertyDefinition, StoredEvent } from '../store/store.js';

const PERSON_NAME_PROPERTIES = ['email', 'Email', '$email', 'name', 'Name', 'username', 'Username', 'UserName'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function groupDisplayName(group: Pick<Group, 'properties' | 'groupKey'>): string {
  const name = group.properties.name;
  return name ? String(name) : group.groupKey;
}

export function personDisplayName(person: Person): string {
  for (const key of PERSON_NAME_PROPERTIES) {
    const value = person.properties[key];
    if (value) return String(value);
  }
  return person.distinctIds.find((id) => !UUID.test(id)) ?? person.id;
}

export function serializeGroupType(t: GroupType) {
  return {
    group_type: t.groupType,
    group_type_index: t.groupTypeIndex,
    name_singular: t.nameSingular,
    name_plural: t.namePlural,
    detail_dashboard: null,
    default_columns: null,
    created_at: t.createdAt.toISOString(),
  };
}

export function serializeGroup(g: Group) {
  return {
    group_type_index: g.groupTypeIndex,
    group_key: g.groupKey,
    group_properties: g.properties,
    created_at: g.createdAt.toISOString(),
  };
}

export function serializeGroupActor(g: Group) {
  return {
    type: 'group' as const,
    id: g.groupKey,
    group_key: g.groupKey,
    group_type_index: g.groupTypeIndex,
    created_at: g.createdAt.toISOString(),
    properties: g.properties,
    matched_recordings: [],
    value_at_data_point: null,
  };
}

export function serializePerson(p: Person) {
  return {
    type: 'person' as const,
    id: p.id,
    uuid: p.id,
    name: personDisplayName(p),
    distinct_ids: p.distinctIds,
    properties: p.properties,
    is_identified: p.isIdentified,
    created_at: p.createdAt.toISOString(),
    matched_recordings: [],
    value_at_data_point: null,
  };
}

export function serializeEvent(e: StoredEvent) {
  const properties = JSON.parse(e.propertiesJson) as Record<string, unknown>;
  // $group_N live in columns; show them in properties as PostHog's API does.
  e.groupKeys.forEach((key, index) => {
    if (key !== '') properties[`$group_${index}`] = key;
  });
  return {
    id: e.uuid,
    uuid: e.uuid,
    event: e.event,
    distinct_id: e.distinctId,
    person_id: e.personId,
    properties,
    timestamp: e.timestamp.toISOString(),
    elements: [],
    elements_chain: '',
  };
}

/**
 * An event with its person, as the events list gives it (PostHog's events API has `person` too):
 * `{id, name, distinct_id}` with the person's display name, or null when the person is gone.
 */
export function serializeEventWithPerson(e: StoredEvent, person: Person | undefined) {
  return {
    ...serializeEvent(e),
    person: person ? { id: person.id, name: personDisplayName(person), distinct_id: e.distinctId } : null,
  };
}

export function serializePropertyDefinition(d: PropertyDefinition) {
  return {
    id: `${d.type}:${d.groupTypeIndex}:${d.name}`,
    name: d.name,
    type: d.type,
    group_type_index: d.type === 'group' ? d.groupTypeIndex : null,
    is_numerical: d.propertyType === 'Numeric',
    property_type: d.propertyType,
    tags: [],
    is_seen_on_filtered_events: null,
  };
}

export function serializeWarning(w: IngestionWarning) {
  return {
    type: w.type,
    key: w.key,
    details: w.details,
    count: w.count,
    first_seen: w.firstSeen.toISOString(),
    last_seen: w.lastSeen.toISOString(),
  };
}
