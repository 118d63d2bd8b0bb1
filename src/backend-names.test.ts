// Only store/<backend>/ names a backend: everything else reaches the engine through the Store
// interface and writes SQL through the Dialect (sql/dialect.ts), so a second backend needs no
// change outside its own folder. This test reads every other source file for what would break
// that: an import of a backend, or SQL only one engine speaks.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(new URL(import.meta.url).pathname);
/** Each backend: its folder under store/, and the packages (exact names, or scopes ending in '/') that reach its engine. */
const BACKENDS = [
  { folder: 'duckdb', packages: ['duckdb', '@duckdb/'] },
  { folder: 'clickhouse', packages: ['chdb', '@clickhouse/'] },
];
/** The one place that picks a backend from the configuration. */
const BACKEND_FACTORY = path.join('store', 'open-store.ts');

/** SQL that is one engine's own (each is a dialect hook's business). */
const ENGINE_SQL = [
  // DuckDB
  /::\s*[A-Z]+/, // casts
  /\bASOF\b/,
  /\(VALUES\b/,
  /\bPOSITIONAL JOIN\b/,
  /\bepoch_(?:us|ms)\(/,
  /->>'/,
  /\bjson_(?:extract|type|valid)\w*\(/,
  /\blist_\w+\(/,
  /\barg_(?:min|max)\(/,
  /\bquantile_(?:cont|disc)\(/,
  /\bregexp_\w+\(/,
  /\bTRY_CAST\b/,
  /\bILIKE\b/,
  /\bstrftime\(/,
  /\bdate_trunc\(/,
  /\bread_csv\b/,
  // ClickHouse
  /\bFINAL\b/, // the current rows of a ReplacingMergeTree (table)
  /\btoStartOf\w+\(/, // truncate
  /\bJSONExtract\w*\(/, // propertyText
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return BACKENDS.some((b) => b.folder === entry.name) && path.basename(dir) === 'store' ? [] : sourceFiles(full);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** The code without its comments (line and block), so prose may name the engine. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

describe('backend names', () => {
  it('appear only in store/<backend>/ (and the factory choosing one)', () => {
    const wrong: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const relative = path.relative(SRC, file);
      const text = code(fs.readFileSync(file, 'utf8'));
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const target = spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), spec)) : spec;
        const namesBackend = BACKENDS.some(
          (b) =>
            target.startsWith(path.join('store', b.folder)) ||
            b.packages.some((p) => (p.endsWith('/') ? target.startsWith(p) : target === p || target.startsWith(`${p}/`))),
        );
        if (namesBackend && relative !== BACKEND_FACTORY) wrong.push(`${relative} imports ${spec}`);
      }
      for (const pattern of ENGINE_SQL) if (pattern.test(text)) wrong.push(`${relative} has engine SQL ${pattern}`);
    }
    expect(wrong).toEqual([]);
  });
});
