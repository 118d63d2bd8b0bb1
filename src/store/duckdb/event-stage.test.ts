import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IngestCommit, StoredEvent } from '../store.js';
import { DuckDBStore } from './duckdb-store.js';
import { encodeEventRows, NO_EVENT_ROWS } from '../event-rows.js';

const emptyCommit: IngestCommit = {
  events: NO_EVENT_ROWS, newPersons: [], changedPersons: [], distinctIds: [], deletedPersons: [], personOverrides: [],
  newGroups: [], changedGroups: [], newGroupTypes: [], newPropertyDefinitions: [], warnings: [],
};

/** Deterministic strings of random UTF-16 code units, weighted toward the awkward ones. */
function randomStrings(count: number, seed: number): string[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const awkward = [0, 1, 1, 9, 10, 13, 31, 34, 39, 44, 92, 127, 0x2028, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfeff, 0xfffd];
  return Array.from({ length: count }, () => {
    const units = Array.from({ length: Math.floor(next() * 12) }, () =>
      next() < 0.5 ? awkward[Math.floor(next() * awkward.length)] : Math.floor(next() * 0x10000),
    );
    return String.fromCharCode(...units);
  });
}

const fixed = ['', ' ', 'a"b', "a'b", 'a,b', 'a\nb\r\nc\r', 'x\u0000y', '\u0001', '\u0001\u0001,\u0001', '😀', 'lone \ud800', '\udc00 lone', 'é ü 中文', '\u2028\u2029'];

function eventsWith(strings: readonly string[]): StoredEvent[] {
  return strings.map((s, i) => ({
    uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    projectId: 1 + (i % 3),
    event: `e${s}`,
    distinctId: `d${s}`,
    personId: `p${s}`,
    timestamp: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, i % 1000)),
    propertiesJson: JSON.stringify({ s, i, f: 0.1 + i, big: 1e21 }),
    groupKeys: [s, `g${s}`, '', s, ''],
    createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
  }));
}

describe('DuckDB event staging', () => {
  let dir: string;
  let store: DuckDBStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-stage-'));
    store = await DuckDBStore.open(dir);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Strings are compared as bytes: reading text back through node-api drops a leading U+FEFF.
  const stored = async () =>
    store.query(
      `SELECT hex(uuid) AS uuid, project_id, hex(event) AS event, hex(distinct_id) AS distinct_id, hex(person_id) AS person_id,
         epoch_us(timestamp) AS ts, hex(properties) AS properties, hex("$group_0") AS g0, hex("$group_1") AS g1,
         hex("$group_2") AS g2, hex("$group_3") AS g3, hex("$group_4") AS g4, epoch_us(created_at) AS created
       FROM events ORDER BY uuid`,
      [],
    );
  /** What the appender stored: UTF-8, with lone surrogates as U+FFFD. */
  const bytes = (s: string) => Buffer.from(s).toString('hex').toUpperCase();

  it('stores every string exactly, with lone surrogates as U+FFFD (what UTF-8 conversion has always given)', async () => {
    const events = eventsWith([...fixed, ...randomStrings(300, 7)]);
    await store.commitIngest({ ...emptyCommit, events: encodeEventRows(events) });
    const rows = await stored();
    expect(rows).toHaveLength(events.length);
    rows.forEach((r, i) => {
      const e = events[i];
      expect(r).toEqual({
        uuid: bytes(e.uuid),
        project_id: e.projectId,
        event: bytes(e.event),
        distinct_id: bytes(e.distinctId),
        person_id: bytes(e.personId),
        ts: BigInt(e.timestamp.getTime()) * 1000n,
        properties: bytes(e.propertiesJson),
        g0: bytes(e.groupKeys[0]),
        g1: bytes(e.groupKeys[1]),
        g2: '',
        g3: bytes(e.groupKeys[3]),
        g4: '',
        created: BigInt(e.createdAt.getTime()) * 1000n,
      });
    });
  });

  it('stores an event whose line is longer than the CSV reader allows by default', async () => {
    const [event] = eventsWith(['x']);
    const propertiesJson = JSON.stringify({ text: 'ü'.repeat(1_500_000) });
    await store.commitIngest({ ...emptyCommit, events: encodeEventRows([{ ...event, propertiesJson }]) });
    const [row] = await stored();
    expect(row.properties).toBe(bytes(propertiesJson));
  });

  it('writes a large commit in order, and leaves no staging file after close', async () => {
    const events = eventsWith(Array.from({ length: 5_000 }, (_, i) => String(i)));
    await store.commitIngest({ ...emptyCommit, events: encodeEventRows(events) });
    const rows = await stored();
    expect(rows.map((r) => r.event)).toEqual(events.map((e) => bytes(e.event)));
    await store.close();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.csv'))).toEqual([]);
    store = await DuckDBStore.open(dir);
    expect((await stored()).length).toBe(5_000);
  });

  it('stores persons, distinct ids and groups with awkward strings exactly, through the change-log stage', async () => {
    const strings = [...fixed, ...randomStrings(100, 11)];
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    await store.commitIngest({
      ...emptyCommit,
      newPersons: strings.map((s, i) => ({ projectId: 1, id: `p${i}`, properties: { s, n: i, nested: { s } }, isIdentified: i % 2 === 0, createdAt: at, version: i })),
      distinctIds: strings.map((s, i) => ({ projectId: 1, distinctId: `d${i}:${s}`, personId: `p${i}` })),
      newGroups: strings.map((s, i) => ({ projectId: 1, groupTypeIndex: i % 5, groupKey: `g${i}:${s}`, properties: { s }, createdAt: at, updatedAt: at, version: 1 })),
    });
    const rows = await store.query(
      `SELECT p.id, hex(d.distinct_id) AS distinct_id, hex(p.properties) AS properties, p.is_identified, epoch_ms(p.created_at) AS created, p.version
       FROM current_persons p JOIN current_person_distinct_ids d ON d.person_id = p.id ORDER BY p.version`,
      [],
    );
    expect(rows).toEqual(
      strings.map((s, i) => ({
        id: `p${i}`,
        distinct_id: bytes(`d${i}:${s}`),
        properties: bytes(JSON.stringify({ s, n: i, nested: { s } })),
        is_identified: i % 2 === 0,
        created: BigInt(at.getTime()),
        version: BigInt(i),
      })),
    );
    const groups = await store.query('SELECT hex(group_key) AS k, hex(properties) AS p FROM current_groups ORDER BY group_type_index, group_key', []);
    expect(groups.map((g) => [g.k, g.p]).sort()).toEqual(strings.map((s, i) => [bytes(`g${i}:${s}`), bytes(JSON.stringify({ s }))]).sort());
  });
});
