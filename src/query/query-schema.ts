// PostHog's query schema, the parts this server answers, validated at the edge: the pieces every
// kind shares (property filters, EventsNode, date range, breakdown filter); each kind's own schema
// is in its folder (<kind>/schema.ts). Field names are PostHog's (snake_case where its API uses
// it). Unknown fields are ignored, as clients send many.
import { z } from 'zod';

export const PROPERTY_OPERATORS = [
  'exact',
  'is_not',
  'icontains',
  'not_icontains',
  'regex',
  'not_regex',
  'gt',
  'gte',
  'lt',
  'lte',
  'is_set',
  'is_not_set',
  'is_date_before',
  'is_date_after',
] as const;
export type PropertyOperator = (typeof PROPERTY_OPERATORS)[number];

export const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);

export const propertyFilterSchema = z.object({
  key: z.string().min(1, { error: 'property key must not be empty' }),
  value: z.union([scalarSchema, z.array(scalarSchema)]).nullish(),
  operator: z.enum(PROPERTY_OPERATORS, { error: `operator must be one of ${PROPERTY_OPERATORS.join(', ')}` }).default('exact'),
  type: z.enum(['event', 'person', 'group'], { error: 'property filter type must be event, person or group' }).default('event'),
  group_type_index: z.number().int().nullish(),
});
export type PropertyFilter = z.infer<typeof propertyFilterSchema>;

export interface PropertyGroup {
  type: 'AND' | 'OR';
  values: (PropertyFilter | PropertyGroup)[];
}

export const propertyGroupSchema: z.ZodType<PropertyGroup> = z.lazy(() =>
  z.object({
    type: z.enum(['AND', 'OR']),
    values: z.array(z.union([propertyGroupSchema, propertyFilterSchema])),
  }),
);

/** A list of filters (all must match) or a nested AND/OR group. */
export const propertiesSchema = z.union([z.array(propertyFilterSchema), propertyGroupSchema]).nullish();
export type Properties = z.infer<typeof propertiesSchema>;

export const TRENDS_MATHS = [
  'total',
  'dau',
  'unique_group',
  'weekly_active',
  'monthly_active',
  'sum',
  'avg',
  'min',
  'max',
  'median',
  'p90',
  'avg_count_per_actor',
  'min_count_per_actor',
  'max_count_per_actor',
  'median_count_per_actor',
  'p90_count_per_actor',
] as const;
export type TrendsMath = (typeof TRENDS_MATHS)[number];

export const eventsNodeSchema = z.object({
  kind: z.literal('EventsNode').default('EventsNode'),
  event: z.string().nullish(),
  name: z.string().nullish(),
  custom_name: z.string().nullish(),
  math: z.enum(TRENDS_MATHS, { error: `math must be one of ${TRENDS_MATHS.join(', ')}` }).nullish(),
  math_property: z.string().nullish(),
  math_group_type_index: z.number().int().nullish(),
  properties: z.array(propertyFilterSchema).nullish(),
});
export type EventsNode = z.infer<typeof eventsNodeSchema>;

export const dateRangeSchema = z
  .object({
    date_from: z.string().nullish(),
    date_to: z.string().nullish(),
  })
  .nullish();
export type DateRange = z.infer<typeof dateRangeSchema>;

export const breakdownFilterSchema = z
  .object({
    breakdown: z.union([z.string(), z.number()]).nullish(),
    breakdown_type: z.enum(['event', 'person', 'group'], { error: 'breakdown_type must be event, person or group' }).nullish(),
    breakdown_group_type_index: z.number().int().nullish(),
    breakdown_limit: z.number().int().min(1).max(1000).nullish(),
  })
  .nullish();
export type BreakdownFilter = z.infer<typeof breakdownFilterSchema>;

/** Whether the filter names a breakdown (an empty one is none). */
export const namesBreakdown = (filter: BreakdownFilter): boolean => filter?.breakdown !== null && filter?.breakdown !== undefined && filter.breakdown !== '';

/** The breakdown values a breakdown shows on their own when its filter sets no breakdown_limit. */
export const DEFAULT_BREAKDOWN_LIMIT = 25;

/** A select or orderBy expression without PostHog's trailing "-- Label" comment. */
export const bareExpression = (expression: string) => expression.replace(/\s+--.*$/, '').trim();
