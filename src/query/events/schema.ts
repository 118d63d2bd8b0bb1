// EventsQuery as PostHog's event tables send it (the activity page, a person's or a group's
// events): the columns, property filters (never raw HogQL), time bounds and a page. A group's
// events are those with the filter {key: '$group_N', value: <group key>, type: 'event'}.
import { z } from 'zod';
import { GROUP_KEY_PROPERTY } from '../event-scope.js';
import { propertiesSchema } from '../query-schema.js';

const MAX_LIMIT = 1000;

/**
 * PostHog's UI names a group's key filter in three ways over time: type 'event', 'event_metadata'
 * or 'group' with key '$group_N'. All mean the event's group key column, so read them as 'event'.
 */
function groupKeyFiltersAsEventFilters(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(groupKeyFiltersAsEventFilters);
  if (value === null || typeof value !== 'object') return value;
  const filter = value as Record<string, unknown>;
  if (Array.isArray(filter.values)) return { ...filter, values: filter.values.map(groupKeyFiltersAsEventFilters) };
  if (typeof filter.key === 'string' && GROUP_KEY_PROPERTY.test(filter.key) && (filter.type === 'group' || filter.type === 'event_metadata')) {
    const { group_type_index: _ignored, ...rest } = filter;
    return { ...rest, type: 'event' };
  }
  return value;
}

const filtersSchema = z.preprocess(groupKeyFiltersAsEventFilters, propertiesSchema);

export const eventsQuerySchema = z.object({
  kind: z.literal('EventsQuery'),
  select: z.array(z.string(), { error: 'select must be a list of columns' }).min(1, { error: 'select needs at least one column' }),
  where: z.array(z.string()).nullish(),
  properties: filtersSchema,
  fixedProperties: filtersSchema,
  event: z.string().nullish(),
  personId: z.string().nullish(),
  after: z.string().nullish(),
  before: z.string().nullish(),
  orderBy: z.array(z.string()).nullish(),
  limit: z.number().int().min(1).max(MAX_LIMIT, { error: `limit must be at most ${MAX_LIMIT}` }).nullish(),
  offset: z.number().int().min(0).nullish(),
});
export type EventsQuery = z.infer<typeof eventsQuerySchema>;
