// Browser test helpers: a static site on its own origin that serves the posthog-js bundle from
// node_modules (no CDN, no internet), and headless Chromium through playwright-core.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where tests leave screenshots and logs for debugging (gitignored). */
export const artifactsDir = path.join(repoRoot, 'test-artifacts');

/**
 * The posthog-js browser bundle that sets `window.posthog` and never loads further scripts
 * (recorder, surveys, toolbar) from the assets host.
 */
export const posthogJsBundle = path.join(repoRoot, 'node_modules/posthog-js/dist/array.full.no-external.js');

/**
 * posthog.init options for tests: headless Chromium's user agent is on posthog-js's bot list
 * (keep its events), and nothing automatic or needing other endpoints runs.
 */
export const QUIET_POSTHOG_OPTIONS = {
  opt_out_useragent_filter: true,
  persistence: 'memory',
  autocapture: false,
  capture_pageview: false,
  capture_pageleave: false,
  capture_dead_clicks: false,
  capture_exceptions: false,
  capture_performance: false,
  rageclick: false,
  disable_session_recording: true,
  disable_surveys: true,
  disable_web_experiments: true,
  disable_product_tours: true,
  disable_conversations: true,
  advanced_disable_toolbar_metrics: true,
} as const;

export interface StaticSite {
  readonly url: string;
  /** Paths requested so far, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves `pages` (path → HTML) and `scripts` (path → file; by default posthog-js at `/posthog.js`) on a new port. */
export async function startStaticSite(pages: Record<string, string>, scripts: Record<string, string> = { '/posthog.js': posthogJsBundle }): Promise<StaticSite> {
  const files = Object.fromEntries(Object.entries(scripts).map(([p, file]) => [p, fs.readFileSync(file)]));
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push(pathname);
    if (files[pathname]) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(files[pathname]);
    } else if (pages[pathname] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(pages[pathname]);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
