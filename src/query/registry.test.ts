import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { insightQuerySchemas, queryKind, queryKindNames } from './registry.js';

const QUERY_DIR = path.dirname(new URL(import.meta.url).pathname);
/** The folder under query/ of each registered kind. */
const KIND_FOLDERS: Record<string, string> = {
  TrendsQuery: 'trends',
  FunnelsQuery: 'funnels',
  ActorsQuery: 'actors',
  EventsQuery: 'events',
};
/** What every kind's folder holds: its schema, its SQL, its answer's shape and its entry points. */
const KIND_FILES = ['schema.ts', 'compile.ts', 'shape.ts', 'run.ts'];

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

  it('keeps each kind in a folder of its own with the same layout', () => {
    expect(Object.keys(KIND_FOLDERS).sort()).toEqual(queryKindNames().sort());
    const missing: string[] = [];
    for (const folder of Object.values(KIND_FOLDERS)) {
      for (const file of KIND_FILES) if (!fs.existsSync(path.join(QUERY_DIR, folder, file))) missing.push(`${folder}/${file}`);
    }
    expect(missing).toEqual([]);
  });
});
