// TrendsQuery as PostHog sends it: series of events counted per time bucket (or as one total
// value), optionally broken down and compared with the previous period. The shared pieces
// (EventsNode, filters, date range, breakdown filter) are in ../query-schema.ts.
import { z } from 'zod';
import { breakdownFilterSchema, dateRangeSchema, eventsNodeSchema, propertiesSchema } from '../query-schema.js';

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;

export const TOTAL_VALUE_DISPLAYS = ['ActionsTable', 'BoldNumber', 'ActionsPie', 'ActionsBarValue', 'WorldMap'] as const;

export const trendsQuerySchema = z.object({
  kind: z.literal('TrendsQuery'),
  series: z.array(eventsNodeSchema).min(1, { error: 'series needs at least one EventsNode' }),
  interval: z.enum(INTERVALS, { error: 'interval must be hour, day, week or month' }).nullish(),
  dateRange: dateRangeSchema,
  properties: propertiesSchema,
  breakdownFilter: breakdownFilterSchema,
  trendsFilter: z.object({ display: z.string().nullish() }).nullish(),
  compareFilter: z.object({ compare: z.boolean().nullish(), compare_to: z.string().nullish() }).nullish(),
});
export type TrendsQuery = z.infer<typeof trendsQuerySchema>;

export const isTotalValue = (query: TrendsQuery) => TOTAL_VALUE_DISPLAYS.includes((query.trendsFilter?.display ?? '') as never);

/** One point of a trend, whose actors an InsightActorsQuery lists (see trendActors in run.ts). */
export interface TrendPoint {
  readonly source: TrendsQuery;
  /** Index into source.series. */
  readonly series: number;
  /** The bucket, as in the trend's `days` ('YYYY-MM-DD', or 'YYYY-MM-DD HH:00:00' hourly); absent: the whole range. */
  readonly day?: string;
  /** A breakdown value as in the trend's `breakdown_value`; absent: every value. */
  readonly breakdown?: string;
  readonly compare?: 'current' | 'previous';
}

export type ActorOrderKey = 'event_count' | 'actor_id';

export interface ActorListOptions {
  readonly limit: number;
  readonly offset: number;
  /** Sort keys in order; the actor id (ascending) always breaks remaining ties. */
  readonly order: readonly { key: ActorOrderKey; desc: boolean }[];
  /** Case-insensitive substring of the actor's id or of its properties (as JSON text). */
  readonly search?: string;
}
