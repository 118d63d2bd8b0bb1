// Trends bucket by the project's time zone, set with PATCH /api/projects/:id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, sendEvents } from './support/query.js';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startInProcessServer();
});

afterAll(async () => {
  await server.stop();
});

describe('project time zone', () => {
  it('rejects a time zone that does not exist', async () => {
    const { status, body } = await server.api('/api/projects/@current/', { method: 'PATCH', body: { timezone: 'Mars/Olympus' } });
    expect(status).toBe(400);
    expect(body.attr).toBe('timezone');
  });

  it('buckets days and reads date ranges in the project time zone', async () => {
    const patched = await server.api('/api/projects/@current/', { method: 'PATCH', body: { timezone: 'America/New_York' } });
    expect(patched.body.timezone).toBe('America/New_York');
    await sendEvents(server, [
      // 2026-01-06 03:00 UTC is 22:00 on the 5th in New York (UTC-5).
      { event: 'tz_event', distinct_id: 'a', timestamp: '2026-01-06T03:00:00Z' },
      { event: 'tz_event', distinct_id: 'b', timestamp: '2026-01-06T06:00:00Z' },
      // 2026-01-05 04:59 UTC is still the 4th in New York: outside the range.
      { event: 'tz_event', distinct_id: 'c', timestamp: '2026-01-05T04:59:00Z' },
    ]);
    const { body } = await runQuery(server, { kind: 'TrendsQuery', series: [{ event: 'tz_event' }], dateRange: { date_from: '2026-01-05', date_to: '2026-01-06' } });
    expect(body.timezone).toBe('America/New_York');
    expect(body.results[0].days).toEqual(['2026-01-05', '2026-01-06']);
    expect(body.results[0].data).toEqual([1, 1]);
  });
});
