// Layers point one way: server -> api -> query / flags / ingest -> store -> sql, with http/ (body
// decoding), errors and json-depth shared below them. A test rather than a lint rule: it reads
// the imports of every source file.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(new URL(import.meta.url).pathname);

/** What each top-level folder may import from (besides itself and the shared files at src/). */
const ALLOWED: Record<string, readonly string[]> = {
  sql: [],
  http: [],
  store: ['sql'],
  ingest: ['store', 'sql', 'http'],
  // Flags share the property operators of insights' filters, and read ingestion's persons and groups.
  flags: ['query', 'ingest', 'store', 'sql', 'http'],
  query: ['store', 'sql'],
  api: ['query', 'flags', 'ingest', 'store', 'sql', 'http'],
  web: ['api', 'query', 'flags', 'ingest', 'store', 'sql', 'http'],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('source layers', () => {
  it('import only downwards', () => {
    const wrong: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const layer = path.relative(SRC, file).split(path.sep)[0];
      const allowed = ALLOWED[layer];
      if (!allowed) continue; // src/*.ts: server, main, config and the shared files
      for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep);
        if (target.length === 1 || target[0] === layer || allowed.includes(target[0])) continue;
        wrong.push(`${path.relative(SRC, file)} imports ${target.join('/')}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
