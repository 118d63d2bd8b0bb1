// Regular expressions in a query's property filters, checked by the engine that will run them
// (RE2 in DuckDB and ClickHouse) before the query runs: a pattern RE2 refuses (a lookahead, a
// backreference) is the client's mistake, answered 400 with the filter it sits in, not a 500
// from the middle of the query. The engine decides, because its syntax is not JavaScript's
// (RE2 takes "(?i)", JavaScript does not; JavaScript takes "(?=", RE2 does not).
import { HttpError } from '../errors.js';
import type { Store } from '../store/store.js';
import { walkQuery } from './query-walk.js';
import { sql } from '../sql/sql.js';

const REGEX_OPERATORS: ReadonlySet<unknown> = new Set(['regex', 'not_regex']);

/** Every regex filter value in a parsed query, with the attribute path it came from. */
export function regexPatterns(query: unknown): { pattern: string; attr: string }[] {
  const found: { pattern: string; attr: string }[] = [];
  walkQuery(query, (node, attr) => {
    if (!REGEX_OPERATORS.has(node.operator) || node.value === null || node.value === undefined) return;
    const valueAttr = attr === '' ? 'value' : `${attr}.value`;
    if (Array.isArray(node.value)) node.value.forEach((value, i) => found.push({ pattern: String(value), attr: `${valueAttr}.${i}` }));
    else found.push({ pattern: String(node.value), attr: valueAttr });
  });
  return found;
}

/** Throws a 400 naming the first filter whose pattern the store's engine cannot compile. */
export async function assertRegexPatternsValid(store: Store, query: unknown): Promise<void> {
  const checked = new Set<string>();
  for (const { pattern, attr } of regexPatterns(query)) {
    if (checked.has(pattern)) continue;
    checked.add(pattern);
    const { sql: text, params } = sql`SELECT ${store.dialect.regexMatch(sql`''`, pattern)} AS matched`.build(store.dialect);
    try {
      await store.query(text, params);
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^[A-Za-z ]*Error: /, '') : String(error);
      throw new HttpError('invalid_input', `${JSON.stringify(pattern)} is not a valid regular expression: ${reason}`, attr);
    }
  }
}
