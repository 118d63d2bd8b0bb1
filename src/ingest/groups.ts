// Group processing (spec 1.3-1.5, 2.4-2.5): group type slots, $group_N keys on events, and
// $groupidentify upserts. Unlike PostHog, a type beyond the limit is never dropped silently.
import type { Group, GroupType, Properties } from '../store/store.js';
import type { CommitBuilder } from './commit-builder.js';
import type { IngestEvent } from './ingest-event.js';
import type { ProjectState } from './project-state.js';

export const WARNING_GROUP_TYPE_LIMIT = 'group_type_limit_exceeded';
export const WARNING_INVALID_GROUP_SET = 'invalid_group_set';
export const WARNING_INVALID_GROUP_KEY = 'invalid_group_key';

const isPlainObject = (v: unknown): v is Properties => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Group keys are strings; numbers and booleans are stringified, NUL removed, empty means none. */
export function normalizeGroupKey(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
  const text = typeof value === 'string' ? value : String(value);
  const key = text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
  return key === '' ? undefined : key;
}

export interface GroupContext {
  readonly maxGroupTypes: number;
  readonly commit: CommitBuilder;
  /** Called once per (project, type) the first time a type overflows the limit. */
  readonly onLimitExceeded: (projectId: number, groupType: string) => void;
}

/** The slot of a group type, creating the type in the lowest free slot; undefined when full. */
export function resolveGroupTypeIndex(state: ProjectState, groupType: string, at: Date, ctx: GroupContext): number | undefined {
  const existing = state.groupTypesByName.get(groupType);
  if (existing) return existing.groupTypeIndex;
  for (let index = 0; index < ctx.maxGroupTypes; index++) {
    if (state.groupTypesByIndex.has(index)) continue;
    const type: GroupType = {
      projectId: state.projectId,
      groupTypeIndex: index,
      groupType,
      nameSingular: null,
      namePlural: null,
      createdAt: at,
    };
    state.addGroupType(type);
    ctx.commit.addGroupType(type);
    return index;
  }
  return undefined;
}

function warnLimit(state: ProjectState, groupType: string, groupKey: string, at: Date, ctx: GroupContext): void {
  ctx.commit.warn(
    state.projectId,
    WARNING_GROUP_TYPE_LIMIT,
    `${groupType}\u0000${groupKey}`,
    { group_type: groupType, group_key: groupKey, max_group_types: ctx.maxGroupTypes },
    at,
  );
  ctx.onLimitExceeded(state.projectId, groupType);
}

/** Maps `$groups` on an event to one key per slot ('' where absent). */
export function resolveEventGroups(state: ProjectState, event: IngestEvent, at: Date, ctx: GroupContext): string[] {
  const keys: string[] = ['', '', '', '', ''];
  const groups = event.groups;
  if (!groups) return keys;
  for (const groupType in groups) {
    if (groupType === '') continue;
    const rawKey = groups[groupType];
    const groupKey = normalizeGroupKey(rawKey);
    if (groupKey === undefined) {
      if (rawKey !== null && rawKey !== undefined && rawKey !== '') {
        ctx.commit.warn(state.projectId, WARNING_INVALID_GROUP_KEY, groupType, { group_type: groupType, value_type: typeof rawKey }, at);
      }
      continue;
    }
    const index = resolveGroupTypeIndex(state, groupType, at, ctx);
    if (index === undefined) warnLimit(state, groupType, groupKey, at, ctx);
    else keys[index] = groupKey;
  }
  return keys;
}

/**
 * Applies a `$groupidentify`: shallow merge of `$group_set`, in ingestion order. Returns the
 * group type index, or undefined when nothing was applied.
 */
export function applyGroupIdentify(
  state: ProjectState,
  identify: NonNullable<IngestEvent['groupIdentify']>,
  at: Date,
  ctx: GroupContext,
): number | undefined {
  const groupType = identify.type;
  const groupKey = normalizeGroupKey(identify.key);
  if (typeof groupType !== 'string' || groupType === '' || groupKey === undefined) return undefined;
  const groupSet = identify.set ?? {};
  if (!isPlainObject(groupSet)) {
    ctx.commit.warn(state.projectId, WARNING_INVALID_GROUP_SET, `${groupType}\u0000${groupKey}`, { group_type: groupType, group_key: groupKey }, at);
    return undefined;
  }
  const index = resolveGroupTypeIndex(state, groupType, at, ctx);
  if (index === undefined) {
    warnLimit(state, groupType, groupKey, at, ctx);
    return undefined;
  }
  const existing = state.group(index, groupKey);
  let next: Group;
  if (!existing) {
    next = {
      projectId: state.projectId,
      groupTypeIndex: index,
      groupKey,
      properties: { ...groupSet },
      createdAt: at,
      updatedAt: new Date(),
      version: 1,
    };
  } else {
    const properties = { ...existing.properties };
    let changed = false;
    for (const [key, value] of Object.entries(groupSet)) {
      // Loose comparison, as PostHog: 1 and "1" count as equal.
      // eslint-disable-next-line eqeqeq
      if (!(key in properties) || properties[key] != value) {
        properties[key] = value;
        changed = true;
      }
    }
    const createdAt = at.getTime() < existing.createdAt.getTime() ? at : existing.createdAt;
    if (!changed && createdAt === existing.createdAt) return index;
    next = { ...existing, properties, createdAt, updatedAt: new Date(), version: existing.version + 1 };
  }
  state.putGroup(next);
  ctx.commit.putGroup(next, !existing);
  return index;
}
