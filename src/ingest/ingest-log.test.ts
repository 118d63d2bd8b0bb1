import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IngestLog, type LogPosition, type LogRecord } from './ingest-log.js';
import { event } from './test-helpers.js';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-log-'));
const logDir = (dataDir: string) => path.join(dataDir, 'ingest-log');

function record(i: number): LogRecord {
  return {
    projectId: 1 + (i % 3),
    events: [
      event('page', `user-${i}`, { i, text: 'ünïcödé "quoted" \u2028 𝄞', $groups: { company: `c${i}` }, $set: { plan: 'pro' } }),
      event('$identify', `user-${i}`, { $anon_distinct_id: `anon-${i}` }),
    ],
    dropped: i % 2 === 0 ? ['missing_distinct_id'] : [],
    propertyTypes: [['i', 'Numeric']],
  };
}

async function reopen(dataDir: string, from: LogPosition = { segment: 0, offset: 0 }, segmentBytes?: number) {
  const replayed: { record: LogRecord; end: LogPosition }[] = [];
  const durable: LogPosition[] = [];
  const log = await IngestLog.open(dataDir, from, (r, end) => replayed.push({ record: r, end }), (_r, end) => durable.push(end), segmentBytes);
  return { log, replayed, durable };
}

describe('ingest log', () => {
  it('gives back every record as appended, in order, after the last applied position', async () => {
    const dir = tempDir();
    const first = await reopen(dir);
    const records = Array.from({ length: 20 }, (_, i) => record(i));
    await Promise.all(records.map((r) => first.log.append(r)));
    await first.log.close();
    expect(first.durable).toHaveLength(20);

    const all = await reopen(dir);
    expect(all.replayed.map((r) => r.record)).toEqual(records);
    await all.log.close();
    // From the position after the 12th record: the last 8.
    const rest = await reopen(dir, first.durable[11]);
    expect(rest.replayed.map((r) => r.record)).toEqual(records.slice(12));
    await rest.log.close();
  });

  it('cuts off a torn or corrupt record at the end, keeping everything before it', async () => {
    const dir = tempDir();
    const records = Array.from({ length: 4 }, (_, i) => record(i));
    const first = await reopen(dir);
    for (let i = 0; i < 3; i++) await first.log.append(records[i]);
    await first.log.close();
    const [file] = fs.readdirSync(logDir(dir));
    const full = fs.statSync(path.join(logDir(dir), file)).size;
    // A crash in the middle of the fourth write: half a record.
    const fourth = await reopen(dir, first.durable[2]);
    await fourth.log.append(records[3]);
    await fourth.log.close();
    const files = fs.readdirSync(logDir(dir)).sort();
    const torn = path.join(logDir(dir), files[1]);
    fs.truncateSync(torn, Math.floor(fs.statSync(torn).size / 2));

    const after = await reopen(dir);
    expect(after.replayed.map((r) => r.record)).toEqual(records.slice(0, 3));
    expect(fs.statSync(torn).size).toBe(0);
    expect(fs.statSync(path.join(logDir(dir), file)).size).toBe(full);
    await after.log.close();

    // A flipped byte in the payload fails the checksum: that record and what follows are cut.
    const bytes = fs.readFileSync(path.join(logDir(dir), file));
    bytes[first.durable[0].offset + 40] ^= 0xff;
    fs.writeFileSync(path.join(logDir(dir), file), bytes);
    const corrupt = await reopen(dir);
    expect(corrupt.replayed.map((r) => r.record)).toEqual(records.slice(0, 1));
    await corrupt.log.close();
  });

  it('starts new segments past the size and deletes those wholly applied', async () => {
    const dir = tempDir();
    const records = Array.from({ length: 12 }, (_, i) => record(i));
    const first = await reopen(dir, { segment: 0, offset: 0 }, 2_000);
    for (const r of records) await first.log.append(r);
    const segments = new Set(first.durable.map((p) => p.segment));
    expect(segments.size).toBeGreaterThan(2);
    first.log.release(first.durable[8]);
    const kept = fs.readdirSync(logDir(dir)).map((name) => Number(name.slice(0, 12)));
    expect(Math.min(...kept)).toBe(first.durable[8].segment);
    await first.log.close();
    const again = await reopen(dir, first.durable[8]);
    expect(again.replayed.map((r) => r.record)).toEqual(records.slice(9));
    await again.log.close();
  });
});
