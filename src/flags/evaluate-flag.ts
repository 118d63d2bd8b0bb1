// The one feature flag evaluator, shared by every endpoint: pure functions, no I/O. It follows
// PostHog's flags service (rust/feature-flags flag_matching.rs `get_match`, spec 5.3) and agrees
// with posthog-node's local evaluation wherever that is conclusive (test/flags-local-evaluation-
// agreement.test.ts runs both on every fixture in test/fixtures/flags/).
import { compileFlag, type CompiledFilter, type CompiledFlag } from './compile-flag.js';
import type { FlagDefinition } from './flag-definition.js';
import { REASON_RANK, result, type FlagReasonCode, type FlagResult } from './flag-result.js';
import { BucketCache, inRollout, variantFor } from './rollout.js';

// The evaluator's parts, re-exported so that its importers need only this module.
export { BucketCache } from './rollout.js';
export { compileFlag, type CompiledFlag } from './compile-flag.js';
export type { FlagReasonCode, FlagResult } from './flag-result.js';
export { matchProperty } from './match-property.js';

export interface EvaluationContext {
  readonly distinctId: string;
  /** Group type name → group key, as sent in the /flags `groups`. */
  readonly groups: Readonly<Record<string, string | number>>;
  /** Group type index → group type name, for this project. */
  readonly groupTypeMapping: Readonly<Record<number, string>>;
  /** Stored person properties merged with the request's overrides, plus `distinct_id`. */
  readonly personProperties: Readonly<Record<string, unknown>>;
  /** Group type name → stored group properties merged with the request's, plus `$group_key`. */
  readonly groupProperties: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The clock for relative date filters ("-7d"); the current time when absent. */
  readonly now?: Date;
}

/** Flags compiled together, sharing one bucket cache (32 MB at most, 10,000 identifiers at 200 flags). */
export class FlagSet {
  readonly flags: readonly CompiledFlag[];
  private readonly buckets: BucketCache;

  constructor(definitions: readonly FlagDefinition[], bucketCapacity = Math.max(1000, Math.floor(2 ** 25 / (16 * Math.max(1, definitions.length))))) {
    this.flags = definitions.map((definition, index) => compileFlag(definition, index));
    this.buckets = new BucketCache(2 * Math.max(1, definitions.length), bucketCapacity);
  }

  /** Every flag of the set, or those whose keys are wanted, in the set's order. */
  evaluate(ctx: EvaluationContext, wantedKeys?: ReadonlySet<string>): FlagResult[] {
    const prepared = prepareContext(ctx, this.buckets);
    const results: FlagResult[] = [];
    for (const flag of this.flags) if (!wantedKeys || wantedKeys.has(flag.definition.key)) results.push(evaluatePrepared(flag, prepared));
    return results;
  }
}

export function evaluateFlag(flag: FlagDefinition, ctx: EvaluationContext): FlagResult {
  return evaluatePrepared(compileFlag(flag), prepareContext(ctx, undefined));
}

/** The request's context resolved once for all flags: group keys and properties by type index. */
interface PreparedContext {
  readonly distinctId: string;
  readonly personProperties: Readonly<Record<string, unknown>>;
  /** By group type index: the request's usable group key, or undefined. */
  readonly groupKeys: readonly (string | undefined)[];
  /** By group type index: the group's properties, or none. */
  readonly groupProperties: readonly Readonly<Record<string, unknown>>[];
  readonly now: Date;
  readonly buckets: BucketCache | undefined;
}

const NO_PROPERTIES: Readonly<Record<string, unknown>> = Object.freeze({});

function prepareContext(ctx: EvaluationContext, buckets: BucketCache | undefined): PreparedContext {
  const groupKeys: (string | undefined)[] = [];
  const groupProperties: Readonly<Record<string, unknown>>[] = [];
  for (const [index, typeName] of Object.entries(ctx.groupTypeMapping)) {
    groupKeys[Number(index)] = groupKey(typeName, ctx);
    groupProperties[Number(index)] = Object.hasOwn(ctx.groupProperties, typeName) ? ctx.groupProperties[typeName] : NO_PROPERTIES;
  }
  return { distinctId: ctx.distinctId, personProperties: ctx.personProperties, groupKeys, groupProperties, now: ctx.now ?? new Date(), buckets };
}

/**
 * The group key the request sent for a group type, or undefined when it did not send a usable
 * one: a non-empty string or a number [flag_matching.rs: `has_group_key`].
 */
function groupKey(typeName: string, ctx: EvaluationContext): string | undefined {
  if (!Object.hasOwn(ctx.groups, typeName)) return undefined;
  const key: unknown = ctx.groups[typeName];
  if (typeof key === 'string') return key === '' ? undefined : key;
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  return undefined;
}

function evaluatePrepared(flag: CompiledFlag, ctx: PreparedContext): FlagResult {
  const { definition } = flag;
  if (!definition.active || definition.deleted) return result(flag, 'flag_disabled', null, null, false);
  let bestCode: FlagReasonCode | null = null;
  let bestIndex: number | null = null;
  let skippedGroupCondition = false;

  for (let index = 0; index < flag.conditions.length; index++) {
    const condition = flag.conditions[index];
    // An index the project has no group type for has no key either.
    const identifier = condition.aggregation === null ? ctx.distinctId : ctx.groupKeys[condition.aggregation];
    let code: FlagReasonCode;
    if (identifier === undefined) {
      skippedGroupCondition = true;
      code = 'no_group_type';
    } else if (!matchesAll(condition.filters, ctx)) {
      code = 'no_condition_match';
    } else if (!inRollout(flag, identifier, condition.rolloutPercentage, ctx.buckets)) {
      code = 'out_of_rollout_bound';
    } else {
      return result(flag, 'condition_match', index, variantFor(flag, condition, identifier, ctx.buckets), false);
    }
    // Ties go to the later condition, as in the flags service (`current <= new`).
    if (bestCode === null || REASON_RANK[code] >= REASON_RANK[bestCode]) {
      bestCode = code;
      bestIndex = index;
    }
  }
  // A flag without conditions matches nobody. (The flags service reports no_group_type here, an
  // artefact of seeding its search with the lowest reason; "no matching condition" is the truth.)
  const code = bestCode ?? 'no_condition_match';
  return result(flag, code, bestIndex, null, code === 'no_condition_match' && skippedGroupCondition);
}

function matchesAll(filters: readonly CompiledFilter[], ctx: PreparedContext): boolean {
  for (const filter of filters) {
    const properties = filter.groupTypeIndex === null ? ctx.personProperties : (ctx.groupProperties[filter.groupTypeIndex] ?? NO_PROPERTIES);
    if (!filter.test(properties, ctx.now)) return false;
  }
  return true;
}
