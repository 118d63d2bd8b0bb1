// FunnelsQuery: one SQL query lists each actor's step and exclusion events (funnel-compiler.ts),
// each actor's furthest step is folded from them (funnel-evaluator.ts), and the counts and
// conversion times per step (and per breakdown value) are shaped into PostHog's step list.
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { fromNaive, resolveDateRange } from './date-range.js';
import { compileFunnel } from './funnel-compiler.js';
import {
  FunnelEvaluator,
  MAX_EXCLUSIONS,
  MAX_STEPS,
  type ActorFunnel,
  type BreakdownAttribution,
  type FunnelOrder,
  type FunnelSemantics,
} from './funnel-evaluator.js';
import { breakdownFilterSchema, dateRangeSchema, eventsNodeSchema, propertiesSchema, propertyFilterSchema } from './query-schema.js';
import { sql } from './sql.js';
import { BREAKDOWN_NULL, BREAKDOWN_OTHER, type QueryContext } from './trends.js';

export const FUNNEL_ORDER_TYPES = ['ordered', 'strict', 'unordered'] as const;
export const FUNNEL_WINDOW_UNITS = ['second', 'minute', 'hour', 'day', 'week', 'month'] as const;
export const BREAKDOWN_ATTRIBUTION_TYPES = ['first_touch', 'last_touch', 'all_events', 'step'] as const;
type WindowUnit = (typeof FUNNEL_WINDOW_UNITS)[number];

/** PostHog's conversion window units, in seconds; a month is 30 days (its DATERANGE_MAP). */
const UNIT_SECONDS: Record<WindowUnit, number> = { second: 1, minute: 60, hour: 3600, day: 86_400, week: 604_800, month: 2_592_000 };
const DEFAULT_WINDOW = { interval: 14, unit: 'day' as WindowUnit };
const DEFAULT_BREAKDOWN_LIMIT = 25;

const exclusionSchema = z.object({
  kind: z.literal('EventsNode').default('EventsNode'),
  event: z.string({ error: 'an exclusion needs an event' }).min(1, { error: 'an exclusion needs an event' }),
  properties: z.array(propertyFilterSchema).nullish(),
  funnelFromStep: z.number({ error: 'funnelFromStep must be a step index' }).int().min(0),
  funnelToStep: z.number({ error: 'funnelToStep must be a step index' }).int().min(1),
});

const funnelsFilterSchema = z
  .object({
    funnelWindowInterval: z.number().int().positive({ error: 'funnelWindowInterval must be a positive integer' }).nullish(),
    funnelWindowIntervalUnit: z.enum(FUNNEL_WINDOW_UNITS, { error: `funnelWindowIntervalUnit must be one of ${FUNNEL_WINDOW_UNITS.join(', ')}` }).nullish(),
    funnelOrderType: z.enum(FUNNEL_ORDER_TYPES, { error: `funnelOrderType must be one of ${FUNNEL_ORDER_TYPES.join(', ')}` }).nullish(),
    exclusions: z.array(exclusionSchema).max(MAX_EXCLUSIONS, { error: `at most ${MAX_EXCLUSIONS} exclusions` }).nullish(),
    breakdownAttributionType: z.enum(BREAKDOWN_ATTRIBUTION_TYPES, { error: `breakdownAttributionType must be one of ${BREAKDOWN_ATTRIBUTION_TYPES.join(', ')}` }).nullish(),
    breakdownAttributionValue: z.number().int().min(0).nullish(),
    funnelVizType: z.enum(['steps'], { error: 'only the steps funnel (funnelVizType "steps") is supported' }).nullish(),
  })
  .nullish();

export const funnelsQuerySchema = z.object({
  kind: z.literal('FunnelsQuery'),
  series: z
    .array(eventsNodeSchema, { error: 'series must be a list of EventsNode steps' })
    .min(2, { error: 'a funnel needs at least two steps in series' })
    .max(MAX_STEPS, { error: `a funnel has at most ${MAX_STEPS} steps` }),
  dateRange: dateRangeSchema,
  properties: propertiesSchema,
  aggregation_group_type_index: z.number().int().nullish(),
  breakdownFilter: breakdownFilterSchema,
  funnelsFilter: funnelsFilterSchema,
});
export type FunnelsQuery = z.infer<typeof funnelsQuerySchema>;

interface FunnelPlan {
  readonly semantics: FunnelSemantics;
  readonly groupTypeIndex?: number;
  readonly hasBreakdown: boolean;
  readonly breakdownLimit: number;
}

/** Checks what the schema cannot (fields against each other) and settles the defaults. */
function planFunnel(query: FunnelsQuery): FunnelPlan {
  const filter = query.funnelsFilter ?? {};
  const steps = query.series.length;
  const order: FunnelOrder = filter.funnelOrderType ?? 'ordered';
  const exclusions = (filter.exclusions ?? []).map((x, i) => {
    const attr = `funnelsFilter.exclusions.${i}`;
    if (x.funnelFromStep >= x.funnelToStep) throw new HttpError('invalid_input', 'An exclusion needs funnelFromStep before funnelToStep.', `${attr}.funnelToStep`);
    if (x.funnelToStep >= steps) throw new HttpError('invalid_input', `funnelToStep must be a step index below ${steps}.`, `${attr}.funnelToStep`);
    // As PostHog: an unordered funnel has no steps "between", only the whole funnel.
    if (order === 'unordered' && (x.funnelFromStep !== 0 || x.funnelToStep !== steps - 1)) {
      throw new HttpError('invalid_input', `Unordered funnels only take exclusions over the whole funnel (steps 0 to ${steps - 1}).`, `${attr}.funnelFromStep`);
    }
    return { fromStep: x.funnelFromStep, toStep: x.funnelToStep };
  });
  const hasBreakdown = query.breakdownFilter?.breakdown !== null && query.breakdownFilter?.breakdown !== undefined && query.breakdownFilter.breakdown !== '';
  const attribution: BreakdownAttribution = filter.breakdownAttributionType ?? 'first_touch';
  let attributionStep: number | undefined;
  if (attribution === 'step') {
    attributionStep = filter.breakdownAttributionValue ?? 0;
    if (attributionStep >= steps) throw new HttpError('invalid_input', `breakdownAttributionValue must be a step index below ${steps}.`, 'funnelsFilter.breakdownAttributionValue');
    if (order === 'unordered' && attributionStep !== 0) {
      throw new HttpError('invalid_input', 'Unordered funnels can only attribute breakdowns to the first step (breakdownAttributionValue 0).', 'funnelsFilter.breakdownAttributionValue');
    }
  }
  const interval = filter.funnelWindowInterval ?? DEFAULT_WINDOW.interval;
  const unit = filter.funnelWindowIntervalUnit ?? DEFAULT_WINDOW.unit;
  const groupTypeIndex = query.aggregation_group_type_index ?? undefined;
  return {
    semantics: {
      steps,
      windowMicros: interval * UNIT_SECONDS[unit] * 1_000_000,
      order,
      exclusions,
      ...(hasBreakdown ? { attribution, attributionStep } : {}),
    },
    groupTypeIndex,
    hasBreakdown,
    breakdownLimit: query.breakdownFilter?.breakdown_limit ?? DEFAULT_BREAKDOWN_LIMIT,
  };
}

interface ActorRow {
  readonly actor: string;
  readonly funnels: ActorFunnel[];
}

/** Every actor that entered the funnel, with its furthest step (per breakdown value). */
async function evaluateFunnel(ctx: QueryContext, query: FunnelsQuery, plan: FunnelPlan): Promise<ActorRow[]> {
  const earliest = query.dateRange?.date_from === 'all' ? await earliestEvent(ctx) : undefined;
  const range = resolveDateRange(query.dateRange, ctx.timeZone, ctx.now, earliest);
  const compiled = compileFunnel({
    dialect: ctx.store.dialect,
    projectId: ctx.projectId,
    maxGroupTypes: ctx.maxGroupTypes,
    timeZone: ctx.timeZone,
    steps: query.series,
    exclusions: (query.funnelsFilter?.exclusions ?? []).map((x) => ({ event: x.event, properties: x.properties })),
    properties: query.properties,
    order: plan.semantics.order,
    groupTypeIndex: plan.groupTypeIndex,
    breakdown: plan.hasBreakdown ? query.breakdownFilter : undefined,
    from: fromNaive(range.from, ctx.timeZone),
    to: fromNaive(range.to, ctx.timeZone),
  });
  const { sql: text, params } = compiled.build();
  // Rows come ordered by actor, in chunks: fold each actor's run of rows (which may span chunks).
  const evaluator = new FunnelEvaluator(plan.semantics);
  const actors: ActorRow[] = [];
  let actor: unknown;
  let times: number[] = [];
  let masks: number[] = [];
  let breakdowns: (string | null)[] = [];
  const finishActor = () => {
    if (times.length === 0) return;
    const funnels = evaluator.evaluate({ times, masks, ...(plan.hasBreakdown ? { breakdowns } : {}) });
    if (funnels.length > 0) actors.push({ actor: String(actor), funnels });
    times = [];
    masks = [];
    breakdowns = [];
  };
  await ctx.store.queryEach(text, params, (rows) => {
    for (const row of rows) {
      if (row.actor !== actor) {
        finishActor();
        actor = row.actor;
      }
      times.push(row.t as number);
      masks.push(row.mask as number);
      if (plan.hasBreakdown) breakdowns.push(row.b as string | null);
    }
  });
  finishActor();
  return actors;
}

async function earliestEvent(ctx: QueryContext): Promise<Date | undefined> {
  const { sql: text, params } = sql`SELECT min(timestamp) AS first FROM ${ctx.store.dialect.table('events')} WHERE project_id = ${ctx.projectId}`.build();
  const [row] = await ctx.store.query(text, params);
  return row?.first instanceof Date ? row.first : undefined;
}

interface Bucket {
  /** Breakdown value (BREAKDOWN_NULL for none, BREAKDOWN_OTHER for the long tail); undefined without a breakdown. */
  readonly value: string | undefined;
  readonly counts: number[];
  /** Per step (index 1..), seconds from the previous step, one entry per actor that reached it. */
  readonly conversionSeconds: number[][];
}

const bucketKey = (funnel: ActorFunnel): string | undefined => (funnel.breakdown === undefined ? undefined : (funnel.breakdown ?? BREAKDOWN_NULL));

function newBucket(value: string | undefined, steps: number): Bucket {
  return { value, counts: new Array<number>(steps).fill(0), conversionSeconds: Array.from({ length: steps }, () => []) };
}

/** Most conversions first: by the last step's count, then the one before, ...; then by value. */
function compareBuckets(a: Bucket, b: Bucket): number {
  for (let k = a.counts.length - 1; k >= 0; k--) if (a.counts[k] !== b.counts[k]) return b.counts[k] - a.counts[k];
  const [x, y] = [String(a.value), String(b.value)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Buckets per breakdown value, the top `breakdownLimit` kept and the rest merged into "other". */
function bucketize(plan: FunnelPlan, actors: readonly ActorRow[]): { buckets: Bucket[]; kept: Set<string | undefined> } {
  const steps = plan.semantics.steps;
  const byValue = new Map<string | undefined, Bucket>();
  for (const { funnels } of actors) {
    for (const funnel of funnels) {
      const key = bucketKey(funnel);
      let bucket = byValue.get(key);
      if (!bucket) byValue.set(key, (bucket = newBucket(key, steps)));
      for (let k = 0; k < funnel.reached; k++) bucket.counts[k]++;
      for (let k = 1; k < funnel.reached; k++) bucket.conversionSeconds[k].push((funnel.times[k] - funnel.times[k - 1]) / 1_000_000);
    }
  }
  if (!plan.hasBreakdown) return { buckets: [byValue.get(undefined) ?? newBucket(undefined, steps)], kept: new Set([undefined]) };
  const ranked = [...byValue.values()].sort(compareBuckets);
  const top = ranked.slice(0, plan.breakdownLimit);
  const rest = ranked.slice(plan.breakdownLimit);
  const kept = new Set(top.map((b) => b.value));
  if (rest.length === 0) return { buckets: top, kept };
  const other = newBucket(BREAKDOWN_OTHER, steps);
  for (const bucket of rest) {
    bucket.counts.forEach((count, k) => (other.counts[k] += count));
    bucket.conversionSeconds.forEach((seconds, k) => other.conversionSeconds[k].push(...seconds));
  }
  return { buckets: [...top, other].sort(compareBuckets), kept };
}

const average = (xs: readonly number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  return (sorted[Math.floor(middle)] + sorted[Math.ceil(middle)]) / 2;
}

/** One step of a funnel's answer, in PostHog's shape (what the web app charts). */
export type FunnelStepResult = ReturnType<typeof shapeSteps>[number];

function shapeSteps(query: FunnelsQuery, bucket: Bucket) {
  return query.series.map((node, order) => ({
    action_id: node.event ?? null,
    name: node.event ?? 'All events',
    custom_name: node.custom_name ?? null,
    order,
    type: 'events',
    count: bucket.counts[order],
    // Seconds from the previous step, over the actors that reached this one (PostHog: null for the first).
    average_conversion_time: order === 0 ? null : average(bucket.conversionSeconds[order]),
    median_conversion_time: order === 0 ? null : median(bucket.conversionSeconds[order]),
    ...(bucket.value === undefined ? {} : { breakdown: bucket.value, breakdown_value: bucket.value }),
  }));
}

/**
 * PostHog's funnel result: the list of steps, or with a breakdown one such list per value
 * (most conversions first; none when no actor entered the funnel).
 */
export async function runFunnels(ctx: QueryContext, query: FunnelsQuery): Promise<FunnelStepResult[] | FunnelStepResult[][]> {
  const plan = planFunnel(query);
  const actors = await evaluateFunnel(ctx, query, plan);
  const { buckets } = bucketize(plan, actors);
  return plan.hasBreakdown ? buckets.map((bucket) => shapeSteps(query, bucket)) : shapeSteps(query, buckets[0]);
}

export interface FunnelActors {
  readonly kind: 'person' | 'group';
  readonly groupTypeIndex?: number;
  /** Person UUIDs, or group keys; sorted. */
  readonly ids: string[];
  readonly hasMore: boolean;
}

/**
 * The actors behind one step of a funnel, as PostHog's FunnelsActorsQuery: `funnelStep` N (1-based)
 * are those that reached step N, -N those that reached step N-1 but not N (dropped off before N).
 * `funnelStepBreakdown` narrows to one breakdown value (a value, or a one-value list).
 */
export async function funnelActors(
  ctx: QueryContext,
  funnelsQuery: FunnelsQuery,
  funnelStep: number,
  funnelStepBreakdown: unknown,
  limit: number,
  offset: number,
): Promise<FunnelActors> {
  const plan = planFunnel(funnelsQuery);
  const steps = plan.semantics.steps;
  if (!Number.isInteger(funnelStep) || funnelStep === 0 || funnelStep === -1 || Math.abs(funnelStep) > steps) {
    throw new HttpError('invalid_input', `funnelStep must be 1..${steps} (reached that step) or -2..-${steps} (dropped off before that step).`, 'funnelStep');
  }
  const wanted = breakdownFilterValue(funnelStepBreakdown);
  const actors = await evaluateFunnel(ctx, funnelsQuery, plan);
  const { kept } = bucketize(plan, actors);
  const inBucket = (funnel: ActorFunnel): boolean => {
    if (!plan.hasBreakdown || wanted === undefined) return true;
    const key = bucketKey(funnel);
    return wanted === BREAKDOWN_OTHER ? !kept.has(key) : key === wanted;
  };
  const matches = (funnel: ActorFunnel) => (funnelStep > 0 ? funnel.reached >= funnelStep : funnel.reached === -funnelStep - 1);
  const ids = actors
    .filter(({ funnels }) => funnels.some((f) => inBucket(f) && matches(f)))
    .map(({ actor }) => actor)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    kind: plan.groupTypeIndex === undefined ? 'person' : 'group',
    ...(plan.groupTypeIndex === undefined ? {} : { groupTypeIndex: plan.groupTypeIndex }),
    ids: ids.slice(offset, offset + limit),
    hasMore: ids.length > offset + limit,
  };
}

function breakdownFilterValue(value: unknown): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  if (single === null || single === undefined) return undefined;
  if (typeof single === 'string' || typeof single === 'number' || typeof single === 'boolean') return String(single);
  throw new HttpError('invalid_input', 'funnelStepBreakdown must be a breakdown value.', 'funnelStepBreakdown');
}
