// The durable ingest log: every accepted capture request is appended here and synced to disk
// before it is answered, so a 200 never waits for the analytics engine (its commits, checkpoints
// or a long query). The engine applies the log in order and records, in the same transaction as
// the events, how far it got; at start, whatever lies beyond that position is applied again.
//
// Files: `<data dir>/ingest-log/<segment>.log`, each a run of records:
//   magic u32 | payload length u32 | crc32(payload) u32 | project id u32 | payload
// payload: lines of JSON (dropped reasons and property types; what ingestion acts on per event),
// then the events' stored fields as event-rows.ts encodes them: the store is later handed these
// very bytes, so the main thread never turns the properties into strings (see encodePayload).
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { IngestLogPosition } from '../store/store.js';
import { eventFieldsLine } from '../store/event-rows.js';
import { ByteWriter } from '../byte-writer.js';
import type { IngestEvent, PropertyTypes } from './ingest-event.js';

export type LogPosition = IngestLogPosition;

/** A request as the log holds it: its project and the payload the decoding worker encoded. */
export interface LoggedRequest {
  readonly projectId: number;
  readonly payload: Uint8Array;
}

/** A logged request decoded (see decodePayload). */
export interface LogRecord {
  readonly projectId: number;
  /** What ingestion acts on, per event. */
  readonly events: readonly IngestEvent[];
  readonly dropped: readonly string[];
  readonly propertyTypes: PropertyTypes;
  /** The events' stored fields as event-rows.ts encodes them, one line per event (a view of the payload). */
  readonly fields: Uint8Array;
  /** An upper bound of the longest line's UTF-8 length in `fields`. */
  readonly maxLineBytes: number;
}

/** The payload's first line; `chunks` lines of events follow (see encodePayload). */
interface PayloadHead {
  readonly dropped: readonly string[];
  readonly propertyTypes: PropertyTypes;
  readonly maxLineBytes: number;
  readonly chunks: number;
}

/** Events per JSON line: each line stays a young string on both threads (see byte-writer.ts). */
const EVENTS_PER_LINE = 200;

const MAGIC = 0x324b5250; // "PRK2" little-endian
/** Records of the first format: the events' fields in the JSON line, properties texts after it. */
const LEGACY_MAGIC = 0x4c4b5250; // "PRKL"
/** Bytes a record takes in the log beyond its payload. */
export const RECORD_HEADER_BYTES = 16;
/** A new segment starts past this size; segments wholly applied are deleted. */
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

const segmentName = (segment: number) => `${String(segment).padStart(12, '0')}.log`;

/** A record's payload, without its header: the decoding workers encode it, off the main thread. */
export interface EncodedPayload {
  readonly bytes: Uint8Array;
  readonly crc: number;
}

/**
 * The payload: a JSON line (dropped reasons, property types, the longest fields line, how many
 * event lines follow), JSON lines of up to EVENTS_PER_LINE events, then `fields`: event-rows.ts
 * lines, one per event, as encodeCapturedEvents writes them.
 */
export function encodePayload(
  meta: { readonly events: readonly IngestEvent[]; readonly dropped: readonly string[]; readonly propertyTypes: PropertyTypes; readonly maxLineBytes: number },
  fields: Uint8Array | string,
): EncodedPayload {
  const { events, dropped, propertyTypes, maxLineBytes } = meta;
  const chunks = Math.ceil(events.length / EVENTS_PER_LINE);
  const out = new ByteWriter(fields.length + events.length * 160 + 1024);
  out.write(`${JSON.stringify({ dropped, propertyTypes, maxLineBytes, chunks } satisfies PayloadHead)}\n`);
  for (let i = 0; i < events.length; i += EVENTS_PER_LINE) out.write(`${JSON.stringify(events.slice(i, i + EVENTS_PER_LINE))}\n`);
  const head = out.byteLength;
  if (typeof fields === 'string') out.write(fields);
  const bytes = out.bytes();
  if (typeof fields !== 'string') return withFields(bytes, head, fields);
  return { bytes, crc: crc32(bytes) };
}

function withFields(head: Buffer, headBytes: number, fields: Uint8Array): EncodedPayload {
  const bytes = Buffer.allocUnsafeSlow(headBytes + fields.length);
  head.copy(bytes, 0, 0, headBytes);
  bytes.set(fields, headBytes);
  return { bytes, crc: crc32(bytes) };
}

function recordHeader(projectId: number, length: number, crc: number): Buffer {
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(length, 4);
  header.writeUInt32LE(crc, 8);
  header.writeUInt32LE(projectId, 12);
  return header;
}

/** The record a payload holds; `fields` is a view of `payload`, not a copy. */
export function decodePayload(projectId: number, payload: Uint8Array): LogRecord {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let end = bytes.indexOf(0x0a);
  const head = JSON.parse(bytes.toString('utf8', 0, end)) as PayloadHead;
  let events: IngestEvent[] = [];
  for (let chunk = 0; chunk < head.chunks; chunk++) {
    const start = end + 1;
    end = bytes.indexOf(0x0a, start);
    const lineEvents = JSON.parse(bytes.toString('utf8', start, end)) as IngestEvent[];
    events = chunk === 0 ? lineEvents : events.concat(lineEvents);
  }
  const { dropped, propertyTypes, maxLineBytes } = head;
  return { projectId, events, dropped, propertyTypes, maxLineBytes, fields: bytes.subarray(end + 1) };
}

/** A payload of the first format, encoded again (its fields were JSON, its properties apart). */
function upgradeLegacyPayload(payload: Buffer): Uint8Array {
  type LegacyEvent = IngestEvent & { uuid: string; personless: boolean };
  const newline = payload.indexOf(0x0a);
  const meta = JSON.parse(payload.toString('utf8', 0, newline)) as { d: string[]; t: PropertyTypes; e: LegacyEvent[]; p: number[] };
  let at = newline + 1;
  let fields = '';
  let longest = 0;
  const events = meta.e.map(({ uuid, personless, ...rest }, i) => {
    const line = eventFieldsLine(uuid, rest.event, rest.distinctId, rest.timestampMs, payload.toString('utf8', at, at + meta.p[i]));
    at += meta.p[i];
    longest = Math.max(longest, line.length);
    fields += line;
    return (personless ? { ...rest, personless: true } : rest) as IngestEvent;
  });
  return encodePayload({ events, dropped: meta.d, propertyTypes: meta.t, maxLineBytes: longest * 3 }, fields).bytes;
}

interface Pending {
  readonly header: Buffer;
  readonly request: LoggedRequest;
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
    private readonly onDurable: (request: LoggedRequest, end: LogPosition, bytes: number) => void,
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
    replay: (request: LoggedRequest, end: LogPosition) => void,
    onDurable: (request: LoggedRequest, end: LogPosition, bytes: number) => void,
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

  /** A write failed: every append is refused until the server restarts. */
  get broken(): boolean {
    return this.failed !== undefined;
  }

  /** Resolves once the record is on disk (fdatasync), in the order appended. */
  append(request: LoggedRequest, crc: number): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const header = recordHeader(request.projectId, request.payload.length, crc);
    return new Promise((resolve, reject) => {
      this.pending.push({ header, request, resolve, reject });
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
          await this.handle!.writev(batch.flatMap((p) => [p.header, p.request.payload]));
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
          const bytes = RECORD_HEADER_BYTES + p.request.payload.length;
          this.offset += bytes;
          this.onDurable(p.request, { segment: this.segment, offset: this.offset }, bytes);
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
function readSegment(dir: string, segment: number, start: number, replay: (request: LoggedRequest, end: LogPosition) => void): void {
  const file = path.join(dir, segmentName(segment));
  const data = fs.readFileSync(file);
  let at = start;
  while (at + RECORD_HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(at + 4);
    const end = at + RECORD_HEADER_BYTES + length;
    const magic = data.readUInt32LE(at);
    if ((magic !== MAGIC && magic !== LEGACY_MAGIC) || end > data.length) break;
    const payload = data.subarray(at + RECORD_HEADER_BYTES, end);
    if (crc32(payload) !== data.readUInt32LE(at + 8)) break;
    const projectId = data.readUInt32LE(at + 12);
    replay({ projectId, payload: magic === MAGIC ? payload : upgradeLegacyPayload(payload) }, { segment, offset: end });
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
