// The SQL each query kind compiles to on DuckDB, stated for review, and run on a real DuckDB store
// over a few hand-made events. Queries go through the production path (runTrends, runActors,
// runEventsQuery); the store records each statement it is asked to run before running it. The
// funnel's SQL is stated in funnels/compile.test.ts and checked against an independent
// evaluator in test/reference/funnel-sql.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBStore } from '../store/duckdb/duckdb-store.js';
import { encodeEventRows } from '../store/event-rows.js';
import type { Group, IngestCommit, Store, StoredEvent } from '../store/store.js';
import { runActors } from './actors/run.js';
import { actorsQuerySchema } from './actors/schema.js';
import { BREAKDOWN_NULL, type QueryContext } from './context.js';
import { runEventsQuery } from './events/run.js';
import { eventsQuerySchema } from './events/schema.js';
import { runTrends } from './trends/run.js';
import { trendsQuerySchema } from './trends/schema.js';

const PROJECT = 1;
const OTHER_PROJECT = 2;
const at = (iso: string) => new Date(iso);

/** [uuid suffix, event, person (distinct id "d-<person>"), time, company (group 0, '' for none), properties] */
const EVENTS: [number, string, string, string, string, Record<string, unknown>][] = [
  [1, 'pageview', 'p1', '2026-01-04T23:59:00Z', 'acme', {}], // before the range
  [2, 'pageview', 'p1', '2026-01-05T10:00:00Z', 'acme', { $browser: 'Firefox' }],
  [3, 'pageview', 'p1', '2026-01-05T11:00:00Z', 'acme', { $browser: 'Chrome' }],
  [4, 'pageview', 'p2', '2026-01-05T12:00:00Z', 'beta', { $browser: 'firefox mobile' }],
  [5, 'signup', 'p3', '2026-01-05T13:00:00Z', '', { $browser: 'Firefox' }],
  [6, 'pageview', 'p1', '2026-01-06T09:00:00Z', 'acme', {}],
  [7, 'pageview', 'p3', '2026-01-06T09:30:00Z', '', { $browser: null }],
  // gamma has events but was never identified: no group row, so no plan.
  [8, 'pageview', 'p2', '2026-01-07T23:59:59Z', 'gamma', { $browser: 'Firefox' }],
  [9, 'pageview', 'p3', '2026-01-08T00:00:01Z', '', { $browser: 'Firefox' }], // after the range
];
const PLANS: Record<string, string> = { acme: 'pro', beta: 'free' };

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let store: DuckDBStore;
let ctx: QueryContext;
/** The statements the query kinds asked the store to run, in order. */
const statements: { sql: string; params: unknown[] }[] = [];

/** The real store, recording what it is asked to query (every other member is the store's own). */
function recording(target: DuckDBStore): Store {
  return new Proxy(target, {
    get(t, key) {
      if (key === 'query') {
        return (text: string, params: readonly unknown[]) => {
          statements.push({ sql: text, params: [...params] });
          return t.query(text, params);
        };
      }
      const value: unknown = Reflect.get(t, key, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

beforeAll(async () => {
  store = await DuckDBStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-golden-sql-')));
  const now = new Date();
  for (const id of [PROJECT, OTHER_PROJECT]) {
    await store.createProject({ id, name: `Golden ${id}`, apiToken: `phc_golden_${id}`, timezone: 'UTC', createdAt: now });
  }
  const event = (projectId: number, n: number, name: string, person: string, time: string, company: string, properties: Record<string, unknown>): StoredEvent => ({
    uuid: uuid(n),
    projectId,
    event: name,
    distinctId: `d-${person}`,
    personId: person,
    timestamp: at(time),
    propertiesJson: JSON.stringify(properties),
    groupKeys: [company, '', '', '', ''],
    createdAt: now,
  });
  const events = [
    ...EVENTS.map(([n, name, person, time, company, properties]) => event(PROJECT, n, name, person, time, company, properties)),
    // Another project's event inside the range: no answer may count it.
    event(OTHER_PROJECT, 100, 'pageview', 'p9', '2026-01-05T10:30:00Z', 'acme', { $browser: 'Firefox' }),
  ];
  const groups: Group[] = Object.entries(PLANS).map(([groupKey, plan]) => ({
    projectId: PROJECT, groupTypeIndex: 0, groupKey, properties: { plan }, createdAt: now, updatedAt: now, version: 1,
  }));
  const commit: IngestCommit = {
    events: encodeEventRows(events), newPersons: [], changedPersons: [], distinctIds: [], deletedPersons: [], personOverrides: [],
    newGroups: groups, changedGroups: [],
    newGroupTypes: [{ projectId: PROJECT, groupTypeIndex: 0, groupType: 'company', nameSingular: null, namePlural: null, createdAt: now }],
    newPropertyDefinitions: [], warnings: [],
  };
  await store.commitIngest(commit);
  ctx = { store: recording(store), projectId: PROJECT, timeZone: 'UTC', maxGroupTypes: 5, now: at('2026-01-10T00:00:00Z'), groupNames: async () => new Map() };
});

afterAll(async () => {
  await store?.close();
});

beforeEach(() => {
  statements.length = 0;
});

const squash = (text: string) => text.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
/** The one statement a query ran, its whitespace normalized. */
function onlyStatement() {
  expect(statements).toHaveLength(1);
  return { sql: squash(statements[0].sql), params: statements[0].params };
}

const RANGE = { date_from: '2026-01-05', date_to: '2026-01-07' };
const RANGE_PARAMS = [PROJECT, at('2026-01-05T00:00:00Z'), at('2026-01-07T23:59:59.999Z'), 'pageview'];
const pageviews = (extra: Record<string, unknown> = {}, node: Record<string, unknown> = {}) =>
  trendsQuerySchema.parse({ kind: 'TrendsQuery', series: [{ kind: 'EventsNode', event: 'pageview', ...node }], dateRange: RANGE, interval: 'day', ...extra });

describe('TrendsQuery SQL on DuckDB', () => {
  it('counts a series per day bucket: the events of the project, range and event name', async () => {
    const [series] = await runTrends(ctx, pageviews());
    expect(onlyStatement()).toEqual({
      sql: squash(`
        SELECT date_trunc('day', e.timestamp) AS bucket, NULL AS breakdown, count(*) AS value
        FROM events e
        WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ? AND e.event = ? AND TRUE AND TRUE)
        GROUP BY 1, 2`),
      params: RANGE_PARAMS,
    });
    expect(series.days).toEqual(['2026-01-05', '2026-01-06', '2026-01-07']);
    expect(series.data).toEqual([3, 2, 1]);
    expect(series.count).toBe(6);
  });

  it('counts distinct current persons per day, broken down by a property of the group joined once per group', async () => {
    const results = await runTrends(ctx, pageviews({ breakdownFilter: { breakdown: 'plan', breakdown_type: 'group', breakdown_group_type_index: 0 } }, { math: 'dau' }));
    expect(onlyStatement()).toEqual({
      sql: squash(`
        SELECT date_trunc('day', e.timestamp) AS bucket, coalesce(g0.gp0, ?) AS breakdown,
          count(DISTINCT coalesce(o.new_person_id, e.person_id)) AS value
        FROM events e
        LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id
        LEFT JOIN (
          SELECT group_key, json_extract_string(properties, ?) AS gp0 FROM current_groups WHERE project_id = ? AND group_type_index = 0
        ) g0 ON g0.group_key = e."$group_0"
        WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ? AND e.event = ? AND TRUE AND TRUE)
        GROUP BY 1, 2`),
      params: [BREAKDOWN_NULL, '$."plan"', PROJECT, ...RANGE_PARAMS],
    });
    const byValue = Object.fromEntries(results.map((r) => [r.breakdown_value, r.data]));
    // p3's events have no company and gamma has no group row: both count under "none".
    expect(byValue).toEqual({ pro: [1, 1, 0], free: [1, 0, 0], [BREAKDOWN_NULL]: [0, 1, 1] });
  });

  it('counts distinct groups per day, leaving out events without a group of that type', async () => {
    const [series] = await runTrends(ctx, pageviews({}, { math: 'unique_group', math_group_type_index: 0 }));
    expect(onlyStatement()).toEqual({
      sql: squash(`
        SELECT date_trunc('day', e.timestamp) AS bucket, NULL AS breakdown, count(DISTINCT e."$group_0") AS value
        FROM events e
        WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ? AND e.event = ? AND TRUE AND TRUE AND e."$group_0" <> '')
        GROUP BY 1, 2`),
      params: RANGE_PARAMS,
    });
    expect(series.data).toEqual([2, 1, 1]);
  });

  it('answers a total-value display (BoldNumber) with one row over the whole range', async () => {
    const [series] = await runTrends(ctx, pageviews({ trendsFilter: { display: 'BoldNumber' } }));
    expect(onlyStatement()).toEqual({
      sql: squash(`
        SELECT NULL AS bucket, NULL AS breakdown, count(*) AS value
        FROM events e
        WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ? AND e.event = ? AND TRUE AND TRUE)
        GROUP BY 1, 2`),
      params: RANGE_PARAMS,
    });
    expect(series.aggregated_value).toBe(6);
    expect(series.data).toEqual([]);
  });

  it('moves stored UTC timestamps into the project time zone before truncating', async () => {
    // 2026-01-04T23:59Z is still Jan 4 in UTC but Jan 5 in Asia/Tokyo (UTC+9); 2026-01-07T23:59:59Z is Jan 8 there.
    const [series] = await runTrends({ ...ctx, timeZone: 'Asia/Tokyo' }, pageviews());
    const { sql, params } = onlyStatement();
    expect(sql).toBe(
      squash(`
        SELECT date_trunc('day', timezone(?, e.timestamp AT TIME ZONE 'UTC')) AS bucket, NULL AS breakdown, count(*) AS value
        FROM events e
        WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ? AND e.event = ? AND TRUE AND TRUE)
        GROUP BY 1, 2`),
    );
    expect(params).toEqual(['Asia/Tokyo', PROJECT, at('2026-01-04T15:00:00Z'), at('2026-01-07T14:59:59.999Z'), 'pageview']);
    // Tokyo's Jan 5: e1, e2, e3, e4 (all before 15:00Z); Jan 6: e6, e7; Jan 7: none (e8 is Jan 8 there).
    expect(series.data).toEqual([4, 2, 0]);
  });
});

describe('ActorsQuery SQL on DuckDB (the actors behind a trend point)', () => {
  const pointOf = (source: ReturnType<typeof pageviews>, extra: Record<string, unknown>) =>
    actorsQuerySchema.parse({ kind: 'ActorsQuery', source: { kind: 'InsightActorsQuery', source, series: 0, ...extra }, select: ['actor', 'event_count'] });

  it('lists the distinct persons of one day bucket, most events first, through the series\' own conditions', async () => {
    const answer = await runActors(ctx, pointOf(pageviews(), { day: '2026-01-05' }));
    expect(onlyStatement()).toEqual({
      sql: squash(`
        SELECT m.actor, m.event_count, m.distinct_id FROM (
          SELECT r.actor, count(*) AS event_count, min(r.distinct_id) AS distinct_id FROM (
            SELECT coalesce(o.new_person_id, e.person_id) AS actor, e.distinct_id AS distinct_id,
              date_trunc('day', e.timestamp) AS time, NULL AS breakdown
            FROM events e
            LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id
            WHERE (e.project_id = ? AND e.timestamp >= ? AND e.timestamp <= ? AND e.event = ? AND TRUE AND TRUE)
              AND e.timestamp >= ? AND e.timestamp < ?
          ) r
          WHERE (r.time = ?::TIMESTAMP) GROUP BY r.actor
        ) m WHERE TRUE
        ORDER BY m.event_count DESC, m.actor ASC LIMIT ? OFFSET ?`),
      // The scan is widened by a day on each side of the bucket; r.time decides.
      params: [...RANGE_PARAMS, at('2026-01-04T00:00:00Z'), at('2026-01-07T00:00:00Z'), at('2026-01-05T00:00:00Z'), 101, 0],
    });
    const rows = answer.results as [{ id: string; distinct_ids: string[] }, number][];
    expect(rows.map(([actor, count]) => [actor.id, actor.distinct_ids, count])).toEqual([
      ['p1', ['d-p1'], 2],
      ['p2', ['d-p2'], 1],
    ]);
    expect(answer.hasMore).toBe(false);
  });

  it('lists the actors of one breakdown value of a point, as the trend counts them', async () => {
    const source = pageviews({ breakdownFilter: { breakdown: 'plan', breakdown_type: 'group', breakdown_group_type_index: 0 } }, { math: 'dau' });
    const ids = async (extra: Record<string, unknown>) => ((await runActors(ctx, pointOf(source, extra))).results as [{ id: string }][]).map(([a]) => a.id);
    expect(await ids({ day: '2026-01-06', breakdown: BREAKDOWN_NULL })).toEqual(['p3']);
    expect(await ids({ day: '2026-01-07', breakdown: BREAKDOWN_NULL })).toEqual(['p2']);
    expect(await ids({ breakdown: 'pro' })).toEqual(['p1']);
    expect(squash(statements.at(-1)!.sql)).toContain('WHERE (r.breakdown = ?) GROUP BY r.actor');
  });
});

describe('EventsQuery SQL on DuckDB', () => {
  it('pages the newest matching events with a property filter as a parameterized ILIKE, one row more than the page to know there is more', async () => {
    const answer = await runEventsQuery(
      ctx,
      eventsQuerySchema.parse({
        kind: 'EventsQuery',
        select: ['*', 'event', 'person', 'properties.$browser'],
        after: '2026-01-05',
        before: '2026-01-07',
        properties: [{ key: '$browser', value: 'fire', operator: 'icontains', type: 'event' }],
        event: 'pageview',
        limit: 2,
      }),
    );
    expect(onlyStatement()).toEqual({
      sql: squash(`
        SELECT e.uuid, e.event, e.distinct_id, coalesce(o.new_person_id, e.person_id) AS person_id, e.timestamp, e.properties, e.created_at,
          e."$group_0" AS group_0, e."$group_1" AS group_1, e."$group_2" AS group_2, e."$group_3" AS group_3, e."$group_4" AS group_4
        FROM events e
        LEFT JOIN person_overrides o ON o.project_id = e.project_id AND o.old_person_id = e.person_id
        WHERE (e.project_id = ? AND e.timestamp > ? AND e.timestamp < ? AND e.event = ?
          AND ((json_extract_string(e.properties, ?) ILIKE ? ESCAPE '!')) AND TRUE)
        ORDER BY e.timestamp DESC, e.uuid DESC LIMIT ? OFFSET ?`),
      // A date alone is a whole day: before 2026-01-07 ends at the next midnight.
      params: [PROJECT, at('2026-01-05T00:00:00Z'), at('2026-01-08T00:00:00Z'), 'pageview', '$."$browser"', '%fire%', 3, 0],
    });
    const rows = answer.results as [{ uuid: string; timestamp: string }, string, { uuid: string; distinct_id: string }, string][];
    expect(rows.map(([event, name, person, browser]) => [event.uuid, name, person.uuid, person.distinct_id, browser])).toEqual([
      [uuid(8), 'pageview', 'p2', 'd-p2', 'Firefox'],
      [uuid(4), 'pageview', 'p2', 'd-p2', 'firefox mobile'],
    ]);
    expect(answer.hasMore).toBe(true);
    expect(answer.types).toEqual(['json', 'string', 'json', 'json']);
  });

  it('reads the rest of the page at an offset', async () => {
    const answer = await runEventsQuery(
      ctx,
      eventsQuerySchema.parse({
        kind: 'EventsQuery',
        select: ['uuid'],
        after: '2026-01-05',
        before: '2026-01-07',
        properties: [{ key: '$browser', value: 'fire', operator: 'icontains', type: 'event' }],
        limit: 2,
        offset: 2,
      }),
    );
    // Without the event filter the signup e5 matches too: newest first e8, e5, then e4, e2. e9 is
    // after the range, and project 2's event is never read.
    expect(answer.results).toEqual([[uuid(4)], [uuid(2)]]);
    expect(answer.hasMore).toBe(false);
  });
});
