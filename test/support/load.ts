// Senders that post posthog-node style /batch requests and remember which events were acknowledged.
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzip = promisify(zlib.gzip);

export interface WireEvent {
  readonly event: string;
  readonly distinct_id: string;
  readonly properties: Record<string, unknown>;
  readonly timestamp: string;
  readonly uuid: string;
}

/** posthog-node's /batch body (spec 7.2). */
export function batchBody(token: string, batch: readonly WireEvent[]): string {
  return JSON.stringify({ api_key: token, batch, sent_at: new Date().toISOString() });
}

/** POSTs a /batch body like posthog-node: JSON, gzip-encoded unless `compress` is false. */
export async function postBatch(url: string, token: string, batch: readonly WireEvent[], compress: boolean): Promise<Response> {
  const json = batchBody(token, batch);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let body: string | Uint8Array<ArrayBuffer> = json;
  if (compress) {
    body = new Uint8Array(await gzip(json));
    headers['content-encoding'] = 'gzip';
  }
  return fetch(`${url}/batch/`, { method: 'POST', headers, body });
}

/** postBatch, sent again after its Retry-After while the server answers 503, as the SDKs do. */
export async function postBatchRetrying(url: string, token: string, batch: readonly WireEvent[], compress: boolean): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const res = await postBatch(url, token, batch, compress);
    if (res.status !== 503 || attempt >= 120) return res;
    await res.arrayBuffer();
    const after = Number(res.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, (Number.isFinite(after) && after > 0 ? after : 1) * 1000));
  }
}

export function wireEvent(event: string, distinctId: string, properties: Record<string, unknown>, timestamp: Date): WireEvent {
  return {
    event,
    distinct_id: distinctId,
    properties: { $lib: 'posthog-node', $lib_version: '5.70.0', ...properties },
    timestamp: timestamp.toISOString(),
    uuid: randomUUID(),
  };
}

/** What the senders did: every event they tried to send, and those in a request answered 200. */
export class SendLedger {
  /** distinct id → uuids of events sent in any request. */
  readonly attempted = new Map<string, Set<string>>();
  /** distinct id → uuids of events in requests answered 200. */
  readonly acknowledged = new Map<string, Set<string>>();
  acknowledgedCount = 0;
  acknowledgedRequests = 0;
  failedRequests = 0;
  /** Non-200 answers (status → count); a crash test expects none before the kill. */
  readonly otherStatuses = new Map<number, number>();
  inFlight = 0;

  private add(map: Map<string, Set<string>>, batch: readonly WireEvent[]): void {
    for (const e of batch) {
      let set = map.get(e.distinct_id);
      if (!set) map.set(e.distinct_id, (set = new Set()));
      set.add(e.uuid);
    }
  }

  /** Sends one batch and records the outcome; never throws. */
  async send(url: string, token: string, batch: readonly WireEvent[], compress: boolean): Promise<void> {
    this.add(this.attempted, batch);
    this.inFlight += 1;
    try {
      const res = await postBatch(url, token, batch, compress);
      await res.arrayBuffer();
      if (res.status === 200) {
        this.add(this.acknowledged, batch);
        this.acknowledgedCount += batch.length;
        this.acknowledgedRequests += 1;
      } else {
        this.otherStatuses.set(res.status, (this.otherStatuses.get(res.status) ?? 0) + 1);
      }
    } catch {
      this.failedRequests += 1;
    } finally {
      this.inFlight -= 1;
    }
  }
}
