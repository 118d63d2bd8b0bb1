// Visits every object in a parsed query with its attribute path ("series.0.properties.1"), for
// checks that look for one kind of field wherever it sits: in series, in AND/OR groups at any
// depth, in funnel exclusions, in an actors query's source.

export function walkQuery(value: unknown, visit: (node: Readonly<Record<string, unknown>>, attr: string) => void, attr = ''): void {
  if (value === null || typeof value !== 'object') return;
  const at = (key: string | number) => (attr === '' ? String(key) : `${attr}.${key}`);
  if (Array.isArray(value)) {
    value.forEach((item, i) => walkQuery(item, visit, at(i)));
    return;
  }
  const node = value as Record<string, unknown>;
  visit(node, attr);
  for (const [key, child] of Object.entries(node)) walkQuery(child, visit, at(key));
}
