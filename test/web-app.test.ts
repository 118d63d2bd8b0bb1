// The web app shell in Chromium: sign-in, navigation, sign-out, the narrow layout, and nothing
// private served to a browser without a session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { startServer, type TestServer } from './support/server.js';
import { screenshot, signedInPage } from './support/web-app.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.stop();
});

describe('web app shell', () => {
  it('shows the sign-in form, refuses a wrong password, and signs in and out', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server.url}/settings`);
      await page.getByLabel('Email').fill(server.adminEmail);
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong email or password');
      await screenshot(page, 'sign-in');
      await page.getByLabel('Password').fill(server.adminPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      // The deep link survives signing in.
      expect(new URL(page.url()).pathname).toBe('/settings');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
    } finally {
      await browser.close();
    }
  });

  it('navigates between pages from the sidebar, and folds the sidebar into a menu on a narrow window', async () => {
    const session = await signedInPage(server);
    try {
      const { page } = session;
      for (const label of ['Trends', 'Funnels', 'Feature flags', 'Events', 'Settings']) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
        await expect.poll(() => page.getByRole('link', { name: label, exact: true }).getAttribute('aria-current')).toBe('page');
      }
      await page.setViewportSize({ width: 390, height: 800 });
      await expect.poll(() => page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
      await page.getByRole('button', { name: 'Menu' }).click();
      await expect.poll(() => page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(true);
      await screenshot(page, 'narrow-menu');
    } finally {
      await session.close();
    }
  });
});
