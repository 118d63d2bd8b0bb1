// Property filters of flag conditions: each operator as the flags service matches it
// [properties/property_matching.rs], compiled once per filter into a test of a properties object.
import type { FlagPropertyFilter } from './flag-definition.js';
import { filterDate, parseDate, RELATIVE_DATE, type Scalar } from './filter-dates.js';

/** A property filter prepared once: its values parsed, its pattern compiled. */
export type PropertyTest = (properties: Readonly<Record<string, unknown>>, now: Date) => boolean;

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
export function compilePropertyTest(filter: FlagPropertyFilter): PropertyTest {
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
