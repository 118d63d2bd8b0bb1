import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hash, holdoutHash, referenceHash } from './hash.js';

interface Vectors {
  cases: { key: string; identifier: string; rollout_hash: number; variant_hash: number }[];
  holdout: { identifier: string; holdout_hash: number }[];
}

const vectors = JSON.parse(
  fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/vectors/flag-hashing.json'), 'utf8'),
) as Vectors;

// toBe, not toBeCloseTo: a bucket must be the very double posthog-node computes, or a person on a
// rollout boundary lands on the other side.
describe('flag hashing is bit-identical to posthog-node 5.70.0', () => {
  it.each(vectors.cases.map((c) => [c.key, c.identifier.slice(0, 24), c] as const))('rollout hash of %s for "%s"', (_key, _id, c) => {
    expect(hash(c.key, c.identifier)).toBe(c.rollout_hash);
  });

  it.each(vectors.cases.map((c) => [c.key, c.identifier.slice(0, 24), c] as const))('variant hash of %s for "%s"', (_key, _id, c) => {
    expect(hash(c.key, c.identifier, 'variant')).toBe(c.variant_hash);
  });

  it.each(vectors.holdout.map((h) => [h.identifier, h] as const))('holdout hash for "%s"', (_id, h) => {
    expect(holdoutHash(h.identifier)).toBe(h.holdout_hash);
  });

  it('stays within [0, 1]', () => {
    for (let i = 0; i < 2000; i++) {
      const value = hash('range-check', `id-${i}`);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
  });

  it('takes the single-block path and the node:crypto path to the same bucket, at every length and for non-ASCII text', () => {
    const alphabet = 'abcXYZ019-_.:@ é😀';
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let length = 0; length <= 80; length++) {
      for (let n = 0; n < 20; n++) {
        let identifier = '';
        for (let i = 0; i < length; i++) identifier += alphabet[Math.floor(random() * (n % 2 === 0 ? 14 : alphabet.length))];
        for (const salt of ['', 'variant']) expect(hash('flag-key', identifier, salt)).toBe(referenceHash(`flag-key.${identifier}${salt}`));
        expect(holdoutHash(identifier)).toBe(referenceHash(`holdout-${identifier}`));
      }
    }
  });
});

