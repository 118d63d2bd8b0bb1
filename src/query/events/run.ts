// EventsQuery: one page of raw events with the columns asked for, newest first, as PostHog's event
// tables ask for them (the activity page, a person's or a group's events): the bounds and page
// settled here, the SQL in compile.ts, the answer's rows in shape.ts.
import { HttpError } from '../../errors.js';
import type { QueryContext } from '../context.js';
import { compileEventsPage, parseBound, parseColumn, parseOrder } from './compile.js';
import type { EventsQuery } from './schema.js';
import { shapeEvents } from './shape.js';

const DEFAULT_LIMIT = 100;
/** PostHog's defaults: the last 24 hours, and nothing stamped in the future (5 s of clock skew allowed). */
const DEFAULT_AFTER = '-24h';
const FUTURE_SKEW_MS = 5_000;

export async function runEventsQuery(ctx: QueryContext, query: EventsQuery): Promise<Record<string, unknown>> {
  if (query.where && query.where.some((w) => w.trim() !== '')) {
    throw new HttpError('invalid_input', 'HogQL where clauses are not supported: filter with properties (property filters) instead.', 'where');
  }
  const columns = query.select.map((expression, i) => parseColumn(expression, `select.${i}`, ctx.maxGroupTypes));
  const direction = parseOrder(query.orderBy);
  const limit = query.limit ?? DEFAULT_LIMIT;
  const offset = query.offset ?? 0;
  const afterText = query.after || DEFAULT_AFTER;
  const after = afterText === 'all' ? undefined : parseBound(afterText, 'after', ctx);
  const before = query.before ? parseBound(query.before, 'before', ctx) : new Date(ctx.now.getTime() + FUTURE_SKEW_MS);

  const { sql: text, params } = compileEventsPage(ctx, query, { after, before, direction, limit, offset }).build(ctx.store.dialect);
  const rows = await ctx.store.query(text, params);
  return shapeEvents(ctx, query, columns, rows, limit, offset);
}
