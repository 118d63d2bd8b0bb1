// The one feature flag evaluator, shared by every endpoint: pure functions, no I/O. It follows
// PostHog's flags service (rust/feature-flags flag_matching.rs `get_match`, spec 5.3) and agrees
// with posthog-node's local evaluation wherever that is conclusive (test/flags-local-evaluation-
// agreement.test.ts runs both on every fixture in test/fixtures/flags/).
import type { FlagDefinition, FlagPropertyFilter } from './flag-definition.js';
import { hash } from './hash.js';

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

/**
 * Rollout and variant buckets by identifier, for one set of compiled flags: the same person or
 * group asks for flags again and again, and SHA-1 is the largest part of evaluating a flag. A
 * bucket depends only on the flag key and identifier, so entries never go stale; past `capacity`
 * the identifiers first seen longest ago are dropped (an identifier still in use is simply
 * hashed again; moving it up on every hit would cost more than that).
 */
export class BucketCache {
  private readonly rows = new Map<string, Float64Array>();
  /** Identifiers in the order first seen, as a ring once full; `oldest` is the next to go. */
  private readonly insertionOrder: string[] = [];
  private oldest = 0;
  // The last two rows asked for: a request asks for its distinct id's and group key's rows once per flag.
  private recentKey: string | undefined;
  private recentRow: Float64Array | undefined;
  private olderKey: string | undefined;
  private olderRow: Float64Array | undefined;

  constructor(
    /** Two slots (rollout, variant) per flag of the set. */
    private readonly slots: number,
    private readonly capacity: number,
  ) {}

  row(identifier: string): Float64Array {
    if (identifier === this.recentKey) return this.recentRow as Float64Array;
    if (identifier === this.olderKey) return this.olderRow as Float64Array;
    const row = this.lookUp(identifier);
    this.olderKey = this.recentKey;
    this.olderRow = this.recentRow;
    this.recentKey = identifier;
    this.recentRow = row;
    return row;
  }

  private lookUp(identifier: string): Float64Array {
    const cached = this.rows.get(identifier);
    if (cached !== undefined) return cached;
    if (this.insertionOrder.length < this.capacity) {
      this.insertionOrder.push(identifier);
    } else {
      // Full: the identifier first seen longest ago gives up its place. (A ring of keys rather
      // than the Map's own order: taking a Map's first key after many deletions walks over every
      // deleted entry.) Its row is not reused: the two-row memo above may still hand it out.
      this.rows.delete(this.insertionOrder[this.oldest]);
      this.insertionOrder[this.oldest] = identifier;
      this.oldest = (this.oldest + 1) % this.capacity;
    }
    const row = new Float64Array(this.slots).fill(NaN);
    this.rows.set(identifier, row);
    return row;
  }
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
const REASON_RANK: Record<FlagReasonCode, number> = {
  flag_disabled: 0,
  no_group_type: 1,
  no_condition_match: 2,
  out_of_rollout_bound: 3,
  condition_match: 4,
};

/** A property filter prepared once: its values parsed, its pattern compiled. */
type PropertyTest = (properties: Readonly<Record<string, unknown>>, now: Date) => boolean;

interface CompiledFilter {
  /**
   * Whose properties the filter reads: the person's (null), or a group type's [flag_matching.rs
   * `resolve_for_filter`]: its own group_type_index, else the condition's aggregation.
   */
  readonly groupTypeIndex: number | null;
  readonly test: PropertyTest;
}

interface CompiledCondition {
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

/** Rollout null means everyone; otherwise in iff hash <= rollout/100 (spec 5.2). */
function inRollout(flag: CompiledFlag, identifier: string, rolloutPercentage: number | null, buckets: BucketCache | undefined): boolean {
  if (rolloutPercentage === null || rolloutPercentage === 100) return true;
  return bucket(flag, identifier, 0, buckets) <= rolloutPercentage / 100;
}

function variantFor(flag: CompiledFlag, condition: CompiledCondition, identifier: string, buckets: BucketCache | undefined): string | null {
  if (condition.variant !== null) return condition.variant;
  if (flag.variants.length === 0) return null;
  const value = bucket(flag, identifier, 1, buckets);
  // A bucket on a boundary falls on the same side as in posthog-node and the flags service.
  for (const variant of flag.variants) if (value < variant.upTo) return variant.key;
  return null;
}

/** The rollout (0) or variant (1) bucket, from the cache when the flag set has seen the identifier. */
function bucket(flag: CompiledFlag, identifier: string, kind: 0 | 1, buckets: BucketCache | undefined): number {
  const salt = kind === 0 ? '' : 'variant';
  if (buckets === undefined) return hash(flag.definition.key, identifier, salt);
  const row = buckets.row(identifier);
  const slot = 2 * flag.slot + kind;
  let value = row[slot];
  if (Number.isNaN(value)) row[slot] = value = hash(flag.definition.key, identifier, salt);
  return value;
}

/** The interned result for an outcome, built the first time that outcome occurs. */
function result(flag: CompiledFlag, code: FlagReasonCode, conditionIndex: number | null, variant: string | null, groupsSkipped: boolean): FlagResult {
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

// ---------------------------------------------------------------------------------------------
// Property matching

/**
 * When the property is absent, the negative operators match and the others do not, as in the
 * flags service [properties/property_matching.rs `match_property`]. (posthog-node's local
 * evaluation cannot tell absent from unknown, so it asks the server: this is that answer.)
 */
const MATCH_WHEN_ABSENT: ReadonlySet<string> = new Set(['is_not', 'not_icontains', 'not_regex', 'is_not_set']);

/** Operators that compare text, where a null property reads as "null"; the others never match null. */
const NULL_COMPARING: ReadonlySet<string> = new Set(['exact', 'is_not', 'icontains', 'not_icontains', 'regex', 'not_regex']);

export function matchProperty(filter: FlagPropertyFilter, properties: Readonly<Record<string, unknown>>, now: Date = new Date()): boolean {
  return compilePropertyTest(filter)(properties, now);
}

/** The filter's test, with everything that depends only on the filter worked out beforehand. */
function compilePropertyTest(filter: FlagPropertyFilter): PropertyTest {
  const { key, operator } = filter;
  const whenAbsent = MATCH_WHEN_ABSENT.has(operator);
  if (operator === 'is_set' || operator === 'is_not_set') {
    const whenPresent = operator === 'is_set';
    return (properties) => (Object.hasOwn(properties, key) && properties[key] !== undefined ? whenPresent : whenAbsent);
  }
  const target = filter.value;
  const test = target === null || target === undefined ? () => false : compileValueTest(operator, target);
  const nullComparing = NULL_COMPARING.has(operator);
  return (properties, now) => {
    const actual = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (actual === undefined) return whenAbsent;
    if (actual === null && !nullComparing) return false;
    return test(actual, now);
  };
}

function compileValueTest(operator: FlagPropertyFilter['operator'], target: Scalar | Scalar[]): (actual: unknown, now: Date) => boolean {
  switch (operator) {
    case 'exact':
    case 'is_not': {
      const matches = exactMatcher(target);
      return operator === 'exact' ? matches : (actual) => !matches(actual);
    }
    case 'icontains':
    case 'not_icontains': {
      const needle = asciiLowercase(String(target));
      const contains = (actual: unknown) => asciiLowercase(String(actual)).includes(needle);
      return operator === 'icontains' ? contains : (actual) => !contains(actual);
    }
    case 'regex':
    case 'not_regex': {
      // A pattern that does not compile matches nothing, under either operator.
      const regex = compileRegex(String(target));
      if (regex === null) return () => false;
      return operator === 'regex' ? (actual) => regex.test(String(actual)) : (actual) => !regex.test(String(actual));
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return (actual) => compare(actual, target, operator);
    case 'is_date_before':
    case 'is_date_after': {
      const fixedBound = RELATIVE_DATE.test(String(target)) ? undefined : filterDate(target, new Date(0));
      return (actual, now) => {
        const bound = fixedBound === undefined ? filterDate(target, now) : fixedBound;
        const value = typeof actual === 'boolean' ? null : parseDate(actual);
        if (bound === null || value === null) return false;
        return operator === 'is_date_before' ? value < bound : value > bound;
      };
    }
    default:
      return () => false;
  }
}

type Scalar = string | number | boolean;

// "true"/"false" filter values (any case, or a list of them) compare truthiness, so ["true"]
// matches a boolean true property and "True" alike [property_matching.rs `compute_exact_match`;
// posthog-node does the same]. Otherwise text compares case-insensitively, any of a list.
function exactMatcher(target: Scalar | Scalar[]): (actual: unknown) => boolean {
  if (isTruthyOrFalsy(target)) {
    const truthy = isTruthy(target);
    return (actual) => isTruthy(actual) === truthy;
  }
  const texts = new Set((Array.isArray(target) ? target : [target]).map((t) => exactText(t).toLowerCase()));
  return (actual) => texts.has(exactText(actual).toLowerCase());
}

function isTruthyOrFalsy(value: unknown): boolean {
  if (typeof value === 'boolean') return true;
  if (typeof value === 'string') return ['true', 'false'].includes(value.toLowerCase());
  return Array.isArray(value) && value.every(isTruthyOrFalsy);
}

function isTruthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.toLowerCase() === 'true';
  return Array.isArray(value) && value.every(isTruthy);
}

/** Strings as they are, everything else as JSON with sorted keys (how the flags service prints values). */
function exactText(value: unknown): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const ASCII_UPPER = /[A-Z]/;
const ASCII_UPPER_ALL = /[A-Z]/g;

/** Both the flags service and posthog-node lowercase only ASCII letters for the contains operators. */
// One-entry memos: the flags of a set test the same few properties of one request in a row
// (an email by every icontains filter, a date by every date filter).
let lastText = '';
let lastLowercased = '';

function asciiLowercase(text: string): string {
  if (text === lastText) return lastLowercased;
  lastText = text;
  lastLowercased = ASCII_UPPER.test(text) ? text.replace(ASCII_UPPER_ALL, (c) => c.toLowerCase()) : text;
  return lastLowercased;
}

/**
 * JavaScript regular expressions, with one concession to the flags service's Rust regex: leading
 * inline flags such as "(?i)" become RegExp flags. Null when the pattern does not compile.
 */
function compileRegex(pattern: string): RegExp | null {
  const inline = /^\(\?([ims]+)\)/.exec(pattern);
  try {
    return inline ? new RegExp(pattern.slice(inline[0].length), [...new Set(inline[1])].join('')) : new RegExp(pattern);
  } catch {
    return null;
  }
}

/** Numbers when both sides read as numbers (posthog-node's parseFloat), else the texts. */
function compare(actual: unknown, target: Scalar | Scalar[], operator: 'gt' | 'gte' | 'lt' | 'lte'): boolean {
  const left = typeof actual === 'number' ? actual : parseFloat(String(actual));
  const right = typeof target === 'number' ? target : parseFloat(String(target));
  const [a, b]: [number | string, number | string] =
    Number.isFinite(left) && Number.isFinite(right) ? [left, right] : [String(actual), String(target)];
  if (operator === 'gt') return a > b;
  if (operator === 'gte') return a >= b;
  if (operator === 'lt') return a < b;
  return a <= b;
}

// Relative date filters: "-7d" (or "7d") is that long before now; h, d, w, m (months), y; under
// 10000 units, as posthog-node reads them.
const RELATIVE_DATE = /^-?(\d+)([hdwmy])$/;

function filterDate(target: Scalar | Scalar[], now: Date): number | null {
  if (typeof target === 'boolean' || Array.isArray(target)) return null;
  const relative = RELATIVE_DATE.exec(String(target));
  if (relative) {
    const count = Number(relative[1]);
    return count < 10000 ? subtractInterval(now, count, relative[2]) : null;
  }
  return parseDate(target);
}

function subtractInterval(now: Date, count: number, unit: string): number {
  const d = new Date(now.getTime());
  if (unit === 'h') d.setUTCHours(d.getUTCHours() - count);
  else if (unit === 'd') d.setUTCDate(d.getUTCDate() - count);
  else if (unit === 'w') d.setUTCDate(d.getUTCDate() - 7 * count);
  else if (unit === 'm') {
    // One month at a time, as posthog-node does: the day shrinks to fit every month passed
    // (Mar 31 - 2m = Jan 28, where chrono in the flags service would say Jan 31).
    const [year, month] = [d.getUTCFullYear(), d.getUTCMonth()];
    let day = d.getUTCDate();
    for (let step = 1; step <= count && day > 28; step++) {
      day = Math.min(day, new Date(Date.UTC(year, month - step + 1, 0)).getUTCDate());
    }
    d.setUTCFullYear(year, month - count, day);
  } else {
    const leapDay = d.getUTCMonth() === 1 && d.getUTCDate() === 29;
    d.setUTCFullYear(d.getUTCFullYear() - count, d.getUTCMonth(), leapDay && count > 0 ? 28 : d.getUTCDate());
  }
  return d.getTime();
}

// Naive date-times (no offset) are UTC, so the answer does not depend on the server's time zone.
const NAIVE_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;

/** Epoch milliseconds: numbers are epoch milliseconds (as posthog-node reads them), strings ISO 8601. */
let lastDateText = '';
let lastDate: number | null = null;

function parseDate(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  if (value === lastDateText) return lastDate;
  const naive = NAIVE_DATE_TIME.exec(value.trim());
  const ms = Date.parse(naive ? `${naive[1]}T${naive[2]}Z` : value);
  lastDateText = value;
  lastDate = Number.isNaN(ms) ? null : ms;
  return lastDate;
}
