// Reads the timings bench/instrument-server.ts wrote from inside the server, as summary rows.
import fs from 'node:fs';
import type { ServerStats } from './instrument-server.js';
import { formatInt, type ResultRow } from './report.js';

export function readServerStats(file: string): ServerStats | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ServerStats;
  } catch {
    return undefined;
  }
}

export function serverStatsRows(stats: ServerStats, acknowledged: number): ResultRow[] {
  const section = 'server (instrumented)';
  const rows: ResultRow[] = [];
  const row = (metric: string, value: string) => rows.push({ section, metric, value });
  const active = stats.activeSeconds * 1000;
  const loop = stats.timers['queue.commitNext (ingest + store commit)'];
  const store = stats.timers['store.commitIngest (DuckDB transaction)'];
  row('main thread event loop utilization', `${(stats.eventLoopUtilization * 100).toFixed(0)}%`);
  if (loop) {
    row('group commits', `${formatInt(loop.calls)} (${formatInt(acknowledged / loop.calls)} events each on average)`);
    row('commit loop busy (of first-to-last commit)', `${((loop.ms / active) * 100).toFixed(0)}%`);
    if (store) {
      row('  ingestEvent + build (JS, main thread)', `${formatInt(loop.ms - store.ms)} ms, ${(((loop.ms - store.ms) * 1000) / acknowledged).toFixed(1)} µs/event`);
    }
  }
  if (loop && stats.appendedRows) {
    const perCommit = Object.entries(stats.appendedRows)
      .filter(([, n]) => n / loop.calls >= 0.5)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([table, n]) => `${table} ${formatInt(n / loop.calls)}`)
      .join(', ');
    row('rows appended per commit', perCommit);
  }
  const sorted = Object.entries(stats.timers)
    .filter(([label]) => !label.startsWith('queue.'))
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 14);
  for (const [label, t] of sorted) {
    const indent = label.startsWith('store.') ? '  ' : '    ';
    row(
      `${indent}${label}`,
      `${formatInt(t.ms)} ms, ${((t.ms * 1000) / acknowledged).toFixed(1)} µs/event, ${formatInt(t.calls)} calls, max ${formatInt(t.maxMs)} ms`,
    );
  }
  return rows;
}
