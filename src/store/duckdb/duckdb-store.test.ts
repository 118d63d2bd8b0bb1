import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeStoreContract } from '../store-contract.js';
import { DuckDBStore } from './duckdb-store.js';

describeStoreContract('DuckDB', () => DuckDBStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-store-'))));
