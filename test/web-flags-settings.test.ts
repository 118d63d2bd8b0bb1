// Feature flags and settings in the web app, in Chromium against the real server: a company flag
// made through the UI answers in the "Test this flag" box what posthog-node gets, edits apply to
// the SDK at once, and settings rename group types, manage personal API keys, show the SDK set-up
// and the ingestion warnings.
import type { Page } from 'playwright-core';
import type { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeClient, projectPath } from './support/sdk.js';
import { startServer, type TestServer } from './support/server.js';
import { screenshot, signedInPage, type WebSession } from './support/web-app.js';

let server: TestServer;
let posthog: PostHog;
let session: WebSession;
let page: Page;

const COMPANIES = [
  { key: 'acme', plan: 'pro' },
  { key: 'globex', plan: 'free' },
  { key: 'initech', plan: 'pro' },
  { key: 'umbrella', plan: 'free' },
];

async function waitFor(ready: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What posthog-node (remote evaluation through /flags) says for a company. */
async function sdkSays(flagKey: string, company: string): Promise<boolean> {
  const enabled = await posthog.isFeatureEnabled(flagKey, `user-of-${company}`, { groups: { company } });
  const value = await posthog.getFeatureFlag(flagKey, `user-of-${company}`, { groups: { company } });
  expect(value).toBe(enabled);
  return enabled === true;
}

/** Runs the edit page's "Test this flag" for a company and reads the result a person sees. */
async function testBoxSays(company: string): Promise<string> {
  const box = page.getByRole('region', { name: 'Test this flag' });
  await box.getByLabel('Company key').fill(company);
  await box.getByRole('button', { name: 'Test' }).click();
  const result = box.getByRole('status', { name: 'Test result' });
  await expect.poll(() => result.textContent()).toContain(`for ${company}`);
  return (await result.textContent()) ?? '';
}

beforeAll(async () => {
  server = await startServer();
  posthog = nodeClient(server);
  for (const c of COMPANIES) {
    posthog.groupIdentify({ groupType: 'company', groupKey: c.key, properties: { plan: c.plan, name: c.key.toUpperCase() } });
    posthog.capture({ distinctId: `user-of-${c.key}`, event: 'dashboard_viewed', groups: { company: c.key } });
  }
  await posthog.flush();
  await waitFor(async () => (await server.api(projectPath('groups/?group_type_index=0'))).body?.results?.length === COMPANIES.length);
  session = await signedInPage(server);
  page = session.page;
});

afterAll(async () => {
  await session?.close();
  await posthog?.shutdown();
  await server?.stop();
});

/** The edit page of the flag made through the UI. */
let flagUrl = '';

describe('feature flags pages', () => {
  it('shows the empty list, then creates a company flag for plan = pro at 100% through the form', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Feature flags' }).click();
    await page.getByText('No feature flags yet.').waitFor();
    await screenshot(page, 'flags-empty');
    await page.getByRole('link', { name: 'New flag' }).click();
    await page.getByRole('heading', { name: 'New flag' }).waitFor();

    await page.getByLabel('Key').fill('pro-dashboard');
    await page.getByLabel('Name').fill('New dashboard for pro companies');
    await page.getByLabel('Match by').selectOption({ value: '0' });
    await page.getByRole('button', { name: 'Add filter to condition 1' }).click();
    const filter = page.getByRole('group', { name: 'Filter 1' });
    // The property picker offers the company properties, and the value input the plans seen.
    await expect.poll(async () => page.locator('datalist option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual(expect.arrayContaining(['plan', 'name']));
    await filter.getByLabel('Property').fill('plan');
    await filter.getByLabel('Operator').selectOption({ label: 'equals' });
    await expect
      .poll(async () => filter.locator('datalist option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value).sort()))
      .toEqual(['free', 'pro']);
    await filter.getByLabel('Value').fill('pro');
    await expect.poll(() => page.getByLabel('Rollout % (condition 1)').inputValue()).toBe('100');
    await page.getByRole('button', { name: 'Create flag' }).click();

    await page.waitForURL(/\/feature_flags\/\d+$/);
    flagUrl = new URL(page.url()).pathname;
    await page.getByRole('heading', { name: 'pro-dashboard' }).waitFor();
  });

  it('tests the flag: enabled for a pro company, disabled for a free one, as posthog-node says', async () => {
    expect(await testBoxSays('acme')).toContain('Enabled for acme');
    expect(await testBoxSays('globex')).toContain('Disabled for globex');
    await screenshot(page, 'flag-edit');
    for (const c of COMPANIES) expect(await sdkSays('pro-dashboard', c.key), c.key).toBe(c.plan === 'pro');

    // The box tests the form as on screen: a condition changed but not saved changes its answer.
    const value = page.getByRole('group', { name: 'Filter 1' }).getByLabel('Value');
    await value.fill('free');
    expect(await testBoxSays('globex')).toContain('Enabled for globex');
    expect(await sdkSays('pro-dashboard', 'globex')).toBe(false);
    await value.fill('pro');
    expect(await testBoxSays('globex')).toContain('Disabled for globex');
  });

  it('edits the flag: rollout 0% turns it off for the pro company, a free plan condition turns it on for free ones', async () => {
    await page.getByLabel('Rollout % (condition 1)').fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await sdkSays('pro-dashboard', 'acme')).toBe(false);
    expect(await testBoxSays('acme')).toContain('Disabled for acme');

    await page.getByRole('group', { name: 'Filter 1' }).getByLabel('Value').fill('free');
    await page.getByLabel('Rollout % (condition 1)').fill('100');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    for (const c of COMPANIES) expect(await sdkSays('pro-dashboard', c.key), c.key).toBe(c.plan === 'free');
    expect(await testBoxSays('globex')).toContain('Enabled for globex');

    // The form survives a reload: the stored flag is read back into it.
    await page.reload();
    await expect.poll(() => page.getByRole('group', { name: 'Filter 1' }).getByLabel('Value').inputValue()).toBe('free');
    await expect.poll(() => page.getByLabel('Match by').inputValue()).toBe('0');

    // "Equals" takes several values, one field each; a comma belongs to its value.
    const filter = page.getByRole('group', { name: 'Filter 1' });
    await filter.getByRole('button', { name: 'Or another value' }).click();
    await filter.getByLabel('Value 2', { exact: true }).fill('Acme, Inc.');
    await screenshot(page, 'flag-edit-values');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const flagId = flagUrl.split('/').at(-1);
    const stored = await server.api(projectPath(`feature_flags/${flagId}/`));
    expect(stored.body.filters.groups[0].properties[0].value).toEqual(['free', 'Acme, Inc.']);
    await page.reload();
    await expect.poll(() => filter.getByLabel('Value 2', { exact: true }).inputValue()).toBe('Acme, Inc.');
    await filter.getByRole('button', { name: 'Remove value 2' }).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await server.api(projectPath(`feature_flags/${flagId}/`))).body.filters.groups[0].properties[0].value).toEqual(['free']);
    for (const c of COMPANIES) expect(await sdkSays('pro-dashboard', c.key), c.key).toBe(c.plan === 'free');
  });

  it("shows the server's 400 next to the field it names, and saves variants with payloads", async () => {
    await page.getByLabel('Payload when on (JSON, optional)').fill('{not json');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const payload = page.getByLabel('Payload when on (JSON, optional)');
    await expect.poll(() => payload.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await payload.getAttribute('aria-describedby'))!;
    await expect.poll(() => page.locator(`[id="${describedBy}"]`).textContent()).toContain('payload must be JSON text');
    await screenshot(page, 'flag-edit-error');

    await page.getByLabel('Payload when on (JSON, optional)').fill('');
    await page.getByRole('button', { name: '+ Add variant' }).click();
    await page.getByRole('button', { name: '+ Add variant' }).click();
    await page.getByRole('group', { name: 'Variant 1' }).getByLabel('Rollout %').fill('60');
    await page.getByRole('group', { name: 'Variant 2' }).getByLabel('Rollout %').fill('30');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'must sum to 100' }).count()).toBe(1);

    await page.getByRole('group', { name: 'Variant 2' }).getByLabel('Rollout %').fill('40');
    await page.getByRole('group', { name: 'Variant 2' }).getByLabel('Payload (JSON, optional)').fill('{"layout":"grid"}');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const result = await testBoxSays('globex');
    const variant = (await posthog.getFeatureFlag('pro-dashboard', 'user-of-globex', { groups: { company: 'globex' } })) as string;
    expect(['control', 'test']).toContain(variant);
    expect(result).toContain(`variant ${variant}`);
    if (variant === 'test') expect(result).toContain('{"layout":"grid"}');
  });

  it('lists the flag with whom it matches and its rollout, and deletes a flag', async () => {
    const extra = await server.api(projectPath('feature_flags/'), { method: 'POST', body: { key: 'old-experiment', name: 'To delete', filters: { groups: [{ properties: [], rollout_percentage: 25 }] } } });
    expect(extra.status).toBe(201);
    await page.getByRole('link', { name: 'Feature flags', exact: true }).first().click();
    const table = page.getByRole('table', { name: 'Feature flags' });
    const row = table.getByRole('row').filter({ hasText: 'pro-dashboard' });
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('New dashboard for pro companies');
    expect(text).toContain('Active');
    expect(text).toContain('plan equals free: 100%');
    expect(text).toContain('2 variants');
    expect(await table.getByRole('row').filter({ hasText: 'old-experiment' }).textContent()).toContain('Users');
    await screenshot(page, 'flags-list');

    // A taken key: the server's 400 names "key", shown by the Key field.
    await page.getByRole('link', { name: 'New flag' }).click();
    await page.getByLabel('Key').fill('pro-dashboard');
    await page.getByRole('button', { name: 'Create flag' }).click();
    await expect.poll(() => page.getByLabel('Key').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`[id="${await page.getByLabel('Key').getAttribute('aria-describedby')}"]`).textContent()).toContain('already a feature flag with this key');
    await page.getByRole('link', { name: 'Feature flags', exact: true }).first().click();

    await table.getByRole('link', { name: 'old-experiment' }).click();
    await page.getByRole('button', { name: 'Delete flag' }).click();
    await page.getByRole('button', { name: 'Yes, delete flag' }).click();
    await page.waitForURL(/\/feature_flags$/);
    await table.getByRole('row').filter({ hasText: 'pro-dashboard' }).waitFor();
    expect(await table.getByRole('row').filter({ hasText: 'old-experiment' }).count()).toBe(0);
    expect((await server.api(projectPath(`feature_flags/${extra.body.id}/`))).status).toBe(404);
    expect(flagUrl).toMatch(/^\/feature_flags\/\d+$/);
  });
});

describe('settings page', () => {
  it('shows the token and SDK snippets with this server address', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    expect(await page.getByLabel('Project token', { exact: true }).textContent()).toBe(server.token);
    for (const name of ['posthog-js (browser) snippet', 'posthog-node (server) snippet']) {
      const code = (await page.getByLabel(name, { exact: true }).textContent()) ?? '';
      expect(code).toContain(server.token);
      expect(code).toContain(server.url);
    }
    expect(await page.getByLabel('posthog-js (browser) snippet', { exact: true }).textContent()).toContain("posthog.group('company', 'acme'");
    expect(await page.getByLabel('posthog-node (server) snippet', { exact: true }).textContent()).toContain("groups: { company: 'acme' }");
  });

  it('renames the group type, and the sidebar and flag pages use the new name', async () => {
    await page.getByLabel('Singular name of company').fill('organisation');
    await page.getByLabel('Plural name of company').fill('Organisations');
    await page.getByRole('button', { name: 'Save names' }).click();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Persons & Organisations' }).waitFor();
    await nav.getByRole('link', { name: 'Feature flags' }).click();
    await page.getByRole('table', { name: 'Feature flags' }).getByRole('row').filter({ hasText: 'pro-dashboard' }).getByText('Organisations').waitFor();
    await nav.getByRole('link', { name: 'Settings' }).click();
  });

  it('creates a personal API key shown once, which works until it is revoked', async () => {
    await page.getByLabel('Key label').fill('CI key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByLabel('New key value').textContent())!;
    expect(secret).toMatch(/^phx_/);
    await page.getByRole('button', { name: 'Copy new key' }).waitFor();
    await page.getByRole('table', { name: 'Personal API keys' }).getByRole('row').filter({ hasText: 'CI key' }).waitFor();
    await screenshot(page, 'settings');
    expect((await server.api(projectPath('feature_flags/'), { key: secret })).status).toBe(200);

    await page.getByRole('button', { name: 'Revoke CI key' }).click();
    await page.getByRole('button', { name: 'Confirm revoking CI key' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Personal API keys' }).getByRole('row').filter({ hasText: 'CI key' }).count()).toBe(0);
    expect((await server.api(projectPath('feature_flags/'), { key: secret })).status).toBe(401);
    // The secret is gone from the page with the key.
    expect(await page.getByLabel('New key value').count()).toBe(0);
  });

  it('fits a 390px wide window', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByLabel('Key label').waitFor();
    await screenshot(page, 'settings-narrow');
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.goto(flagUrl);
    await page.getByRole('region', { name: 'Test this flag' }).waitFor();
    await screenshot(page, 'flag-edit-narrow');
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});

describe('ingestion warnings', () => {
  it('lists a group type over the limit', async () => {
    const limited = await startServer({ env: { PRICKLE_MAX_GROUP_TYPES: '2' } });
    const client = nodeClient(limited);
    const limitedSession = await signedInPage(limited);
    try {
      client.capture({ distinctId: 'u1', event: 'too_many_groups', groups: { company: 'acme', team: 'red', region: 'emea' } });
      await client.flush();
      await waitFor(async () => ((await limited.api(projectPath('ingestion_warnings/'))).body?.results?.length ?? 0) > 0);
      await limitedSession.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      const row = limitedSession.page.getByRole('table', { name: 'Ingestion warnings' }).getByRole('row').filter({ hasText: 'Group type over the limit' });
      await row.waitFor();
      expect(await row.textContent()).toContain('region');
      // The two group types within the limit are there to name.
      await limitedSession.page.getByLabel('Plural name of team').waitFor();
      expect(await limitedSession.page.getByLabel('Plural name of region').count()).toBe(0);
      await screenshot(limitedSession.page, 'settings-ingestion-warnings');
    } finally {
      await limitedSession.close();
      await client.shutdown();
      await limited.stop();
    }
  });
});
