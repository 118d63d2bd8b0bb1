// FunnelsQuery: one SQL query (compile.ts) finds each actor's furthest step and aggregates the
// counts and conversion times per step (and per breakdown bucket) in the engine; they are shaped
// into PostHog's step list (shape.ts). funnelActors lists the actors behind a step, for ActorsQuery.
import { HttpError } from '../../errors.js';
import { queryDateRange, type QueryContext } from '../context.js';
import { fromNaive } from '../date-range.js';
import { DEFAULT_BREAKDOWN_LIMIT, namesBreakdown } from '../query-schema.js';
import {
  compileFunnelActorPage,
  compileFunnelSteps,
  MAX_SHARED_UNORDERED_STEPS,
  sharedSteps,
  type BreakdownAttribution,
  type FunnelOrder,
  type FunnelSource,
} from './compile.js';
import type { FunnelsQuery, WindowUnit } from './schema.js';
import { compareBuckets, shapeSteps, toBucket, type Bucket, type FunnelStepResult } from './shape.js';

/** PostHog's conversion window units, in seconds; a month is 30 days (its DATERANGE_MAP). */
const UNIT_SECONDS: Record<WindowUnit, number> = { second: 1, minute: 60, hour: 3600, day: 86_400, week: 604_800, month: 2_592_000 };
const DEFAULT_WINDOW = { interval: 14, unit: 'day' as WindowUnit };

interface FunnelPlan {
  readonly order: FunnelOrder;
  readonly windowMicros: number;
  readonly exclusions: FunnelSource['exclusions'];
  readonly attribution?: BreakdownAttribution;
  readonly attributionStep?: number;
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
    return { event: x.event, properties: x.properties, fromStep: x.funnelFromStep, toStep: x.funnelToStep };
  });
  if (order === 'unordered') {
    if (sharedSteps(query.series).length > MAX_SHARED_UNORDERED_STEPS) {
      throw new HttpError('invalid_input', `Unordered funnels take at most ${MAX_SHARED_UNORDERED_STEPS} steps that can match the same event (same event name, or any event).`, 'series');
    }
  }
  const hasBreakdown = namesBreakdown(query.breakdownFilter);
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
  return {
    order,
    windowMicros: interval * UNIT_SECONDS[unit] * 1_000_000,
    exclusions,
    ...(hasBreakdown ? { attribution, attributionStep } : {}),
    groupTypeIndex: query.aggregation_group_type_index ?? undefined,
    hasBreakdown,
    breakdownLimit: query.breakdownFilter?.breakdown_limit ?? DEFAULT_BREAKDOWN_LIMIT,
  };
}

/** What the compiler needs: the plan, the date range resolved in the project's time zone. */
async function funnelSource(ctx: QueryContext, query: FunnelsQuery, plan: FunnelPlan): Promise<FunnelSource> {
  const range = await queryDateRange(ctx, query.dateRange);
  return {
    dialect: ctx.store.dialect,
    projectId: ctx.projectId,
    maxGroupTypes: ctx.maxGroupTypes,
    timeZone: ctx.timeZone,
    steps: query.series,
    exclusions: plan.exclusions,
    properties: query.properties,
    order: plan.order,
    windowMicros: plan.windowMicros,
    groupTypeIndex: plan.groupTypeIndex,
    breakdown: plan.hasBreakdown ? query.breakdownFilter : undefined,
    attribution: plan.attribution,
    attributionStep: plan.attributionStep,
    from: fromNaive(range.from, ctx.timeZone),
    to: fromNaive(range.to, ctx.timeZone),
  };
}

/**
 * PostHog's funnel result: the list of steps, or with a breakdown one such list per value
 * (most conversions first; none when no actor entered the funnel).
 */
export async function runFunnels(ctx: QueryContext, query: FunnelsQuery): Promise<FunnelStepResult[] | FunnelStepResult[][]> {
  const plan = planFunnel(query);
  const steps = query.series.length;
  const { sql: text, params } = compileFunnelSteps(await funnelSource(ctx, query, plan), plan.breakdownLimit).build(ctx.store.dialect);
  const buckets = (await ctx.store.query(text, params)).map((row) => toBucket(row, steps, plan.hasBreakdown)).sort(compareBuckets);
  if (plan.hasBreakdown) return buckets.map((bucket) => shapeSteps(query, bucket));
  const empty: Bucket = { value: undefined, counts: new Array<number>(steps).fill(0), averages: new Array(steps).fill(null), medians: new Array(steps).fill(null) };
  return shapeSteps(query, buckets[0] ?? empty);
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
  const steps = funnelsQuery.series.length;
  if (!Number.isInteger(funnelStep) || funnelStep === 0 || funnelStep === -1 || Math.abs(funnelStep) > steps) {
    throw new HttpError('invalid_input', `funnelStep must be 1..${steps} (reached that step) or -2..-${steps} (dropped off before that step).`, 'funnelStep');
  }
  const bucket = breakdownFilterValue(funnelStepBreakdown);
  const source = await funnelSource(ctx, funnelsQuery, plan);
  const { sql: text, params } = compileFunnelActorPage(source, plan.breakdownLimit, { funnelStep, bucket, limit, offset }).build(ctx.store.dialect);
  const ids = (await ctx.store.query(text, params)).map((row) => String(row.actor));
  return {
    kind: plan.groupTypeIndex === undefined ? 'person' : 'group',
    ...(plan.groupTypeIndex === undefined ? {} : { groupTypeIndex: plan.groupTypeIndex }),
    ids: ids.slice(0, limit),
    hasMore: ids.length > limit,
  };
}

function breakdownFilterValue(value: unknown): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  if (single === null || single === undefined) return undefined;
  if (typeof single === 'string' || typeof single === 'number' || typeof single === 'boolean') return String(single);
  throw new HttpError('invalid_input', 'funnelStepBreakdown must be a breakdown value.', 'funnelStepBreakdown');
}
