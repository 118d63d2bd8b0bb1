// Helpers for insight tests: send raw events with exact timestamps, run queries.
import { randomUUID } from 'node:crypto';
import type { RunningServer } from './server.js';

export interface RawEvent {
  event: string;
  distinct_id: string;
  timestamp: string;
  properties?: Record<string, unknown>;
  uuid?: string;
}

/** Sends events as one /batch request; timestamps are kept as sent ($ignore_sent_at). */
export async function sendEvents(server: RunningServer, events: RawEvent[], token = server.token): Promise<void> {
  const batch = events.map((e) => ({
    uuid: e.uuid ?? randomUUID(),
    event: e.event,
    distinct_id: e.distinct_id,
    timestamp: e.timestamp,
    properties: { ...e.properties, $ignore_sent_at: true },
  }));
  for (let i = 0; i < batch.length; i += 5000) {
    const body = JSON.stringify({ api_key: token, batch: batch.slice(i, i + 5000) });
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${server.url}/batch/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (res.status === 200) break;
      const text = await res.text();
      // Back-pressure: sent again after Retry-After, as the SDKs do.
      if (res.status !== 503 || attempt >= 120) throw new Error(`capture answered ${res.status}: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

export function groupIdentify(groupType: string, groupKey: string, properties: Record<string, unknown>, timestamp = '2026-01-01T00:00:00Z'): RawEvent {
  return {
    event: '$groupidentify',
    distinct_id: `$${groupType}_${groupKey}`,
    timestamp,
    properties: { $group_type: groupType, $group_key: groupKey, $group_set: properties },
  };
}

export async function runQuery<T = any>(server: RunningServer, query: Record<string, unknown>, key?: string): Promise<{ status: number; body: T }> {
  return server.api<T>('/api/projects/@current/query/', { method: 'POST', body: { query }, key });
}
