// Trends, funnels and saved insights in Chromium, on a real server seeded through posthog-node:
// companies with names and users, events over the last few days. Every number the test expects
// is computed here from the seeded events, never read from the app.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server.js';
import { nodeClient, projectPath } from './support/sdk.js';
import { screenshot, signedInPage, type WebSession } from './support/web-app.js';

let server: TestServer;
let session: WebSession;

const COMPANIES: Record<string, { name: string; users: string[] }> = {
  acme: { name: 'Acme Inc', users: ['ada@acme', 'alan@acme', 'anna@acme'] },
  globex: { name: 'Globex Corp', users: ['gus@globex', 'gia@globex'] },
  initech: { name: 'Initech', users: ['ian@initech'] },
  umbrella: { name: 'Umbrella Co', users: ['uma@umbrella', 'ugo@umbrella'] },
  hooli: { name: 'Hooli', users: ['hal@hooli'] },
};

interface Seeded {
  readonly event: string;
  readonly user: string;
  readonly company: string;
  readonly timestamp: Date;
}

/** Midday UTC, `daysAgo` days before today, plus some minutes (always in the past). */
function at(daysAgo: number, minutes = 0): Date {
  const d = new Date();
  d.setUTCHours(10, minutes, 0, 0);
  d.setUTCDate(d.getUTCDate() - daysAgo);
  return d;
}

const EVENTS: Seeded[] = [
  // Page views spread over four days.
  { event: 'page_viewed', user: 'ada@acme', company: 'acme', timestamp: at(4) },
  { event: 'page_viewed', user: 'alan@acme', company: 'acme', timestamp: at(3) },
  { event: 'page_viewed', user: 'gus@globex', company: 'globex', timestamp: at(3, 5) },
  { event: 'page_viewed', user: 'gia@globex', company: 'globex', timestamp: at(3, 9) },
  { event: 'page_viewed', user: 'hal@hooli', company: 'hooli', timestamp: at(3, 12) },
  { event: 'page_viewed', user: 'ian@initech', company: 'initech', timestamp: at(2) },
  { event: 'page_viewed', user: 'uma@umbrella', company: 'umbrella', timestamp: at(1) },
  { event: 'page_viewed', user: 'anna@acme', company: 'acme', timestamp: at(1, 30) },
  // The funnel signed_up -> invited_teammate -> paid; different people of a company may do each step.
  { event: 'signed_up', user: 'ada@acme', company: 'acme', timestamp: at(4, 10) },
  { event: 'invited_teammate', user: 'alan@acme', company: 'acme', timestamp: at(3, 20) },
  { event: 'paid', user: 'anna@acme', company: 'acme', timestamp: at(2, 20) },
  { event: 'signed_up', user: 'gus@globex', company: 'globex', timestamp: at(4, 15) },
  { event: 'invited_teammate', user: 'gia@globex', company: 'globex', timestamp: at(3, 30) },
  { event: 'signed_up', user: 'ian@initech', company: 'initech', timestamp: at(3, 40) },
  { event: 'signed_up', user: 'uma@umbrella', company: 'umbrella', timestamp: at(2, 5) },
  { event: 'invited_teammate', user: 'ugo@umbrella', company: 'umbrella', timestamp: at(2, 45) },
  { event: 'paid', user: 'uma@umbrella', company: 'umbrella', timestamp: at(1, 50) },
];

const FUNNEL = ['signed_up', 'invited_teammate', 'paid'];
const utcDay = (d: Date) => d.toISOString().slice(0, 10);
const nameOf = (key: string) => COMPANIES[key].name;

/** Companies with a page view, per UTC day. */
function companiesViewingByDay(): Map<string, Set<string>> {
  const byDay = new Map<string, Set<string>>();
  for (const e of EVENTS.filter((x) => x.event === 'page_viewed')) {
    const day = utcDay(e.timestamp);
    byDay.set(day, (byDay.get(day) ?? new Set()).add(e.company));
  }
  return byDay;
}

/**
 * Furthest funnel step per company, walking its events in time order (all seeded events fall well
 * inside the 14-day window, so the window never cuts an attempt short).
 */
function furthestStepByCompany(): Map<string, number> {
  const furthest = new Map<string, number>();
  for (const company of Object.keys(COMPANIES)) {
    const events = EVENTS.filter((e) => e.company === company).sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    let reached = 0;
    for (const e of events) if (reached < FUNNEL.length && e.event === FUNNEL[reached]) reached++;
    if (reached > 0) furthest.set(company, reached);
  }
  return furthest;
}

interface FunnelOptions {
  /** Which events may count for step k (beyond having its name). */
  readonly stepMatches?: (step: number, e: Seeded) => boolean;
  /** An event voiding an attempt when it happens strictly between two of its steps (0-based). */
  readonly exclusion?: { readonly event: string; readonly from: number; readonly to: number };
}

/**
 * Furthest step per company as the funnel rules say: an attempt starts at each step-1 event,
 * each later step is that step's first event strictly after the previous one, and an exclusion
 * event strictly after the attempt's `from` step and before its `to` step (or, `to` not reached,
 * at any later time: every seeded event is inside the window) voids the attempt. A company
 * counts with its furthest valid attempt, or not at all.
 */
function funnelByCompany(options: FunnelOptions = {}): Map<string, number> {
  const matches = (step: number, e: Seeded) => e.event === FUNNEL[step] && (options.stepMatches?.(step, e) ?? true);
  const furthest = new Map<string, number>();
  for (const company of Object.keys(COMPANIES)) {
    const events = EVENTS.filter((e) => e.company === company).sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    let best = 0;
    for (const start of events.filter((e) => matches(0, e))) {
      const times = [start.timestamp.getTime()];
      for (let step = 1; step < FUNNEL.length; step++) {
        const next = events.find((e) => matches(step, e) && e.timestamp.getTime() > times[step - 1]);
        if (!next) break;
        times.push(next.timestamp.getTime());
      }
      const x = options.exclusion;
      const voided =
        x !== undefined &&
        times.length > x.from &&
        events.some((e) => e.event === x.event && e.timestamp.getTime() > times[x.from] && (times.length > x.to ? e.timestamp.getTime() < times[x.to] : true));
      if (!voided) best = Math.max(best, times.length);
    }
    if (best > 0) furthest.set(company, best);
  }
  return furthest;
}

/** How many companies reached each step (1-based index into the list). */
const reachedCounts = (furthest: Map<string, number>) => FUNNEL.map((_, i) => [...furthest.values()].filter((n) => n >= i + 1).length);

async function expectFunnelCounts(page: Page, counts: number[]) {
  for (let step = 1; step <= counts.length; step++) {
    await expect
      .poll(() => page.getByRole('button', { name: new RegExp(`^Step ${step} converted: `) }).textContent(), { timeout: 15_000 })
      .toBe(String(counts[step - 1]));
  }
}

async function selectOption(page: Page, label: string, option: string) {
  await page.getByLabel(label, { exact: true }).selectOption({ label: option });
}

/** The names listed in the open "who is behind this" panel. */
async function listedActors(page: Page, title: RegExp): Promise<string[]> {
  const panel = page.getByRole('region', { name: title });
  await panel.getByRole('list').waitFor();
  return (await panel.getByRole('list').getByRole('link').allTextContents()).sort();
}

/**
 * Clicks the middle of bar `index` of `count` in a bar chart, just above its axis (the bars are
 * tall enough there). `axisGap` is the distance from the chart's bottom edge to the axis line.
 */
async function clickBar(page: Page, chartName: RegExp, index: number, count: number, axisGap: number, listTitle: RegExp) {
  // The chart draws (and may resize) after the display changes: click where the bar is, and
  // again if no list opened yet. A click on the wrong bar still fails the assertions after.
  for (let attempt = 0; attempt < 5; attempt++) {
    const box = await page.getByRole('img', { name: chartName }).boundingBox();
    if (!box) throw new Error('chart not visible');
    const left = 64;
    const right = 16;
    const band = (box.width - left - right) / count;
    await page.mouse.click(box.x + left + band * (index + 0.5), box.y + box.height - axisGap - 6);
    const opened = await page
      .getByRole('region', { name: listTitle })
      .first()
      .waitFor({ timeout: 2_000 })
      .then(() => true, () => false);
    if (opened) return;
  }
  throw new Error('clicking the bar opened no list');
}

/** Whether the page is wider than the window (tables scroll inside their own box instead). */
const pageOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

beforeAll(async () => {
  server = await startServer();
  const posthog = nodeClient(server);
  for (const [key, company] of Object.entries(COMPANIES)) {
    posthog.groupIdentify({ groupType: 'company', groupKey: key, properties: { name: company.name, plan: key === 'acme' ? 'pro' : 'free' } });
    for (const user of company.users) posthog.identify({ distinctId: user, properties: { email: user.replace('@', '@example.') } });
  }
  for (const e of EVENTS) posthog.capture({ distinctId: e.user, event: e.event, groups: { company: e.company }, timestamp: e.timestamp });
  await posthog.shutdown();
  const renamed = await server.api(projectPath('groups_types/update_metadata'), {
    method: 'PATCH',
    body: [{ group_type_index: 0, name_singular: 'company', name_plural: 'companies' }],
  });
  expect(renamed.status).toBe(200);
  // Wait until every seeded event is queryable.
  const seededCount = async () =>
    (await server.api(projectPath('event_definitions/'))).body.results
      .filter((r: { name: string }) => !r.name.startsWith('$'))
      .reduce((n: number, r: { count: number }) => n + r.count, 0);
  for (let tries = 0; (await seededCount()) !== EVENTS.length; tries++) {
    if (tries > 150) throw new Error(`seeded events did not all arrive: ${await seededCount()} of ${EVENTS.length}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const project = await server.api('/api/projects/@current/');
  expect(project.body.timezone).toBe('UTC');
  session = await signedInPage(server);
}, 60_000);

afterAll(async () => {
  await session?.close();
  await server?.stop();
});

describe('trends', () => {
  it('counts unique companies as a table and a big number, and lists the companies behind a day', async () => {
    const { page } = session;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trends', exact: true }).click();
    await selectOption(page, 'Series 1 event', 'page_viewed');
    await selectOption(page, 'Series 1 counts', 'Unique companies');
    await selectOption(page, 'Display', 'Table');

    const allViewing = new Set(EVENTS.filter((e) => e.event === 'page_viewed').map((e) => e.company));
    const totals = page.getByRole('table', { name: 'Insight totals' });
    await expect.poll(() => totals.getByRole('button').first().textContent(), { timeout: 15_000 }).toBe(String(allViewing.size));

    await selectOption(page, 'Display', 'Big number');
    await expect.poll(() => page.locator('.insight-big-number button').textContent()).toBe(String(allViewing.size));
    await page.locator('.insight-big-number button').click();
    expect(await listedActors(page, /^Behind page_viewed/)).toEqual([...allViewing].map(nameOf).sort());
    await screenshot(page, 'insights-trends-big-number');

    await selectOption(page, 'Display', 'Line chart');
    const byDay = companiesViewingByDay();
    const values = page.getByRole('table', { name: 'Insight values' });
    for (const [day, companies] of byDay) {
      await expect.poll(() => values.getByRole('button', { name: new RegExp(`^page_viewed on ${day}: `) }).textContent()).toBe(String(companies.size));
    }
    const busiest = [...byDay].sort((a, b) => b[1].size - a[1].size)[0];
    await values.getByRole('button', { name: new RegExp(`^page_viewed on ${busiest[0]}: `) }).click();
    expect(await listedActors(page, new RegExp(`^Behind page_viewed on `))).toEqual([...busiest[1]].map(nameOf).sort());
    // Each company links to its page.
    const firstCompany = [...busiest[1]].sort((a, b) => nameOf(a).localeCompare(nameOf(b)))[0];
    expect(await page.getByRole('link', { name: nameOf(firstCompany) }).getAttribute('href')).toBe(`/groups/0/${firstCompany}`);
    await screenshot(page, 'insights-trends');

    // Clicking a bar of the chart opens the same list.
    await page.getByRole('button', { name: 'Close list' }).click();
    await selectOption(page, 'Display', 'Bar chart');
    const dayLabels = await values.getByRole('button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label') ?? ''));
    const busiestIndex = dayLabels.findIndex((label) => label.startsWith(`page_viewed on ${busiest[0]}:`));
    await clickBar(page, /^Trend chart/, busiestIndex, dayLabels.length, 32, /^Behind page_viewed on /);
    expect(await listedActors(page, new RegExp(`^Behind page_viewed on `))).toEqual([...busiest[1]].map(nameOf).sort());

    // A copied URL reproduces the view.
    const url = page.url();
    const copy = await page.context().newPage();
    await copy.goto(url);
    await expect.poll(() => copy.getByLabel('Series 1 counts', { exact: true }).inputValue()).toBe('unique_group:0');
    await expect
      .poll(() => copy.getByRole('table', { name: 'Insight values' }).getByRole('button', { name: new RegExp(`^page_viewed on ${busiest[0]}: `) }).textContent(), { timeout: 15_000 })
      .toBe(String(busiest[1].size));
    await copy.close();
  });

  it('filters by a group property and breaks down by company', async () => {
    const { page } = session;
    await page.goto('/insights/trends');
    await selectOption(page, 'Series 1 event', 'page_viewed');
    await selectOption(page, 'Display', 'Table');
    await selectOption(page, 'Breakdown', 'By company');
    const perCompany = new Map<string, number>();
    for (const e of EVENTS.filter((x) => x.event === 'page_viewed')) perCompany.set(e.company, (perCompany.get(e.company) ?? 0) + 1);
    const totals = page.getByRole('table', { name: 'Insight totals' });
    for (const [company, count] of perCompany) {
      await expect.poll(() => totals.getByRole('button', { name: new RegExp(`^${nameOf(company)}: `) }).textContent(), { timeout: 15_000 }).toBe(String(count));
    }
    // The same totals as a pie, a slice per company, with the table under it.
    await selectOption(page, 'Display', 'Pie chart');
    const pie = page.getByRole('img', { name: /^Pie chart\. / });
    const expectedSummary = [...perCompany].map(([company, count]) => `${nameOf(company)}: ${count}`);
    await expect.poll(async () => ((await pie.getAttribute('aria-label')) ?? '').replace(/^Pie chart\. /, '').split('; ').sort()).toEqual(expectedSummary.sort());
    await totals.getByRole('button', { name: new RegExp(`^${nameOf('acme')}: `) }).click();
    // The series counts events, so the persons behind acme's slice are those who viewed a page.
    const acmeViewers = [...new Set(EVENTS.filter((e) => e.event === 'page_viewed' && e.company === 'acme').map((e) => e.user.replace('@', '@example.')))].sort();
    expect(await listedActors(page, new RegExp(`^Behind ${nameOf('acme')}`))).toEqual(acmeViewers);
    await screenshot(page, 'insights-trends-pie');
    await page.getByRole('button', { name: 'Close list' }).click();
    await selectOption(page, 'Display', 'Table');

    await selectOption(page, 'Breakdown', 'No breakdown');
    await page.getByRole('button', { name: 'Add filter' }).click();
    await selectOption(page, 'Filter 1 applies to', 'Company property');
    await selectOption(page, 'Filter 1 property', 'plan');
    await page.getByLabel('Filter 1 value', { exact: true }).fill('pro');
    await page.getByLabel('Filter 1 value', { exact: true }).press('Enter');
    const proViews = EVENTS.filter((e) => e.event === 'page_viewed' && e.company === 'acme').length;
    await expect.poll(() => totals.getByRole('button').first().textContent(), { timeout: 15_000 }).toBe(String(proViews));

    // Person property values are suggested too, narrowed to those containing the text typed.
    await page.getByRole('button', { name: 'Add filter' }).click();
    await selectOption(page, 'Filter 2 applies to', 'Person property');
    await selectOption(page, 'Filter 2 property', 'email');
    await page.getByLabel('Filter 2 value', { exact: true }).fill('ACME');
    const acmeEmails = COMPANIES.acme.users.map((user) => user.replace('@', '@example.')).sort();
    const suggested = page.getByRole('group', { name: 'Filter 2' }).locator('datalist option');
    await expect.poll(() => suggested.evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value).sort())).toEqual(acmeEmails);
    await page.getByRole('button', { name: 'Remove filter 2' }).click();
    await expect.poll(() => totals.getByRole('button').first().textContent(), { timeout: 15_000 }).toBe(String(proViews));

    await page.setViewportSize({ width: 390, height: 800 });
    // The chart follows the new width on its next resize callback.
    await expect.poll(() => pageOverflow(page)).toBe(false);
    await screenshot(page, 'insights-trends-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('filters with AND/OR groups: any group, then all groups', async () => {
    const { page } = session;
    await page.goto('/insights/trends');
    await selectOption(page, 'Series 1 event', 'page_viewed');
    await selectOption(page, 'Display', 'Table');
    await page.getByRole('button', { name: 'Use filter groups (AND / OR)' }).click();
    const fill = async (group: number, property: string, value: string) => {
      await page.getByRole('button', { name: `Add filter to group ${group}` }).click();
      await selectOption(page, `Group ${group} filter 1 applies to`, 'Company property');
      await selectOption(page, `Group ${group} filter 1 property`, property);
      await page.getByLabel(`Group ${group} filter 1 value`, { exact: true }).fill(value);
      await page.getByLabel(`Group ${group} filter 1 value`, { exact: true }).press('Enter');
    };
    await fill(1, 'plan', 'pro');
    await page.getByRole('button', { name: 'Add filter group' }).click();
    await fill(2, 'name', nameOf('initech'));
    await selectOption(page, 'Match', 'Any group');
    // Acme is the pro company; Initech is named: page views of either.
    const views = EVENTS.filter((e) => e.event === 'page_viewed' && (e.company === 'acme' || e.company === 'initech')).length;
    const totals = page.getByRole('table', { name: 'Insight totals' });
    await expect.poll(() => totals.getByRole('button').first().textContent(), { timeout: 15_000 }).toBe(String(views));
    const sent = JSON.parse(new URL(page.url()).searchParams.get('q') ?? '{}');
    expect(sent.properties.type).toBe('OR');
    expect(sent.properties.values.map((g: { values: { key: string; value: string }[] }) => g.values.map((f) => [f.key, f.value]))).toEqual([[['plan', 'pro']], [['name', nameOf('initech')]]]);
    await screenshot(page, 'insights-filter-groups');
    // No company is both.
    await selectOption(page, 'Match', 'All groups');
    await page.getByText('No matching events').waitFor();
  });

  it('lists the persons behind a point when counting unique users, linking to their pages', async () => {
    const { page } = session;
    await page.goto('/insights/trends');
    await selectOption(page, 'Series 1 event', 'signed_up');
    await selectOption(page, 'Series 1 counts', 'Unique users');
    await selectOption(page, 'Display', 'Table');
    const signedUp = [...new Set(EVENTS.filter((e) => e.event === 'signed_up').map((e) => e.user))];
    const totals = page.getByRole('table', { name: 'Insight totals' });
    await expect.poll(() => totals.getByRole('button').first().textContent(), { timeout: 15_000 }).toBe(String(signedUp.length));
    await totals.getByRole('button').first().click();
    const emails = signedUp.map((user) => user.replace('@', '@example.'));
    expect(await listedActors(page, /^Behind signed_up/)).toEqual([...emails].sort());
    const person = (await server.api(projectPath(`persons/?distinct_id=${encodeURIComponent(signedUp[0])}`))).body.results[0];
    expect(await page.getByRole('link', { name: emails[0] }).getAttribute('href')).toBe(`/persons/${person.id}`);
  });

  it('lists more than a page of persons behind a point, 100 more at a time', async () => {
    const users = Array.from({ length: 230 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    const batch = users.map((user) => ({ event: 'bulk_viewed', distinct_id: user, timestamp: at(1).toISOString(), properties: {} }));
    const sent = await fetch(`${server.url}/batch/`, { method: 'POST', body: JSON.stringify({ api_key: server.token, batch }) });
    expect(sent.status).toBe(200);
    const { page } = session;
    await page.goto('/insights/trends');
    await selectOption(page, 'Series 1 event', 'bulk_viewed');
    await selectOption(page, 'Series 1 counts', 'Unique users');
    await selectOption(page, 'Display', 'Table');
    const totals = page.getByRole('table', { name: 'Insight totals' });
    await expect.poll(() => totals.getByRole('button').first().textContent(), { timeout: 15_000 }).toBe(String(users.length));
    await totals.getByRole('button').first().click();
    const panel = page.getByRole('region', { name: /^Behind bulk_viewed/ });
    await expect.poll(() => panel.getByRole('link').count()).toBe(100);
    await expect.poll(() => panel.getByText('100+ persons').count()).toBe(1);
    await panel.getByRole('button', { name: 'Show 100 more' }).click();
    await expect.poll(() => panel.getByRole('link').count()).toBe(200);
    await panel.getByRole('button', { name: 'Show 100 more' }).click();
    await expect.poll(() => panel.getByRole('link').count()).toBe(users.length);
    expect(await panel.getByRole('button', { name: 'Show 100 more' }).count()).toBe(0);
    // Every person once: the pages neither skip nor repeat anyone.
    expect((await panel.getByRole('link').allTextContents()).sort()).toEqual(users);
    await page.getByRole('button', { name: 'Close list' }).click();
  });

  it('filters one series by a company property, leaving the other whole', async () => {
    const { page } = session;
    await page.goto('/insights/trends');
    await selectOption(page, 'Series 1 event', 'page_viewed');
    await page.getByRole('button', { name: 'Add series', exact: true }).click();
    await selectOption(page, 'Series 2 event', 'signed_up');
    await selectOption(page, 'Display', 'Table');
    await page.getByRole('button', { name: 'Filter series 1', exact: true }).click();
    await selectOption(page, 'Series 1 filter 1 applies to', 'Company property');
    await selectOption(page, 'Series 1 filter 1 property', 'plan');
    await page.getByLabel('Series 1 filter 1 value', { exact: true }).fill('pro');
    await page.getByLabel('Series 1 filter 1 value', { exact: true }).press('Enter');
    const proViews = EVENTS.filter((e) => e.event === 'page_viewed' && e.company === 'acme').length;
    const signUps = EVENTS.filter((e) => e.event === 'signed_up').length;
    const totals = page.getByRole('table', { name: 'Insight totals' });
    await expect.poll(() => totals.getByRole('button', { name: /^page_viewed: / }).textContent(), { timeout: 15_000 }).toBe(String(proViews));
    await expect.poll(() => totals.getByRole('button', { name: /^signed_up: / }).textContent()).toBe(String(signUps));

    // Removing the series filter counts every page view again.
    await page.getByRole('button', { name: 'Remove series 1 filter 1' }).click();
    const allViews = EVENTS.filter((e) => e.event === 'page_viewed').length;
    await expect.poll(() => totals.getByRole('button', { name: /^page_viewed: / }).textContent(), { timeout: 15_000 }).toBe(String(allViews));
  });

  it('compares with the previous period in the values table and the totals, listing who is behind a previous point', async () => {
    const { page } = session;
    // Two whole days (2 and 1 days ago); the previous period is the two days before them.
    const current = [at(2), at(1)].map(utcDay);
    const previous = [at(4), at(3)].map(utcDay);
    const query = { kind: 'TrendsQuery', series: [{ kind: 'EventsNode', event: 'page_viewed', math: 'total' }], interval: 'day', dateRange: { date_from: current[0], date_to: current[1] } };
    await page.goto(`/insights/trends?q=${encodeURIComponent(JSON.stringify(query))}`);
    const viewsOn = (day: string) => EVENTS.filter((e) => e.event === 'page_viewed' && utcDay(e.timestamp) === day);
    const values = page.getByRole('table', { name: 'Insight values' });
    await expect.poll(() => values.getByRole('button', { name: new RegExp(`^page_viewed on ${current[1]}: `) }).textContent(), { timeout: 15_000 }).toBe(String(viewsOn(current[1]).length));

    await page.getByLabel('Compare to previous period', { exact: true }).check();
    for (const [period, days] of [['current', current], ['previous', previous]] as const) {
      for (const day of days) {
        await expect
          .poll(() => values.getByRole('button', { name: new RegExp(`^page_viewed \\(${period} period\\) on ${day}: `) }).textContent(), { timeout: 15_000 })
          .toBe(String(viewsOn(day).length));
      }
    }
    expect(await values.getByRole('rowheader').allTextContents()).toEqual(['page_viewed (current period)', 'page_viewed (previous period)']);
    await screenshot(page, 'insights-trends-compare');

    // The busiest previous day lists the persons who viewed a page then.
    const busiest = [...previous].sort((a, b) => viewsOn(b).length - viewsOn(a).length)[0];
    await values.getByRole('button', { name: new RegExp(`^page_viewed \\(previous period\\) on ${busiest}: `) }).click();
    const viewers = [...new Set(viewsOn(busiest).map((e) => e.user.replace('@', '@example.')))].sort();
    expect(await listedActors(page, /^Behind page_viewed \(previous period\) on /)).toEqual(viewers);

    // The totals table shows both periods, and a reload keeps the comparison.
    await selectOption(page, 'Display', 'Table');
    await page.reload();
    await expect.poll(() => page.getByLabel('Compare to previous period', { exact: true }).isChecked()).toBe(true);
    const totals = page.getByRole('table', { name: 'Insight totals' });
    const total = (days: string[]) => days.reduce((n, day) => n + viewsOn(day).length, 0);
    await expect.poll(() => totals.getByRole('button', { name: /^page_viewed \(current period\): / }).textContent(), { timeout: 15_000 }).toBe(String(total(current)));
    await expect.poll(() => totals.getByRole('button', { name: /^page_viewed \(previous period\): / }).textContent()).toBe(String(total(previous)));

    await page.getByLabel('Compare to previous period', { exact: true }).uncheck();
    await expect.poll(() => totals.getByRole('button', { name: /^page_viewed: / }).textContent(), { timeout: 15_000 }).toBe(String(total(current)));
    expect(JSON.parse(new URL(page.url()).searchParams.get('q') ?? '{}').compareFilter).toBeUndefined();
  });

  it('shows the API error, naming the field, for a bad query in the URL', async () => {
    const { page } = session;
    const bad = { kind: 'TrendsQuery', series: [{ kind: 'EventsNode', event: 'page_viewed', math: 'unique_group', math_group_type_index: 9 }] };
    await page.goto(`/insights/trends?q=${encodeURIComponent(JSON.stringify(bad))}`);
    await expect.poll(() => page.getByRole('alert').first().textContent(), { timeout: 15_000 }).toContain('series.0.math_group_type_index');
  });
});

describe('funnels', () => {
  it('counts companies per step and lists those that dropped off', async () => {
    const { page } = session;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Funnels', exact: true }).click();
    await selectOption(page, 'Step 1 event', FUNNEL[0]);
    await selectOption(page, 'Step 2 event', FUNNEL[1]);
    await page.getByRole('button', { name: 'Add step' }).click();
    await selectOption(page, 'Step 3 event', FUNNEL[2]);
    await selectOption(page, 'Aggregating by', 'Unique companies');

    const furthest = furthestStepByCompany();
    const reached = (step: number) => [...furthest].filter(([, n]) => n >= step).map(([c]) => c);
    for (let step = 1; step <= FUNNEL.length; step++) {
      await expect
        .poll(() => page.getByRole('button', { name: new RegExp(`^Step ${step} converted: `) }).textContent(), { timeout: 15_000 })
        .toBe(String(reached(step).length));
    }
    for (let step = 2; step <= FUNNEL.length; step++) {
      const dropped = reached(step - 1).filter((c) => !reached(step).includes(c));
      expect(await page.getByRole('button', { name: new RegExp(`^Step ${step} dropped off: `) }).textContent()).toMatch(new RegExp(`^${dropped.length} \\(`));
      await page.getByRole('button', { name: new RegExp(`^Step ${step} dropped off: `) }).click();
      expect(await listedActors(page, new RegExp(`^Dropped off before step ${step}`))).toEqual(dropped.map(nameOf).sort());
    }
    // Clicking the third bar of the funnel chart lists the companies that reached it.
    await clickBar(page, /^Funnel chart/, 2, FUNNEL.length, 56, /^Reached step 3/);
    expect(await listedActors(page, /^Reached step 3/)).toEqual(reached(3).map(nameOf).sort());
    await screenshot(page, 'insights-funnels');

    await page.setViewportSize({ width: 390, height: 800 });
    // The chart follows the new width on its next resize callback.
    await expect.poll(() => pageOverflow(page)).toBe(false);
    await screenshot(page, 'insights-funnels-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('excludes an event between two steps, keeps it in the URL, and removes it', async () => {
    const { page } = session;
    const query = { kind: 'FunnelsQuery', series: FUNNEL.map((event) => ({ kind: 'EventsNode', event })), aggregation_group_type_index: 0, dateRange: { date_from: '-30d' } };
    await page.goto(`/insights/funnels?q=${encodeURIComponent(JSON.stringify(query))}`);
    const plain = reachedCounts(funnelByCompany());
    await expectFunnelCounts(page, plain);

    await page.getByRole('button', { name: 'Add exclusion' }).click();
    await selectOption(page, 'Exclusion 1 event', 'page_viewed');
    await selectOption(page, 'Exclusion 1 from step', 'Step 2');
    await selectOption(page, 'Exclusion 1 to step', 'Step 3');
    const excluded = reachedCounts(funnelByCompany({ exclusion: { event: 'page_viewed', from: 1, to: 2 } }));
    // The seeded data makes the exclusion matter (a company views a page between inviting and paying).
    expect(excluded).not.toEqual(plain);
    await expectFunnelCounts(page, excluded);
    expect(await page.getByRole('group', { name: 'Exclusion 1' }).textContent()).toContain('Exclude page_viewed between step 2 and step 3');
    const sent = JSON.parse(new URL(page.url()).searchParams.get('q') ?? '{}');
    expect(sent.funnelsFilter.exclusions).toEqual([{ kind: 'EventsNode', event: 'page_viewed', funnelFromStep: 1, funnelToStep: 2 }]);
    await screenshot(page, 'insights-funnels-exclusion');

    // A reload keeps the exclusion; editing its range changes the counts again.
    await page.reload();
    await expect.poll(() => page.getByLabel('Exclusion 1 event', { exact: true }).inputValue()).toBe('page_viewed');
    await expectFunnelCounts(page, excluded);
    await selectOption(page, 'Exclusion 1 from step', 'Step 1');
    await selectOption(page, 'Exclusion 1 to step', 'Step 2');
    await expectFunnelCounts(page, reachedCounts(funnelByCompany({ exclusion: { event: 'page_viewed', from: 0, to: 1 } })));

    await page.getByRole('button', { name: 'Remove exclusion 1' }).click();
    await expectFunnelCounts(page, plain);
    expect(JSON.parse(new URL(page.url()).searchParams.get('q') ?? '{}').funnelsFilter?.exclusions).toBeUndefined();
  });

  it('attributes a company funnel broken down by person email to the first touch, or to one step', async () => {
    const { page } = session;
    const steps = FUNNEL.slice(0, 2);
    const query = {
      kind: 'FunnelsQuery',
      series: steps.map((event) => ({ kind: 'EventsNode', event })),
      aggregation_group_type_index: 0,
      dateRange: { date_from: '-30d' },
      breakdownFilter: { breakdown: 'email', breakdown_type: 'person' },
    };
    await page.goto(`/insights/funnels?q=${encodeURIComponent(JSON.stringify(query))}`);
    // Per company that converted: who did its first step 1, and who did its step 2 after that.
    const email = (user: string) => user.replace('@', '@example.');
    const conversions: { first: string; second: string }[] = [];
    for (const company of Object.keys(COMPANIES)) {
      const events = EVENTS.filter((e) => e.company === company).sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
      const first = events.find((e) => e.event === steps[0]);
      const second = first && events.find((e) => e.event === steps[1] && e.timestamp > first.timestamp);
      if (first && second) conversions.push({ first: email(first.user), second: email(second.user) });
    }
    // The seeded data makes the choice matter: different people do the two steps.
    expect(conversions.length).toBeGreaterThan(1);
    expect(conversions.every((c) => c.first !== c.second)).toBe(true);
    const stepTwo = (label: string) => page.getByRole('table', { name: `Funnel steps: ${label}` }).getByRole('button', { name: /^Step 2 converted: / });
    for (const c of conversions) await expect.poll(() => stepTwo(c.first).textContent(), { timeout: 15_000 }).toBe('1');

    await selectOption(page, 'Breakdown attribution', 'One step');
    await selectOption(page, 'Attribution step', 'Step 2');
    for (const c of conversions) await expect.poll(() => stepTwo(c.second).textContent(), { timeout: 15_000 }).toBe('1');
    expect(await page.getByRole('table', { name: `Funnel steps: ${conversions[0].first}` }).count()).toBe(0);
    const sent = JSON.parse(new URL(page.url()).searchParams.get('q') ?? '{}');
    expect([sent.funnelsFilter.breakdownAttributionType, sent.funnelsFilter.breakdownAttributionValue]).toEqual(['step', 1]);
  });

  it('filters one step by a company property', async () => {
    const { page } = session;
    const query = { kind: 'FunnelsQuery', series: FUNNEL.map((event) => ({ kind: 'EventsNode', event })), aggregation_group_type_index: 0, dateRange: { date_from: '-30d' } };
    await page.goto(`/insights/funnels?q=${encodeURIComponent(JSON.stringify(query))}`);
    await expectFunnelCounts(page, reachedCounts(funnelByCompany()));
    await page.getByRole('button', { name: 'Filter step 1', exact: true }).click();
    await selectOption(page, 'Step 1 filter 1 applies to', 'Company property');
    await selectOption(page, 'Step 1 filter 1 property', 'plan');
    await page.getByLabel('Step 1 filter 1 value', { exact: true }).fill('free');
    await page.getByLabel('Step 1 filter 1 value', { exact: true }).press('Enter');
    // Only free companies' sign-ups start the funnel; later steps stay unfiltered.
    const free = reachedCounts(funnelByCompany({ stepMatches: (step, e) => step !== 0 || e.company !== 'acme' }));
    expect(free).not.toEqual(reachedCounts(funnelByCompany()));
    await expectFunnelCounts(page, free);
    const sent = JSON.parse(new URL(page.url()).searchParams.get('q') ?? '{}');
    expect(sent.series[0].properties).toEqual([{ key: 'plan', value: 'free', operator: 'exact', type: 'group', group_type_index: 0 }]);
    expect(sent.series[1].properties ?? []).toEqual([]);
  });
});

describe('saved insights', () => {
  it('saves an insight, reopens it from the list, renames and deletes it', async () => {
    const { page } = session;
    const query = {
      kind: 'FunnelsQuery',
      series: FUNNEL.map((event) => ({ kind: 'EventsNode', event })),
      aggregation_group_type_index: 0,
      dateRange: { date_from: '-30d' },
    };
    await page.goto(`/insights/funnels?q=${encodeURIComponent(JSON.stringify(query))}`);
    const completed = [...furthestStepByCompany()].filter(([, n]) => n === FUNNEL.length).length;
    await expect.poll(() => page.getByRole('button', { name: /^Step 3 converted: / }).textContent(), { timeout: 15_000 }).toBe(String(completed));
    await page.getByLabel('Insight name').fill('Companies that paid');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved as' }).textContent()).toContain('Companies that paid');
    expect(new URL(page.url()).searchParams.get('insight')).toMatch(/^[A-Za-z0-9]{8}$/);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Saved insights', exact: true }).click();
    const list = page.getByRole('table', { name: 'Saved insights' });
    await list.getByRole('link', { name: 'Companies that paid' }).waitFor();
    await screenshot(page, 'insights-saved');
    await list.getByRole('link', { name: 'Companies that paid' }).click();
    expect(new URL(page.url()).pathname).toBe('/insights/funnels');
    await expect.poll(() => page.getByLabel('Aggregating by', { exact: true }).inputValue()).toBe('0');
    await expect.poll(() => page.getByRole('button', { name: /^Step 3 converted: / }).textContent(), { timeout: 15_000 }).toBe(String(completed));
    await expect.poll(() => page.getByLabel('Insight name').inputValue()).toBe('Companies that paid');

    // A reload of the saved insight's URL shows the same view.
    await page.reload();
    await expect.poll(() => page.getByRole('button', { name: /^Step 3 converted: / }).textContent(), { timeout: 15_000 }).toBe(String(completed));

    await page.goto('/insights');
    await list.getByRole('button', { name: 'Rename Companies that paid' }).click();
    await page.getByLabel('New name').fill('Paying companies');
    await page.getByRole('button', { name: 'Save name' }).click();
    await list.getByRole('link', { name: 'Paying companies' }).waitFor();
    const stored = await server.api(projectPath('insights/'));
    expect(stored.body.results.map((i: { name: string }) => i.name)).toEqual(['Paying companies']);

    await list.getByRole('button', { name: 'Delete Paying companies' }).click();
    await list.getByRole('button', { name: 'Really delete Paying companies' }).click();
    await page.getByText('No saved insights yet').waitFor();
    expect((await server.api(projectPath('insights/'))).body.results).toEqual([]);
  });
});
