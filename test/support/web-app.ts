// Browser tests of the web app: a signed-in Chromium page on a real server, and screenshots of
// each page saved under test-artifacts/screenshots/ (gitignored).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, launchChromium } from './browser.js';
import type { TestServer } from './server.js';

export const screenshotsDir = path.join(artifactsDir, 'screenshots');

export interface WebSession {
  readonly browser: Browser;
  readonly page: Page;
  close(): Promise<void>;
}

/** Chromium at 1280x800, signed in through the sign-in form as the server's admin. */
export async function signedInPage(server: TestServer, viewport = { width: 1280, height: 800 }): Promise<WebSession> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport, baseURL: server.url });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Email').fill(server.adminEmail);
  await page.getByLabel('Password').fill(server.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return { browser, page, close: () => browser.close() };
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotsDir, `${name}.png`), fullPage: true });
}
