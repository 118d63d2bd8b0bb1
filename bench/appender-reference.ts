// A floor for ingestion cost: DuckDB's own row appender writing the same generated events into
// a fresh database file (no HTTP, no person or group processing), timed without decoding.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { GeneratedTraffic } from './event-generator.js';

type RawEvent = { uuid: string; event: string; distinct_id: string; timestamp: string; properties: object };

/** Events/s of appending every event of `traffic` and committing them. */
export async function appenderEventsPerSecond(traffic: GeneratedTraffic): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-appender-'));
  const instance = await DuckDBInstance.create(path.join(dir, 'reference.duckdb'));
  try {
    const connection = await instance.connect();
    await connection.run('CREATE TABLE events (uuid UUID, event VARCHAR, distinct_id VARCHAR, timestamp TIMESTAMPTZ, properties JSON)');
    const appender = await connection.createAppender('events');
    let ms = 0;
    for (const body of traffic.bodies) {
      // Decoding is the client's work, not the appender's: outside the timed part.
      const rows = (JSON.parse(zlib.gunzipSync(body.gzipped).toString()) as { batch: RawEvent[] }).batch.map((e) => [e.uuid, e.event, e.distinct_id, e.timestamp, JSON.stringify(e.properties)]);
      const t0 = performance.now();
      for (const row of rows) {
        for (const value of row) appender.appendVarchar(value);
        appender.endRow();
      }
      ms += performance.now() - t0;
    }
    const t0 = performance.now();
    appender.closeSync(); // flushes and commits
    ms += performance.now() - t0;
    connection.closeSync();
    return traffic.events / (ms / 1000);
  } finally {
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
