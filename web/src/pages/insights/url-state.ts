// The insight being edited lives in the URL (`?q=<json>`, plus `insight=<short id>` once saved),
// so a copied link or a reload shows the same view.
import { navigate, useLocation } from '../../router.tsx';
import type { InsightQueryInput } from './types.ts';

export const pagePath = (query: InsightQueryInput) => (query.kind === 'FunnelsQuery' ? '/insights/funnels' : '/insights/trends');

/** The link that opens a query (and, when given, the saved insight it belongs to). */
export function insightHref(query: InsightQueryInput, insightId?: string | null): string {
  const params = new URLSearchParams({ q: JSON.stringify(query) });
  if (insightId) params.set('insight', insightId);
  return `${pagePath(query)}?${params.toString()}`;
}

function parse<Q extends InsightQueryInput>(text: string | null, kind: Q['kind']): Q | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Q;
    return value && typeof value === 'object' && value.kind === kind && Array.isArray(value.series) ? value : null;
  } catch {
    return null;
  }
}

/** The page's query from the URL (or the default), a setter that rewrites the URL, and the saved insight's id. */
export function useUrlQuery<Q extends InsightQueryInput>(kind: Q['kind'], fallback: () => Q) {
  const { query: params } = useLocation();
  const text = params.get('q');
  const query = parse<Q>(text, kind) ?? fallback();
  const insightId = params.get('insight');
  const setQuery = (next: Q) => navigate(insightHref(next, insightId), { replace: true });
  return { query, setQuery, insightId, invalidUrl: text !== null && parse<Q>(text, kind) === null };
}
