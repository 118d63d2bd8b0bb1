// A flag definition compiled for evaluation: conditions with their property tests ready, the
// cumulative variant bounds, and the tables its interned results go in.
import type { FlagDefinition } from './flag-definition.js';
import type { FlagResult } from './flag-result.js';
import { compilePropertyTest, type PropertyTest } from './match-property.js';

export interface CompiledFilter {
  /**
   * Whose properties the filter reads: the person's (null), or a group type's [flag_matching.rs
   * `resolve_for_filter`]: its own group_type_index, else the condition's aggregation.
   */
  readonly groupTypeIndex: number | null;
  readonly test: PropertyTest;
}

export interface CompiledCondition {
  /** The group type index the condition buckets by; null for persons. */
  readonly aggregation: number | null;
  readonly filters: readonly CompiledFilter[];
  readonly rolloutPercentage: number | null;
  /** The condition's variant override, when it names one of the flag's variants. */
  readonly variant: string | null;
}

/**
 * A flag prepared for evaluation: compiled once per flag version and reused for every request.
 * Its results are interned (one frozen object per outcome), so evaluating allocates nothing and
 * callers can cache what they derive from a result (such as its JSON) by identity.
 */
export interface CompiledFlag {
  readonly definition: FlagDefinition;
  /** Its place in a `FlagSet`: rollout bucket at 2 * slot, variant bucket at 2 * slot + 1. */
  readonly slot: number;
  readonly conditions: readonly CompiledCondition[];
  /** Cumulative variant bounds, accumulated as posthog-node and the flags service do. */
  readonly variants: readonly { readonly key: string; readonly upTo: number }[];
  /** Interned results: matches by condition and variant; the rest by outcome slot (`outcomeSlot`). */
  readonly matched: readonly Map<string | null, FlagResult>[];
  readonly unmatched: (FlagResult | undefined)[];
}

export function compileFlag(flag: FlagDefinition, slot = 0): CompiledFlag {
  const variantKeys = new Set((flag.filters.multivariate?.variants ?? []).map((v) => v.key));
  let cumulative = 0;
  return {
    definition: flag,
    slot,
    conditions: flag.filters.groups.map((condition) => {
      const aggregation = condition.aggregation_group_type_index ?? flag.filters.aggregation_group_type_index;
      return {
        aggregation,
        filters: condition.properties.map((filter) => ({
          groupTypeIndex: filter.type === 'person' ? null : (filter.group_type_index ?? aggregation),
          test: compilePropertyTest(filter),
        })),
        rolloutPercentage: condition.rollout_percentage,
        variant: condition.variant !== null && variantKeys.has(condition.variant) ? condition.variant : null,
      };
    }),
    variants: (flag.filters.multivariate?.variants ?? []).map((v) => ({ key: v.key, upTo: (cumulative += v.rollout_percentage / 100) })),
    matched: flag.filters.groups.map(() => new Map()),
    unmatched: [],
  };
}
