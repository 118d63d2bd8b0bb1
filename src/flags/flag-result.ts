// What evaluating a flag answers: the result with its reason, interned per flag and outcome.
import type { CompiledFlag } from './compile-flag.js';

export type FlagReasonCode = 'condition_match' | 'out_of_rollout_bound' | 'no_condition_match' | 'no_group_type' | 'flag_disabled';

export interface FlagResult {
  readonly key: string;
  readonly enabled: boolean;
  readonly variant: string | null;
  readonly reason: { readonly code: FlagReasonCode; readonly condition_index: number | null; readonly description: string };
  /** The JSON text stored for the variant key, or for "true"; only for enabled flags. */
  readonly payload: string | null;
  readonly metadata: { readonly id: number; readonly version: number; readonly description: null; readonly payload: string | null };
}

// When no condition matches, the answer is the most informative reason seen [flag_match_reason.rs
// `score`]: a condition that ran outranks one skipped for want of a group key.
export const REASON_RANK: Record<FlagReasonCode, number> = {
  flag_disabled: 0,
  no_group_type: 1,
  no_condition_match: 2,
  out_of_rollout_bound: 3,
  condition_match: 4,
};

/** The interned result for an outcome, built the first time that outcome occurs. */
export function result(flag: CompiledFlag, code: FlagReasonCode, conditionIndex: number | null, variant: string | null, groupsSkipped: boolean): FlagResult {
  const matched = code === 'condition_match' ? flag.matched[conditionIndex ?? 0] : undefined;
  const slot = outcomeSlot(flag, code, conditionIndex, groupsSkipped);
  const interned = matched ? matched.get(variant) : flag.unmatched[slot];
  if (interned !== undefined) return interned;
  const { definition } = flag;
  const enabled = code === 'condition_match';
  const payload = enabled ? (definition.filters.payloads[variant ?? 'true'] ?? null) : null;
  const built = deepFreeze({
    key: definition.key,
    enabled,
    variant,
    reason: { code, condition_index: conditionIndex, description: describe(code, conditionIndex, groupsSkipped) },
    payload,
    metadata: { id: definition.id, version: definition.version, description: null, payload },
  });
  if (matched) matched.set(variant, built);
  else flag.unmatched[slot] = built;
  return built;
}

/** A small integer per (reason, condition index or none, groups skipped). */
function outcomeSlot(flag: CompiledFlag, code: FlagReasonCode, conditionIndex: number | null, groupsSkipped: boolean): number {
  const indexes = flag.conditions.length + 1;
  return (REASON_RANK[code] * indexes + (conditionIndex ?? indexes - 1)) * 2 + (groupsSkipped ? 1 : 0);
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (inner !== null && typeof inner === 'object') Object.freeze(inner);
  return Object.freeze(value);
}

// The flags service's descriptions [rust/feature-flags api/types.rs `get_reason_description`].
function describe(code: FlagReasonCode, conditionIndex: number | null, groupsSkipped: boolean): string {
  switch (code) {
    case 'condition_match':
      return `Matched condition set ${(conditionIndex ?? 0) + 1}`;
    case 'out_of_rollout_bound':
      return 'Out of rollout bound';
    case 'no_condition_match':
      return groupsSkipped
        ? 'No matching condition set (group conditions were not evaluated because no group type was provided)'
        : 'No matching condition set';
    case 'no_group_type':
      return 'No group type';
    case 'flag_disabled':
      return 'Feature flag is disabled';
  }
}
