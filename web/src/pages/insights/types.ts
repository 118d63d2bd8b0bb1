// Types of the insight pages, derived from the server's own code.
import type { serializeEventDefinition, serializeInsight } from '../../../../src/api/insight-routes.ts';
import type { serializePropertyValue } from '../../../../src/api/project-routes.ts';
import type { ApiGroupActor, ApiPerson, FunnelsQueryInput, FunnelStepResult, PropertyFilter, TrendsQueryInput, TrendsSeriesResult } from '../../api-types.ts';

export type ApiInsight = ReturnType<typeof serializeInsight>;
export type ApiEventDefinition = ReturnType<typeof serializeEventDefinition>;
/** A suggested property value with how often it occurs (events/values, persons/values, groups/property_values). */
export type ApiPropertyValue = ReturnType<typeof serializePropertyValue>;
export type InsightQueryInput = TrendsQueryInput | FunnelsQueryInput;
export type SeriesNode = TrendsQueryInput['series'][number];
export type BreakdownFilterInput = NonNullable<TrendsQueryInput['breakdownFilter']>;
export type DateRangeInput = NonNullable<TrendsQueryInput['dateRange']>;
export type FilterInput = Omit<PropertyFilter, 'operator' | 'type'> & Partial<Pick<PropertyFilter, 'operator' | 'type'>>;

/** One trends series and one funnel step, as the server's query code answers them. */
export type TrendSeries = TrendsSeriesResult;
export type FunnelStep = FunnelStepResult;

export type Actor = ApiGroupActor | ApiPerson;

export interface ActorsResponse {
  readonly results: unknown[][];
  readonly columns: string[];
  readonly hasMore: boolean;
}
