// FunnelsQuery through the HTTP API: PostHog's 34 ClickHouse windowFunnel vectors (one project
// each), hand-computed fixtures for every order type, exclusions, breakdowns, windows and
// errors, and generated data against the independent reference (test/reference). Funnel actors
// are checked last, in-process on the same database once the server has stopped.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { funnelActors } from '../src/query/funnels/run.js';
import { funnelsQuerySchema, type FunnelsQuery } from '../src/query/funnels/schema.js';
import type { QueryContext } from '../src/query/context.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { defaultDataset, toCaptureBatches, type GeneratedDataset } from './reference/generate-dataset.js';
import { funnel as referenceFunnel, type FunnelExclusion, type FunnelOrderType, type PropertyFilterInput } from './reference/insights-reference.js';
import { groupIdentify, runQuery, sendEvents, type RawEvent } from './support/query.js';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface VectorCase {
  name: string;
  steps: string[];
  funnelOrderType: 'ordered';
  window_seconds: number;
  events: { timestamp: string; event: string; distinct_id: string; group_0: string }[];
  expected: { step_counts: number[] } & Record<string, string[] | number[]>;
}
const vectors = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test/fixtures/vectors/funnel-ordered-by-group.json'), 'utf8')) as { cases: VectorCase[] };

interface Project {
  id: number;
  api_token: string;
  personal_api_key: string;
}

let server: RunningServer;
let defaultProjectId: number;
const vectorProjects: Project[] = [];
let generatedProject: Project;
let ds: GeneratedDataset;
/** distinct id → person UUID in the default project. */
const personIds = new Map<string, string>();

const ev = (event: string, distinct_id: string, timestamp: string, properties: Record<string, unknown> = {}, company?: string): RawEvent => ({
  event,
  distinct_id,
  timestamp,
  properties: company ? { ...properties, $groups: { company } } : properties,
});

// Hand-computed fixture (default project). Steps: signed_up → created_project → upgraded_plan.
const FIXTURE: RawEvent[] = [
  groupIdentify('company', 'acme', { plan: 'pro' }),
  groupIdentify('company', 'beta', { plan: 'free' }),
  // alice: all three steps (2h, then 1h)
  ev('signed_up', 'alice', '2026-01-05T00:00:00Z', { source: 'ads' }, 'acme'),
  ev('created_project', 'alice', '2026-01-05T02:00:00Z', { source: 'seo' }, 'acme'),
  ev('upgraded_plan', 'alice', '2026-01-05T03:00:00Z', {}, 'acme'),
  // bob: two steps (1h) with a pageview between them
  ev('signed_up', 'bob', '2026-01-06T00:00:00Z', { source: 'seo' }, 'acme'),
  ev('pageview', 'bob', '2026-01-06T00:30:00Z', {}, 'acme'),
  ev('created_project', 'bob', '2026-01-06T01:00:00Z', {}, 'acme'),
  // carol: steps 2, 1, 3 in that order, an hour apart
  ev('created_project', 'carol', '2026-01-05T00:00:00Z', {}, 'beta'),
  ev('signed_up', 'carol', '2026-01-05T01:00:00Z', {}, 'beta'),
  ev('upgraded_plan', 'carol', '2026-01-05T02:00:00Z', {}, 'beta'),
  // dave: two steps (2h) with a cancellation between them
  ev('signed_up', 'dave', '2026-01-07T00:00:00Z', {}, 'beta'),
  ev('cancelled', 'dave', '2026-01-07T01:00:00Z', {}, 'beta'),
  ev('created_project', 'dave', '2026-01-07T02:00:00Z', {}, 'beta'),
  // erin (no company): step 2 exactly 15 days after step 1
  ev('signed_up', 'erin', '2026-01-05T00:00:00Z'),
  ev('created_project', 'erin', '2026-01-20T00:00:00Z'),
  // frank (company gamma, never identified): step 2 thirty seconds after step 1
  ev('signed_up', 'frank', '2026-01-08T00:00:00Z', {}, 'gamma'),
  ev('created_project', 'frank', '2026-01-08T00:00:30Z', {}, 'gamma'),
  // george (no company): cancels after signing up, no step 2
  ev('signed_up', 'george', '2026-01-09T00:00:00Z'),
  ev('cancelled', 'george', '2026-01-09T01:00:00Z'),
];

async function createProject(name: string): Promise<Project> {
  const { status, body } = await server.api<Project>('/api/projects/', { method: 'POST', body: { name } });
  if (status !== 201) throw new Error(`project creation answered ${status}`);
  return body;
}

beforeAll(async () => {
  server = await startInProcessServer();
  defaultProjectId = (await server.api<{ id: number }>('/api/projects/@current/')).body.id;
  await sendEvents(server, FIXTURE);
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'george']) {
    const { body } = await server.api<{ results: { id: string }[] }>(`/api/projects/@current/persons/?distinct_id=${name}`);
    personIds.set(name, body.results[0].id);
  }

  for (const [i, c] of vectors.cases.entries()) {
    const project = await createProject(`vector ${i}`);
    vectorProjects.push(project);
    await sendEvents(
      server,
      c.events.map((e) => ev(e.event, e.distinct_id, e.timestamp, {}, e.group_0 || undefined)),
      project.api_token,
    );
  }

  ds = defaultDataset();
  generatedProject = await createProject('generated');
  for (const body of toCaptureBatches(ds, generatedProject.api_token, 2000)) {
    const res = await fetch(`${server.url}/batch/`, { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`capture answered ${res.status}`);
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

type Step = { action_id: string | null; name: string; custom_name: string | null; order: number; count: number; type: string; average_conversion_time: number | null; median_conversion_time: number | null; breakdown_value?: string };

const STEPS = ['signed_up', 'created_project', 'upgraded_plan'];
const JANUARY = { date_from: '2026-01-01', date_to: '2026-01-31' };

function funnelQuery(extra: Record<string, unknown> = {}, steps: (string | Record<string, unknown>)[] = STEPS): Record<string, unknown> {
  return {
    kind: 'FunnelsQuery',
    series: steps.map((s) => (typeof s === 'string' ? { kind: 'EventsNode', event: s } : { kind: 'EventsNode', ...s })),
    dateRange: JANUARY,
    ...extra,
  };
}

async function funnel(extra: Record<string, unknown> = {}, steps?: (string | Record<string, unknown>)[], key?: string): Promise<Step[]> {
  const { status, body } = await runQuery(server, funnelQuery(extra, steps), key);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.results as Step[];
}

async function counts(extra: Record<string, unknown> = {}, steps?: (string | Record<string, unknown>)[]): Promise<number[]> {
  return (await funnel(extra, steps)).map((s) => s.count);
}

const filter = (f: Record<string, unknown>) => ({ funnelsFilter: f });
const window = (funnelWindowInterval: number, funnelWindowIntervalUnit: string) => filter({ funnelWindowInterval, funnelWindowIntervalUnit });

describe('ordered funnels by group: ClickHouse windowFunnel vectors', () => {
  it('has 34 cases', () => {
    expect(vectors.cases).toHaveLength(34);
  });

  for (const [i, c] of vectors.cases.entries()) {
    it(`counts groups per step: ${c.name}`, async () => {
      const query = { aggregation_group_type_index: 0, ...filter({ funnelOrderType: c.funnelOrderType, funnelWindowInterval: c.window_seconds, funnelWindowIntervalUnit: 'second' }) };
      const steps = await funnel(query, c.steps, vectorProjects[i].personal_api_key);
      expect(steps.map((s) => s.count)).toEqual(c.expected.step_counts);
    });
  }
});

describe('funnel results', () => {
  it('answers PostHog step objects with counts and conversion times in seconds', async () => {
    const steps = await funnel({}, ['signed_up', { event: 'created_project', custom_name: 'Project' }, 'upgraded_plan']);
    expect(steps[0]).toEqual({
      action_id: 'signed_up',
      name: 'signed_up',
      custom_name: null,
      order: 0,
      type: 'events',
      count: 7,
      average_conversion_time: null,
      median_conversion_time: null,
    });
    expect(steps[1]).toMatchObject({ action_id: 'created_project', custom_name: 'Project', order: 1, count: 4 });
    // step 2 times: alice 7200, bob 3600, dave 7200, frank 30
    expect(steps[1].average_conversion_time).toBe(4507.5);
    expect(steps[1].median_conversion_time).toBe(5400);
    expect([steps[2].count, steps[2].average_conversion_time, steps[2].median_conversion_time]).toEqual([1, 3600, 3600]);
  });

  it('aggregates by the event’s own group: members complete different steps, groupless events are ignored', async () => {
    const steps = await funnel({ aggregation_group_type_index: 0 });
    // acme: alice does it all; beta: carol signs up, dave creates the project 49h later; gamma: frank
    expect(steps.map((s) => s.count)).toEqual([3, 3, 1]);
    expect(steps[1].average_conversion_time).toBe((7200 + 176_400 + 30) / 3);
  });

  it('strict: the very next event of the actor must be the next step', async () => {
    // bob's pageview and dave's cancellation break their funnels; carol's next event is step 3
    expect(await counts(filter({ funnelOrderType: 'strict' }))).toEqual([7, 2, 1]);
  });

  it('unordered: any order within the window, conversion times between the sorted events', async () => {
    const steps = await funnel(filter({ funnelOrderType: 'unordered' }));
    expect(steps.map((s) => s.count)).toEqual([7, 5, 2]); // carol completes; erin's steps are 15 days apart
    expect(steps[1].average_conversion_time).toBe((7200 + 3600 + 3600 + 7200 + 30) / 5);
    expect(steps[1].median_conversion_time).toBe(3600);
    expect(steps[2].average_conversion_time).toBe(3600);
  });

  it('exclusions drop attempts with the excluded event between the two steps, or after an unreached step', async () => {
    const cancelled = (funnelFromStep: number, funnelToStep: number) => filter({ exclusions: [{ kind: 'EventsNode', event: 'cancelled', funnelFromStep, funnelToStep }] });
    // dave cancels between steps 1 and 2; george cancels and never reaches step 2
    expect(await counts(cancelled(0, 1))).toEqual([5, 3, 1]);
    // dave's cancellation comes before his step-2 event: nothing changes
    expect(await counts(cancelled(1, 2))).toEqual([7, 4, 1]);
    expect(await counts(cancelled(0, 2))).toEqual([5, 3, 1]);
    // unordered: dave's attempt from his sign-up is dropped, the one from his step-2 event stands
    const unordered = filter({ funnelOrderType: 'unordered', exclusions: [{ event: 'cancelled', funnelFromStep: 0, funnelToStep: 2 }] });
    expect(await counts(unordered)).toEqual([6, 4, 2]);
  });

  it('measures the window from the first step in every unit, the edge inside', async () => {
    expect(await counts()).toEqual([7, 4, 1]); // 14 days by default
    expect(await counts(window(15, 'day'))).toEqual([7, 5, 1]); // erin, exactly at the edge
    expect(await counts(window(2, 'week'))).toEqual([7, 4, 1]);
    expect(await counts(window(360, 'hour'))).toEqual([7, 5, 1]);
    expect(await counts(window(359, 'hour'))).toEqual([7, 4, 1]);
    expect(await counts(window(1, 'month'))).toEqual([7, 5, 1]); // 30 days
    expect(await counts(window(1, 'minute'))).toEqual([7, 1, 0]); // frank only
    expect(await counts(window(30, 'second'))).toEqual([7, 1, 0]);
    expect(await counts(window(29, 'second'))).toEqual([7, 0, 0]);
  });

  it('counts only events inside the date range', async () => {
    expect(await counts({ dateRange: { date_from: '2026-01-06', date_to: '2026-01-31' } })).toEqual([4, 3, 0]);
    expect(await counts({ dateRange: { date_from: '2026-01-01', date_to: '2026-01-19' }, ...window(15, 'day') })).toEqual([7, 4, 1]);
  });

  it('applies global and per-step filters', async () => {
    expect(await counts({ properties: [{ key: 'plan', value: 'pro', type: 'group', group_type_index: 0 }] })).toEqual([2, 2, 1]);
    expect(await counts({}, [{ event: 'signed_up', properties: [{ key: 'source', value: 'seo' }] }, 'created_project', 'upgraded_plan'])).toEqual([1, 1, 0]);
    const or = { type: 'OR', values: [{ type: 'AND', values: [{ key: 'plan', value: 'free', type: 'group', group_type_index: 0 }] }, { type: 'AND', values: [{ key: 'source', operator: 'is_set' }] }] };
    // beta's events, and the events with a source: carol and dave (beta), alice's first two steps, bob's sign-up
    expect(await counts({ properties: or })).toEqual([4, 2, 0]);
  });

  it('answers zeros for steps nobody did', async () => {
    expect(await counts({}, ['signed_up', 'never_happened'])).toEqual([7, 0]);
    const steps = await funnel({}, ['nope', 'never']);
    expect(steps.map((s) => [s.count, s.average_conversion_time])).toEqual([
      [0, null],
      [0, null],
    ]);
  });
});

describe('funnel breakdowns', () => {
  const byValue = (results: Step[][]) => results.map((steps) => [steps[0].breakdown_value, steps.map((s) => s.count)]);
  async function breakdown(breakdownFilter: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const { status, body } = await runQuery(server, funnelQuery({ breakdownFilter, ...extra }));
    expect(status, JSON.stringify(body)).toBe(200);
    return body.results as Step[][];
  }
  const companyPlan = { breakdown: 'plan', breakdown_type: 'group', breakdown_group_type_index: 0 };

  it('breaks persons down by a group property, most conversions first, null bucket included', async () => {
    const results = await breakdown(companyPlan);
    expect(byValue(results)).toEqual([
      ['pro', [2, 2, 1]],
      ['$$_posthog_breakdown_null_$$', [3, 1, 0]],
      ['free', [2, 1, 0]],
    ]);
    expect(results[0].every((s) => s.breakdown_value === 'pro')).toBe(true);
    expect(results[0][1].average_conversion_time).toBe((7200 + 3600) / 2);
  });

  it('merges values beyond breakdown_limit into "other"', async () => {
    expect(byValue(await breakdown({ ...companyPlan, breakdown_limit: 1 }))).toEqual([
      ['pro', [2, 2, 1]],
      ['$$_posthog_breakdown_other_$$', [5, 2, 0]],
    ]);
  });

  it('breaks groups down by their own property', async () => {
    expect(byValue(await breakdown(companyPlan, { aggregation_group_type_index: 0 }))).toEqual([
      ['pro', [1, 1, 1]],
      ['$$_posthog_breakdown_null_$$', [1, 1, 0]],
      ['free', [1, 1, 0]],
    ]);
  });

  it('attributes event-property breakdowns by first touch, last touch, a step, or all events', async () => {
    const source = { breakdown: 'source', breakdown_type: 'event' };
    const attributed = (breakdownAttributionType: string, breakdownAttributionValue?: number) =>
      breakdown(source, filter({ breakdownAttributionType, breakdownAttributionValue }));
    expect(byValue(await breakdown(source))).toEqual([
      ['ads', [1, 1, 1]],
      ['$$_posthog_breakdown_null_$$', [5, 2, 0]],
      ['seo', [1, 1, 0]],
    ]);
    expect(byValue(await attributed('last_touch'))).toEqual([
      ['seo', [2, 2, 1]],
      ['$$_posthog_breakdown_null_$$', [5, 2, 0]],
    ]);
    // the value of the created_project event: alice's "seo", nobody else's
    expect(byValue(await attributed('step', 1))).toEqual([
      ['seo', [1, 1, 1]],
      ['$$_posthog_breakdown_null_$$', [6, 3, 0]],
    ]);
    // one funnel per value over that value's events only
    expect(byValue(await attributed('all_events'))).toEqual([
      ['$$_posthog_breakdown_null_$$', [5, 2, 0]],
      ['ads', [1, 0, 0]],
      ['seo', [1, 0, 0]],
    ]);
  });

  it('answers no series when nobody entered the funnel', async () => {
    expect(await breakdown(companyPlan, { series: [{ event: 'nope' }, { event: 'never' }] })).toEqual([]);
  });
});

describe('malformed funnels', () => {
  const bad = async (query: Record<string, unknown>, attr: string) => {
    const { status, body } = await runQuery(server, funnelQuery(query));
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.attr).toBe(attr);
    expect(body.detail).toEqual(expect.any(String));
  };

  it('rejects fewer than two steps, unknown order types and units, and bad group indexes with 400', async () => {
    await bad({ series: [{ kind: 'EventsNode', event: 'signed_up' }] }, 'series');
    await bad({ series: undefined }, 'series');
    await bad(filter({ funnelOrderType: 'random' }), 'funnelsFilter.funnelOrderType');
    await bad(filter({ funnelWindowIntervalUnit: 'fortnight' }), 'funnelsFilter.funnelWindowIntervalUnit');
    await bad(filter({ funnelWindowInterval: 0 }), 'funnelsFilter.funnelWindowInterval');
    await bad({ aggregation_group_type_index: 7 }, 'aggregation_group_type_index');
    await bad({ breakdownFilter: { breakdown: 'plan', breakdown_type: 'group', breakdown_group_type_index: 9 } }, 'breakdownFilter.breakdown_group_type_index');
  });

  it('rejects exclusions outside the funnel and attribution to a missing step', async () => {
    await bad(filter({ exclusions: [{ event: 'cancelled', funnelFromStep: 0, funnelToStep: 3 }] }), 'funnelsFilter.exclusions.0.funnelToStep');
    await bad(filter({ exclusions: [{ event: 'cancelled', funnelFromStep: 1, funnelToStep: 1 }] }), 'funnelsFilter.exclusions.0.funnelToStep');
    await bad(filter({ exclusions: [{ funnelFromStep: 0, funnelToStep: 1 }] }), 'funnelsFilter.exclusions.0.event');
    await bad(filter({ funnelOrderType: 'unordered', exclusions: [{ event: 'cancelled', funnelFromStep: 0, funnelToStep: 1 }] }), 'funnelsFilter.exclusions.0.funnelFromStep');
    await bad({ breakdownFilter: { breakdown: 'source' }, ...filter({ breakdownAttributionType: 'step', breakdownAttributionValue: 3 }) }, 'funnelsFilter.breakdownAttributionValue');
    await bad(filter({ funnelVizType: 'time_to_convert' }), 'funnelsFilter.funnelVizType');
  });

  it('rejects unordered funnels with more than 6 steps that can match one event', async () => {
    await bad({ series: Array.from({ length: 7 }, () => ({ kind: 'EventsNode', event: 'pageview' })), ...filter({ funnelOrderType: 'unordered' }) }, 'series');
    expect(await counts(filter({ funnelOrderType: 'unordered' }), Array.from({ length: 6 }, () => 'signed_up'))).toEqual([7, 0, 0, 0, 0, 0]);
  });

  it('rejects bad filters and dates with the field named', async () => {
    await bad({ series: [{ event: 'signed_up', properties: [{ key: 'a', operator: 'near', value: 1 }] }, { event: 'x' }] }, 'series.0.properties.0.operator');
    await bad({ properties: [{ key: 'amount', operator: 'gt', value: 'lots' }] }, 'properties.0.value');
    await bad({ dateRange: { date_from: 'soon' } }, 'dateRange.date_from');
  });
});

// ---------------------------------------------------------------------------------------------
// Generated data: every answer equals the reference implementation.
// ---------------------------------------------------------------------------------------------

interface GeneratedCase {
  name: string;
  steps?: { event: string | null; properties?: PropertyFilterInput }[];
  order?: FunnelOrderType;
  windowSeconds?: number;
  group?: number;
  exclusions?: FunnelExclusion[];
  properties?: PropertyFilterInput;
  from?: string;
  to?: string;
}

const generatedCases: GeneratedCase[] = [
  { name: 'persons, ordered, 14 days' },
  { name: 'persons, ordered, 1 day', windowSeconds: 86_400 },
  { name: 'persons, strict', order: 'strict' },
  { name: 'persons, unordered, 3 days', order: 'unordered', windowSeconds: 3 * 86_400 },
  { name: 'companies, ordered', group: 0 },
  { name: 'companies, strict, 7 days', group: 0, order: 'strict', windowSeconds: 7 * 86_400 },
  { name: 'companies, unordered', group: 0, order: 'unordered' },
  { name: 'projects, ordered, 2 days', group: 1, steps: [{ event: 'created_project' }, { event: 'message_sent' }, { event: 'upgraded_plan' }], windowSeconds: 2 * 86_400 },
  { name: 'persons, exclusion of message_sent between steps 1 and 2', exclusions: [{ event: 'message_sent', funnelFromStep: 0, funnelToStep: 1 }], windowSeconds: 2 * 86_400 },
  { name: 'companies, exclusion of pageview between steps 2 and 3', group: 0, exclusions: [{ event: 'pageview', funnelFromStep: 1, funnelToStep: 2 }] },
  { name: 'companies, unordered with a whole-funnel exclusion', group: 0, order: 'unordered', exclusions: [{ event: 'message_sent', funnelFromStep: 0, funnelToStep: 2 }], windowSeconds: 86_400 },
  {
    name: 'paid companies, pageview steps filtered by browser',
    group: 0,
    steps: [{ event: 'pageview', properties: [{ key: 'browser', value: 'Chrome', type: 'event' }] }, { event: 'pageview' }, { event: 'message_sent' }],
    properties: [{ key: 'plan', value: ['pro', 'enterprise'], operator: 'exact', type: 'group', group_type_index: 0 }],
    windowSeconds: 3600,
  },
  { name: 'persons, any event then an upgrade, second half of the data', steps: [{ event: null }, { event: 'upgraded_plan' }], from: '2026-09-20' },
];

describe('funnels equal the reference implementation on generated data', () => {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const defaultSteps = STEPS.map((event) => ({ event }));

  for (const c of generatedCases) {
    it(c.name, async () => {
      const from = c.from ?? day(ds.start);
      const to = c.to ?? day(new Date(ds.end.getTime() - 1));
      const steps = c.steps ?? defaultSteps;
      const expected = referenceFunnel(ds, {
        steps,
        orderType: c.order,
        windowSeconds: c.windowSeconds,
        aggregationGroupTypeIndex: c.group,
        exclusions: c.exclusions,
        properties: c.properties,
        dateFrom: new Date(`${from}T00:00:00.000Z`),
        dateTo: new Date(`${to}T23:59:59.999Z`),
      });
      const results = await funnel(
        {
          dateRange: { date_from: from, date_to: to },
          properties: c.properties,
          aggregation_group_type_index: c.group,
          ...filter({
            funnelOrderType: c.order,
            funnelWindowInterval: c.windowSeconds ?? 14 * 86_400,
            funnelWindowIntervalUnit: 'second',
            exclusions: c.exclusions?.map((x) => ({ kind: 'EventsNode', ...x })),
          }),
        },
        steps,
        generatedProject.personal_api_key,
      );
      expect(expected.stepCounts[0]).toBeGreaterThan(0);
      expect(results.map((s) => s.count)).toEqual(expected.stepCounts);
      const times = (xs: (number | null)[]) => xs.map((x) => (x === null ? null : expect.closeTo(x, 6)));
      expect(results.map((s) => s.average_conversion_time)).toEqual(times(expected.steps.map((s) => s.averageConversionTime)));
      expect(results.map((s) => s.median_conversion_time)).toEqual(times(expected.steps.map((s) => s.medianConversionTime)));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Funnel actors, in-process on the stopped server's database.
// ---------------------------------------------------------------------------------------------

describe('funnel actors', () => {
  let store: Store;
  const context = (projectId: number): QueryContext => ({
    store,
    projectId,
    timeZone: 'UTC',
    maxGroupTypes: 5,
    now: new Date('2026-02-01T00:00:00Z'),
    groupNames: async () => new Map(),
  });
  const parse = (query: Record<string, unknown>): FunnelsQuery => funnelsQuerySchema.parse(query);
  const persons = (...names: string[]) => names.map((n) => personIds.get(n)!).sort();

  beforeAll(async () => {
    await server.stop();
    store = await openStore({ dataDir: server.dataDir });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
  });

  it('lists the groups that dropped off before each step, for every vector', async () => {
    for (const [i, c] of vectors.cases.entries()) {
      const query = parse(funnelQuery({ aggregation_group_type_index: 0, ...filter({ funnelWindowInterval: c.window_seconds, funnelWindowIntervalUnit: 'second' }) }, c.steps));
      for (let k = 2; k <= c.steps.length; k++) {
        const actors = await funnelActors(context(vectorProjects[i].id), query, -k, undefined, 1000, 0);
        expect(actors.ids, `${c.name}: dropped off before step ${k}`).toEqual(c.expected[`dropped_off_before_step_${k}`]);
        expect([actors.kind, actors.groupTypeIndex, actors.hasMore]).toEqual(['group', 0, false]);
      }
    }
  });

  it('lists persons who reached or dropped off at a step, sorted, in pages', async () => {
    const ctx = context(defaultProjectId);
    const query = parse(funnelQuery());
    const reached2 = await funnelActors(ctx, query, 2, undefined, 100, 0);
    expect(reached2).toEqual({ kind: 'person', ids: persons('alice', 'bob', 'dave', 'frank'), hasMore: false });
    expect((await funnelActors(ctx, query, -2, undefined, 100, 0)).ids).toEqual(persons('carol', 'erin', 'george'));
    expect((await funnelActors(ctx, query, -3, undefined, 100, 0)).ids).toEqual(persons('bob', 'dave', 'frank'));
    const first = await funnelActors(ctx, query, 1, undefined, 3, 0);
    const second = await funnelActors(ctx, query, 1, undefined, 3, 3);
    const last = await funnelActors(ctx, query, 1, undefined, 3, 6);
    expect([first.hasMore, second.hasMore, last.hasMore]).toEqual([true, true, false]);
    expect([...first.ids, ...second.ids, ...last.ids]).toEqual(persons('alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'george'));
  });

  it('narrows to one breakdown value, "other" and the null bucket included', async () => {
    const ctx = context(defaultProjectId);
    const query = parse(funnelQuery({ breakdownFilter: { breakdown: 'plan', breakdown_type: 'group', breakdown_group_type_index: 0, breakdown_limit: 1 } }));
    expect((await funnelActors(ctx, query, 2, 'pro', 100, 0)).ids).toEqual(persons('alice', 'bob'));
    expect((await funnelActors(ctx, query, 2, ['$$_posthog_breakdown_other_$$'], 100, 0)).ids).toEqual(persons('dave', 'frank'));
    const unlimited = parse(funnelQuery({ breakdownFilter: { breakdown: 'plan', breakdown_type: 'group', breakdown_group_type_index: 0 } }));
    expect((await funnelActors(ctx, unlimited, -2, '$$_posthog_breakdown_null_$$', 100, 0)).ids).toEqual(persons('erin', 'george'));
  });

  it('lists the companies of a group funnel and the reference’s drop-offs on generated data', async () => {
    const ctx = context(defaultProjectId);
    expect(await funnelActors(ctx, parse(funnelQuery({ aggregation_group_type_index: 0 })), 3, undefined, 10, 0)).toEqual({
      kind: 'group',
      groupTypeIndex: 0,
      ids: ['acme'],
      hasMore: false,
    });
    const generated = context(generatedProject.id);
    const from = ds.start.toISOString().slice(0, 10);
    const to = new Date(ds.end.getTime() - 1).toISOString().slice(0, 10);
    const expected = referenceFunnel(ds, {
      steps: STEPS.map((event) => ({ event })),
      aggregationGroupTypeIndex: 0,
      windowSeconds: 86_400,
      dateFrom: new Date(`${from}T00:00:00.000Z`),
      dateTo: new Date(`${to}T23:59:59.999Z`),
    });
    const query = parse(funnelQuery({ dateRange: { date_from: from, date_to: to }, aggregation_group_type_index: 0, ...window(1, 'day') }));
    for (let k = 1; k <= 3; k++) {
      expect((await funnelActors(generated, query, k, undefined, 1000, 0)).ids, `reached ${k}`).toEqual(expected.steps[k - 1].actors);
      if (k > 1) expect((await funnelActors(generated, query, -k, undefined, 1000, 0)).ids, `dropped before ${k}`).toEqual(expected.steps[k - 1].droppedOff);
    }
  });

  it('rejects steps outside the funnel', async () => {
    const query = parse(funnelQuery());
    for (const step of [0, -1, 4, -4, 1.5]) {
      await expect(funnelActors(context(defaultProjectId), query, step, undefined, 10, 0)).rejects.toMatchObject({ status: 400, attr: 'funnelStep' });
    }
  });
});
