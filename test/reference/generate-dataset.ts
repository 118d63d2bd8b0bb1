// A seeded generator of a small, realistic group analytics dataset for comparing the server's
// insight answers with the reference implementation (insights-reference.ts), plus the
// posthog-node style capture batches that make a server hold the same data.
//
// Shape of the data (defaults):
// - ~300 persons `user_001`.. (distinct id = person id), email/plan/age/beta/signed_up_at, each
//   set by an `$identify` with `$set` that comes before the person's other events; some persons
//   get a second `$identify` later that changes their plan (person properties are current values);
// - 40 companies `company_01`.. in group slot 0 (type 'company', properties name/plan/seats/
//   founded), a few never identified (they appear on events only); some re-identified later with a
//   changed plan and seat count (shallow merge);
// - 60 projects `project_01`.. in slot 1 (type 'project', properties name/stage), each belonging to
//   one company; identified by the `$groupidentify` of the person who first creates one;
// - ~45 days of signed_up / created_project / upgraded_plan / pageview / message_sent with skewed
//   per-person activity, weekend dips and churn; event properties amount (number, sometimes a
//   numeric string, sometimes missing), plan, browser (sometimes missing);
// - some events without groups (persons without a company, and random drops), and personless
//   pageviews from `anon_NNN` distinct ids (`$process_person_profile: false`, no person entry),
//   some of them carrying a company.
// Timestamps are unique across the dataset (milliseconds), so event order never depends on ties.
import {
  groupMapKey,
  NO_GROUPS,
  type GroupKeys,
  type RefDataset,
  type RefEvent,
  type RefGroup,
  type RefPerson,
} from './insights-reference.js';

export const GROUP_TYPES = ['company', 'project'] as const;
export const DEFAULT_SEED = 20260901;
export const DEFAULT_START = new Date('2026-09-01T00:00:00.000Z');

export interface GenerateOptions {
  seed?: number;
  /** First instant of the data; every timestamp is at or after it. */
  start?: Date;
  days?: number;
  persons?: number;
  companies?: number;
  projects?: number;
  anonymous?: number;
}

export interface GeneratedDataset extends RefDataset {
  seed: number;
  start: Date;
  /** Exclusive upper bound of every timestamp. */
  end: Date;
  /** Group type name of each slot in use. */
  groupTypes: readonly string[];
}

/** mulberry32: a tiny deterministic 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1][0];
  }
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
  uuid(): string {
    let hex = '';
    for (let i = 0; i < 32; i++) hex += Math.floor(this.next() * 16).toString(16);
    const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const PLANS = [
  ['free', 6],
  ['pro', 3],
  ['enterprise', 1],
] as const;
const BROWSERS = [
  ['Chrome', 6],
  ['Safari', 2],
  ['Firefox', 1.5],
  ['Edge', 0.5],
] as const;
const COMPANY_WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell', 'Soylent'];
const COMPANY_SUFFIXES = ['Inc', 'Labs', 'GmbH', 'Ltd', 'Corp'];
const PROJECT_STAGES = ['alpha', 'beta', 'ga'];
const PLAN_PRICE: Record<string, number> = { free: 0, pro: 49, enterprise: 499 };

interface Company {
  key: string;
  identified: boolean;
  properties: Record<string, unknown>;
  projects: string[];
  /** Share of persons: a skewed (Zipf-like) size. */
  weight: number;
}

interface PersonSpec {
  id: string;
  company: Company | undefined;
  signupMs: number;
  churnMs: number;
  dailyRate: number;
  browser: string;
  properties: Record<string, unknown>;
}

interface Draft {
  event: string;
  distinctId: string;
  personId: string;
  ms: number;
  properties: Record<string, unknown>;
  groupKeys: GroupKeys;
  /** Tie-break when two drafts get the same millisecond (lower first). */
  order: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function generateDataset(options: GenerateOptions = {}): GeneratedDataset {
  const seed = options.seed ?? DEFAULT_SEED;
  const start = options.start ?? DEFAULT_START;
  const days = options.days ?? 45;
  const personCount = options.persons ?? 300;
  const companyCount = options.companies ?? 40;
  const projectCount = options.projects ?? 60;
  const anonymousCount = options.anonymous ?? 40;
  const rnd = new Random(seed);
  const startMs = start.getTime();
  const endMs = startMs + days * DAY_MS;

  // Companies: the first is always identified (it opens the dataset, see below).
  const companies: Company[] = [];
  for (let i = 1; i <= companyCount; i++) {
    const plan = rnd.weighted(PLANS);
    companies.push({
      key: `company_${pad(i, 2)}`,
      identified: i === 1 || rnd.chance(0.85),
      properties: {
        name: `${rnd.pick(COMPANY_WORDS)} ${rnd.pick(COMPANY_SUFFIXES)} ${i}`,
        plan,
        seats: plan === 'free' ? rnd.int(1, 5) : plan === 'pro' ? rnd.int(5, 60) : rnd.int(50, 900),
        founded: new Date(Date.UTC(rnd.int(1995, 2025), rnd.int(0, 11), rnd.int(1, 28))).toISOString().slice(0, 10),
      },
      projects: [],
      weight: 1 / Math.pow(i, 0.8),
    });
  }
  // Projects: each belongs to one company, more to the bigger ones.
  const projectOwner = new Map<string, Company>();
  for (let i = 1; i <= projectCount; i++) {
    const company = rnd.weighted(companies.map((c) => [c, c.weight] as const));
    const key = `project_${pad(i, 2)}`;
    company.projects.push(key);
    projectOwner.set(key, company);
  }

  // Persons. user_001 signs up first, one hour after the start, as founder of company_01, so
  // the first event that references any group type references 'company' (slot 0).
  const specs: PersonSpec[] = [];
  for (let i = 1; i <= personCount; i++) {
    const id = `user_${pad(i, 3)}`;
    const company = i === 1 ? companies[0] : rnd.chance(0.9) ? rnd.weighted(companies.map((c) => [c, c.weight] as const)) : undefined;
    const signupMs =
      i === 1
        ? startMs + HOUR_MS
        : rnd.chance(0.25)
          ? startMs + 2 * HOUR_MS + rnd.int(0, DAY_MS)
          : startMs + 2 * HOUR_MS + rnd.int(0, (days - 5) * DAY_MS);
    const churnMs = rnd.chance(0.3) ? signupMs + rnd.int(2, 30) * DAY_MS : endMs;
    const u = rnd.float();
    const plan = rnd.weighted(PLANS);
    const properties: Record<string, unknown> = {
      email: company ? `${id}@${company.key.replace('_', '')}.example.com` : `${id}@gmail.example`,
      plan,
      beta: rnd.chance(0.3),
      signed_up_at: new Date(signupMs).toISOString(),
    };
    if (rnd.chance(0.85)) properties.age = rnd.int(18, 70);
    specs.push({
      id,
      company,
      signupMs,
      churnMs: Math.min(churnMs, endMs),
      dailyRate: 0.15 + 8 * Math.pow(u, 4),
      browser: rnd.weighted(BROWSERS),
      properties,
    });
  }

  const drafts: Draft[] = [];
  let order = 0;
  const add = (d: Omit<Draft, 'order'>) => drafts.push({ ...d, order: order++ });
  const persons = new Map<string, RefPerson>();
  const groups = new Map<string, RefGroup>();
  const projectIdentified = new Set<string>();

  const groupKeysFor = (spec: PersonSpec, withProject: boolean): GroupKeys => {
    const keys: GroupKeys = [...NO_GROUPS];
    if (!spec.company || rnd.chance(0.06)) return keys;
    keys[0] = spec.company.key;
    if (withProject && spec.company.projects.length > 0) keys[1] = rnd.pick(spec.company.projects);
    return keys;
  };
  const browserProp = (spec: PersonSpec): Record<string, unknown> => (rnd.chance(0.9) ? { browser: spec.browser } : {});
  const personEvent = (spec: PersonSpec, event: string, ms: number, properties: Record<string, unknown>, keys: GroupKeys) =>
    add({ event, distinctId: spec.id, personId: spec.id, ms, properties, groupKeys: keys });

  // The company's first $groupidentify comes from its first person to sign up.
  const companyFounded = new Set<string>();
  const orderedSpecs = [...specs].sort((a, b) => a.signupMs - b.signupMs);

  for (const spec of orderedSpecs) {
    persons.set(spec.id, { id: spec.id, properties: { ...spec.properties } });
    personEvent(spec, '$identify', spec.signupMs - 1000, { $set: { ...spec.properties } }, [...NO_GROUPS]);

    const company = spec.company;
    if (company && company.identified && !companyFounded.has(company.key)) {
      companyFounded.add(company.key);
      personEvent(
        spec,
        '$groupidentify',
        spec.signupMs - 500,
        { $group_type: 'company', $group_key: company.key, $group_set: { ...company.properties } },
        [...NO_GROUPS],
      );
      groups.set(groupMapKey(0, company.key), { groupTypeIndex: 0, groupKey: company.key, properties: { ...company.properties } });
      // A quarter of the companies change plan and seats later: a shallow merge.
      if (rnd.chance(0.25)) {
        const update = { plan: rnd.pick(['pro', 'enterprise']), seats: rnd.int(20, 400) };
        const at = spec.signupMs + rnd.int(1, days - 1) * DAY_MS;
        if (at < endMs) {
          personEvent(spec, '$groupidentify', at, { $group_type: 'company', $group_key: company.key, $group_set: update }, [...NO_GROUPS]);
          Object.assign(groups.get(groupMapKey(0, company.key))!.properties, update);
        }
      }
    }

    // Sign-up, with the person's plan.
    const plan = String(spec.properties.plan);
    let upgrade: { ms: number; plan: string } | undefined;
    const signupProps: Record<string, unknown> = { plan, ...browserProp(spec) };
    personEvent(spec, 'signed_up', spec.signupMs, signupProps, groupKeysFor(spec, false));

    // Creating a project: most persons, within a few days.
    if (rnd.chance(0.65)) {
      const ms = spec.signupMs + rnd.int(5 * 60_000, 4 * DAY_MS);
      if (ms < spec.churnMs) {
        const keys = groupKeysFor(spec, true);
        if (keys[1] !== '' && !projectIdentified.has(keys[1]) && rnd.chance(0.8)) {
          projectIdentified.add(keys[1]);
          const properties = { name: `Project ${keys[1].slice(-2)}`, stage: rnd.pick(PROJECT_STAGES) };
          personEvent(spec, '$groupidentify', ms - 300, { $group_type: 'project', $group_key: keys[1], $group_set: properties }, [...NO_GROUPS]);
          groups.set(groupMapKey(1, keys[1]), { groupTypeIndex: 1, groupKey: keys[1], properties: { ...properties } });
        }
        personEvent(spec, 'created_project', ms, { ...browserProp(spec) }, keys);
        // Some of those upgrade, later.
        if (rnd.chance(0.5)) {
          const upMs = ms + rnd.int(HOUR_MS, 20 * DAY_MS);
          if (upMs < spec.churnMs) {
            upgrade = { ms: upMs, plan: plan === 'free' ? 'pro' : 'enterprise' };
            const amount = PLAN_PRICE[upgrade.plan] + rnd.int(0, 20);
            personEvent(spec, 'upgraded_plan', upMs, { plan: upgrade.plan, amount, ...browserProp(spec) }, groupKeysFor(spec, true));
          }
        }
      }
    }

    // Ongoing activity: skewed daily rate, weekend dip, until churn.
    for (let dayStart = Math.floor(spec.signupMs / DAY_MS) * DAY_MS; dayStart < spec.churnMs; dayStart += DAY_MS) {
      const weekday = new Date(dayStart).getUTCDay();
      const rate = spec.dailyRate * (weekday === 0 || weekday === 6 ? 0.35 : 1);
      const n = rnd.poisson(rate);
      for (let k = 0; k < n; k++) {
        const ms = dayStart + rnd.int(0, DAY_MS - 1);
        if (ms <= spec.signupMs || ms >= spec.churnMs) continue;
        if (rnd.chance(0.62)) {
          const properties: Record<string, unknown> = { ...browserProp(spec) };
          if (rnd.chance(0.7)) properties.plan = upgrade && ms >= upgrade.ms ? upgrade.plan : plan;
          personEvent(spec, 'pageview', ms, properties, groupKeysFor(spec, rnd.chance(0.5)));
        } else if (rnd.chance(0.92)) {
          const properties: Record<string, unknown> = { ...browserProp(spec) };
          const r = rnd.float();
          const amount = Math.round(Math.pow(rnd.float(), 3) * 2000) + 1;
          if (r < 0.85) properties.amount = amount;
          else if (r < 0.9) properties.amount = String(amount);
          // else: no amount
          personEvent(spec, 'message_sent', ms, properties, groupKeysFor(spec, true));
        } else {
          personEvent(spec, 'created_project', ms, { ...browserProp(spec) }, groupKeysFor(spec, true));
        }
      }
    }

    // A second $identify for some persons changes their plan (person properties are current values).
    if (rnd.chance(0.15)) {
      const ms = spec.signupMs + rnd.int(1, days) * DAY_MS;
      if (ms < endMs) {
        const newPlan = rnd.pick(['pro', 'enterprise']);
        personEvent(spec, '$identify', ms, { $set: { plan: newPlan } }, [...NO_GROUPS]);
        persons.get(spec.id)!.properties.plan = newPlan;
      }
    }
  }

  // Personless visitors: pageviews without a person profile; a third of them on a company.
  for (let i = 1; i <= anonymousCount; i++) {
    const id = `anon_${pad(i, 3)}`;
    const company = rnd.chance(0.35) ? rnd.pick(companies) : undefined;
    const n = rnd.int(1, 15);
    for (let k = 0; k < n; k++) {
      const keys: GroupKeys = [...NO_GROUPS];
      if (company && rnd.chance(0.8)) keys[0] = company.key;
      const properties: Record<string, unknown> = { $process_person_profile: false };
      if (rnd.chance(0.8)) properties.browser = rnd.weighted(BROWSERS);
      add({ event: 'pageview', distinctId: id, personId: id, ms: startMs + 2 * HOUR_MS + rnd.int(0, (days - 1) * DAY_MS), properties, groupKeys: keys });
    }
  }

  // Time order with unique milliseconds: a collision moves the later draft one ms on.
  drafts.sort((a, b) => a.ms - b.ms || a.order - b.order);
  for (let i = 1; i < drafts.length; i++) if (drafts[i].ms <= drafts[i - 1].ms) drafts[i].ms = drafts[i - 1].ms + 1;

  const events: RefEvent[] = drafts.map((d) => ({
    uuid: rnd.uuid(),
    event: d.event,
    distinctId: d.distinctId,
    personId: d.personId,
    timestamp: new Date(d.ms),
    properties: d.properties,
    groupKeys: d.groupKeys,
  }));
  const dataset: GeneratedDataset = { seed, start, end: new Date(Math.max(endMs, drafts[drafts.length - 1].ms + 1)), groupTypes: GROUP_TYPES, events, persons, groups };
  checkInvariants(dataset);
  return dataset;
}

/** Throws when the generated data breaks an assumption the capture batches rely on. */
function checkInvariants(ds: GeneratedDataset): void {
  const identified = new Set<string>();
  let firstGroupType: string | undefined;
  for (const e of ds.events) {
    if (e.event === '$identify') identified.add(e.personId);
    else if (ds.persons.has(e.personId) && !identified.has(e.personId)) {
      throw new Error(`generator: ${e.event} of ${e.personId} before its $identify`);
    }
    if (firstGroupType === undefined) {
      if (e.event === '$groupidentify') firstGroupType = String(e.properties.$group_type);
      else if (e.groupKeys[0] !== '') firstGroupType = GROUP_TYPES[0];
      else if (e.groupKeys.some((k) => k !== '')) firstGroupType = 'other';
    }
    if (e.groupKeys[1] !== '' && e.groupKeys[0] === '') throw new Error('generator: a project event without its company');
  }
  if (firstGroupType !== GROUP_TYPES[0]) throw new Error(`generator: the first group type referenced is ${firstGroupType}, not ${GROUP_TYPES[0]}`);
}

let cached: GeneratedDataset | undefined;

/** The default dataset (seed DEFAULT_SEED), built once. */
export function defaultDataset(): GeneratedDataset {
  cached ??= generateDataset();
  return cached;
}

// ---------------------------------------------------------------------------------------------
// Capture batches
// ---------------------------------------------------------------------------------------------

export interface CaptureEvent {
  event: string;
  distinct_id: string;
  properties: Record<string, unknown>;
  timestamp: string;
  uuid: string;
}

export interface CaptureBatch {
  api_key: string;
  batch: CaptureEvent[];
}

/**
 * The dataset as posthog-node style `/batch/` bodies, one capture event per dataset event in
 * dataset (time) order: properties as in the dataset plus `$groups` (type name → key) for the
 * slots an event carries. `$identify` events carry `$set`, `$groupidentify` events carry
 * `$group_type`/`$group_key`/`$group_set`, personless events carry `$process_person_profile:
 * false` (all already in the dataset's properties). No `sent_at`, so no clock-skew correction.
 */
export function toCaptureBatches(ds: GeneratedDataset, apiKey: string, batchSize = 200): CaptureBatch[] {
  const items: CaptureEvent[] = ds.events.map((e) => {
    const properties: Record<string, unknown> = { ...e.properties };
    const $groups: Record<string, string> = {};
    e.groupKeys.forEach((key, index) => {
      if (key === '') return;
      const type = ds.groupTypes[index];
      if (type === undefined) throw new Error(`no group type for slot ${index}`);
      $groups[type] = key;
    });
    if (Object.keys($groups).length > 0) properties.$groups = $groups;
    return { event: e.event, distinct_id: e.distinctId, properties, timestamp: e.timestamp.toISOString(), uuid: e.uuid };
  });
  const batches: CaptureBatch[] = [];
  for (let i = 0; i < items.length; i += batchSize) batches.push({ api_key: apiKey, batch: items.slice(i, i + batchSize) });
  return batches;
}
