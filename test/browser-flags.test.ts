// posthog-js, unchanged, in headless Chromium on another origin: a group feature flag follows
// posthog.group() — on for a 'pro' company, off after switching to a 'free' company whose plan
// Prickle knows only from its stored group properties. Also checks the remote config endpoints
// posthog-js loads first (spec 5.5, 7.1).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsDir, launchChromium, posthogJsBundle, QUIET_POSTHOG_OPTIONS, startStaticSite, waitFor, type StaticSite } from './support/browser.js';
import { pageHtml, posthogJsFullBundle, recordPage } from './support/browser-flags.js';
import { groupIdentify, sendEvents } from './support/query.js';
import { startServer, type TestServer } from './support/server.js';

const FLAG = 'pro-dashboard';
const PRO = 'acme-pro';
const FREE = 'globex-free';


describe('posthog-js group feature flags in a browser', () => {
  let server: TestServer;
  let site: StaticSite;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const logs: Record<string, unknown> = {};

  beforeAll(async () => {
    server = await startServer();
    // 'company' becomes group type 0 with the first $groupidentify; the flag refers to index 0.
    await sendEvents(server, [groupIdentify('company', PRO, { plan: 'pro', name: 'Acme' }), groupIdentify('company', FREE, { plan: 'free', name: 'Globex' })]);
    await waitFor('company to be group type 0 with both companies', async () => {
      const res = await server.api(`/api/projects/@current/groups/?group_type_index=0`);
      const keys = (res.body?.results ?? []).map((g: any) => g.group_key);
      return keys.includes(PRO) && keys.includes(FREE) ? true : undefined;
    });
    const flag = await server.api('/api/projects/@current/feature_flags/', {
      method: 'POST',
      body: {
        key: FLAG,
        name: 'Pro companies',
        filters: {
          aggregation_group_type_index: 0,
          groups: [{ properties: [{ key: 'plan', value: ['pro'], operator: 'exact', type: 'group', group_type_index: 0 }], rollout_percentage: 100 }],
        },
      },
    });
    expect(flag.status, JSON.stringify(flag.body)).toBe(201);

    site = await startStaticSite(
      { '/': pageHtml('posthog-js flags (no-external)', '/posthog.js'), '/full.html': pageHtml('posthog-js flags (full)', '/posthog-full.js') },
      { '/posthog.js': posthogJsBundle, '/posthog-full.js': posthogJsFullBundle },
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    fs.mkdirSync(artifactsDir, { recursive: true });
    fs.writeFileSync(path.join(artifactsDir, 'browser-flags-requests.json'), JSON.stringify(logs, null, 2));
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await site?.close();
    await server?.stop();
    if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  });

  async function openPage(name: string, pathname: string) {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const rec = recordPage(page, server.url);
    logs[name] = rec;
    await page.goto(`${site.url}${pathname}`);
    return { page, rec };
  }

  /** init, identify, join the pro company; resolves once posthog-js has flags. */
  async function initAsProMember(page: Page, distinctId: string, extra: Record<string, unknown>) {
    await page.evaluate(
      ({ token, apiHost, options, distinctId, pro }) => {
        const g = globalThis as any;
        const posthog = g.posthog;
        if (!posthog || typeof posthog.init !== 'function') throw new Error('posthog-js did not load');
        g.__flagLoads = 0;
        posthog.init(token, { api_host: apiHost, ...options });
        posthog.onFeatureFlags(() => {
          g.__flagLoads++;
        });
        posthog.identify(distinctId);
        posthog.group('company', pro, { plan: 'pro' });
      },
      { token: server.token, apiHost: server.url, options: { ...QUIET_POSTHOG_OPTIONS, ...extra }, distinctId, pro: PRO },
    );
  }

  const isEnabled = (page: Page) => page.evaluate((key) => (globalThis as any).posthog.isFeatureEnabled(key) as boolean | undefined, FLAG);

  /** The flag value once a /flags answer for `companyKey` has been applied. */
  async function flagFor(page: Page, rec: ReturnType<typeof recordPage>, companyKey: string, expected: boolean) {
    await waitFor(`a /flags request with company ${companyKey}`, async () =>
      rec.responses.some((r) => r.pathname.startsWith('/flags') && r.requestBody?.groups?.company === companyKey) ? true : undefined,
    );
    return waitFor(`${FLAG} to be ${expected} for ${companyKey}`, async () => ((await isEnabled(page)) === expected ? expected : undefined));
  }

  async function scenario(name: string, pathname: string, distinctId: string, extra: Record<string, unknown>) {
    const { page, rec } = await openPage(name, pathname);
    await initAsProMember(page, distinctId, extra);

    expect(await flagFor(page, rec, PRO, true)).toBe(true);
    expect(await page.evaluate(() => (globalThis as any).__flagLoads as number)).toBeGreaterThan(0);

    // Switch company without properties: the server must use the stored plan ('free').
    await page.evaluate(
      ({ free }) => {
        const posthog = (globalThis as any).posthog;
        posthog.group('company', free);
        posthog.reloadFeatureFlags();
      },
      { free: FREE },
    );
    expect(await flagFor(page, rec, FREE, false)).toBe(false);

    const flagsCalls = rec.responses.filter((r) => /^\/flags\/?$/.test(r.pathname));
    expect(flagsCalls.length).toBeGreaterThanOrEqual(2);
    for (const r of flagsCalls) expect(r.status, `${r.method} ${r.pathname}${r.search}`).toBe(200);
    // The request for the free company carried no group properties for it (posthog-js cleared them).
    const freeCall = flagsCalls.find((r) => r.requestBody?.groups?.company === FREE);
    expect(freeCall?.requestBody?.group_properties?.company?.plan).toBeUndefined();
    expect(freeCall?.responseBody?.flags?.[FLAG]).toMatchObject({ enabled: false });
    const proCall = flagsCalls.find((r) => r.requestBody?.groups?.company === PRO);
    expect(proCall?.responseBody?.flags?.[FLAG]).toMatchObject({ enabled: true, reason: { code: 'condition_match' } });
    expect(rec.failed.filter((f) => f.includes(server.url))).toEqual([]);
    expect(rec.console.filter((m) => /remote config|CORS|Access-Control/i.test(m))).toEqual([]);
    return rec;
  }

  it('no-external bundle: loads /array/<token>/config (JSON), and the flag follows posthog.group()', async () => {
    const rec = await scenario('no-external', '/', 'user-1', { disable_external_dependency_loading: true });
    const config = rec.responses.filter((r) => r.pathname === `/array/${server.token}/config`);
    expect(config.length, JSON.stringify(rec.responses)).toBeGreaterThanOrEqual(1);
    for (const r of config) expect(r.status).toBe(200);
  });

  it('full bundle: loads /array/<token>/config.js as a script and uses it, and the flag follows posthog.group()', async () => {
    const rec = await scenario('full', '/full.html', 'user-2', {});
    const configJs = rec.responses.filter((r) => r.pathname === `/array/${server.token}/config.js`);
    expect(configJs.length, JSON.stringify(rec.responses)).toBeGreaterThanOrEqual(1);
    for (const r of configJs) expect(r.status).toBe(200);
    // The script defined the config posthog-js reads, so it did not fall back to the JSON endpoint.
    const page = (contexts.at(-1) as BrowserContext).pages()[0];
    const preloaded = await page.evaluate((token) => (globalThis as any)._POSTHOG_REMOTE_CONFIG?.[token]?.config, server.token);
    expect(preloaded).toMatchObject({ hasFeatureFlags: true, supportedCompression: ['gzip', 'gzip-js'] });
    expect(rec.responses.filter((r) => r.pathname === `/array/${server.token}/config`)).toEqual([]);
  });
});
