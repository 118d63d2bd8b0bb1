import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

describe('events API', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startInProcessServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('pages through events sharing one timestamp without skipping or repeating any', async () => {
    const batch = Array.from({ length: 7 }, (_, i) => ({
      event: 'tie',
      distinct_id: `u${i}`,
      timestamp: '2026-01-01T00:00:00Z',
      properties: { $ignore_sent_at: true, i },
    }));
    const res = await fetch(`${server.url}/batch/`, { method: 'POST', body: JSON.stringify({ api_key: server.token, batch }) });
    expect(res.status).toBe(200);

    const seen: number[] = [];
    let next: string | null = '/api/projects/@current/events/?event=tie&limit=3';
    let pages = 0;
    while (next) {
      const { status, body }: { status: number; body: { next: string | null; results: { properties: { i: number } }[] } } = await server.api(next.replace(server.url, ''));
      expect(status).toBe(200);
      seen.push(...body.results.map((e: { properties: { i: number } }) => e.properties.i));
      next = body.next;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('rejects a cursor it did not issue', async () => {
    const { status, body } = await server.api('/api/projects/@current/events/?cursor=bm9wZQ');
    expect(status).toBe(400);
    expect(body).toMatchObject({ type: 'validation_error', attr: 'cursor' });
  });
});
