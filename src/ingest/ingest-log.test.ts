import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { decodePayload, IngestLog, type LoggedRequest, type LogPosition } from './ingest-log.js';
import { captured, wireEvent } from './test-helpers.js';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-log-'));
const logDir = (dataDir: string) => path.join(dataDir, 'ingest-log');

interface Appended {
  readonly request: LoggedRequest;
  readonly crc: number;
}

function record(i: number): Appended {
  const payload = captured(
    [
      wireEvent('page', `user-${i}`, { i, text: 'ünïcödé "quoted" \u2028 𝄞 \u0001', $groups: { company: `c${i}` }, $set: { plan: 'pro' } }),
      wireEvent('$identify', `user-${i}`, { $anon_distinct_id: `anon-${i}` }),
    ],
    i % 2 === 0 ? ['missing_distinct_id'] : [],
    [['i', 'Numeric']],
  );
  return { request: { projectId: 1 + (i % 3), payload: payload.bytes }, crc: payload.crc };
}

/** A request's record, with its fields as text (a Buffer view compares by its whole pool). */
const content = (r: LoggedRequest) => {
  const record = decodePayload(r.projectId, r.payload);
  return { ...record, fields: Buffer.from(record.fields).toString('utf8') };
};
const contents = (list: { request: LoggedRequest }[]) => list.map((r) => content(r.request));

async function reopen(dataDir: string, from: LogPosition = { segment: 0, offset: 0 }, segmentBytes?: number) {
  const replayed: { request: LoggedRequest; end: LogPosition }[] = [];
  const durable: LogPosition[] = [];
  const log = await IngestLog.open(dataDir, from, (request, end) => replayed.push({ request, end }), (_r, end) => durable.push(end), segmentBytes);
  return { log, replayed, durable };
}

describe('ingest log', () => {
  it('gives back every record as appended, in order, after the last applied position', async () => {
    const dir = tempDir();
    const first = await reopen(dir);
    const records = Array.from({ length: 20 }, (_, i) => record(i));
    await Promise.all(records.map((r) => first.log.append(r.request, r.crc)));
    await first.log.close();
    expect(first.durable).toHaveLength(20);

    const all = await reopen(dir);
    expect(contents(all.replayed)).toEqual(contents(records));
    await all.log.close();
    // From the position after the 12th record: the last 8.
    const rest = await reopen(dir, first.durable[11]);
    expect(contents(rest.replayed)).toEqual(contents(records.slice(12)));
    await rest.log.close();
  });

  it('cuts off a torn or corrupt record at the end, keeping everything before it', async () => {
    const dir = tempDir();
    const records = Array.from({ length: 4 }, (_, i) => record(i));
    const first = await reopen(dir);
    for (let i = 0; i < 3; i++) await first.log.append(records[i].request, records[i].crc);
    await first.log.close();
    const [file] = fs.readdirSync(logDir(dir));
    const full = fs.statSync(path.join(logDir(dir), file)).size;
    // A crash in the middle of the fourth write: half a record.
    const fourth = await reopen(dir, first.durable[2]);
    await fourth.log.append(records[3].request, records[3].crc);
    await fourth.log.close();
    const files = fs.readdirSync(logDir(dir)).sort();
    const torn = path.join(logDir(dir), files[1]);
    fs.truncateSync(torn, Math.floor(fs.statSync(torn).size / 2));

    const after = await reopen(dir);
    expect(contents(after.replayed)).toEqual(contents(records.slice(0, 3)));
    expect(fs.statSync(torn).size).toBe(0);
    expect(fs.statSync(path.join(logDir(dir), file)).size).toBe(full);
    await after.log.close();

    // A flipped byte in the payload fails the checksum: that record and what follows are cut.
    const bytes = fs.readFileSync(path.join(logDir(dir), file));
    bytes[first.durable[0].offset + 40] ^= 0xff;
    fs.writeFileSync(path.join(logDir(dir), file), bytes);
    const corrupt = await reopen(dir);
    expect(contents(corrupt.replayed)).toEqual(contents(records.slice(0, 1)));
    await corrupt.log.close();
  });

  it('starts new segments past the size and deletes those wholly applied', async () => {
    const dir = tempDir();
    const records = Array.from({ length: 12 }, (_, i) => record(i));
    const first = await reopen(dir, { segment: 0, offset: 0 }, 2_000);
    for (const r of records) await first.log.append(r.request, r.crc);
    const segments = new Set(first.durable.map((p) => p.segment));
    expect(segments.size).toBeGreaterThan(2);
    first.log.release(first.durable[8]);
    const kept = fs.readdirSync(logDir(dir)).map((name) => Number(name.slice(0, 12)));
    expect(Math.min(...kept)).toBe(first.durable[8].segment);
    await first.log.close();
    const again = await reopen(dir, first.durable[8]);
    expect(contents(again.replayed)).toEqual(contents(records.slice(9)));
    await again.log.close();
  });

  it('reads records of the first format (fields in the JSON line) as the same record', async () => {
    const dir = tempDir();
    const appended = record(4);
    const expected = { record: decodePayload(appended.request.projectId, appended.request.payload) };
    // The first format: magic "PRKL"; the line held every field but the properties, each
    // event's properties length, and the properties texts followed.
    const propertiesOf = (fieldsLine: string) => fieldsLine.slice(fieldsLine.indexOf(',\u0001{') + 2, -1);
    const lines = Buffer.from(expected.record.fields).toString('utf8').split('\n').slice(0, -1);
    const properties = lines.map(propertiesOf);
    const uuids = lines.map((line) => line.slice(1, 37));
    const legacyEvents = expected.record.events.map((e, n) => ({ uuid: uuids[n], ...e, personless: e.personless ?? false }));
    const meta = JSON.stringify({ d: expected.record.dropped, t: expected.record.propertyTypes, e: legacyEvents, p: properties.map((p) => Buffer.byteLength(p)) });
    const payload = Buffer.from(`${meta}\n${properties.join('')}`);
    const header = Buffer.alloc(16);
    header.writeUInt32LE(0x4c4b5250, 0);
    header.writeUInt32LE(payload.length, 4);
    header.writeUInt32LE(crc32(payload), 8);
    header.writeUInt32LE(expected.record.projectId, 12);
    fs.mkdirSync(logDir(dir), { recursive: true });
    fs.writeFileSync(path.join(logDir(dir), '000000000001.log'), Buffer.concat([header, payload]));

    const opened = await reopen(dir);
    expect(opened.replayed.map((r) => ({ ...content(r.request), maxLineBytes: 0 }))).toEqual([{ ...content(appended.request), maxLineBytes: 0 }]);
    expect(content(opened.replayed[0].request).maxLineBytes).toBeGreaterThanOrEqual(Buffer.byteLength(lines[0]));
    await opened.log.close();
  });
});
