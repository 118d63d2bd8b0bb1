// What every query kind runs with (see registry.ts), the breakdown values PostHog reserves, and a
// query's date range resolved against the project's data.
import { sql } from '../sql/sql.js';
import type { Store } from '../store/store.js';
import { resolveDateRange, type ResolvedRange } from './date-range.js';
import type { DateRange } from './query-schema.js';

export interface QueryContext {
  readonly store: Store;
  readonly projectId: number;
  readonly timeZone: string;
  readonly maxGroupTypes: number;
  readonly now: Date;
  /** Display name of a group (its `name`, else its key), for group-key breakdowns. */
  readonly groupNames: (groupTypeIndex: number, keys: string[]) => Promise<Map<string, string>>;
}

/** The breakdown value of events without one, and of those past the breakdown limit. */
export const BREAKDOWN_NULL = '$$_posthog_breakdown_null_$$';
export const BREAKDOWN_OTHER = '$$_posthog_breakdown_other_$$';

/** The project's first event, for `date_from: "all"` (undefined when it has none). */
async function earliestEvent(ctx: QueryContext): Promise<Date | undefined> {
  const d = ctx.store.dialect;
  const { sql: text, params } = sql`SELECT min(timestamp) AS first FROM ${d.table('events')} WHERE project_id = ${ctx.projectId}`.build(d);
  const [row] = await ctx.store.query(text, params);
  return row?.first instanceof Date ? row.first : undefined;
}

/** A query's date range in the project's time zone; `date_from: "all"` starts at the project's first event. */
export async function queryDateRange(ctx: QueryContext, dateRange: DateRange): Promise<ResolvedRange> {
  const earliest = dateRange?.date_from === 'all' ? await earliestEvent(ctx) : undefined;
  return resolveDateRange(dateRange, ctx.timeZone, ctx.now, earliest);
}
