// Chooses and opens the storage backend. The embedded backend is the only one so far; a
// ClickHouse backend will be selected here by configuration.
import { DuckDBStore } from './duckdb/duckdb-store.js';
import type { Store } from './store.js';

export function openStore(options: { dataDir: string; engineMemoryBytes?: number }): Promise<Store> {
  return DuckDBStore.open(options.dataDir, { memoryLimitBytes: options.engineMemoryBytes });
}
