// Feature-flag bucketing hashes, bit-identical to PostHog's (spec 5.2): the flags service and
// posthog-node's local evaluation must put every person and group in the same bucket as we do.
import crypto from 'node:crypto';

// 2^60 - 1. As a double it rounds to exactly 2^60, as it does in posthog-node and in the Rust
// service (u64 as f64); dividing by the same double keeps the result bit-identical.
const LONG_SCALE = 0xfffffffffffffff;

/**
 * The first 60 bits of a SHA-1 digest (given as its first two 32-bit words) as a fraction of
 * 2^60 - 1: a float in [0, 1]. The 60-bit integer is past 2^53; as high 32 and low 28 bits the
 * multiplication by 2^28 is exact and the one addition rounds to nearest, which is what
 * posthog-node's parseInt(hex, 16) and Rust's u64 → f64 do with the whole number.
 */
function bucketOfDigest(word0: number, word1: number): number {
  return (word0 * 2 ** 28 + (word1 >>> 4)) / LONG_SCALE;
}

function bucketOf(text: string): number {
  // Hex output: Node answers a string faster than it allocates a Buffer for so small a digest.
  const digest = crypto.hash('sha1', text);
  return bucketOfDigest(parseInt(digest.slice(0, 8), 16), parseInt(digest.slice(8, 16), 16));
}

// SHA-1 (FIPS 180-4) of one 64-byte block, for the common case: ASCII texts under 56 bytes
// (flag key, ".", identifier, salt). It skips building the joined string and the native call,
// which together cost more than the hashing itself; anything longer or non-ASCII goes to
// node:crypto. hash.test.ts checks both paths against node:crypto and PostHog's vectors.
const block = new Int32Array(80);

/** Writes `text` at byte `offset` of the block; false if a character is not ASCII. */
function putAscii(text: string, offset: number): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return false;
    const at = offset + i;
    block[at >> 2] |= code << (24 - (at & 3) * 8);
  }
  return true;
}

/** The bucket of the ASCII text a + b + c + d when it fits one block; NaN otherwise. */
function singleBlockBucket(a: string, b: string, c: string, d: string): number {
  const length = a.length + b.length + c.length + d.length;
  if (length > 55) return NaN;
  block.fill(0, 0, 16);
  if (!putAscii(a, 0) || !putAscii(b, a.length) || !putAscii(c, a.length + b.length) || !putAscii(d, length - d.length)) return NaN;
  block[length >> 2] |= 0x80 << (24 - (length & 3) * 8);
  block[15] = length * 8;
  for (let t = 16; t < 80; t++) {
    const x = block[t - 3] ^ block[t - 8] ^ block[t - 14] ^ block[t - 16];
    block[t] = (x << 1) | (x >>> 31);
  }
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let t = 0; t < 80; t++) {
    let f: number;
    let k: number;
    if (t < 20) {
      f = (h1 & h2) | (~h1 & h3);
      k = 0x5a827999;
    } else if (t < 40) {
      f = h1 ^ h2 ^ h3;
      k = 0x6ed9eba1;
    } else if (t < 60) {
      f = (h1 & h2) | (h1 & h3) | (h2 & h3);
      k = 0x8f1bbcdc | 0;
    } else {
      f = h1 ^ h2 ^ h3;
      k = 0xca62c1d6 | 0;
    }
    const next = (((h0 << 5) | (h0 >>> 27)) + f + h4 + k + block[t]) | 0;
    h4 = h3;
    h3 = h2;
    h2 = (h1 << 30) | (h1 >>> 2);
    h1 = h0;
    h0 = next;
  }
  return bucketOfDigest((0x67452301 + h0) >>> 0, ((0xefcdab89 | 0) + h1) >>> 0);
}

/**
 * hash(flagKey, identifier, salt): salt "" decides the rollout, salt "variant" the variant.
 * The identifier is the distinct id for person flags and the group key for group flags.
 */
export function hash(key: string, identifier: string, salt = ''): number {
  const fast = singleBlockBucket(key, '.', identifier, salt);
  return Number.isNaN(fast) ? bucketOf(`${key}.${identifier}${salt}`) : fast;
}

/** The holdout hash has no flag key and "-" as separator, so one holdout spans many flags. */
export function holdoutHash(identifier: string, salt = ''): number {
  const fast = singleBlockBucket('holdout', '-', identifier, salt);
  return Number.isNaN(fast) ? bucketOf(`holdout-${identifier}${salt}`) : fast;
}

/** The bucket computed by node:crypto alone, for tests of the fast path. */
export function referenceHash(text: string): number {
  return bucketOf(text);
}
