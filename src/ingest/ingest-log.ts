// The durable ingest log: every accepted capture request is appended here and synced to disk
// before it is answered, so a 200 never waits for the analytics engine (its commits, checkpoints
// or a long query). The engine applies the log in order and records, in the same transaction as
// the events, how far it got; at start, whatever lies beyond that position is applied again.
//
// Files: `<data dir>/ingest-log/<segment>.log`, each a run of records:
//   magic u32 | payload length u32 | crc32(payload) u32 | project id u32 | payload
// payload: one line of JSON (dropped reasons, property types, the events without their
// properties, each with the byte length of its properties) and the properties JSON texts, back to
// back. Properties are written as they are: escaping them again would cost more than the rest.
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { IngestLogPosition } from '../store/store.js';
import type { IngestEvent, PropertyTypes } from './ingest-event.js';

export type LogPosition = IngestLogPosition;

export interface LogRecord {
  readonly projectId: number;
  readonly events: readonly IngestEvent[];
  readonly dropped: readonly string[];
  readonly propertyTypes: PropertyTypes;
}

const MAGIC = 0x4c4b5250; // "PRKL" little-endian
const HEADER_BYTES = 16;
/** A new segment starts past this size; segments wholly applied are deleted. */
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

const segmentName = (segment: number) => `${String(segment).padStart(12, '0')}.log`;


/** A record's payload, without its header: the decoding workers encode it, off the main thread. */
export interface EncodedPayload {
  readonly bytes: Uint8Array;
  readonly crc: number;
}

/** An event's fields but its properties text (written apart, as it is). */
function eventMeta(e: IngestEvent): Omit<IngestEvent, 'propertiesJson'> {
  return {
    uuid: e.uuid,
    event: e.event,
    distinctId: e.distinctId,
    timestampMs: e.timestampMs,
    personless: e.personless,
    groups: e.groups,
    groupIdentify: e.groupIdentify,
    set: e.set,
    setOnce: e.setOnce,
    unset: e.unset,
    anonDistinctId: e.anonDistinctId,
    alias: e.alias,
  };
}

export function encodePayload(record: Omit<LogRecord, 'projectId'>): EncodedPayload {
  const metas: Omit<IngestEvent, 'propertiesJson'>[] = [];
  const lengths: number[] = [];
  const properties: string[] = [];
  for (const event of record.events) {
    metas.push(eventMeta(event));
    lengths.push(Buffer.byteLength(event.propertiesJson));
    properties.push(event.propertiesJson);
  }
  // `p`: where each event's properties end in the text after the line.
  const meta = JSON.stringify({ d: record.dropped, t: record.propertyTypes, e: metas, p: lengths });
  const bytes = Buffer.from(`${meta}\n${properties.join('')}`);
  return { bytes, crc: crc32(bytes) };
}

export function encodeRecord(record: LogRecord, payload: EncodedPayload = encodePayload(record)): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(payload.bytes.length, 4);
  header.writeUInt32LE(payload.crc, 8);
  header.writeUInt32LE(record.projectId, 12);
  return Buffer.concat([header, payload.bytes]);
}

function decodePayload(projectId: number, payload: Buffer): LogRecord {
  const newline = payload.indexOf(0x0a);
  const meta = JSON.parse(payload.toString('utf8', 0, newline)) as { d: string[]; t: PropertyTypes; e: Omit<IngestEvent, 'propertiesJson'>[]; p: number[] };
  let at = newline + 1;
  const events = meta.e.map((rest, i) => {
    const propertiesJson = payload.toString('utf8', at, at + meta.p[i]);
    at += meta.p[i];
    return { ...rest, propertiesJson } as IngestEvent;
  });
  return { projectId, events, dropped: meta.d, propertyTypes: meta.t };
}

interface Pending {
  readonly bytes: Buffer;
  readonly record: LogRecord;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class IngestLog {
  private handle: fs.promises.FileHandle | undefined;
  private segment: number;
  private offset = 0;
  private pending: Pending[] = [];
  private flushing = false;
  private failed: unknown;
  private readonly idleWaiters: (() => void)[] = [];

  private constructor(
    private readonly dir: string,
    lastSegment: number,
    /** Called in log order for each record once it is on disk, before its append resolves. */
    private readonly onDurable: (record: LogRecord, end: LogPosition, bytes: number) => void,
    private readonly segmentBytes: number,
  ) {
    this.segment = lastSegment + 1;
  }

  /**
   * Opens the log in `dataDir`, calling `replay` for every intact record after `from` (in order),
   * and cutting off a torn record left by a crash. New records go to a new segment.
   */
  static async open(
    dataDir: string,
    from: LogPosition,
    replay: (record: LogRecord, end: LogPosition) => void,
    onDurable: (record: LogRecord, end: LogPosition, bytes: number) => void,
    segmentBytes = DEFAULT_SEGMENT_BYTES,
  ): Promise<IngestLog> {
    const dir = path.join(dataDir, 'ingest-log');
    fs.mkdirSync(dir, { recursive: true });
    const segments = listSegments(dir);
    for (const segment of segments) {
      if (segment < from.segment) continue;
      readSegment(dir, segment, segment === from.segment ? from.offset : 0, replay);
    }
    const log = new IngestLog(dir, segments.at(-1) ?? Math.max(0, from.segment), onDurable, segmentBytes);
    await log.openSegment();
    return log;
  }

  /** Resolves once the record is on disk (fdatasync), in the order appended. */
  append(record: LogRecord, payload?: EncodedPayload): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const bytes = encodeRecord(record, payload);
    return new Promise((resolve, reject) => {
      this.pending.push({ bytes, record, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Group commit: everything pending is written with one write and one sync. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          if (this.offset >= this.segmentBytes) await this.rotate();
          await this.handle!.write(Buffer.concat(batch.map((p) => p.bytes)));
          await this.handle!.datasync();
        } catch (error) {
          // The file may now hold part of the batch: refuse everything from here on (the server
          // answers 503 and must be restarted, which cuts the torn tail off).
          this.failed = error;
          for (const p of [...batch, ...this.pending]) p.reject(error);
          this.pending = [];
          return;
        }
        for (const p of batch) {
          this.offset += p.bytes.length;
          this.onDurable(p.record, { segment: this.segment, offset: this.offset }, p.bytes.length);
          p.resolve();
        }
      }
    } finally {
      this.flushing = false;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves when every record appended so far is on disk (or refused). */
  settled(): Promise<void> {
    if (!this.flushing && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async openSegment(): Promise<void> {
    this.handle = await fs.promises.open(path.join(this.dir, segmentName(this.segment)), 'a');
    this.offset = 0;
    await syncDirectory(this.dir);
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.segment += 1;
    await this.openSegment();
  }

  /** Deletes the segments wholly before `position` (their records are in the engine). */
  release(position: LogPosition): void {
    for (const segment of listSegments(this.dir)) {
      if (segment >= position.segment || segment >= this.segment) break;
      fs.rmSync(path.join(this.dir, segmentName(segment)), { force: true });
    }
  }

  async close(): Promise<void> {
    await this.settled();
    await this.handle?.close();
    this.handle = undefined;
  }
}

function listSegments(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .filter((name) => /^\d{12}\.log$/.test(name))
    .map((name) => Number(name.slice(0, 12)))
    .sort((a, b) => a - b);
}

/** Reads the records of one segment from `start`; truncates the file at a torn or corrupt record. */
function readSegment(dir: string, segment: number, start: number, replay: (record: LogRecord, end: LogPosition) => void): void {
  const file = path.join(dir, segmentName(segment));
  const data = fs.readFileSync(file);
  let at = start;
  while (at + HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(at + 4);
    const end = at + HEADER_BYTES + length;
    if (data.readUInt32LE(at) !== MAGIC || end > data.length) break;
    const payload = data.subarray(at + HEADER_BYTES, end);
    if (crc32(payload) !== data.readUInt32LE(at + 8)) break;
    replay(decodePayload(data.readUInt32LE(at + 12), payload), { segment, offset: end });
    at = end;
  }
  // What follows was never acknowledged (its sync did not finish): cut it off.
  if (at < data.length && at >= start) fs.truncateSync(file, at);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
