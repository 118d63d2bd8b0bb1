// A deliberately simple, independent reference implementation of PostHog insight semantics
// (property filters, trends, funnels) over an in-memory dataset. Tests compare the server's SQL
// answers against it on generated data, so it favours plain loops and maps over speed or
// cleverness: if this file and the server disagree, reading this file should make it obvious
// which one is wrong. Everything is UTC.

// ---------------------------------------------------------------------------------------------
// Data model
// ---------------------------------------------------------------------------------------------

/** One group key per group type slot 0..4; '' means the event has no group of that slot. */
export type GroupKeys = [string, string, string, string, string];

export interface RefEvent {
  uuid: string;
  event: string;
  distinctId: string;
  /** The actor for person-based maths; may name no entry of `persons` (personless events). */
  personId: string;
  timestamp: Date;
  properties: Record<string, unknown>;
  groupKeys: GroupKeys;
}

export interface RefPerson {
  id: string;
  properties: Record<string, unknown>;
}

export interface RefGroup {
  groupTypeIndex: number;
  groupKey: string;
  properties: Record<string, unknown>;
}

export interface RefDataset {
  events: RefEvent[];
  persons: Map<string, RefPerson>;
  /** Keyed by `${groupTypeIndex}:${groupKey}` (see groupMapKey). */
  groups: Map<string, RefGroup>;
}

export function groupMapKey(groupTypeIndex: number, groupKey: string): string {
  return `${groupTypeIndex}:${groupKey}`;
}

export const NO_GROUPS: GroupKeys = ['', '', '', '', ''];

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Absent and null are both "missing" for every operator and for breakdowns. */
export function isMissing(value: unknown): boolean {
  return value === undefined || value === null;
}

/** How a property value is compared as text: strings as is, objects as JSON, the rest String(). */
export function stringifyValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/**
 * A property value as a number, or NaN when it is not one. Numbers must be finite; strings must
 * be non-empty and parse entirely as a finite number (so '' and 'abc' are not numbers, '42' and
 * '1.5e3' are). Booleans, objects and missing values are not numbers.
 */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN;
  if (typeof value === 'string') {
    if (value.trim() === '') return NaN;
    const n = Number(value);
    return Number.isFinite(n) ? n : NaN;
  }
  return NaN;
}

/**
 * Date.parse in UTC: a date-time without a zone ('2026-01-05T10:00:00' or '2026-01-05 10:00:00')
 * is read as UTC instead of the machine's local time. NaN when not a date.
 */
export function parseDateUtc(value: unknown): number {
  if (typeof value !== 'string') return NaN;
  let text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text = text.replace(' ', 'T') + 'Z';
  return Date.parse(text);
}

function sortNumbers(xs: number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Linear-interpolated quantile (numpy default, DuckDB quantile_cont); 0 for an empty list. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const sorted = sortNumbers(xs);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function sum(xs: number[]): number {
  let total = 0;
  for (const x of xs) total += x;
  return total;
}

function countDistinct(values: string[]): number {
  return new Set(values).size;
}

/** Plain code-unit string order (not locale order), as SQL `ORDER BY` on ASCII data. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// 1. Property filters
// ---------------------------------------------------------------------------------------------

export type PropertyOperator =
  | 'exact'
  | 'is_not'
  | 'icontains'
  | 'not_icontains'
  | 'regex'
  | 'not_regex'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'is_set'
  | 'is_not_set'
  | 'is_date_before'
  | 'is_date_after';

export type PropertySourceType = 'event' | 'person' | 'group';

export interface PropertyFilter {
  key: string;
  value?: unknown;
  /** Defaults to 'exact', as in PostHog. */
  operator?: PropertyOperator;
  type: PropertySourceType;
  /** Required for type 'group'. */
  group_type_index?: number;
}

export interface PropertyGroup {
  type: 'AND' | 'OR';
  values: (PropertyFilter | PropertyGroup)[];
}

/** A list of filters (AND), a property group, or nothing (matches everything). */
export type PropertyFilterInput = PropertyFilter[] | PropertyGroup | undefined;

export interface PropertySource {
  key: string;
  type: PropertySourceType;
  group_type_index?: number;
}

/**
 * The value a filter or breakdown reads from an event:
 * - 'event': the event's properties; the keys `$group_0`..`$group_4` read the event's group key
 *   of that slot ('' = missing);
 * - 'person': the properties of the event's person (no person = everything missing);
 * - 'group': the current properties of the group named by the event's key in slot
 *   group_type_index (no key or no such group = everything missing).
 */
export function propertyValue(ds: RefDataset, event: RefEvent, source: PropertySource): unknown {
  if (source.type === 'event') {
    const slot = /^\$group_([0-4])$/.exec(source.key);
    if (slot) {
      const key = event.groupKeys[Number(slot[1])];
      return key === '' ? undefined : key;
    }
    return event.properties[source.key];
  }
  if (source.type === 'person') {
    const person = ds.persons.get(event.personId);
    return person ? person.properties[source.key] : undefined;
  }
  const index = source.group_type_index;
  if (index === undefined || index < 0 || index > 4) throw new Error(`group property ${source.key} needs group_type_index 0..4`);
  const key = event.groupKeys[index];
  if (key === '') return undefined;
  const group = ds.groups.get(groupMapKey(index, key));
  return group ? group.properties[source.key] : undefined;
}

function filterValues(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function singleFilterValue(filter: PropertyFilter): unknown {
  if (Array.isArray(filter.value)) throw new Error(`operator ${filter.operator} does not take a list value`);
  return filter.value;
}

function regexMatches(pattern: unknown, text: string): boolean {
  return new RegExp(stringifyValue(pattern)).test(text);
}

/** Whether one property filter matches one event (operator semantics in the module notes). */
export function matchesFilter(ds: RefDataset, event: RefEvent, filter: PropertyFilter): boolean {
  const operator = filter.operator ?? 'exact';
  const prop = propertyValue(ds, event, filter);
  const missing = isMissing(prop);
  const text = missing ? '' : stringifyValue(prop);

  switch (operator) {
    case 'exact':
      if (missing) return false;
      return filterValues(filter.value).some((v) => text === stringifyValue(v));
    case 'is_not':
      if (missing) return true;
      return filterValues(filter.value).every((v) => text !== stringifyValue(v));
    case 'icontains':
      if (missing) return false;
      return filterValues(filter.value).some((v) => text.toLowerCase().includes(stringifyValue(v).toLowerCase()));
    case 'not_icontains':
      if (missing) return true;
      return filterValues(filter.value).every((v) => !text.toLowerCase().includes(stringifyValue(v).toLowerCase()));
    case 'regex':
      if (missing) return false;
      return filterValues(filter.value).some((v) => regexMatches(v, text));
    case 'not_regex':
      if (missing) return true;
      return filterValues(filter.value).every((v) => !regexMatches(v, text));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const x = toNumber(prop);
      const y = toNumber(singleFilterValue(filter));
      if (Number.isNaN(x) || Number.isNaN(y)) return false;
      if (operator === 'gt') return x > y;
      if (operator === 'gte') return x >= y;
      if (operator === 'lt') return x < y;
      return x <= y;
    }
    case 'is_set':
      return !missing;
    case 'is_not_set':
      return missing;
    case 'is_date_before':
    case 'is_date_after': {
      if (missing) return false;
      const x = parseDateUtc(prop);
      const y = parseDateUtc(singleFilterValue(filter));
      if (Number.isNaN(x) || Number.isNaN(y)) return false;
      return operator === 'is_date_before' ? x < y : x > y;
    }
    default:
      throw new Error(`unsupported operator ${String(operator)}`);
  }
}

function isPropertyGroup(item: PropertyFilter | PropertyGroup): item is PropertyGroup {
  return (item.type === 'AND' || item.type === 'OR') && Array.isArray((item as PropertyGroup).values);
}

/** A property group: AND of all values or OR of any value; an empty group matches. */
export function matchesGroup(ds: RefDataset, event: RefEvent, group: PropertyGroup): boolean {
  if (group.values.length === 0) return true;
  const results: boolean[] = [];
  for (const item of group.values) {
    results.push(isPropertyGroup(item) ? matchesGroup(ds, event, item) : matchesFilter(ds, event, item));
  }
  return group.type === 'AND' ? results.every((r) => r) : results.some((r) => r);
}

/** A filter list (AND), a property group, or undefined (matches everything). */
export function matchesProperties(ds: RefDataset, event: RefEvent, filters: PropertyFilterInput): boolean {
  if (filters === undefined) return true;
  if (Array.isArray(filters)) {
    for (const f of filters) if (!matchesFilter(ds, event, f)) return false;
    return true;
  }
  return matchesGroup(ds, event, filters);
}

// ---------------------------------------------------------------------------------------------
// 2. Trends
// ---------------------------------------------------------------------------------------------

export type Interval = 'hour' | 'day' | 'week' | 'month';

export type CountMath = 'total' | 'dau' | 'unique_group' | 'weekly_active' | 'monthly_active';
export type PropertyMath = 'sum' | 'avg' | 'min' | 'max' | 'median' | 'p90';
export type PerActorMath =
  | 'avg_count_per_actor'
  | 'min_count_per_actor'
  | 'max_count_per_actor'
  | 'median_count_per_actor'
  | 'p90_count_per_actor';
export type TrendsMath = CountMath | PropertyMath | PerActorMath;

const PROPERTY_MATHS: readonly string[] = ['sum', 'avg', 'min', 'max', 'median', 'p90'];
const PER_ACTOR_MATHS: readonly string[] = [
  'avg_count_per_actor',
  'min_count_per_actor',
  'max_count_per_actor',
  'median_count_per_actor',
  'p90_count_per_actor',
];

export interface Breakdown {
  /** A property name, or `$group_N` with type 'event' for the group key of slot N. */
  property: string;
  type: PropertySourceType;
  /** For type 'group'. */
  group_type_index?: number;
  /** How many values to keep before merging the rest into the "other" value. Default 25. */
  limit?: number;
}

export interface TrendsQuery {
  /** Event name, or null for all events. */
  event: string | null;
  /** Series filters. */
  properties?: PropertyFilterInput;
  /** Insight-wide filters, ANDed with the series filters. */
  globalProperties?: PropertyFilterInput;
  /** Default 'total'. */
  math?: TrendsMath;
  /** For property maths. Read from the event's properties. */
  math_property?: string;
  /** For unique_group (required) and the per-actor maths (actor = group key of this slot). */
  math_group_type_index?: number;
  interval: Interval;
  /** Inclusive UTC instants. */
  dateFrom: Date;
  dateTo: Date;
  breakdown?: Breakdown;
}

export interface TrendsResult {
  days: string[];
  data: number[];
}

export interface BreakdownSeries {
  breakdownValue: string;
  data: number[];
  /** Sum of data: the ranking key. */
  total: number;
}

export interface TrendsBreakdownResult {
  days: string[];
  series: BreakdownSeries[];
}

export interface TotalValueBreakdownItem {
  breakdownValue: string;
  value: number;
}

export const BREAKDOWN_NULL = '$$_posthog_breakdown_null_$$';
export const BREAKDOWN_OTHER = '$$_posthog_breakdown_other_$$';
const DEFAULT_BREAKDOWN_LIMIT = 25;

/** The start of the interval bucket containing `t`; weeks start on Sunday 00:00 UTC. */
export function bucketStart(interval: Interval, t: Date): Date {
  const ms = t.getTime();
  if (interval === 'hour') return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS);
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  if (interval === 'day') return new Date(day);
  if (interval === 'week') return new Date(day - new Date(day).getUTCDay() * DAY_MS);
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
}

/** The start of the bucket after the one starting at `start`. */
export function nextBucketStart(interval: Interval, start: Date): Date {
  if (interval === 'hour') return new Date(start.getTime() + HOUR_MS);
  if (interval === 'day') return new Date(start.getTime() + DAY_MS);
  if (interval === 'week') return new Date(start.getTime() + 7 * DAY_MS);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** 'YYYY-MM-DD' for day/week/month buckets, 'YYYY-MM-DD HH:00:00' for hour buckets. */
export function bucketLabel(interval: Interval, start: Date): string {
  const iso = start.toISOString();
  if (interval === 'hour') return `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00`;
  return iso.slice(0, 10);
}

/** Bucket starts from the bucket containing dateFrom to the bucket containing dateTo. */
export function bucketStarts(interval: Interval, dateFrom: Date, dateTo: Date): Date[] {
  const starts: Date[] = [];
  const last = bucketStart(interval, dateTo).getTime();
  for (let s = bucketStart(interval, dateFrom); s.getTime() <= last; s = nextBucketStart(interval, s)) starts.push(s);
  return starts;
}

function isGroupActorMath(q: TrendsQuery): boolean {
  const math = q.math ?? 'total';
  if (math === 'unique_group') return true;
  return PER_ACTOR_MATHS.includes(math) && q.math_group_type_index !== undefined;
}

function groupIndexOf(q: TrendsQuery): number {
  const index = q.math_group_type_index;
  if (index === undefined || index < 0 || index > 4) throw new Error(`math ${q.math} needs math_group_type_index 0..4`);
  return index;
}

/**
 * The events a series counts, at any time (rolling-window maths need events before dateFrom):
 * event name, series and global filters, and for group-actor maths a non-empty group key.
 */
export function seriesEvents(ds: RefDataset, q: TrendsQuery): RefEvent[] {
  const out: RefEvent[] = [];
  const groupIndex = isGroupActorMath(q) ? groupIndexOf(q) : undefined;
  for (const e of ds.events) {
    if (q.event !== null && e.event !== q.event) continue;
    if (groupIndex !== undefined && e.groupKeys[groupIndex] === '') continue;
    if (!matchesProperties(ds, e, q.properties)) continue;
    if (!matchesProperties(ds, e, q.globalProperties)) continue;
    out.push(e);
  }
  return out;
}

function inRange(e: RefEvent, q: TrendsQuery): boolean {
  const t = e.timestamp.getTime();
  return t >= q.dateFrom.getTime() && t <= q.dateTo.getTime();
}

function rollingDays(math: TrendsMath): number | undefined {
  if (math === 'weekly_active') return 7;
  if (math === 'monthly_active') return 30;
  return undefined;
}

/**
 * The events one bucket aggregates. Ordinary maths: events in [start, end) and in the date
 * range. weekly_active / monthly_active: events in [end - 7d (30d), end) with timestamp <= dateTo
 * (the window may reach before dateFrom).
 */
function bucketEvents(pool: RefEvent[], start: Date, end: Date, q: TrendsQuery): RefEvent[] {
  const days = rollingDays(q.math ?? 'total');
  const out: RefEvent[] = [];
  for (const e of pool) {
    const t = e.timestamp.getTime();
    if (days !== undefined) {
      if (t >= end.getTime() - days * DAY_MS && t < end.getTime() && t <= q.dateTo.getTime()) out.push(e);
    } else if (t >= start.getTime() && t < end.getTime() && inRange(e, q)) {
      out.push(e);
    }
  }
  return out;
}

/** The actor of an event for per-actor maths: the group key of the slot, or the person. */
function actorOf(e: RefEvent, q: TrendsQuery): string {
  return q.math_group_type_index !== undefined ? e.groupKeys[q.math_group_type_index] : e.personId;
}

/** One math over one set of (already bucketed and filtered) events. */
export function aggregate(events: RefEvent[], q: TrendsQuery): number {
  const math = q.math ?? 'total';
  if (math === 'total') return events.length;
  if (math === 'dau' || math === 'weekly_active' || math === 'monthly_active') return countDistinct(events.map((e) => e.personId));
  if (math === 'unique_group') {
    const index = groupIndexOf(q);
    return countDistinct(events.map((e) => e.groupKeys[index]).filter((k) => k !== ''));
  }
  if (PROPERTY_MATHS.includes(math)) {
    if (q.math_property === undefined) throw new Error(`math ${math} needs math_property`);
    const xs: number[] = [];
    for (const e of events) {
      const x = toNumber(e.properties[q.math_property]);
      if (!Number.isNaN(x)) xs.push(x);
    }
    return aggregateNumbers(math, xs);
  }
  if (PER_ACTOR_MATHS.includes(math)) {
    const counts = new Map<string, number>();
    for (const e of events) {
      const actor = actorOf(e, q);
      if (actor === '') continue;
      counts.set(actor, (counts.get(actor) ?? 0) + 1);
    }
    const xs = [...counts.values()];
    return aggregateNumbers(math.replace('_count_per_actor', ''), xs);
  }
  throw new Error(`unsupported math ${math}`);
}

/** sum/avg/min/max/median/p90 of a list; every one of them is 0 for an empty list. */
function aggregateNumbers(kind: string, xs: number[]): number {
  if (xs.length === 0) return 0;
  switch (kind) {
    case 'sum':
      return sum(xs);
    case 'avg':
      return sum(xs) / xs.length;
    case 'min':
      return Math.min(...xs);
    case 'max':
      return Math.max(...xs);
    case 'median':
      return quantile(xs, 0.5);
    case 'p90':
      return quantile(xs, 0.9);
    default:
      throw new Error(`unsupported aggregation ${kind}`);
  }
}

function seriesOverBuckets(pool: RefEvent[], q: TrendsQuery): TrendsResult {
  const days: string[] = [];
  const data: number[] = [];
  for (const start of bucketStarts(q.interval, q.dateFrom, q.dateTo)) {
    days.push(bucketLabel(q.interval, start));
    data.push(aggregate(bucketEvents(pool, start, nextBucketStart(q.interval, start), q), q));
  }
  return { days, data };
}

/**
 * The whole range as one bucket. Ordinary maths: events in [dateFrom, dateTo]. weekly_active /
 * monthly_active: the window that ends with the day containing dateTo, i.e. the value of the
 * last day bucket of the time series.
 */
function totalValueOf(pool: RefEvent[], q: TrendsQuery): number {
  if (rollingDays(q.math ?? 'total') !== undefined) {
    const lastDay = bucketStart('day', q.dateTo);
    return aggregate(bucketEvents(pool, lastDay, nextBucketStart('day', lastDay), q), q);
  }
  return aggregate(pool.filter((e) => inRange(e, q)), q);
}

/** A time series without breakdown: one number per bucket. */
export function trends(ds: RefDataset, q: TrendsQuery): TrendsResult {
  return seriesOverBuckets(seriesEvents(ds, q), q);
}

/** The total-value variant (BoldNumber, ActionsTable, pie): the math over the whole range. */
export function trendsTotalValue(ds: RefDataset, q: TrendsQuery): number {
  return totalValueOf(seriesEvents(ds, q), q);
}

/** The breakdown value of an event: stringified; missing or '' becomes the null label. */
export function breakdownValueOf(ds: RefDataset, e: RefEvent, breakdown: Breakdown): string {
  const value = propertyValue(ds, e, { key: breakdown.property, type: breakdown.type, group_type_index: breakdown.group_type_index });
  if (isMissing(value)) return BREAKDOWN_NULL;
  const text = stringifyValue(value);
  return text === '' ? BREAKDOWN_NULL : text;
}

/**
 * Splits the series' events by breakdown value. Values are those of the events inside the date
 * range (earlier events only feed rolling windows of values that exist in the range).
 */
function poolsByValue(ds: RefDataset, q: TrendsQuery, breakdown: Breakdown): Map<string, RefEvent[]> {
  const pools = new Map<string, RefEvent[]>();
  const events = seriesEvents(ds, q);
  for (const e of events) {
    const value = breakdownValueOf(ds, e, breakdown);
    if (!pools.has(value)) pools.set(value, []);
    pools.get(value)!.push(e);
  }
  for (const [value, pool] of [...pools]) if (!pool.some((e) => inRange(e, q))) pools.delete(value);
  return pools;
}

/** Sorts by score descending, then by value ascending; returns kept values and the rest. */
function rankValues(scores: Map<string, number>, limit: number): { kept: string[]; rest: string[] } {
  const values = [...scores.keys()].sort((a, b) => scores.get(b)! - scores.get(a)! || compareStrings(a, b));
  return { kept: values.slice(0, limit), rest: values.slice(limit) };
}

function restPool(pools: Map<string, RefEvent[]>, rest: string[]): RefEvent[] {
  const out: RefEvent[] = [];
  for (const value of rest) out.push(...pools.get(value)!);
  return out;
}

function requireBreakdown(q: TrendsQuery): Breakdown {
  if (!q.breakdown) throw new Error('query has no breakdown');
  return q.breakdown;
}

/**
 * A time series per breakdown value, ranked by the sum of its bucket values (descending, then
 * value ascending). Values beyond `limit` are merged into BREAKDOWN_OTHER, whose buckets are the
 * same math recomputed over the merged values' events (distinct counts over the union).
 */
export function trendsBreakdown(ds: RefDataset, q: TrendsQuery): TrendsBreakdownResult {
  const breakdown = requireBreakdown(q);
  const pools = poolsByValue(ds, q, breakdown);
  const perValue = new Map<string, TrendsResult>();
  const scores = new Map<string, number>();
  for (const [value, pool] of pools) {
    const result = seriesOverBuckets(pool, q);
    perValue.set(value, result);
    scores.set(value, sum(result.data));
  }
  const { kept, rest } = rankValues(scores, breakdown.limit ?? DEFAULT_BREAKDOWN_LIMIT);
  const series: BreakdownSeries[] = kept.map((value) => ({
    breakdownValue: value,
    data: perValue.get(value)!.data,
    total: scores.get(value)!,
  }));
  if (rest.length > 0) {
    const other = seriesOverBuckets(restPool(pools, rest), q);
    series.push({ breakdownValue: BREAKDOWN_OTHER, data: other.data, total: sum(other.data) });
  }
  const days = bucketStarts(q.interval, q.dateFrom, q.dateTo).map((s) => bucketLabel(q.interval, s));
  return { days, series };
}

/** Total-value variant of trendsBreakdown: ranked by the value itself. */
export function trendsBreakdownTotalValue(ds: RefDataset, q: TrendsQuery): TotalValueBreakdownItem[] {
  const breakdown = requireBreakdown(q);
  const pools = poolsByValue(ds, q, breakdown);
  const scores = new Map<string, number>();
  for (const [value, pool] of pools) scores.set(value, totalValueOf(pool, q));
  const { kept, rest } = rankValues(scores, breakdown.limit ?? DEFAULT_BREAKDOWN_LIMIT);
  const items = kept.map((value) => ({ breakdownValue: value, value: scores.get(value)! }));
  if (rest.length > 0) items.push({ breakdownValue: BREAKDOWN_OTHER, value: totalValueOf(restPool(pools, rest), q) });
  return items;
}

// ---------------------------------------------------------------------------------------------
// 3. Funnels
// ---------------------------------------------------------------------------------------------

export type FunnelOrderType = 'ordered' | 'strict' | 'unordered';

export interface FunnelStep {
  /** Event name, or null for any event. */
  event: string | null;
  properties?: PropertyFilterInput;
}

export interface FunnelExclusion extends FunnelStep {
  /** 0-based step indexes, as PostHog's funnelsFilter.exclusions: 0 = the first step. */
  funnelFromStep: number;
  funnelToStep: number;
}

export interface FunnelQuery {
  steps: FunnelStep[];
  /** Default 'ordered'. */
  orderType?: FunnelOrderType;
  /** Conversion window in seconds, measured from the step-1 event. Default 14 days. */
  windowSeconds?: number;
  /** Aggregate by the group key of this slot instead of the person. */
  aggregationGroupTypeIndex?: number;
  exclusions?: FunnelExclusion[];
  /** Insight-wide filters: events that fail them do not exist for the funnel. */
  properties?: PropertyFilterInput;
  /** Optional inclusive date range applied to every event the funnel looks at. */
  dateFrom?: Date;
  dateTo?: Date;
}

/** The best attempt of one actor. */
export interface FunnelPath {
  actor: string;
  /** Steps reached, 1..steps.length. */
  reached: number;
  /** Timestamp of each reached step (for unordered: the matched events in time order). */
  stepTimes: Date[];
}

export interface FunnelStepResult {
  /** 1-based. */
  step: number;
  /** Actors that reached at least this step. */
  count: number;
  actors: string[];
  /** Actors that reached the previous step but not this one (always [] for step 1). */
  droppedOff: string[];
  /** Seconds from the previous step over the actors that reached this step; null for step 1 or nobody. */
  averageConversionTime: number | null;
  medianConversionTime: number | null;
}

export interface FunnelResult {
  steps: FunnelStepResult[];
  stepCounts: number[];
  /** Best attempt per actor that has a valid attempt. */
  paths: Map<string, FunnelPath>;
}

export const DEFAULT_FUNNEL_WINDOW_SECONDS = 14 * 86_400;

function matchesStep(ds: RefDataset, e: RefEvent, step: FunnelStep): boolean {
  if (step.event !== null && e.event !== step.event) return false;
  return matchesProperties(ds, e, step.properties);
}

interface Attempt {
  reached: number;
  /** Index into the actor's sorted events of each reached step. */
  eventIndexes: number[];
  start: number;
}

/** Ordered: for each later step, the earliest matching event strictly after the previous step. */
function orderedAttempt(events: RefEvent[], matches: boolean[][], first: number, windowMs: number): Attempt {
  const start = events[first].timestamp.getTime();
  const indexes = [first];
  let prev = first;
  for (let k = 1; k < matches[0].length; k++) {
    let found = -1;
    for (let j = prev + 1; j < events.length; j++) {
      const t = events[j].timestamp.getTime();
      if (t - start > windowMs) break;
      if (t > events[prev].timestamp.getTime() && matches[j][k]) {
        found = j;
        break;
      }
    }
    if (found < 0) break;
    indexes.push(found);
    prev = found;
  }
  return { reached: indexes.length, eventIndexes: indexes, start };
}

/** Strict: the actor's very next event must be the next step (else the attempt stops). */
function strictAttempt(events: RefEvent[], matches: boolean[][], first: number, windowMs: number): Attempt {
  const start = events[first].timestamp.getTime();
  const indexes = [first];
  for (let k = 1; k < matches[0].length; k++) {
    const prev = indexes[indexes.length - 1];
    const j = prev + 1;
    if (j >= events.length) break;
    const t = events[j].timestamp.getTime();
    if (t - start > windowMs) break;
    if (!(t > events[prev].timestamp.getTime() && matches[j][k])) break;
    indexes.push(j);
  }
  return { reached: indexes.length, eventIndexes: indexes, start };
}

/**
 * Unordered: the events from `first` up to first + window, and the largest set of distinct
 * steps they can satisfy with one event per step (a small bipartite matching, so that steps
 * sharing an event name need distinct events). Step indexes are returned in time order.
 */
function unorderedAttempt(events: RefEvent[], matches: boolean[][], first: number, windowMs: number): Attempt {
  const start = events[first].timestamp.getTime();
  const candidates: number[] = [];
  for (let j = first; j < events.length && events[j].timestamp.getTime() - start <= windowMs; j++) candidates.push(j);
  const stepCount = matches[0].length;
  const eventOfStep = new Array<number>(stepCount).fill(-1);
  const stepOfEvent = new Map<number, number>();
  const tryStep = (k: number, seen: Set<number>): boolean => {
    for (const j of candidates) {
      if (!matches[j][k] || seen.has(j)) continue;
      seen.add(j);
      const owner = stepOfEvent.get(j);
      if (owner === undefined || tryStep(owner, seen)) {
        eventOfStep[k] = j;
        stepOfEvent.set(j, k);
        return true;
      }
    }
    return false;
  };
  for (let k = 0; k < stepCount; k++) tryStep(k, new Set());
  const indexes = eventOfStep.filter((j) => j >= 0).sort((a, b) => a - b);
  return { reached: indexes.length, eventIndexes: indexes, start };
}

/**
 * An exclusion invalidates an attempt that reached step funnelFromStep when a matching event
 * (not one of the attempt's own step events) happens strictly after that step's event and strictly
 * before the funnelToStep event, or, when that step was not reached, at most the window after
 * the attempt's start.
 */
function isExcluded(
  ds: RefDataset,
  events: RefEvent[],
  attempt: Attempt,
  exclusions: FunnelExclusion[],
  windowMs: number,
): boolean {
  const used = new Set(attempt.eventIndexes);
  for (const x of exclusions) {
    if (attempt.reached <= x.funnelFromStep) continue;
    const lower = events[attempt.eventIndexes[x.funnelFromStep]].timestamp.getTime();
    const reachedTo = attempt.reached > x.funnelToStep;
    const upper = reachedTo ? events[attempt.eventIndexes[x.funnelToStep]].timestamp.getTime() : attempt.start + windowMs;
    for (let j = 0; j < events.length; j++) {
      if (used.has(j) || !matchesStep(ds, events[j], x)) continue;
      const t = events[j].timestamp.getTime();
      if (t > lower && (reachedTo ? t < upper : t <= upper)) return true;
    }
  }
  return false;
}

/** The actor of an event for a funnel ('' = the event is ignored). */
function funnelActorOf(e: RefEvent, q: FunnelQuery): string {
  return q.aggregationGroupTypeIndex !== undefined ? e.groupKeys[q.aggregationGroupTypeIndex] : e.personId;
}

/** Each actor's events after the date range, global filters and the empty-actor rule; by time. */
function eventsByActor(ds: RefDataset, q: FunnelQuery): Map<string, RefEvent[]> {
  const byActor = new Map<string, RefEvent[]>();
  for (const e of ds.events) {
    const t = e.timestamp.getTime();
    if (q.dateFrom && t < q.dateFrom.getTime()) continue;
    if (q.dateTo && t > q.dateTo.getTime()) continue;
    const actor = funnelActorOf(e, q);
    if (actor === '') continue;
    if (!matchesProperties(ds, e, q.properties)) continue;
    if (!byActor.has(actor)) byActor.set(actor, []);
    byActor.get(actor)!.push(e);
  }
  // Array.prototype.sort is stable: events with equal timestamps keep dataset order.
  for (const list of byActor.values()) list.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  return byActor;
}

/** The furthest valid attempt of one actor (ties: the earliest), or undefined. */
export function bestFunnelAttempt(ds: RefDataset, events: RefEvent[], q: FunnelQuery): FunnelPath | undefined {
  const orderType = q.orderType ?? 'ordered';
  const windowMs = (q.windowSeconds ?? DEFAULT_FUNNEL_WINDOW_SECONDS) * 1000;
  const matches = events.map((e) => q.steps.map((s) => matchesStep(ds, e, s)));
  let best: Attempt | undefined;
  for (let i = 0; i < events.length; i++) {
    let attempt: Attempt;
    if (orderType === 'unordered') {
      if (!matches[i].some((m) => m)) continue;
      attempt = unorderedAttempt(events, matches, i, windowMs);
    } else {
      if (!matches[i][0]) continue;
      attempt = orderType === 'strict' ? strictAttempt(events, matches, i, windowMs) : orderedAttempt(events, matches, i, windowMs);
    }
    if (attempt.reached === 0) continue;
    if (isExcluded(ds, events, attempt, q.exclusions ?? [], windowMs)) continue;
    if (!best || attempt.reached > best.reached) best = attempt;
  }
  if (!best) return undefined;
  return {
    actor: funnelActorOf(events[0], q),
    reached: best.reached,
    stepTimes: best.eventIndexes.map((j) => events[j].timestamp),
  };
}

export function funnel(ds: RefDataset, q: FunnelQuery): FunnelResult {
  if (q.steps.length === 0) throw new Error('a funnel needs steps');
  const paths = new Map<string, FunnelPath>();
  for (const [actor, events] of eventsByActor(ds, q)) {
    const path = bestFunnelAttempt(ds, events, q);
    if (path) paths.set(actor, path);
  }
  const steps: FunnelStepResult[] = [];
  for (let k = 1; k <= q.steps.length; k++) {
    const actors: string[] = [];
    const droppedOff: string[] = [];
    const times: number[] = [];
    for (const [actor, path] of paths) {
      if (path.reached >= k) {
        actors.push(actor);
        if (k >= 2) times.push((path.stepTimes[k - 1].getTime() - path.stepTimes[k - 2].getTime()) / 1000);
      } else if (path.reached === k - 1) {
        droppedOff.push(actor);
      }
    }
    actors.sort(compareStrings);
    droppedOff.sort(compareStrings);
    const hasTimes = k >= 2 && times.length > 0;
    steps.push({
      step: k,
      count: actors.length,
      actors,
      droppedOff,
      averageConversionTime: hasTimes ? sum(times) / times.length : null,
      medianConversionTime: hasTimes ? quantile(times, 0.5) : null,
    });
  }
  return { steps, stepCounts: steps.map((s) => s.count), paths };
}
