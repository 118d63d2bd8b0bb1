// Every query kind the query API answers, in one place: `kind` → its schema and how it runs.
// Each kind is a folder under query/ with the same layout: schema.ts (its zod schema and types),
// compile.ts (its SQL, through the Dialect), shape.ts (result rows to the API's answer) and
// run.ts (its entry points). A new kind is such a folder and one line here; the query route and
// saved insights take what they need from this table. Pieces the kinds share (context, date
// ranges, EventScope, the shared query schema, serializers) sit in query/ itself.
import type { z } from 'zod';
import { runActors } from './actors/run.js';
import { actorsQuerySchema } from './actors/schema.js';
import type { QueryContext } from './context.js';
import { runEventsQuery } from './events/run.js';
import { eventsQuerySchema } from './events/schema.js';
import { runFunnels } from './funnels/run.js';
import { funnelsQuerySchema } from './funnels/schema.js';
import { runTrends } from './trends/run.js';
import { trendsQuerySchema } from './trends/schema.js';

export interface QueryKind {
  /** Validates the query (its `kind` included); errors name the field. */
  readonly schema: z.ZodType;
  /** An insight: saved insights may hold it, and its answer comes in PostHog's insight envelope. */
  readonly insight: boolean;
  /** The answer's body, for a query the schema accepted. */
  readonly run: (ctx: QueryContext, query: unknown) => Promise<unknown>;
}

function kind<S extends z.ZodType>(schema: S, insight: boolean, run: (ctx: QueryContext, query: z.infer<S>) => Promise<unknown>): QueryKind {
  return { schema, insight, run: run as QueryKind['run'] };
}

/** PostHog's envelope around an insight's results. */
function insightAnswer(ctx: QueryContext, results: unknown) {
  return { results, is_cached: false, timezone: ctx.timeZone, last_refresh: ctx.now.toISOString() };
}

const QUERY_KINDS: Readonly<Record<string, QueryKind>> = {
  TrendsQuery: kind(trendsQuerySchema, true, async (ctx, query) => insightAnswer(ctx, await runTrends(ctx, query))),
  FunnelsQuery: kind(funnelsQuerySchema, true, async (ctx, query) => insightAnswer(ctx, await runFunnels(ctx, query))),
  ActorsQuery: kind(actorsQuerySchema, false, runActors),
  EventsQuery: kind(eventsQuerySchema, false, runEventsQuery),
};

export function queryKind(name: string): QueryKind | undefined {
  return Object.hasOwn(QUERY_KINDS, name) ? QUERY_KINDS[name] : undefined;
}

export const queryKindNames = (): string[] => Object.keys(QUERY_KINDS);

/** The schemas of the insight kinds, for a union over them (saved insights). */
export const insightQuerySchemas = [trendsQuerySchema, funnelsQuerySchema] as const;
