// Ingestion and queries share the machine without one stalling the other: acknowledgements keep
// coming while a long query runs, and queries are answered in the middle of an ingestion burst.
// Checked by the order in which things finish, not by timing thresholds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postBatchRetrying, wireEvent } from './support/load.js';
import { runQuery } from './support/query.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
const DAY = 24 * 60 * 60 * 1000;
const now = Date.now();

/** Text that compresses well on the wire but makes a regex scan over stored events long. */
const blob = (i: number) => `${'lorem ipsum dolor sit amet '.repeat(40)}${i % 997}`;

beforeAll(async () => {
  server = await startServer();
  // 60,000 events with 1 KB of text each, over 30 days, sent by 8 senders.
  const batches = Array.from({ length: 60 }, (_, b) =>
    Array.from({ length: 1000 }, (_, i) =>
      wireEvent('page', `user-${(b * 1000 + i) % 3000}`, { blob: blob(b * 1000 + i), $groups: { company: `c${i % 50}` } }, new Date(now - ((b * 1000 + i) % 30) * DAY)),
    ),
  );
  const senders = Array.from({ length: 8 }, async (_, s) => {
    for (let b = s; b < batches.length; b += 8) {
      const res = await postBatchRetrying(server.url, server.token, batches[b], true);
      expect(res.status).toBe(200);
    }
  });
  await Promise.all(senders);
}, 180_000);

afterAll(async () => {
  await server?.stop();
}, 180_000);

/** A trends query that scans every event's text once per series: seconds on this data. */
const longQuery = {
  kind: 'TrendsQuery',
  dateRange: { date_from: '-30d' },
  interval: 'day',
  series: Array.from({ length: 8 }, (_, k) => ({
    kind: 'EventsNode',
    event: 'page',
    math: 'unique_group',
    math_group_type_index: 0,
    properties: [{ key: 'blob', type: 'event', operator: 'regex', value: `(dolor|amet)\\s+sit.*${k}9[0-9]$` }],
  })),
};

const lightQuery = {
  kind: 'TrendsQuery',
  dateRange: { date_from: '-7d' },
  interval: 'day',
  series: [{ kind: 'EventsNode', event: 'burst', math: 'total' }],
};

describe('ingestion and queries together', () => {
  it('keeps acknowledging capture while a long query runs', async () => {
    const order: string[] = [];
    const query = runQuery(server, longQuery).then((res) => {
      order.push('query');
      return res;
    });
    let acks = 0;
    let queryDone = false;
    void query.then(() => (queryDone = true));
    for (let i = 0; !queryDone && i < 1000; i++) {
      const batch = Array.from({ length: 100 }, (_, j) => wireEvent('during_query', `q-${i}`, { j }, new Date()));
      const res = await postBatchRetrying(server.url, server.token, batch, true);
      expect(res.status).toBe(200);
      if (!queryDone) {
        acks += 1;
        order.push('ack');
      }
    }
    const res = await query;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.results).toHaveLength(8);
    // Several requests were answered, one after another, before the query finished.
    expect(acks).toBeGreaterThanOrEqual(5);
    expect(order.slice(0, 5)).toEqual(['ack', 'ack', 'ack', 'ack', 'ack']);
  }, 120_000);

  it('answers queries in the middle of an ingestion burst, and counts every acknowledged event once it is over', async () => {
    let acknowledged = 0;
    let burstOver = false;
    const answers: number[] = [];
    // 8 senders, 1,000 events a request, until the queries are done (at most 400 requests).
    let sent = 0;
    const senders = Array.from({ length: 8 }, async () => {
      while (!burstOver && sent < 400) {
        sent += 1;
        const batch = Array.from({ length: 1000 }, (_, j) => wireEvent('burst', `b-${sent % 500}`, { j }, new Date()));
        const res = await postBatchRetrying(server.url, server.token, batch, true);
        expect(res.status).toBe(200);
        acknowledged += 1000;
      }
    });
    while (acknowledged < 8000) await new Promise((r) => setTimeout(r, 5));
    for (let q = 0; q < 3; q++) {
      const res = await runQuery(server, lightQuery);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      answers.push(res.body.results[0].count);
    }
    const burstStillGoing = !burstOver && sent < 400;
    burstOver = true;
    await Promise.all(senders);
    // The queries were answered while the senders were still sending: not queued behind the burst.
    expect(burstStillGoing).toBe(true);
    // Counts only grew from one answer to the next, and in the end every acknowledged event counts.
    expect(answers).toEqual([...answers].sort((a, b) => a - b));
    let total = 0;
    while (total !== acknowledged) {
      total = (await runQuery(server, lightQuery)).body.results[0].count;
      expect(total).toBeLessThanOrEqual(acknowledged);
    }
  }, 120_000);
});
