// Helpers for integration tests that drive the real server with posthog-node and read the
// private REST API back.
import { PostHog, type PostHogOptions } from 'posthog-node';
import { expect } from 'vitest';
import type { RunningServer } from './server.js';

/**
 * A posthog-node client as a user would create it, pointed at the test server. Events are sent
 * only on flush() (flushInterval 0 disables the timer), in one ordered batch per 20 events, and
 * a failed request rejects flush() at once instead of being retried for seconds.
 */
export function nodeClient(server: Pick<RunningServer, 'url' | 'token'>, options: PostHogOptions & { token?: string } = {}): PostHog {
  const { token, ...rest } = options;
  return new PostHog(token ?? server.token, {
    host: server.url,
    flushAt: 20,
    flushInterval: 0,
    fetchRetryCount: 0,
    ...rest,
  });
}

/** Builds `path?query` from a record, skipping undefined values. */
export function withQuery(pathname: string, query: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `${pathname}?${text}` : pathname;
}

/** `/api/projects/<project>/<rest>` with `@current` as the default project. */
export function projectPath(rest: string, project: string | number = '@current'): string {
  return `/api/projects/${project}/${rest}`;
}

export interface ApiEvent {
  id: string;
  uuid: string;
  event: string;
  distinct_id: string;
  person_id: string;
  properties: Record<string, any>;
  timestamp: string;
}

export interface ApiPerson {
  type: 'person';
  id: string;
  uuid: string;
  name: string;
  distinct_ids: string[];
  properties: Record<string, any>;
  is_identified: boolean;
  created_at: string;
}

export interface ApiGroup {
  group_type_index: number;
  group_key: string;
  group_properties: Record<string, any>;
  created_at: string;
}

export interface ApiGroupType {
  group_type: string;
  group_type_index: number;
  name_singular: string | null;
  name_plural: string | null;
  detail_dashboard: null;
  default_columns: null;
  created_at: string;
}

type Api = RunningServer['api'];

/** Events of the key's project (newest first). Fails the test on a non-200 answer. */
export async function listEvents(api: Api, query: Record<string, string | number | undefined>, key?: string): Promise<ApiEvent[]> {
  const res = await api<{ results: ApiEvent[] }>(withQuery(projectPath('events/'), query), { key });
  if (res.status !== 200) throw new Error(`events API answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.results;
}

/** Persons having this distinct id (an empty list when none). */
export async function personsByDistinctId(api: Api, distinctId: string, key?: string): Promise<ApiPerson[]> {
  const res = await api<{ results: ApiPerson[] }>(withQuery(projectPath('persons/'), { distinct_id: distinctId }), { key });
  if (res.status !== 200) throw new Error(`persons API answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.results;
}

/** The one person with this distinct id; fails when there is not exactly one. */
export async function personOf(api: Api, distinctId: string, key?: string): Promise<ApiPerson> {
  const persons = await personsByDistinctId(api, distinctId, key);
  if (persons.length !== 1) throw new Error(`expected one person with distinct id ${distinctId}, got ${JSON.stringify(persons)}`);
  return persons[0];
}

export async function listGroupTypes(api: Api, key?: string): Promise<ApiGroupType[]> {
  const res = await api<ApiGroupType[]>(projectPath('groups_types/'), { key });
  if (res.status !== 200) throw new Error(`groups_types API answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The slot of a group type by name; fails when the type does not exist. */
export async function groupTypeIndex(api: Api, groupType: string, key?: string): Promise<number> {
  const type = (await listGroupTypes(api, key)).find((t) => t.group_type === groupType);
  if (!type) throw new Error(`group type ${groupType} does not exist`);
  return type.group_type_index;
}

/** Every group of a type, following `next` links. */
export async function listAllGroups(
  api: Api,
  index: number,
  query: Record<string, string | undefined> = {},
  key?: string,
): Promise<{ pages: ApiGroup[][]; groups: ApiGroup[] }> {
  const pages: ApiGroup[][] = [];
  let path: string | null = withQuery(projectPath('groups/'), { group_type_index: index, ...query });
  while (path !== null && pages.length < 100) {
    const res: { status: number; body: { next: string | null; results: ApiGroup[] } } = await api(path, { key });
    if (res.status !== 200) throw new Error(`groups API answered ${res.status}: ${JSON.stringify(res.body)}`);
    pages.push(res.body.results);
    path = res.body.next === null ? null : (() => {
      const next = new URL(res.body.next);
      return `${next.pathname}${next.search}`;
    })();
  }
  return { pages, groups: pages.flat() };
}

/** PostHog's error body shape, with any non-empty detail. */
export const errorBody = (type: string, code: string, attr: string | null = null) => ({
  type,
  code,
  detail: expect.stringMatching(/\S/),
  attr,
});
