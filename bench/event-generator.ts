// Generates realistic server-side traffic as posthog-node sends it: /batch envelopes
// `{api_key, batch, sent_at}`, gzip-compressed, with skewed activity across companies,
// projects (group types "company" and "project") and persons, plus $groupidentify and
// $identify calls. Deterministic for a given seed (except event uuids).
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { rng, zipfSampler } from './random.js';

const gzip = promisify(zlib.gzip);

export interface GeneratorOptions {
  readonly token: string;
  readonly events: number;
  readonly batchSize: number;
  readonly companies: number;
  readonly projects: number;
  readonly persons: number;
  /** Share of events that are $groupidentify calls (0..1). */
  readonly groupIdentifyShare: number;
  /** Share of events that are $identify calls with $set (0..1). */
  readonly identifyShare: number;
  /** Zipf exponent of company activity: 0 is uniform, 1 makes the top company ~12% of 2,000. */
  readonly skew: number;
  readonly seed: number;
}

export interface GeneratedBody {
  /** gzip-compressed JSON envelope. */
  readonly gzipped: Buffer;
  readonly events: number;
}

export interface GeneratedTraffic {
  readonly bodies: GeneratedBody[];
  readonly events: number;
  readonly rawBytes: number;
  readonly gzippedBytes: number;
  readonly groupIdentifies: number;
  readonly identifies: number;
}

export const LIB_VERSION = '5.70.0';

/** Spreads `count` members over `owners`: one each first, the rest by the owner sampler. */
function assign(count: number, owners: number, sampleOwner: () => number): number[][] {
  const byOwner: number[][] = Array.from({ length: owners }, () => []);
  for (let i = 0; i < count; i++) byOwner[i < owners ? i : sampleOwner()].push(i);
  return byOwner;
}

/** UUIDv7 as posthog-node makes them: 48-bit ms timestamp, version 7, variant 10, random rest. */
function uuidv7(ms: number, rand: Buffer, offset: number): string {
  const time = ms.toString(16).padStart(12, '0');
  const r = rand.toString('hex', offset, offset + 10);
  const variant = ((parseInt(r[3], 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

const EVENTS: readonly [string, number][] = [
  ['api_request', 30],
  ['query_run', 20],
  ['dashboard_viewed', 12],
  ['insight_created', 6],
  ['feature_used', 10],
  ['export_started', 3],
  ['webhook_delivered', 12],
  ['file_uploaded', 4],
  ['invite_sent', 1],
  ['billing_checked', 2],
];
const PLANS = ['free', 'starter', 'pro', 'enterprise'];
const SOURCES = ['api', 'web', 'cli', 'worker'];
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-southeast-1'];
const FEATURES = ['funnels', 'retention', 'paths', 'cohorts', 'experiments', 'surveys', 'replay', 'flags'];
const INDUSTRIES = ['saas', 'fintech', 'retail', 'health', 'media', 'education', 'gaming'];

export function defaultGeneratorOptions(token: string): GeneratorOptions {
  return {
    token,
    events: 1_000_000,
    batchSize: 500,
    companies: 2_000,
    projects: 5_000,
    persons: 20_000,
    groupIdentifyShare: 0.01,
    identifyShare: 0.005,
    skew: 1,
    seed: 42,
  };
}

/** Generates and gzips all request bodies up front, so sending costs the client almost nothing. */
export async function generateTraffic(options: GeneratorOptions): Promise<GeneratedTraffic> {
  const random = rng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const int = (max: number): number => Math.floor(random() * max);
  const sampleCompany = zipfSampler(options.companies, options.skew, random);
  const projectsOf = assign(options.projects, options.companies, sampleCompany);
  const personsOf = assign(options.persons, options.companies, sampleCompany);
  const companyPlan = Array.from({ length: options.companies }, () => pick(PLANS));
  const eventTotal = EVENTS.reduce((n, [, w]) => n + w, 0);
  const pickEventName = (): string => {
    let x = random() * eventTotal;
    for (const [name, weight] of EVENTS) {
      x -= weight;
      if (x < 0) return name;
    }
    return EVENTS[0][0];
  };

  const lib = { $lib: 'posthog-node', $lib_version: LIB_VERSION, $geoip_disable: true };

  const makeEvent = (timestamp: string, uuid: string): { kind: 'capture' | 'group' | 'identify'; event: object } => {
    const company = sampleCompany();
    const companyKey = `c${company}`;
    const projectKey = `p${pick(projectsOf[company])}`;
    const distinctId = `user-${pick(personsOf[company])}`;
    const roll = random();
    if (roll < options.groupIdentifyShare) {
      // posthog-node's groupIdentify without a distinct id: "$<type>_<key>".
      const isCompany = random() < 0.5;
      const groupSet = isCompany
        ? { name: `Company ${company}`, plan: companyPlan[company], employees: 5 + int(5000), industry: pick(INDUSTRIES) }
        : { name: `Project ${projectKey.slice(1)}`, company: companyKey, region: pick(REGIONS), archived: random() < 0.05 };
      const type = isCompany ? 'company' : 'project';
      const key = isCompany ? companyKey : projectKey;
      return {
        kind: 'group',
        event: {
          distinct_id: `$${type}_${key}`,
          event: '$groupidentify',
          properties: { $group_type: type, $group_key: key, $group_set: groupSet, ...lib },
          timestamp,
          uuid,
        },
      };
    }
    if (roll < options.groupIdentifyShare + options.identifyShare) {
      return {
        kind: 'identify',
        event: {
          distinct_id: distinctId,
          event: '$identify',
          properties: {
            $set: { email: `${distinctId}@company${company}.example`, plan: companyPlan[company], role: pick(['admin', 'member', 'viewer']) },
            $set_once: { first_seen_source: pick(SOURCES) },
            $groups: { company: companyKey },
            ...lib,
          },
          timestamp,
          uuid,
        },
      };
    }
    const name = pickEventName();
    const properties: Record<string, unknown> = {
      $groups: { company: companyKey, project: projectKey },
      ...lib,
      plan: companyPlan[company],
      source: pick(SOURCES),
      region: pick(REGIONS),
      duration_ms: int(2000),
      success: random() < 0.97,
    };
    if (name === 'feature_used') properties.feature = pick(FEATURES);
    if (name === 'api_request') {
      properties.endpoint = `/api/projects/${projectKey}/${pick(['events', 'insights', 'flags', 'persons'])}`;
      properties.status_code = random() < 0.98 ? 200 : pick([400, 404, 429, 500]);
    }
    if (name === 'query_run') properties.rows = int(100_000);
    return { kind: 'capture', event: { distinct_id: distinctId, event: name, properties, timestamp, uuid } };
  };

  let groupIdentifies = 0;
  let identifies = 0;
  const start = Date.now() - 60_000;
  let produced = 0;
  function* envelopes(): Generator<{ json: string; events: number }> {
    while (produced < options.events) {
      const size = Math.min(options.batchSize, options.events - produced);
      const rand = randomBytes(10 * size);
      const batch: object[] = [];
      // Events were captured over the last minute, in order; sent_at is after the last one.
      for (let i = 0; i < size; i++) {
        const ms = start + Math.floor(((produced + i) / options.events) * 60_000);
        const { kind, event } = makeEvent(new Date(ms).toISOString(), uuidv7(ms, rand, i * 10));
        if (kind === 'group') groupIdentifies++;
        else if (kind === 'identify') identifies++;
        batch.push(event);
      }
      produced += size;
      const sentAt = new Date(start + Math.floor((produced / options.events) * 60_000) + 50).toISOString();
      yield { json: JSON.stringify({ api_key: options.token, batch, sent_at: sentAt }), events: size };
    }
  }
  const { bodies, rawBytes, gzippedBytes } = await gzipBodies(envelopes());
  return { bodies, events: produced, rawBytes, gzippedBytes, groupIdentifies, identifies };
}

/** Gzips JSON bodies in order; compression runs on the libuv thread pool while the next are made. */
export async function gzipBodies(
  envelopes: Iterable<{ json: string; events: number }>,
): Promise<{ bodies: GeneratedBody[]; rawBytes: number; gzippedBytes: number }> {
  const bodies: GeneratedBody[] = [];
  const pending: Promise<void>[] = [];
  let rawBytes = 0;
  for (const { json, events } of envelopes) {
    rawBytes += Buffer.byteLength(json);
    const index = bodies.length;
    bodies.push({ gzipped: Buffer.alloc(0), events });
    pending.push(gzip(json).then((gzipped) => void (bodies[index] = { gzipped, events })));
    if (pending.length >= 4) await pending.shift();
  }
  await Promise.all(pending);
  return { bodies, rawBytes, gzippedBytes: bodies.reduce((n, b) => n + b.gzipped.length, 0) };
}
