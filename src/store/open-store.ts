// Chooses and opens the storage backend PRICKLE_STORE names (the only place that names one
// outside store/<backend>/). The embedded DuckDB backend is the only one so far; ClickHouse with
// PostgreSQL comes next (scale-out).
import type { StoreBackend } from '../config.js';
import { DuckDBStore } from './duckdb/duckdb-store.js';
import type { Store } from './store.js';

export function openStore(options: { backend?: StoreBackend; dataDir: string; engineMemoryBytes?: number }): Promise<Store> {
  switch (options.backend ?? 'duckdb') {
    case 'duckdb':
      return DuckDBStore.open(options.dataDir, { memoryLimitBytes: options.engineMemoryBytes });
  }
}
