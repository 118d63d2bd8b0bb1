// ActorsQuery has no SQL of its own: its source's kind compiles the page of actors (trends/
// compile.ts for a trend point, funnels/compile.ts for a funnel step). Here the query's select
// and orderBy are read into the columns of the answer and the sort keys of the page.
import { HttpError } from '../../errors.js';
import { bareExpression } from '../query-schema.js';
import type { ActorOrderKey } from '../trends/schema.js';

export type Column = 'actor' | 'actor_id' | 'event_count' | 'created_at' | 'matched_recordings';
const COLUMNS: Record<string, Column> = {
  actor: 'actor',
  person: 'actor',
  id: 'actor_id',
  actor_id: 'actor_id',
  event_count: 'event_count',
  created_at: 'created_at',
  matched_recordings: 'matched_recordings',
};

export function parseSelect(select: readonly string[]): Column[] {
  return select.map((expression, i) => {
    const column = COLUMNS[bareExpression(expression)];
    if (!column) {
      throw new HttpError('invalid_input', `select "${expression}" is not supported: use ${Object.keys(COLUMNS).join(', ')}.`, `select.${i}`);
    }
    return column;
  });
}

/** orderBy entries like "event_count DESC" (several may share one string, comma-separated). */
export function parseOrder(orderBy: readonly string[] | null | undefined): { key: ActorOrderKey; desc: boolean }[] {
  if (!orderBy || orderBy.length === 0) return [{ key: 'event_count', desc: true }];
  return orderBy.flatMap((entry, i) =>
    entry.split(',').map((part) => {
      const m = /^([a-z_]+)(?:\s+(asc|desc))?$/i.exec(bareExpression(part));
      const key = m ? COLUMNS[m[1].toLowerCase()] : undefined;
      if (!m || (key !== 'event_count' && key !== 'actor_id')) {
        throw new HttpError('invalid_input', `orderBy "${part.trim()}" is not supported: order by event_count or actor_id, ASC or DESC.`, `orderBy.${i}`);
      }
      return { key, desc: (m[2] ?? 'asc').toLowerCase() === 'desc' };
    }),
  );
}
