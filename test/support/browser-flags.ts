// Helpers for the posthog-js feature-flag browser test: a second-origin site that can serve either
// posthog-js bundle, and a recorder of the page's responses from Prickle.
import path from 'node:path';
import zlib from 'node:zlib';
import type { Page } from 'playwright-core';
import { repoRoot } from './browser.js';

/** The bundle with the external-script loader: it fetches `/array/<token>/config.js` itself. */
export const posthogJsFullBundle = path.join(repoRoot, 'node_modules/posthog-js/dist/array.full.js');

/** A page that loads `bundle` from its own origin. */
export function pageHtml(title: string, bundlePath: string): string {
  return `<!doctype html>
<html>
  <head><meta charset="utf-8" /><title>${title}</title><script src="${bundlePath}"></script></head>
  <body><h1>${title}</h1></body>
</html>`;
}

export interface RecordedResponse {
  readonly method: string;
  readonly pathname: string;
  readonly search: string;
  readonly status: number;
  /** Parsed request body for /flags (JSON), when readable. */
  readonly requestBody?: any;
  /** Parsed response body for /flags, when JSON. */
  readonly responseBody?: any;
}

/** A /flags request body as posthog-js sends it: JSON, gzip JSON, or `data=<base64>` form. */
export function decodeBody(body: Buffer | null): any {
  if (!body) return undefined;
  try {
    const raw = body[0] === 0x1f && body[1] === 0x8b ? zlib.gunzipSync(body) : body;
    const text = raw.toString('utf8');
    if (text.startsWith('data=')) return JSON.parse(Buffer.from(decodeURIComponent(text.slice(5)), 'base64').toString('utf8'));
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Records every non-preflight response from `origin` the page receives, plus console output. */
export function recordPage(page: Page, origin: string) {
  const responses: RecordedResponse[] = [];
  const console: string[] = [];
  const failed: string[] = [];
  page.on('console', (msg) => console.push(`${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (err) => console.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => failed.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
  page.on('response', async (res) => {
    const url = new URL(res.url());
    const method = res.request().method();
    if (url.origin !== origin || method === 'OPTIONS') return;
    let requestBody: any;
    let responseBody: any;
    if (/^\/(flags|decide)\/?$/.test(url.pathname)) {
      requestBody = decodeBody(res.request().postDataBuffer());
      responseBody = await res.json().catch(() => undefined);
    }
    responses.push({ method, pathname: url.pathname, search: url.search, status: res.status(), requestBody, responseBody });
  });
  return { responses, console, failed };
}
