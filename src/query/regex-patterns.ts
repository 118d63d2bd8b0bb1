// Regular expressions in a query's property filters, checked by the engine that will run them
// (RE2 in DuckDB and ClickHouse) before the query runs: a pattern RE2 refuses (a lookahead, a
// backreference) is the client's mistake, answered 400 with the filter it sits in, not a 500
// from the middle of the query. The engine decides, because its syntax is not JavaScript's
// (RE2 takes "(?i)", JavaScript does not; JavaScript takes "(?=", RE2 does not).
import { HttpError } from '../errors.js';
import type { Store } from '../store/store.js';
import { sql } from './sql.js';

const REGEX_OPERATORS: ReadonlySet<unknown> = new Set(['regex', 'not_regex']);

/** Every regex filter value in a parsed query, with the attribute path it came from. */
export function regexPatterns(query: unknown, path = ''): { pattern: string; attr: string }[] {
  if (query === null || typeof query !== 'object') return [];
  const found: { pattern: string; attr: string }[] = [];
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  if (Array.isArray(query)) {
    query.forEach((item, i) => found.push(...regexPatterns(item, at(i))));
    return found;
  }
  const node = query as Record<string, unknown>;
  if (REGEX_OPERATORS.has(node.operator) && node.value !== null && node.value !== undefined) {
    const values = Array.isArray(node.value) ? node.value : [node.value];
    values.forEach((value, i) => found.push({ pattern: String(value), attr: Array.isArray(node.value) ? `${at('value')}.${i}` : at('value') }));
  }
  for (const [key, value] of Object.entries(node)) if (key !== 'value') found.push(...regexPatterns(value, at(key)));
  return found;
}

/** Throws a 400 naming the first filter whose pattern the store's engine cannot compile. */
export async function assertRegexPatternsValid(store: Store, query: unknown): Promise<void> {
  const checked = new Set<string>();
  for (const { pattern, attr } of regexPatterns(query)) {
    if (checked.has(pattern)) continue;
    checked.add(pattern);
    const { sql: text, params } = sql`SELECT ${store.dialect.regexMatch(sql`''`, pattern)} AS matched`.build();
    try {
      await store.query(text, params);
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^[A-Za-z ]*Error: /, '') : String(error);
      throw new HttpError('invalid_input', `${JSON.stringify(pattern)} is not a valid regular expression: ${reason}`, attr);
    }
  }
}
