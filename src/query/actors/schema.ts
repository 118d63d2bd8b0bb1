// ActorsQuery as PostHog sends it: one page of the persons or groups behind a point of an
// insight, whose source is an InsightActorsQuery over a TrendsQuery point or a FunnelsActorsQuery
// over a funnel step (the insight's own schema, from its folder).
import { z } from 'zod';
import { funnelsQuerySchema } from '../funnels/schema.js';
import { propertiesSchema, scalarSchema } from '../query-schema.js';
import { trendsQuerySchema } from '../trends/schema.js';

const MAX_LIMIT = 1000;

const insightActorsQuerySchema = z.object({
  kind: z.literal('InsightActorsQuery'),
  source: z.discriminatedUnion('kind', [trendsQuerySchema], { error: 'InsightActorsQuery supports TrendsQuery sources only' }),
  day: z.string({ error: 'day must be a date string, as in the trend\'s days' }).nullish(),
  series: z.number().int().min(0, { error: 'series must be a series index (0 or more)' }).nullish(),
  breakdown: z.union([z.string(), z.number()], { error: 'breakdown must be one breakdown value' }).nullish(),
  compare: z.enum(['current', 'previous'], { error: 'compare must be current or previous' }).nullish(),
});

const funnelsActorsQuerySchema = z.object({
  kind: z.literal('FunnelsActorsQuery'),
  source: funnelsQuerySchema,
  funnelStep: z
    .number({ error: 'funnelStep is required: a 1-based step, or -N for actors who reached step N-1 but not N' })
    .int()
    .refine((n) => n !== 0 && n !== -1, { error: 'funnelStep must be 1 or more, or -2 or less (dropped off before that step)' }),
  funnelStepBreakdown: z.union([scalarSchema, z.array(scalarSchema)]).nullish(),
  funnelCustomSteps: z.array(z.number()).nullish(),
  funnelTrendsDropOff: z.boolean().nullish(),
  funnelTrendsEntrancePeriodStart: z.string().nullish(),
});

export const actorsQuerySchema = z.object({
  kind: z.literal('ActorsQuery'),
  source: z.discriminatedUnion('kind', [insightActorsQuerySchema, funnelsActorsQuerySchema], {
    error: 'source must be an InsightActorsQuery (over a TrendsQuery) or a FunnelsActorsQuery',
  }),
  select: z.array(z.string()).min(1, { error: 'select needs at least one column' }).nullish(),
  limit: z.number().int().min(1).max(MAX_LIMIT, { error: `limit must be at most ${MAX_LIMIT}` }).nullish(),
  offset: z.number().int().min(0).nullish(),
  orderBy: z.array(z.string()).nullish(),
  search: z.string().nullish(),
  properties: propertiesSchema,
  fixedProperties: propertiesSchema,
});
export type ActorsQuery = z.infer<typeof actorsQuerySchema>;
