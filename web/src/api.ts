// Calls to the server's API with the session cookie. Errors carry the server's message.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly attr: string | null = null,
  ) {
    super(message);
  }
}

/** Called when the session is gone (401), so the app can show the sign-in page. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { detail: text };
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/login') onUnauthenticated();
    const detail = (body as { detail?: string; attr?: string } | null)?.detail ?? `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, detail, (body as { attr?: string } | null)?.attr ?? null);
  }
  return body as T;
}

/** The current project's API prefix. */
export const projectPath = (path: string) => `/api/projects/@current/${path.replace(/^\//, '')}`;

/** Runs a query (TrendsQuery, FunnelsQuery, ActorsQuery, EventsQuery) against the current project. */
export function runQuery<T>(query: unknown, signal?: AbortSignal): Promise<T> {
  return api<T>(projectPath('query/'), { method: 'POST', body: { query }, signal });
}
