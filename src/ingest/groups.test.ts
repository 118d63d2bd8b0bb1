import { describe, expect, it } from 'vitest';
import { applyGroupIdentify, normalizeGroupKey, resolveEventGroups, WARNING_GROUP_TYPE_LIMIT } from './groups.js';
import { ingestEvent } from './ingest-processor.js';
import type { IngestEvent } from './ingest-event.js';
import type { ProjectState } from './project-state.js';
import { event, groupContext, newProjectState } from './test-helpers.js';

type Ctx = ReturnType<typeof groupContext>;
const resolveGroups = (state: ProjectState, e: IngestEvent, ctx: Ctx) => resolveEventGroups(state, e, new Date(e.timestampMs), ctx);
const identify = (state: ProjectState, e: IngestEvent, ctx: Ctx) => applyGroupIdentify(state, e.groupIdentify!, new Date(e.timestampMs), ctx);

describe('group processing', () => {
  it('gives new group types the lowest free slot and maps $groups to keys per slot', () => {
    const state = newProjectState();
    const ctx = groupContext();
    const keys = resolveGroups(state, event('x', 'u', { $groups: { company: 'acme', project: 42 } }), ctx);
    expect(keys).toEqual(['acme', '42', '', '', '']);
    expect(state.groupTypesByName.get('project')!.groupTypeIndex).toBe(1);
    state.removeGroupType(0);
    const later = resolveGroups(state, event('x', 'u', { $groups: { channel: 'c1', project: 'p' } }), ctx);
    expect(later).toEqual(['c1', 'p', '', '', '']);
  });

  it('treats empty keys as no group and ignores $groups that is not an object', () => {
    const state = newProjectState();
    const ctx = groupContext();
    expect(resolveGroups(state, event('x', 'u', { $groups: { company: '' } }), ctx)).toEqual(['', '', '', '', '']);
    expect(resolveGroups(state, event('x', 'u', { $groups: ['company'] }), ctx)).toEqual(['', '', '', '', '']);
    expect(normalizeGroupKey('a\u0000b')).toBe('ab');
    expect(normalizeGroupKey(null)).toBeUndefined();
  });

  it('records a warning instead of dropping a group type beyond the limit', () => {
    const state = newProjectState();
    const ctx = groupContext(2);
    const keys = resolveGroups(state, event('x', 'u', { $groups: { a: '1', b: '2', c: '3' } }), ctx);
    resolveGroups(state, event('x', 'u', { $groups: { c: '3' } }), ctx);
    expect(keys).toEqual(['1', '2', '', '', '']);
    expect(ctx.overflowed).toEqual(['c', 'c']);
    const [warning] = ctx.commit.build().warnings;
    expect(warning).toMatchObject({ type: WARNING_GROUP_TYPE_LIMIT, count: 2, details: { group_type: 'c', group_key: '3' } });
  });

  it('merges $group_set shallowly in ingestion order and keeps the earliest created_at', () => {
    const state = newProjectState();
    const ctx = groupContext();
    const identifyAt = (set: unknown, at: string) =>
      identify(
        state,
        event('$groupidentify', 'u', { $group_type: 'company', $group_key: 'acme', $group_set: set }, { timestamp: new Date(at) }),
        ctx,
      );
    identifyAt({ name: 'Acme', plan: 'free', nested: { a: 1 } }, '2026-03-01T00:00:00Z');
    identifyAt({ plan: 'pro', nested: { b: 2 } }, '2026-01-01T00:00:00Z');
    identifyAt({ plan: 'enterprise' }, '2026-02-01T00:00:00Z');
    const group = state.group(0, 'acme')!;
    expect(group.properties).toEqual({ name: 'Acme', plan: 'enterprise', nested: { b: 2 } });
    expect(group.createdAt.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(group.version).toBe(3);
  });

  it('does not bump the version when $group_set changes nothing (1 equals "1")', () => {
    const state = newProjectState();
    const ctx = groupContext();
    const props = (set: unknown) => ({ $group_type: 'company', $group_key: 'acme', $group_set: set });
    identify(state, event('$groupidentify', 'u', props({ seats: 1 })), ctx);
    identify(state, event('$groupidentify', 'u', props({ seats: '1' })), ctx);
    expect(state.group(0, 'acme')!.version).toBe(1);
  });

  it('warns about a $group_set that is not an object and leaves the group untouched', () => {
    const state = newProjectState();
    const ctx = groupContext();
    identify(state, event('$groupidentify', 'u', { $group_type: 'company', $group_key: 'acme', $group_set: 'oops' }), ctx);
    expect(state.cache.stats().groups).toBe(0);
    expect(ctx.commit.build().warnings.map((w) => w.type)).toEqual(['invalid_group_set']);
  });

  it('keeps groups on personless events and creates no person for synthetic $<type>_<key> ids', () => {
    const state = newProjectState();
    const ctx = groupContext();
    ingestEvent(state, event('ping', 'device', { $process_person_profile: false, $groups: { company: 'acme' } }), ctx, new Date());
    ingestEvent(
      state,
      event('$groupidentify', '$company_acme', { $group_type: 'company', $group_key: 'acme', $group_set: { name: 'Acme' } }),
      ctx,
      new Date(),
    );
    const built = ctx.commit.build();
    expect(Buffer.concat(built.events.resolved).toString('utf8').split('\n').slice(0, -1).map((line) => line.split(',')[2])).toEqual(['\u0001acme\u0001', '\u0001\u0001']);
    expect([...built.newPersons, ...built.changedPersons]).toHaveLength(0);
    expect(state.group(0, 'acme')!.properties).toEqual({ name: 'Acme' });
  });
});
