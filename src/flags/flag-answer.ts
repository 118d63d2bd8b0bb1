// The bodies of /flags and /decide answers (spec 5.4), as UTF-8 JSON bytes. The flags thread
// builds them next to the evaluation, so the main thread only writes bytes to the socket.
import { randomUUID } from 'node:crypto';
import type { FlagResult } from './evaluate-flag.js';

/**
 * Which answer the SDK asked for: /flags?v=2 and /decide?v=4 (`v2`: every flag with its reason
 * and metadata), /flags v1 and /decide?v=3 (`v1`: values and payloads), /decide?v=2
 * (`decide-v2`: enabled flags' values), older /decide (`decide-v1`: enabled flags' keys).
 */
export type FlagAnswerShape = 'v2' | 'v1' | 'decide-v2' | 'decide-v1';

export function flagAnswerShape(endpoint: 'flags' | 'decide', version: number): FlagAnswerShape {
  if ((endpoint === 'flags' && version >= 2) || version >= 4) return 'v2';
  if (endpoint === 'flags' || version === 3) return 'v1';
  return version === 2 ? 'decide-v2' : 'decide-v1';
}

/** The minimal remote config posthog-js needs to start (spec 5.4), merged in with `config=true`. */
export function remoteConfig(hasFeatureFlags: boolean) {
  return {
    hasFeatureFlags,
    supportedCompression: ['gzip', 'gzip-js'],
    sessionRecording: false,
    surveys: false,
    heatmaps: false,
    capturePerformance: false,
    autocaptureExceptions: false,
    isAuthenticated: false,
    toolbarParams: {},
    config: { enable_collect_everything: true },
  };
}

const flagValue = (r: FlagResult) => (r.enabled ? (r.variant ?? true) : false);

// Results are interned per flag version and outcome, so each one's v2 JSON is encoded once.
const v2Fragments = new WeakMap<FlagResult, Buffer>();

function v2Fragment(r: FlagResult): Buffer {
  let fragment = v2Fragments.get(r);
  if (fragment === undefined) {
    const value = { key: r.key, enabled: r.enabled, variant: r.variant, reason: r.reason, metadata: r.metadata };
    fragment = Buffer.from(`${JSON.stringify(r.key)}:${JSON.stringify(value)}`);
    v2Fragments.set(r, fragment);
  }
  return fragment;
}

/** Where an answer's bytes go: a buffer of exactly `length` bytes. */
export type AnswerBuffer = (length: number) => Uint8Array;

/**
 * The v2 answer, copied together from the results' cached fragments into one buffer of the right
 * size (cheaper than joining and encoding ~50 KB of text per request).
 */
function v2Answer(results: readonly FlagResult[], extra: Readonly<Record<string, unknown>>, into: AnswerBuffer): Uint8Array {
  const head = JSON.stringify(extra).slice(1, -1);
  const opening = Buffer.from(`{${head}${head ? ',' : ''}"flags":{`);
  const closing = Buffer.from(`},"errorsWhileComputingFlags":false,"requestId":"${randomUUID()}","evaluatedAt":${Date.now()}}`);
  let length = opening.length + closing.length + Math.max(0, results.length - 1);
  const fragments = results.map(v2Fragment);
  for (const fragment of fragments) length += fragment.length;
  const json = into(length);
  json.set(opening, 0);
  let at = opening.length;
  for (let i = 0; i < fragments.length; i++) {
    if (i > 0) json[at++] = 0x2c; // ","
    json.set(fragments[i], at);
    at += fragments[i].length;
  }
  json.set(closing, at);
  return json;
}

function olderAnswer(results: readonly FlagResult[], shape: Exclude<FlagAnswerShape, 'v2'>): Record<string, unknown> {
  switch (shape) {
    case 'v1':
      return {
        featureFlags: Object.fromEntries(results.map((r) => [r.key, flagValue(r)])),
        featureFlagPayloads: Object.fromEntries(results.filter((r) => r.enabled && r.payload !== null).map((r) => [r.key, r.payload])),
        errorsWhileComputingFlags: false,
        requestId: randomUUID(),
        evaluatedAt: Date.now(),
      };
    case 'decide-v2':
      return { featureFlags: Object.fromEntries(results.filter((r) => r.enabled).map((r) => [r.key, flagValue(r)])) };
    case 'decide-v1':
      return { featureFlags: results.filter((r) => r.enabled).map((r) => r.key) };
  }
}

/** The answer's JSON bytes; `extra` (the remote config) comes first, as PostHog sends it. */
export function flagAnswer(results: readonly FlagResult[], shape: FlagAnswerShape, extra: Readonly<Record<string, unknown>>, into: AnswerBuffer): Uint8Array {
  if (shape === 'v2') return v2Answer(results, extra, into);
  const text = Buffer.from(JSON.stringify({ ...extra, ...olderAnswer(results, shape) }));
  const bytes = into(text.length);
  bytes.set(text);
  return bytes;
}
