// Persons & Groups list pages with many groups: 100,000 companies identified through /batch,
// then the requests the web app's group list makes, timed over HTTP with the personal API key:
// the first page, 50 pages in by following `next` cursors, a search, one group's page.
import http from 'node:http';
import type { TestServer } from '../test/support/server.js';
import { post } from './http-post.js';
import { formatInt, type ResultRow } from './report.js';

export interface GroupsBenchOptions {
  readonly groups: number;
  /** Timed runs of each request, after one warm-up. */
  readonly runs: number;
  /** Pages followed through `next` cursors. */
  readonly pages: number;
}

export const defaultGroupsOptions: GroupsBenchOptions = { groups: 100_000, runs: 5, pages: 50 };

const PLANS = ['free', 'starter', 'pro', 'enterprise'];

export async function loadGroups(server: TestServer, options: GroupsBenchOptions): Promise<number> {
  const started = performance.now();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const url = new URL('/batch/', server.url);
  const timestamp = new Date().toISOString();
  const batches: string[] = [];
  for (let from = 0; from < options.groups; from += 1000) {
    const batch = [];
    for (let i = from; i < Math.min(options.groups, from + 1000); i++) {
      batch.push({
        event: '$groupidentify',
        distinct_id: `$company_c${i}`,
        timestamp,
        properties: { $group_type: 'company', $group_key: `c${i}`, $group_set: { name: `Company ${i}`, plan: PLANS[i % 4], seats: i % 500 } },
      });
    }
    batches.push(JSON.stringify({ api_key: server.token, batch }));
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const res = await post(agent, url, batches[next++]);
        if (res.status !== 200) throw new Error(`/batch answered ${res.status}: ${res.body.slice(0, 200)}`);
      }
    }),
  );
  agent.destroy();
  return (performance.now() - started) / 1000;
}

async function timed(server: TestServer, path: string): Promise<{ ms: number; body: { next?: string | null; results?: unknown[] } }> {
  const started = performance.now();
  const res = await fetch(new URL(path, server.url), { headers: { authorization: `Bearer ${server.apiKey}` } });
  const body = (await res.json()) as { next?: string | null; results?: unknown[] };
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
  return { ms: performance.now() - started, body };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function medianOf(server: TestServer, path: string, runs: number): Promise<{ ms: number; results: number | null }> {
  const first = await timed(server, path);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timed(server, path)).ms);
  return { ms: median(times), results: Array.isArray(first.body.results) ? first.body.results.length : null };
}

export interface GroupsResult {
  readonly loadSeconds: number;
  readonly timings: { readonly label: string; readonly ms: number; readonly results: number | null }[];
}

export async function runGroupsBench(server: TestServer, options: GroupsBenchOptions): Promise<GroupsResult> {
  const loadSeconds = await loadGroups(server, options);
  const list = '/api/projects/@current/groups/?group_type_index=0';
  const timings: GroupsResult['timings'] = [];
  timings.push({ label: 'first page (100 groups, newest first)', ...(await medianOf(server, list, options.runs)) });

  // Follow the cursors as the web app's "Next" does; time each page.
  let path: string = list;
  const pageTimes: number[] = [];
  for (let page = 0; page < options.pages; page++) {
    const { ms, body } = await timed(server, path);
    pageTimes.push(ms);
    if (!body.next) break;
    const nextUrl = new URL(body.next);
    path = `${nextUrl.pathname}${nextUrl.search}`;
  }
  timings.push({ label: `page ${pageTimes.length} through cursors (median page)`, ms: median(pageTimes), results: 100 });
  timings.push({ label: 'search "Company 4242" (name)', ...(await medianOf(server, `${list}&search=${encodeURIComponent('Company 4242')}`, options.runs)) });
  timings.push({ label: 'search with no match', ...(await medianOf(server, `${list}&search=nothing-like-this`, options.runs)) });
  timings.push({ label: 'one group (groups/find)', ...(await medianOf(server, '/api/projects/@current/groups/find?group_type_index=0&group_key=c4242', options.runs)) });
  timings.push({ label: 'property columns (property_definitions)', ...(await medianOf(server, '/api/projects/@current/property_definitions/?type=group&group_type_index=0', options.runs)) });
  return { loadSeconds, timings };
}

export function groupsRows(r: GroupsResult, options: GroupsBenchOptions): ResultRow[] {
  return [
    { section: 'groups', metric: 'setup', value: `${formatInt(options.groups)} companies identified through /batch in ${r.loadSeconds.toFixed(1)} s` },
    ...r.timings.map((t) => ({ section: 'groups', metric: t.label, value: `${t.ms.toFixed(1)} ms median over HTTP${t.results === null ? '' : ` (${t.results} results)`}` })),
  ];
}
