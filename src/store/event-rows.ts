// How ingested events travel to a store: two CSV texts read side by side, line for line.
//
// - The event's own fields (uuid, event, distinct id, timestamp, properties) are encoded by the
//   decoding worker, once, into the bytes the ingest log stores; the main thread never turns
//   them back into strings, it hands the same bytes to the store.
// - What ingestion resolved on the main thread (project, person, group keys per slot, when it
//   was ingested) is one short line per event, built as the event is applied.
// A store reads both and joins them by position (DuckDB: POSITIONAL JOIN of two read_csv).
//
// CSV dialect: comma separated, '\n' ends a line, every text field quoted with U+0001 (a quote
// inside is doubled). JSON.stringify never emits a raw control character, so properties JSON
// needs no scan; other text is checked.
import type { StoredEvent } from './store.js';

export const CSV_QUOTE = '\u0001';
const QUOTE_TWICE = CSV_QUOTE + CSV_QUOTE;

/** Group key slots on an event ($group_0..$group_4). */
export const EVENT_GROUP_SLOTS = 5;

/** Columns of the worker's part, in order (timestamps as epoch milliseconds). */
export const EVENT_FIELD_COLUMNS = ['uuid', 'event', 'distinct_id', 'timestamp_ms', 'properties'] as const;
/** Columns of the main thread's part, in order. */
export const RESOLVED_COLUMNS = [
  'project_id',
  'person_id',
  ...Array.from({ length: EVENT_GROUP_SLOTS }, (_, i) => `group_${i}`),
  'created_at_ms',
] as const;

export function csvQuoted(text: string): string {
  return text.includes(CSV_QUOTE) ? CSV_QUOTE + text.replaceAll(CSV_QUOTE, QUOTE_TWICE) + CSV_QUOTE : CSV_QUOTE + text + CSV_QUOTE;
}

/** One event's own fields as a CSV line; `propertiesJson` must be JSON.stringify's output. */
export function eventFieldsLine(uuid: string, event: string, distinctId: string, timestampMs: number, propertiesJson: string): string {
  return `${csvQuoted(uuid)},${csvQuoted(event)},${csvQuoted(distinctId)},${timestampMs},${CSV_QUOTE}${propertiesJson}${CSV_QUOTE}\n`;
}

/** What ingestion resolved for one event, as a CSV line ('' for a slot without a group). */
export function resolvedLine(projectId: number, personId: string, groupKeys: readonly string[], createdAtMs: number): string {
  let line = `${projectId},${csvQuoted(personId)}`;
  for (let slot = 0; slot < EVENT_GROUP_SLOTS; slot++) line += `,${csvQuoted(groupKeys[slot] ?? '')}`;
  return `${line},${createdAtMs}\n`;
}

/** Events for a store to append: `count` lines in `fields` and as many in `resolved`. */
export interface EventRows {
  readonly count: number;
  /** The worker-encoded parts (UTF-8), back to back. */
  readonly fields: readonly Uint8Array[];
  /** The resolved parts (UTF-8), back to back. */
  readonly resolved: readonly Uint8Array[];
  /** An upper bound of the longest line's UTF-8 length in either part. */
  readonly maxLineBytes: number;
}

export const NO_EVENT_ROWS: EventRows = { count: 0, fields: [], resolved: [], maxLineBytes: 0 };

/** Joins several batches' rows, in order. */
export function concatEventRows(parts: readonly EventRows[]): EventRows {
  if (parts.length === 1) return parts[0];
  return {
    count: parts.reduce((n, p) => n + p.count, 0),
    fields: parts.flatMap((p) => p.fields),
    resolved: parts.flatMap((p) => p.resolved),
    maxLineBytes: Math.max(0, ...parts.map((p) => p.maxLineBytes)),
  };
}

/** Encodes whole events (store tests, tools); ingestion builds the two parts where each is known. */
export function encodeEventRows(events: readonly StoredEvent[]): EventRows {
  let fields = '';
  let resolved = '';
  let longest = 0;
  for (const e of events) {
    const a = eventFieldsLine(e.uuid, e.event, e.distinctId, e.timestamp.getTime(), e.propertiesJson);
    const b = resolvedLine(e.projectId, e.personId, e.groupKeys, e.createdAt.getTime());
    longest = Math.max(longest, a.length, b.length);
    fields += a;
    resolved += b;
  }
  // A UTF-16 code unit takes at most 3 bytes of UTF-8.
  return { count: events.length, fields: [Buffer.from(fields)], resolved: [Buffer.from(resolved)], maxLineBytes: longest * 3 };
}
