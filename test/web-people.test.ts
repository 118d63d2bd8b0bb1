// The Persons & Groups, group, person and events pages in Chromium, on data sent through
// posthog-node: tabs named with the group type's plural, names or keys, search, cursor pages,
// property columns, the group's properties, events, related people and activity chart, the
// person's distinct ids and groups, and the events page's filters.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/browser.js';
import { nodeClient } from './support/sdk.js';
import { startServer, type TestServer } from './support/server.js';
import { screenshot, signedInPage, type WebSession } from './support/web-app.js';

let server: TestServer;
let session: WebSession;
let page: Page;

const BULK_COMPANIES = 105;

/** Waits until a private API list has `count` results (following `next` pages when asked). */
async function waitForCount(path: string, count: number, followPages = false): Promise<void> {
  await waitFor(`${count} results from ${path}`, async () => {
    let total = 0;
    let url: string | null = `/api/projects/@current/${path}`;
    while (url) {
      const res: { body: { results: unknown[]; next: string | null } } = await server.api(url);
      total += res.body.results.length;
      url = followPages && res.body.next ? new URL(res.body.next).pathname + new URL(res.body.next).search : null;
    }
    return total >= count ? true : undefined;
  });
}

beforeAll(async () => {
  server = await startServer();
  const posthog = nodeClient(server);
  // The bulk companies first, so the three the tests look at are the newest, on the first page.
  for (let i = 0; i < BULK_COMPANIES; i++) {
    posthog.groupIdentify({ groupType: 'company', groupKey: `bulk-${String(i).padStart(3, '0')}`, properties: { name: `Bulk ${i}`, plan: 'free' } });
  }
  await posthog.flush();
  await waitForCount('groups/?group_type_index=0', BULK_COMPANIES, true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  posthog.groupIdentify({ groupType: 'company', groupKey: 'acme', properties: { name: 'Acme Inc', plan: 'enterprise', employees: 50 } });
  posthog.groupIdentify({ groupType: 'company', groupKey: 'globex', properties: { name: 'Globex', plan: 'pro' } });
  posthog.groupIdentify({ groupType: 'company', groupKey: 'initech', properties: { plan: 'free' } });
  posthog.identify({ distinctId: 'alice', properties: { email: 'alice@acme.test', role: 'admin' } });
  posthog.alias({ distinctId: 'alice', alias: 'alice-anon' });
  posthog.identify({ distinctId: 'bob', properties: { email: 'bob@globex.test' } });
  for (let i = 0; i < 3; i++) posthog.capture({ distinctId: 'alice', event: 'page viewed', groups: { company: 'acme' } });
  posthog.capture({ distinctId: 'alice', event: 'invoice paid', groups: { company: 'acme' }, properties: { amount: 120 } });
  posthog.capture({ distinctId: 'bob', event: 'signed up', groups: { company: 'globex' } });
  posthog.capture({ distinctId: 'bob', event: 'page viewed', groups: { company: 'globex' } });
  await posthog.shutdown();
  await waitForCount('groups/?group_type_index=0', BULK_COMPANIES + 3, true);
  await waitForCount('events/?event=page%20viewed', 4);
  const renamed = await server.api('/api/projects/@current/groups_types/update_metadata', {
    method: 'PATCH',
    body: [{ group_type_index: 0, name_singular: 'Company', name_plural: 'Companies' }],
  });
  expect(renamed.status).toBe(200);
  session = await signedInPage(server);
  page = session.page;
}, 60_000);

afterAll(async () => {
  await session?.close();
  await server?.stop();
});

const table = (name: string) => page.getByRole('table', { name, exact: true });
const rowsText = async (name: string) => (await table(name).locator('tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());

describe('Persons & Groups', () => {
  it('names the group tab with the plural, lists names (or the key), searches, pages by cursor, and remembers columns', async () => {
    await page.goto('/groups/0');
    const tabs = page.getByRole('navigation', { name: 'Persons and groups' });
    await expect.poll(() => tabs.getByRole('link').allInnerTexts()).toEqual(['Companies', 'Persons']);
    expect(await tabs.getByRole('link', { name: 'Companies' }).getAttribute('aria-current')).toBe('page');

    await expect.poll(() => table('Companies').locator('tbody tr').count()).toBe(100);
    await expect.poll(() => table('Companies').getByRole('link', { name: 'Acme Inc' }).count()).toBe(1);
    // No name: the key stands in.
    expect(await table('Companies').getByRole('link', { name: 'initech', exact: true }).count()).toBe(1);
    await screenshot(page, 'groups-list');

    // Cursor pages: 108 companies are 100 then 8, and Previous goes back.
    const pager = page.getByRole('navigation', { name: 'Companies pages (bottom)' });
    await pager.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => table('Companies').locator('tbody tr').count()).toBe(BULK_COMPANIES + 3 - 100);
    expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await pager.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => table('Companies').locator('tbody tr').count()).toBe(100);
    // The same pager above the table, sharing its state.
    const topPager = page.getByRole('navigation', { name: 'Companies pages (top)' });
    await topPager.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => table('Companies').locator('tbody tr').count()).toBe(BULK_COMPANIES + 3 - 100);
    expect(await topPager.innerText()).toContain('Page 2');
    expect(await pager.innerText()).toContain('Page 2');
    await topPager.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => table('Companies').locator('tbody tr').count()).toBe(100);

    await page.getByLabel('Search companies').fill('glob');
    await expect.poll(() => rowsText('Companies')).toEqual([expect.stringContaining('Globex')]);
    await page.getByLabel('Search companies').fill('initech');
    await expect.poll(() => rowsText('Companies')).toEqual([expect.stringContaining('initech')]);
    await page.getByLabel('Search companies').fill('no such company');
    await expect.poll(() => page.getByText('No companies match').count()).toBe(1);
    await page.getByLabel('Search companies').fill('');

    // Columns come from the group type's property definitions, and are remembered.
    await page.getByText(/^Columns/).click();
    for (const name of ['plan', 'employees']) {
      const box = page.getByRole('checkbox', { name, exact: true });
      if (!(await box.isChecked())) await box.check();
    }
    await expect.poll(() => table('Companies').getByRole('columnheader').allInnerTexts()).toEqual(expect.arrayContaining(['plan', 'employees']));
    await page.getByRole('checkbox', { name: 'employees', exact: true }).uncheck();
    await page.reload();
    await expect.poll(() => table('Companies').getByRole('columnheader').allInnerTexts()).toEqual(['Name', 'plan', 'First seen']);
    await expect.poll(() => rowsText('Companies').then((rows) => rows.find((r) => r.includes('Acme Inc')))).toContain('enterprise');
  });

  it('lists persons with search, linking to their pages', async () => {
    await page.getByRole('navigation', { name: 'Persons and groups' }).getByRole('link', { name: 'Persons' }).click();
    await expect.poll(() => table('Persons').getByRole('link').allInnerTexts()).toEqual(expect.arrayContaining(['alice@acme.test', 'bob@globex.test']));
    await page.getByLabel('Search persons').fill('bob');
    await expect.poll(() => table('Persons').getByRole('link').allInnerTexts()).toEqual(['bob@globex.test']);
    await screenshot(page, 'persons-list');
    await table('Persons').getByRole('link', { name: 'bob@globex.test' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('bob@globex.test');
  });
});

describe('group page', () => {
  it('shows the name, key, properties, events with their person, activity and related people', async () => {
    await page.goto('/groups/0');
    await table('Companies').getByRole('link', { name: 'Acme Inc' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('Acme Inc');
    expect(await page.getByText('acme', { exact: true }).count()).toBeGreaterThan(0);

    const properties = await rowsText('Acme Inc properties');
    expect(properties).toEqual(expect.arrayContaining(['employees 50', 'name Acme Inc', 'plan enterprise']));

    const events = table('Acme Inc events');
    await expect.poll(() => events.locator('tbody tr').count()).toBe(4);
    const eventRows = await rowsText('Acme Inc events');
    expect(eventRows.filter((r) => r.startsWith('page viewed alice'))).toHaveLength(3);
    expect(eventRows.filter((r) => r.startsWith('invoice paid alice@acme.test acme'))).toHaveLength(1);
    // The activity chart counts this group's events over the last 30 days, the same number the events API gives.
    const acmeEvents = await server.api('/api/projects/@current/events/?group_type_index=0&group_key=acme');
    const chart = page.getByRole('img', { name: /Acme Inc events per day/ });
    await expect.poll(() => chart.getAttribute('aria-label')).toBe(`Acme Inc events per day: ${acmeEvents.body.results.length} events in the last 30 days`);
    expect(acmeEvents.body.results.length).toBe(4);
    // The events API gives each event's person, looked up for the page: id, display name, distinct id.
    const alicePerson = (await server.api('/api/projects/@current/persons/?search=alice')).body.results[0];
    for (const e of acmeEvents.body.results) {
      expect(e.person).toEqual({ id: alicePerson.id, name: 'alice@acme.test', distinct_id: 'alice' });
      expect(e.person_id).toBe(alicePerson.id);
      expect(e.distinct_id).toBe('alice');
    }
    expect(await chart.locator('svg path').count()).toBeGreaterThan(0);
    await screenshot(page, 'group-page');

    await page.getByRole('tab', { name: 'Related people & groups' }).click();
    const related = page.getByRole('region', { name: 'Related people' });
    await expect.poll(() => related.getByRole('link').allInnerTexts()).toEqual(['alice@acme.test']);
    await screenshot(page, 'group-related');

    await page.getByRole('tab', { name: 'Events' }).click();
    // Event rows name the person (email), linking to the person page.
    await events.getByRole('link', { name: 'alice@acme.test', exact: true }).first().click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('alice@acme.test');
  });

  it('says so when the group is unknown', async () => {
    await page.goto('/groups/0/no-such-company');
    await expect.poll(() => page.getByText('No Company “no-such-company”').count()).toBe(1);
  });

  it('fits a 390px wide window', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    try {
      await page.goto('/groups/0/acme');
      await expect.poll(() => table('Acme Inc events').locator('tbody tr').count()).toBe(4);
      await page.getByRole('img', { name: /events per day/ }).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'group-page-narrow');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});

describe('person page', () => {
  it('shows distinct ids, the groups the person has events in, properties and events', async () => {
    await page.goto('/persons');
    await table('Persons').getByRole('link', { name: 'alice@acme.test' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('alice@acme.test');
    await expect.poll(() => page.getByRole('list', { name: 'Distinct IDs' }).getByRole('listitem').allInnerTexts()).toEqual(expect.arrayContaining(['alice', 'alice-anon']));
    const groups = page.getByRole('region', { name: 'Related Companies' });
    await expect.poll(() => groups.getByRole('link').allInnerTexts()).toEqual(['Acme Inc']);
    // Her own events, $identify and $create_alias included; not bob's.
    const aliceEvents = await server.api(`/api/projects/@current/events/?distinct_id=alice`);
    await expect.poll(() => table('alice@acme.test events').locator('tbody tr').count()).toBe(aliceEvents.body.results.length);
    const aliceRows = await rowsText('alice@acme.test events');
    expect(aliceRows.filter((r) => r.startsWith('page viewed alice@acme.test acme'))).toHaveLength(3);
    expect(aliceRows.some((r) => r.includes('bob'))).toBe(false);
    await page.getByRole('tab', { name: 'Properties' }).click();
    expect(await rowsText('alice@acme.test properties')).toEqual(expect.arrayContaining(['email alice@acme.test', 'role admin']));
    await page.getByRole('tab', { name: 'Events' }).click();
    await screenshot(page, 'person-page');
    await groups.getByRole('link', { name: 'Acme Inc' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('Acme Inc');
  });

  it('says so when the person is unknown', async () => {
    await page.goto('/persons/nobody-at-all');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('Person not found');
  });
});

describe('events page', () => {
  it('lists recent events, filters by event name and by group, and refreshes on its own', async () => {
    await page.goto('/events');
    const events = table('Events');
    // 120 events: a page of 50, then older ones.
    await expect.poll(() => events.locator('tbody tr').count()).toBe(50);
    await page.getByRole('navigation', { name: 'Events pages' }).getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.getByRole('navigation', { name: 'Events pages' }).innerText()).toContain('Page 2');
    await expect.poll(() => events.locator('tbody tr').count()).toBe(50);
    expect(await page.getByLabel('Auto-refresh every 5 s').isChecked()).toBe(true);

    // The event name picker offers the names seen, most frequent first.
    const eventNames = page.getByRole('form', { name: 'Event filters' }).locator('datalist option');
    await expect.poll(() => eventNames.evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual(expect.arrayContaining(['page viewed', 'invoice paid', 'signed up']));
    const names = await eventNames.evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(names.indexOf('page viewed')).toBeLessThan(names.indexOf('signed up'));

    await page.getByLabel('Event name').fill('signed up');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rowsText('Events')).toEqual([expect.stringMatching(/^signed up bob@globex.test globex/)]);
    await page.getByLabel('Event name').fill('page viewed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rowsText('Events').then((rows) => rows.map((r) => r.split(' ').slice(0, 2).join(' ')))).toEqual(Array(4).fill('page viewed'));

    await page.getByLabel('Group type').selectOption({ label: 'Company' });
    await page.getByLabel('Group key').fill('globex');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rowsText('Events')).toEqual([expect.stringMatching(/^page viewed bob@globex.test globex/)]);
    expect(new URL(page.url()).search).toBe('?event=page+viewed&group_type_index=0&group_key=globex');
    await screenshot(page, 'events-filtered');

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Group type').selectOption({ label: 'Company' });
    await page.getByLabel('Group key').fill('acme');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => events.locator('tbody tr').count()).toBe(4);

    // A new event for acme shows up without reloading the page.
    const posthog = nodeClient(server);
    posthog.capture({ distinctId: 'alice', event: 'report exported', groups: { company: 'acme' } });
    await posthog.shutdown();
    await expect.poll(() => rowsText('Events').then((rows) => rows[0]), { timeout: 15_000 }).toMatch(/^report exported alice@acme.test/);
    await screenshot(page, 'events-page');
  });
});
