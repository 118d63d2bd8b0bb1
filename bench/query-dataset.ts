// Streams a large, realistic dataset for the query benchmark: companies and projects identified
// first, then every person's sign-up funnel (signed_up → created_project → upgraded_plan) and a
// long tail of skewed activity over `days` days. Batches are generated as they are sent.
import { randomUUID } from 'node:crypto';
import { rng, zipfSampler as zipf } from './random.js';

export interface DatasetOptions {
  readonly events: number;
  readonly companies: number;
  readonly projects: number;
  readonly persons: number;
  readonly days: number;
  readonly seed: number;
}

export const defaultDatasetOptions: DatasetOptions = {
  events: 10_000_000,
  companies: 2_000,
  projects: 5_000,
  persons: 20_000,
  days: 60,
  seed: 7,
};

export const PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
export const FUNNEL_STEPS = ['signed_up', 'created_project', 'upgraded_plan'] as const;
const ACTIVITY: readonly [string, number][] = [
  ['api_request', 40],
  ['pageview', 25],
  ['query_run', 15],
  ['dashboard_viewed', 10],
  ['message_sent', 10],
];

type Event = { event: string; distinct_id: string; timestamp: string; uuid: string; properties: Record<string, unknown> };

/** Yields batches of events; their total is `options.events`. */
export function* datasetBatches(options: DatasetOptions, batchSize: number, now = Date.now()): Generator<Event[]> {
  const random = rng(options.seed);
  const int = (max: number) => Math.floor(random() * max);
  const start = now - options.days * 86_400_000;
  const at = (ms: number) => new Date(Math.min(ms, now - 1000)).toISOString();
  const sampleCompany = zipf(options.companies, 1, random);
  const plan = Array.from({ length: options.companies }, () => PLANS[int(PLANS.length)]);
  const companyOfPerson = Array.from({ length: options.persons }, (_, i) => (i < options.companies ? i : sampleCompany()));
  const companyOfProject = Array.from({ length: options.projects }, (_, i) => (i < options.companies ? i : sampleCompany()));
  const personsOf: number[][] = Array.from({ length: options.companies }, () => []);
  companyOfPerson.forEach((c, p) => personsOf[c].push(p));
  const projectsOf: number[][] = Array.from({ length: options.companies }, () => []);
  companyOfProject.forEach((c, p) => projectsOf[c].push(p));
  const lib = { $lib: 'posthog-node', $lib_version: '5.70.0' };

  let batch: Event[] = [];
  let sent = 0;
  function* push(e: Event): Generator<Event[]> {
    batch.push(e);
    sent++;
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }

  for (let c = 0; c < options.companies; c++) {
    yield* push({
      event: '$groupidentify',
      distinct_id: `$company_c${c}`,
      timestamp: at(start),
      uuid: randomUUID(),
      properties: { $group_type: 'company', $group_key: `c${c}`, $group_set: { name: `Company ${c}`, plan: plan[c], employees: 5 + int(5000) }, ...lib },
    });
  }
  for (let p = 0; p < options.projects; p++) {
    yield* push({
      event: '$groupidentify',
      distinct_id: `$project_p${p}`,
      timestamp: at(start),
      uuid: randomUUID(),
      properties: { $group_type: 'project', $group_key: `p${p}`, $group_set: { name: `Project ${p}`, company: `c${companyOfProject[p]}` }, ...lib },
    });
  }
  // Funnels: every person signs up; some create a project, fewer upgrade, within days.
  for (let p = 0; p < options.persons; p++) {
    const c = companyOfPerson[p];
    const groups = { company: `c${c}`, project: `p${projectsOf[c][int(projectsOf[c].length)]}` };
    let t = start + int(options.days * 86_400_000);
    for (const [i, step] of FUNNEL_STEPS.entries()) {
      if (i > 0) {
        if (random() > (i === 1 ? 0.6 : 0.35)) break;
        t += int(20 * 86_400_000);
        if (t >= now) break;
      }
      yield* push({ event: step, distinct_id: `user-${p}`, timestamp: at(t), uuid: randomUUID(), properties: { $groups: groups, plan: plan[c], ...lib } });
    }
  }
  const weights = ACTIVITY.reduce((n, [, w]) => n + w, 0);
  while (sent < options.events) {
    const c = sampleCompany();
    const person = personsOf[c][int(personsOf[c].length)];
    let x = random() * weights;
    let name = ACTIVITY[0][0];
    for (const [n, w] of ACTIVITY) {
      x -= w;
      if (x < 0) {
        name = n;
        break;
      }
    }
    yield* push({
      event: name,
      distinct_id: `user-${person}`,
      timestamp: at(start + int(options.days * 86_400_000)),
      uuid: randomUUID(),
      properties: {
        $groups: { company: `c${c}`, project: `p${projectsOf[c][int(projectsOf[c].length)]}` },
        duration_ms: int(2000),
        success: random() < 0.97,
        ...lib,
      },
    });
  }
  if (batch.length > 0) yield batch;
}
