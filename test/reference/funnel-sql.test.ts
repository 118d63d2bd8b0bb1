// The funnel SQL (src/query/funnels/compile.ts, run by runFunnels and funnelActors on a real
// DuckDB store) against the plain-loop evaluator (funnel-evaluator.ts) on generated actors: every
// order type, exclusions (some on step events), every breakdown attribution, person and group
// actors. Timestamps are distinct per actor, so no answer depends on how ties are ordered.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { funnelActors, runFunnels } from '../../src/query/funnels/run.js';
import { funnelsQuerySchema } from '../../src/query/funnels/schema.js';
import type { FunnelStepResult } from '../../src/query/funnels/shape.js';
import type { QueryContext } from '../../src/query/context.js';
import { DuckDBStore } from '../../src/store/duckdb/duckdb-store.js';
import type { IngestCommit, StoredEvent } from '../../src/store/store.js';
import { encodeEventRows } from '../../src/store/event-rows.js';
import { EXCLUSION_SHIFT, FunnelEvaluator, GAP_BIT, type ActorFunnel, type BreakdownAttribution, type FunnelOrder } from './funnel-evaluator.js';

const NULL_VALUE = '$$_posthog_breakdown_null_$$';
const OTHER_VALUE = '$$_posthog_breakdown_other_$$';
const PROJECT = 1;
const START = Date.parse('2026-03-02T00:00:00Z');
const NAMES = ['s0', 's1', 's2', 'x', 'other'];
const VALUES = ['a', 'b', 'c', null];
const COMPANIES = ['acme', 'beta', 'corp', 'delta', ''];

interface Generated {
  event: string;
  person: string;
  company: string;
  /** Whole seconds from START. */
  seconds: number;
  value: string | null;
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 120 persons with 0..24 events over 3 days; persons of a company share its events' times, never one instant. */
function generate(): Generated[] {
  const random = seeded(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const used = new Set<number>();
  const events: Generated[] = [];
  for (let p = 0; p < 120; p++) {
    const company = pick(COMPANIES);
    for (let i = Math.floor(random() * 25); i > 0; i--) {
      let seconds: number;
      do seconds = Math.floor(random() * 3 * 86_400);
      while (used.has(seconds));
      used.add(seconds);
      events.push({ event: pick(NAMES), person: `p${String(p).padStart(3, '0')}`, company, seconds, value: pick(VALUES) });
    }
  }
  return events;
}

interface Case {
  name: string;
  steps?: Step[];
  order?: FunnelOrder;
  windowSeconds: number;
  exclusions?: { event: string; fromStep: number; toStep: number }[];
  attribution?: BreakdownAttribution;
  attributionStep?: number;
  group?: boolean;
  breakdownLimit?: number;
  /** Unordered steps sharing events: the SQL takes each step's first event for the times (see funnels/compile.ts). */
  countsOnly?: boolean;
}

type Step = { event: string | null; value?: string };
const THREE: Step[] = [{ event: 's0' }, { event: 's1' }, { event: 's2' }];
const cases: Case[] = [];
for (const order of ['ordered', 'strict', 'unordered'] as const) {
  const whole = order === 'unordered' ? [{ fromStep: 0, toStep: 2 }] : [{ fromStep: 0, toStep: 1 }, { fromStep: 1, toStep: 2 }];
  cases.push({ name: `${order}, 6 hours`, order, windowSeconds: 6 * 3600 });
  cases.push({ name: `${order}, 20 minutes, by company`, order, windowSeconds: 1200, group: true });
  cases.push({ name: `${order}, exclusions of x`, order, windowSeconds: 12 * 3600, exclusions: whole.map((x) => ({ event: 'x', ...x })) });
  cases.push({ name: `${order}, exclusion on a step's event`, order, windowSeconds: 12 * 3600, exclusions: [{ event: 's1', fromStep: 0, toStep: 2 }] });
  cases.push({ name: `${order}, a step filtered by value`, order, windowSeconds: 86_400, steps: [{ event: 's0' }, { event: 's1', value: 'a' }, { event: 's2' }] });
  for (const attribution of ['first_touch', 'last_touch', 'all_events'] as const) {
    cases.push({ name: `${order}, breakdown ${attribution}`, order, windowSeconds: 8 * 3600, attribution, exclusions: order === 'strict' ? undefined : [{ event: 'x', ...whole[0] }] });
  }
  cases.push({ name: `${order}, breakdown on step 0, limit 2`, order, windowSeconds: 8 * 3600, attribution: 'step', attributionStep: 0, breakdownLimit: 2 });
  if (order !== 'unordered') {
    cases.push({ name: `${order}, breakdown on step 1`, order, windowSeconds: 8 * 3600, attribution: 'step', attributionStep: 1 });
    cases.push({ name: `${order}, breakdown on step 2 by company`, order, windowSeconds: 1200, attribution: 'step', attributionStep: 2, group: true });
  }
}
cases.push({ name: 'ordered, steps sharing an event', windowSeconds: 6 * 3600, steps: [{ event: 's0' }, { event: 's0' }, { event: 's1' }] });
cases.push({ name: 'unordered, steps sharing an event', order: 'unordered', windowSeconds: 6 * 3600, steps: [{ event: 's0' }, { event: 's0' }, { event: 's1' }], countsOnly: true });
cases.push({ name: 'unordered, any event and two s1', order: 'unordered', windowSeconds: 3 * 3600, steps: [{ event: null }, { event: 's1' }, { event: 's1' }], countsOnly: true });
cases.push({ name: 'ordered, any event then s2', windowSeconds: 3600, steps: [{ event: null }, { event: 's2' }] });
cases.push({ name: 'strict, any event then s2', order: 'strict', windowSeconds: 3600, steps: [{ event: null }, { event: 's2' }] });

let store: DuckDBStore;
let ctx: QueryContext;
const events = generate();

beforeAll(async () => {
  store = await DuckDBStore.open(fs.mkdtempSync(path.join(os.tmpdir(), 'prickle-funnel-sql-')));
  await store.createProject({ id: PROJECT, name: 'Funnels', apiToken: 'phc_funnels', timezone: 'UTC', createdAt: new Date() });
  const stored: StoredEvent[] = events.map((e, i) => ({
    uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    projectId: PROJECT,
    event: e.event,
    distinctId: e.person,
    personId: e.person,
    timestamp: new Date(START + e.seconds * 1000),
    propertiesJson: JSON.stringify(e.value === null ? {} : { v: e.value }),
    groupKeys: [e.company, '', '', '', ''],
    createdAt: new Date(),
  }));
  const commit: IngestCommit = {
    events: encodeEventRows(stored), newPersons: [], changedPersons: [], distinctIds: [], deletedPersons: [], personOverrides: [],
    newGroups: [], changedGroups: [], newGroupTypes: [], newPropertyDefinitions: [], warnings: [],
  };
  await store.commitIngest(commit);
  ctx = { store, projectId: PROJECT, timeZone: 'UTC', maxGroupTypes: 5, now: new Date(START + 10 * 86_400_000), groupNames: async () => new Map() };
});

afterAll(async () => {
  await store?.close();
});

function queryOf(c: Case) {
  const steps = c.steps ?? THREE;
  return funnelsQuerySchema.parse({
    kind: 'FunnelsQuery',
    series: steps.map((s) => ({ kind: 'EventsNode', event: s.event, ...(s.value ? { properties: [{ key: 'v', value: s.value }] } : {}) })),
    dateRange: { date_from: '2026-03-01', date_to: '2026-03-09' },
    aggregation_group_type_index: c.group ? 0 : undefined,
    breakdownFilter: c.attribution ? { breakdown: 'v', breakdown_type: 'event', breakdown_limit: c.breakdownLimit } : undefined,
    funnelsFilter: {
      funnelOrderType: c.order ?? 'ordered',
      funnelWindowInterval: c.windowSeconds,
      funnelWindowIntervalUnit: 'second',
      exclusions: c.exclusions?.map((x) => ({ kind: 'EventsNode', event: x.event, funnelFromStep: x.fromStep, funnelToStep: x.toStep })),
      breakdownAttributionType: c.attribution,
      breakdownAttributionValue: c.attributionStep,
    },
  });
}

/** The evaluator's funnels per actor, from the events as the old SQL handed them over. */
function evaluate(c: Case): { actor: string; funnels: ActorFunnel[] }[] {
  const steps = c.steps ?? THREE;
  const order = c.order ?? 'ordered';
  const evaluator = new FunnelEvaluator({
    steps: steps.length,
    windowMicros: c.windowSeconds * 1_000_000,
    order,
    exclusions: c.exclusions ?? [],
    ...(c.attribution ? { attribution: c.attribution, attributionStep: c.attributionStep } : {}),
  });
  const byActor = new Map<string, Generated[]>();
  for (const e of events) {
    const actor = c.group ? e.company : e.person;
    if (actor === '') continue;
    byActor.set(actor, [...(byActor.get(actor) ?? []), e]);
  }
  const result: { actor: string; funnels: ActorFunnel[] }[] = [];
  for (const [actor, list] of byActor) {
    list.sort((a, b) => a.seconds - b.seconds);
    const masks = list.map((e) => {
      let mask = 0;
      steps.forEach((s, k) => {
        if ((s.event === null || s.event === e.event) && (!s.value || s.value === e.value)) mask |= 1 << k;
      });
      (c.exclusions ?? []).forEach((x, i) => {
        if (x.event === e.event) mask |= 1 << (EXCLUSION_SHIFT + i);
      });
      return mask;
    });
    const kept = list.map((_, i) => i).filter((i) => masks[i] !== 0);
    const funnels = evaluator.evaluate({
      times: kept.map((i) => list[i].seconds * 1_000_000),
      masks: kept.map((i) => masks[i] | (order === 'strict' && i > 0 && masks[i - 1] === 0 ? GAP_BIT : 0)),
      ...(c.attribution ? { breakdowns: kept.map((i) => list[i].value) } : {}),
    });
    if (funnels.length > 0) result.push({ actor, funnels });
  }
  return result;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Step lists (one per bucket) as the API answers them, from the evaluator's funnels. */
function expectedSteps(c: Case, actors: { actor: string; funnels: ActorFunnel[] }[]) {
  const n = (c.steps ?? THREE).length;
  const buckets = new Map<string | undefined, { counts: number[]; seconds: number[][]; actors: Set<string>[] }>();
  const bucketOf = (key: string | undefined) => {
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = { counts: new Array(n).fill(0), seconds: Array.from({ length: n }, () => []), actors: Array.from({ length: n }, () => new Set()) }));
    return bucket;
  };
  for (const { actor, funnels } of actors) {
    for (const f of funnels) {
      const bucket = bucketOf(f.breakdown === undefined ? undefined : (f.breakdown ?? NULL_VALUE));
      for (let k = 0; k < f.reached; k++) {
        bucket.counts[k]++;
        bucket.actors[k].add(actor);
      }
      for (let k = 1; k < f.reached; k++) bucket.seconds[k].push((f.times[k] - f.times[k - 1]) / 1_000_000);
    }
  }
  const rank = (x: [string | undefined, { counts: number[] }], y: [string | undefined, { counts: number[] }]) => {
    for (let k = n - 1; k >= 0; k--) if (x[1].counts[k] !== y[1].counts[k]) return y[1].counts[k] - x[1].counts[k];
    return compare(String(x[0]), String(y[0]));
  };
  let ranked = [...buckets].sort(rank);
  const limit = c.breakdownLimit ?? 25;
  if (c.attribution && ranked.length > limit) {
    const other = { counts: new Array(n).fill(0), seconds: Array.from({ length: n }, () => [] as number[]), actors: [] };
    for (const [, b] of ranked.slice(limit)) {
      b.counts.forEach((x, k) => (other.counts[k] += x));
      b.seconds.forEach((xs, k) => other.seconds[k].push(...xs));
    }
    ranked = [...ranked.slice(0, limit), [OTHER_VALUE, other] as (typeof ranked)[number]].sort(rank);
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
  };
  return ranked.map(([value, b]) =>
    b.counts.map((count, k) => ({
      value,
      count,
      average: k === 0 || b.seconds[k].length === 0 ? null : b.seconds[k].reduce((x, y) => x + y, 0) / b.seconds[k].length,
      median: k === 0 || b.seconds[k].length === 0 ? null : median(b.seconds[k]),
    })),
  );
}

const shape = (steps: FunnelStepResult[]) =>
  steps.map((s) => ({ value: s.breakdown_value, count: s.count, average: s.average_conversion_time, median: s.median_conversion_time }));

describe('funnel SQL equals the evaluator on generated actors', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const actors = evaluate(c);
      expect(actors.length).toBeGreaterThan(0);
      const expected = expectedSteps(c, actors);
      const results = await runFunnels(ctx, queryOf(c));
      const answered = c.attribution ? (results as FunnelStepResult[][]).map(shape) : [shape(results as FunnelStepResult[])];
      const close = (x: number | null) => (x === null ? null : expect.closeTo(x, 6));
      if (c.countsOnly) {
        expect(answered.map((steps) => steps.map((s) => s.count))).toEqual(expected.map((steps) => steps.map((s) => s.count)));
        return;
      }
      expect(answered).toEqual(expected.map((steps) => steps.map((s) => ({ ...s, average: close(s.average), median: close(s.median) }))));
    });
  }

  it('lists the same actors per step and drop-off as the evaluator, for every case without a breakdown', async () => {
    for (const c of cases.filter((x) => !x.attribution)) {
      const actors = evaluate(c);
      const query = queryOf(c);
      const n = query.series.length;
      for (let step = 1; step <= n; step++) {
        const reached = actors.filter((a) => a.funnels[0].reached >= step).map((a) => a.actor).sort(compare);
        expect((await funnelActors(ctx, query, step, undefined, 1000, 0)).ids, `${c.name}: reached ${step}`).toEqual(reached);
        if (step > 1) {
          const dropped = actors.filter((a) => a.funnels[0].reached === step - 1).map((a) => a.actor).sort(compare);
          expect((await funnelActors(ctx, query, -step, undefined, 1000, 0)).ids, `${c.name}: dropped before ${step}`).toEqual(dropped);
        }
      }
    }
  });

  it('lists the actors of one breakdown bucket, an actor once even when it counts under several values', async () => {
    const c = cases.find((x) => x.attribution === 'all_events' && x.order === 'ordered')!;
    const actors = evaluate(c);
    for (const value of ['a', 'b', NULL_VALUE]) {
      const expected = actors.filter((a) => a.funnels.some((f) => (f.breakdown ?? NULL_VALUE) === value && f.reached >= 2)).map((a) => a.actor).sort(compare);
      expect((await funnelActors(ctx, queryOf(c), 2, value, 1000, 0)).ids, value).toEqual(expected);
    }
  });
});
