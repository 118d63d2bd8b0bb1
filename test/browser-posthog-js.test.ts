// posthog-js, unchanged, in headless Chromium: a page on one origin sends identify, group and
// capture calls to Prickle on another origin; the events, group and person show up in the API.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, launchChromium, QUIET_POSTHOG_OPTIONS, startStaticSite, waitFor, type StaticSite } from './support/browser.js';
import { startServer, type TestServer } from './support/server.js';

const PAGE = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <title>posthog-js against Prickle</title>
    <script src="/posthog.js"></script>
  </head>
  <body>
    <h1>posthog-js against Prickle</h1>
    <pre id="status">loading</pre>
  </body>
</html>`;

interface CaptureExchange {
  readonly url: string;
  readonly method: string;
  readonly requestOrigin: string | undefined;
  readonly status: number;
  readonly allowOrigin: string | undefined;
  readonly allowCredentials: string | undefined;
  readonly events: string[] | undefined;
}

/** Event names in a capture body (JSON or gzip), for the request log. */
function eventNames(body: Buffer): string[] | undefined {
  try {
    const json = JSON.parse((body[0] === 0x1f && body[1] === 0x8b ? zlib.gunzipSync(body) : body).toString('utf8'));
    const events: unknown[] = Array.isArray(json) ? json : Array.isArray(json.batch) ? json.batch : [json];
    return events.map((e) => String((e as { event?: unknown }).event));
  } catch {
    return undefined;
  }
}

/** Paths posthog-js sends events to (spec 7.1: `/e/`, or the remote-config endpoint). */
const isCapturePath = (pathname: string) => /^\/(e|i\/v0\/e|batch|capture|track)\/?$/.test(pathname);

describe('posthog-js in a browser', () => {
  let server: TestServer;
  let site: StaticSite;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const captures: CaptureExchange[] = [];
  const failedRequests: Array<{ url: string; method: string; error: string | undefined }> = [];
  const consoleErrors: string[] = [];
  /** Every request the page made, with its outcome: written to test-artifacts for debugging. */
  const requestLog: Array<{ method: string; url: string; contentType?: string; gzip?: boolean; events?: string[]; status?: number }> = [];

  beforeAll(async () => {
    server = await startServer();
    site = await startStaticSite({ '/': PAGE });
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();

    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('requestfailed', (req) => failedRequests.push({ url: req.url(), method: req.method(), error: req.failure()?.errorText }));
    page.on('request', (req) => {
      const body = req.postDataBuffer();
      requestLog.push({
        method: req.method(),
        url: req.url(),
        contentType: req.headers()['content-type'],
        gzip: body ? body[0] === 0x1f && body[1] === 0x8b : undefined,
        events: body ? eventNames(body) : undefined,
      });
    });
    page.on('requestfinished', async (req) => {
      const entry = requestLog.find((r) => r.url === req.url() && r.method === req.method() && r.status === undefined);
      if (entry) entry.status = (await req.response())?.status();
    });
    page.on('response', async (res) => {
      const url = new URL(res.url());
      if (url.origin !== server.url || !isCapturePath(url.pathname) || res.request().method() === 'OPTIONS') return;
      const requestHeaders = await res.request().allHeaders();
      const headers = res.headers();
      captures.push({
        url: res.url(),
        method: res.request().method(),
        requestOrigin: requestHeaders.origin,
        status: res.status(),
        allowOrigin: headers['access-control-allow-origin'],
        allowCredentials: headers['access-control-allow-credentials'],
        events: eventNames(res.request().postDataBuffer() ?? Buffer.alloc(0)),
      });
    });
  });

  afterAll(async () => {
    if (page) {
      fs.mkdirSync(artifactsDir, { recursive: true });
      await page.screenshot({ path: path.join(artifactsDir, 'browser-posthog-js.png'), fullPage: true }).catch(() => undefined);
      const log = { requests: requestLog, consoleErrors, failedRequests };
      fs.writeFileSync(path.join(artifactsDir, 'browser-posthog-js-requests.json'), JSON.stringify(log, null, 2));
    }
    await browser?.close();
    await site?.close();
    await server?.stop();
    if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('sends identify, group and capture across origins, and Prickle stores them with groups', async () => {
    await page.goto(`${site.url}/`);
    expect(site.requests).toContain('/posthog.js');
    const pageOrigin = await page.evaluate(() => (globalThis as any).location.origin as string);
    expect(pageOrigin).toBe(site.url);
    expect(pageOrigin).not.toBe(server.url);

    await page.evaluate(
      ({ token, apiHost, options }) => {
        const g = globalThis as any;
        const posthog = g.posthog;
        if (!posthog || typeof posthog.init !== 'function') throw new Error('posthog-js did not load');
        posthog.init(token, { api_host: apiHost, ...options, disable_external_dependency_loading: true });
        posthog.identify('user-1');
        posthog.group('company', 'company_id_in_your_db', { name: 'PostHog', subscription: 'subscription', date_joined: '2020-01-23' });
        posthog.group('channel', 'chan-9');
        posthog.capture('user_signed_up');
        g.document.getElementById('status').textContent = `posthog-js ${posthog.version ?? ''} initialised against ${apiHost}`;
      },
      { token: server.token, apiHost: server.url, options: QUIET_POSTHOG_OPTIONS },
    );

    // posthog-js batches and flushes on a timer: wait for the event to be stored.
    const event = await waitFor('user_signed_up in the events API', async () => {
      const res = await server.api('/api/projects/@current/events/?event=user_signed_up');
      return res.status === 200 && res.body.results.length > 0 ? res.body.results[0] : undefined;
    });
    await page.evaluate(
      (text) => {
        (globalThis as any).document.getElementById('status').textContent += `\nstored: ${text}`;
      },
      JSON.stringify({ event: event.event, distinct_id: event.distinct_id }),
    );

    // Group types are created in order of first use; map names to indexes instead of assuming.
    const types = await server.api<Array<{ group_type: string; group_type_index: number }>>('/api/projects/@current/groups_types/');
    expect(types.status).toBe(200);
    const indexOf = (name: string) => {
      const type = types.body.find((t) => t.group_type === name);
      expect(type, `group type ${name} in ${JSON.stringify(types.body)}`).toBeDefined();
      return type!.group_type_index;
    };
    const company = indexOf('company');
    const channel = indexOf('channel');
    expect(company).toBe(0);
    expect(channel).toBe(1);

    expect(event.distinct_id).toBe('user-1');
    expect(event.properties.$lib).toBe('web');
    expect(event.properties.$groups).toEqual({ company: 'company_id_in_your_db', channel: 'chan-9' });
    expect(event.properties[`$group_${company}`]).toBe('company_id_in_your_db');
    expect(event.properties[`$group_${channel}`]).toBe('chan-9');
    // The project token authenticates; it is not stored as a property.
    expect(event.properties.token).toBeUndefined();

    const groups = await waitFor('the company group', async () => {
      const res = await server.api(`/api/projects/@current/groups/?group_type_index=${company}`);
      const found = res.body?.results?.find((g: any) => g.group_key === 'company_id_in_your_db');
      return found ? res.body.results : undefined;
    });
    const group = groups.find((g: any) => g.group_key === 'company_id_in_your_db');
    expect(group.group_type_index).toBe(company);
    expect(group.group_properties).toMatchObject({ name: 'PostHog', subscription: 'subscription', date_joined: '2020-01-23' });

    // `group('channel', ...)` without properties still announces the group ($groupidentify).
    const identifies = await server.api('/api/projects/@current/events/?event=$groupidentify');
    expect(identifies.status).toBe(200);
    const identified = identifies.body.results.map((e: any) => `${e.properties.$group_type}:${e.properties.$group_key}`).sort();
    expect(identified).toEqual(['channel:chan-9', 'company:company_id_in_your_db']);

    const persons = await server.api('/api/projects/@current/persons/?distinct_id=user-1');
    expect(persons.status).toBe(200);
    expect(persons.body.results).toHaveLength(1);
    expect(persons.body.results[0].distinct_ids).toContain('user-1');
    // identify() merged the anonymous id into the identified person.
    expect(persons.body.results[0].is_identified).toBe(true);
    expect(persons.body.results[0].distinct_ids.length).toBeGreaterThanOrEqual(2);

    // Cross-origin: every capture request was a cross-origin request and its response readable.
    // (The event can be stored before the browser has seen the answer: wait for that too.)
    await waitFor('the browser to receive the answer to user_signed_up', async () =>
      captures.some((c) => c.events?.includes('user_signed_up')) ? true : undefined,
    );
    for (const c of captures) {
      expect(c.method).toBe('POST');
      expect(c.requestOrigin).toBe(pageOrigin);
      expect(c.status).toBe(200);
      expect(c.allowOrigin).toBe(pageOrigin);
      expect(c.allowCredentials).toBe('true');
    }
    const failedCaptures = failedRequests.filter((r) => {
      const url = new URL(r.url);
      return url.origin === server.url && isCapturePath(url.pathname);
    });
    expect(failedCaptures).toEqual([]);
    expect(consoleErrors.filter((m) => /CORS|Access-Control/i.test(m))).toEqual([]);
  });

  it('answers a cross-origin fetch from page script, including a preflighted JSON request', async () => {
    const result = await page.evaluate(
      async ({ token, apiHost }) => {
        const res = await fetch(`${apiHost}/e/`, {
          method: 'POST',
          // application/json makes Chromium send a CORS preflight first.
          headers: { 'Content-Type': 'application/json' },
          credentials: 'include',
          body: JSON.stringify({ api_key: token, batch: [{ event: 'cors_probe', distinct_id: 'user-1', properties: {} }] }),
        });
        return { status: res.status, body: await res.json() };
      },
      { token: server.token, apiHost: server.url },
    );
    expect(result).toEqual({ status: 200, body: { status: 1 } });
    const stored = await server.api('/api/projects/@current/events/?event=cors_probe');
    expect(stored.body.results).toHaveLength(1);
  });
});
