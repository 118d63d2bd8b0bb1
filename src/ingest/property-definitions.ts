// Records the names and value types of event, person and group properties as they are first seen,
// for property pickers (spec 4.6).
import type { Properties, PropertyDefinitionType, PropertyValueType } from '../store/store.js';
import type { CommitBuilder } from './commit-builder.js';
import type { ProjectState } from './project-state.js';

// Internal bookkeeping properties PostHog hides from pickers.
const HIDDEN = new Set([
  '$groups', '$group_type', '$group_key', '$group_set', '$group_0', '$group_1', '$group_2', '$group_3', '$group_4',
  '$set', '$set_once', '$unset', 'distinct_id', 'token',
]);

export const isHiddenProperty = (name: string): boolean => HIDDEN.has(name);

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

export function detectPropertyType(value: unknown): PropertyValueType | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return 'Numeric';
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return 'Boolean';
    if (ISO_DATE.test(value)) return 'DateTime';
    return 'String';
  }
  return 'String';
}

export function recordPropertyDefinitions(
  state: ProjectState,
  type: PropertyDefinitionType,
  groupTypeIndex: number,
  properties: Properties,
  at: Date,
  commit: CommitBuilder,
): void {
  const known = state.definitionNames(type, groupTypeIndex);
  for (const name in properties) {
    if (known.has(name) || HIDDEN.has(name)) continue;
    const propertyType = detectPropertyType(properties[name]);
    if (propertyType === null) continue;
    known.add(name);
    commit.addPropertyDefinition({ projectId: state.projectId, type, groupTypeIndex, name, propertyType, createdAt: at });
  }
}

/** Records event property types already collected (by name) in the decoding worker. */
export function recordEventPropertyTypes(
  state: ProjectState,
  types: readonly (readonly [string, PropertyValueType])[],
  at: Date,
  commit: CommitBuilder,
): void {
  const known = state.definitionNames('event', -1);
  for (const [name, propertyType] of types) {
    if (known.has(name)) continue;
    known.add(name);
    commit.addPropertyDefinition({ projectId: state.projectId, type: 'event', groupTypeIndex: -1, name, propertyType, createdAt: at });
  }
}
