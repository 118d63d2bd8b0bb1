// Server-side evaluation and posthog-node's local evaluation must agree (house style 5): for every
// flag fixture, the real posthog-node 5.70.0 downloads the fixture's flag from a tiny definitions
// server, evaluates it locally with every property the server would see, and must give the value
// our evaluator gives. Nothing here touches Prickle's server: the evaluator is pure.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PostHog } from 'posthog-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateFlag } from '../src/flags/evaluate-flag.js';
import { fixtureContext, fixtureFlag, loadFlagFixtures, mergedProperties, type FlagFixture } from '../src/flags/flag-fixtures.test-helper.js';

const fixtures = loadFlagFixtures();

let served: FlagFixture | undefined;
const definitionRequests: { url: string; authorization: string | undefined }[] = [];
let server: http.Server;
let host: string;

// What PostHog serves for local evaluation (spec 5.6): flags not deleted, the group type mapping
// with string index keys, no cohorts. Any other request (there should be none) gets an empty 200.
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('Content-Type', 'application/json');
    if (url.pathname === '/flags/definitions' || url.pathname === '/api/feature_flag/local_evaluation') {
      definitionRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const flags = served && !served.flag.deleted ? [served.flag] : [];
      res.end(JSON.stringify({ flags, group_type_mapping: served?.groupTypeMapping ?? {}, cohorts: {} }));
      return;
    }
    req.resume();
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

async function evaluateLocally(fixture: FlagFixture): Promise<string | boolean | undefined> {
  served = fixture;
  const posthog = new PostHog('phc_x', {
    personalApiKey: 'phx_x',
    host,
    featureFlagsPollingInterval: 24 * 60 * 60 * 1000,
    fetchRetryCount: 0,
    flushAt: 1000,
    flushInterval: 0,
  });
  try {
    const { personProperties, groupProperties } = mergedProperties(fixture);
    return await posthog.getFeatureFlag(fixture.flag.key, fixture.request.distinct_id, {
      // posthog-node's types say string keys; numbers pass through at runtime (spec 5.2), which
      // the numeric-key fixtures exercise.
      groups: (fixture.request.groups ?? {}) as Record<string, string>,
      personProperties: personProperties as Record<string, string>,
      groupProperties: groupProperties as Record<string, Record<string, string>>,
      onlyEvaluateLocally: true,
      sendFeatureFlagEvents: false,
    });
  } finally {
    await posthog.shutdown();
  }
}

describe('posthog-node local evaluation agrees with the server evaluator', () => {
  it('covers enough fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))('%s', async (_file, fixture) => {
    const result = evaluateFlag(fixtureFlag(fixture), fixtureContext(fixture));
    const serverValue = result.enabled ? (result.variant ?? true) : false;
    const localValue = await evaluateLocally(fixture);
    if (fixture.flag.deleted) {
      // PostHog never serves deleted flags for local evaluation, so posthog-node does not know the
      // flag (undefined), and /flags does not list it; the evaluator still answers "off".
      expect(localValue).toBeUndefined();
      expect(serverValue).toBe(false);
    } else {
      expect(localValue).toBe(serverValue);
    }
  });

  it('fetched the definitions with the personal API key', () => {
    expect(definitionRequests.length).toBe(fixtures.length);
    for (const request of definitionRequests) {
      expect(request.authorization).toBe('Bearer phx_x');
      expect(request.url).toContain('token=phc_x');
    }
  });
});
