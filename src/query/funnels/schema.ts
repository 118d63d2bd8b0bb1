// FunnelsQuery as PostHog sends it: steps (EventsNode series) an actor converts through within a
// conversion window (in order, strictly in order or in any order), with exclusions and a breakdown. The shared pieces (EventsNode,
// filters, date range, breakdown filter) are in ../query-schema.ts; the limits are the compiler's.
import { z } from 'zod';
import { breakdownFilterSchema, dateRangeSchema, eventsNodeSchema, propertiesSchema, propertyFilterSchema } from '../query-schema.js';
import { MAX_EXCLUSIONS, MAX_STEPS } from './compile.js';

export const FUNNEL_ORDER_TYPES = ['ordered', 'strict', 'unordered'] as const;
export const FUNNEL_WINDOW_UNITS = ['second', 'minute', 'hour', 'day', 'week', 'month'] as const;
export const BREAKDOWN_ATTRIBUTION_TYPES = ['first_touch', 'last_touch', 'all_events', 'step'] as const;
export type WindowUnit = (typeof FUNNEL_WINDOW_UNITS)[number];

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
