// The one feature flag evaluator, shared by every endpoint: pure functions, no I/O. It follows
// PostHog's flags service (rust/feature-flags flag_matching.rs `get_match`, spec 5.3) and agrees
// with posthog-node's local evaluation wherever that is conclusive (test/flags-local-evaluation-
// agreement.test.ts runs both on every fixture in test/fixtures/flags/).
import type { FlagCondition, FlagDefinition, FlagPropertyFilter, FlagVariant } from './flag-definition.js';
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

interface Outcome {
  readonly code: FlagReasonCode;
  readonly conditionIndex: number | null;
}

export function evaluateFlag(flag: FlagDefinition, ctx: EvaluationContext): FlagResult {
  if (!flag.active || flag.deleted) return result(flag, { code: 'flag_disabled', conditionIndex: null }, null, false);
  const now = ctx.now ?? new Date();
  const flagAggregation = flag.filters.aggregation_group_type_index;
  let best: Outcome | null = null;
  let skippedGroupCondition = false;

  for (const [index, condition] of flag.filters.groups.entries()) {
    const aggregation = condition.aggregation_group_type_index ?? flagAggregation;
    const identifier = aggregation === null ? ctx.distinctId : groupKey(aggregation, ctx);
    let code: FlagReasonCode;
    if (identifier === undefined) {
      skippedGroupCondition = true;
      code = 'no_group_type';
    } else if (!condition.properties.every((filter) => matchProperty(filter, propertiesFor(filter, aggregation, ctx), now))) {
      code = 'no_condition_match';
    } else if (!inRollout(flag.key, identifier, condition.rollout_percentage)) {
      code = 'out_of_rollout_bound';
    } else {
      return result(flag, { code: 'condition_match', conditionIndex: index }, variantFor(flag, condition, identifier), true);
    }
    // Ties go to the later condition, as in the flags service (`current <= new`).
    if (best === null || REASON_RANK[code] >= REASON_RANK[best.code]) best = { code, conditionIndex: index };
  }
  // A flag without conditions matches nobody. (The flags service reports no_group_type here, an
  // artefact of seeding its search with the lowest reason; "no matching condition" is the truth.)
  const outcome = best ?? { code: 'no_condition_match', conditionIndex: null };
  return result(flag, outcome, null, false, outcome.code === 'no_condition_match' && skippedGroupCondition);
}

/**
 * The group key for a group-aggregated condition, or undefined when the request did not send a
 * usable one: a non-empty string or a number [flag_matching.rs: `has_group_key`]. An index the
 * project has no group type for cannot have a key either.
 */
function groupKey(index: number, ctx: EvaluationContext): string | undefined {
  const typeName = ctx.groupTypeMapping[index];
  if (typeName === undefined || !Object.hasOwn(ctx.groups, typeName)) return undefined;
  const key: unknown = ctx.groups[typeName];
  if (typeof key === 'string') return key === '' ? undefined : key;
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  return undefined;
}

const NO_PROPERTIES: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Each filter reads its own source: person filters the person, group filters the group of their
 * own group_type_index, else of the condition's aggregation [flag_matching.rs `resolve_for_filter`].
 */
function propertiesFor(filter: FlagPropertyFilter, aggregation: number | null, ctx: EvaluationContext): Readonly<Record<string, unknown>> {
  if (filter.type === 'person') return ctx.personProperties;
  const index = filter.group_type_index ?? aggregation;
  const typeName = index === null ? undefined : ctx.groupTypeMapping[index];
  if (typeName === undefined || !Object.hasOwn(ctx.groupProperties, typeName)) return NO_PROPERTIES;
  return ctx.groupProperties[typeName];
}

/** Rollout null means everyone; otherwise in iff hash <= rollout/100 (spec 5.2). */
function inRollout(key: string, identifier: string, rolloutPercentage: number | null): boolean {
  if (rolloutPercentage === null || rolloutPercentage === 100) return true;
  return hash(key, identifier) <= rolloutPercentage / 100;
}

function variantFor(flag: FlagDefinition, condition: FlagCondition, identifier: string): string | null {
  const variants: readonly FlagVariant[] = flag.filters.multivariate?.variants ?? [];
  if (condition.variant !== null && variants.some((v) => v.key === condition.variant)) return condition.variant;
  const bucket = hash(flag.key, identifier, 'variant');
  // Accumulate exactly as posthog-node and the flags service do, so a bucket on a boundary
  // falls on the same side.
  let cumulative = 0;
  for (const variant of variants) {
    cumulative += variant.rollout_percentage / 100;
    if (bucket < cumulative) return variant.key;
  }
  return null;
}

function result(flag: FlagDefinition, outcome: Outcome, variant: string | null, enabled: boolean, groupsSkipped = false): FlagResult {
  const payload = enabled ? (flag.filters.payloads[variant ?? 'true'] ?? null) : null;
  return {
    key: flag.key,
    enabled,
    variant,
    reason: { code: outcome.code, condition_index: outcome.conditionIndex, description: describe(outcome, groupsSkipped) },
    payload,
    metadata: { id: flag.id, version: flag.version, description: null, payload },
  };
}

// The flags service's descriptions [rust/feature-flags api/types.rs `get_reason_description`].
function describe(outcome: Outcome, groupsSkipped: boolean): string {
  switch (outcome.code) {
    case 'condition_match':
      return `Matched condition set ${(outcome.conditionIndex ?? 0) + 1}`;
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
  const { operator } = filter;
  const actual = Object.hasOwn(properties, filter.key) ? properties[filter.key] : undefined;
  if (actual === undefined) return MATCH_WHEN_ABSENT.has(operator);
  if (operator === 'is_set') return true;
  if (operator === 'is_not_set') return false;
  const target = filter.value;
  if (target === null || target === undefined) return false;
  if (actual === null && !NULL_COMPARING.has(operator)) return false;

  switch (operator) {
    case 'exact':
      return exactMatch(target, actual);
    case 'is_not':
      return !exactMatch(target, actual);
    case 'icontains':
      return asciiLowercase(String(actual)).includes(asciiLowercase(String(target)));
    case 'not_icontains':
      return !asciiLowercase(String(actual)).includes(asciiLowercase(String(target)));
    case 'regex':
    case 'not_regex': {
      const matched = regexMatch(String(target), String(actual));
      // A pattern that does not compile matches nothing, under either operator.
      if (matched === null) return false;
      return operator === 'regex' ? matched : !matched;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return compare(actual, target, operator);
    case 'is_date_before':
    case 'is_date_after': {
      const bound = filterDate(target, now);
      const value = typeof actual === 'boolean' ? null : parseDate(actual);
      if (bound === null || value === null) return false;
      return operator === 'is_date_before' ? value < bound : value > bound;
    }
  }
}

type Scalar = string | number | boolean;

// "true"/"false" filter values (any case, or a list of them) compare truthiness, so ["true"]
// matches a boolean true property and "True" alike [property_matching.rs `compute_exact_match`;
// posthog-node does the same]. Otherwise text compares case-insensitively, any of a list.
function exactMatch(target: Scalar | Scalar[], actual: unknown): boolean {
  if (isTruthyOrFalsy(target)) return isTruthy(target) === isTruthy(actual);
  const text = exactText(actual).toLowerCase();
  return (Array.isArray(target) ? target : [target]).some((t) => exactText(t).toLowerCase() === text);
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

/** Both the flags service and posthog-node lowercase only ASCII letters for the contains operators. */
function asciiLowercase(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * JavaScript regular expressions, with one concession to the flags service's Rust regex: leading
 * inline flags such as "(?i)" become RegExp flags. Null when the pattern does not compile.
 */
function regexMatch(pattern: string, text: string): boolean | null {
  const inline = /^\(\?([ims]+)\)/.exec(pattern);
  try {
    const regex = inline ? new RegExp(pattern.slice(inline[0].length), [...new Set(inline[1])].join('')) : new RegExp(pattern);
    return regex.test(text);
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
function parseDate(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const naive = NAIVE_DATE_TIME.exec(value.trim());
  const ms = Date.parse(naive ? `${naive[1]}T${naive[2]}Z` : value);
  return Number.isNaN(ms) ? null : ms;
}
