import { describe, expect, it } from 'vitest';
import { insightQuerySchemas, queryKind, queryKindNames } from './registry.js';

describe('query registry', () => {
  it('maps each kind to a schema that takes that kind and refuses the others', () => {
    expect(queryKindNames().sort()).toEqual(['ActorsQuery', 'EventsQuery', 'FunnelsQuery', 'TrendsQuery']);
    for (const name of queryKindNames()) {
      const kind = queryKind(name)!;
      for (const other of queryKindNames()) {
        if (other === name) continue;
        const result = kind.schema.safeParse({ kind: other });
        expect(result.success).toBe(false);
      }
    }
    expect(queryKind('toString')).toBeUndefined();
    expect(queryKind('RetentionQuery')).toBeUndefined();
  });

  it('offers the insight kinds, and only those, to saved insights', () => {
    const insights = queryKindNames().filter((name) => queryKind(name)!.insight);
    expect(insights.sort()).toEqual(['FunnelsQuery', 'TrendsQuery']);
    expect(insightQuerySchemas.map((schema) => (schema.shape.kind as { value: string }).value).sort()).toEqual(insights.sort());
  });
});
