// Feature-flag bucketing hashes, bit-identical to PostHog's (spec 5.2): the flags service and
// posthog-node's local evaluation must put every person and group in the same bucket as we do.
import crypto from 'node:crypto';

// 2^60 - 1. As a double it rounds to exactly 2^60, as it does in posthog-node and in the Rust
// service (u64 as f64); dividing by the same double keeps the result bit-identical.
const LONG_SCALE = 0xfffffffffffffff;

/**
 * SHA-1 of the UTF-8 text, its first 15 hex digits (60 bits) as a fraction of 2^60 - 1: a float
 * in [0, 1]. The 60-bit integer is past 2^53, so it is read exactly as a BigInt and rounded once
 * to the nearest double, which is what posthog-node's parseInt(hex, 16) and Rust's u64 → f64 do.
 */
function bucketOf(text: string): number {
  const digest = crypto.hash('sha1', text, 'buffer');
  // The 60 bits as high 32 and low 28: the multiplication by 2^28 is exact and the one addition
  // rounds to nearest, as Number(BigInt) of the whole 60-bit integer would.
  const high = digest.readUInt32BE(0);
  const low = (digest.readUIntBE(4, 3) << 4) | (digest[7] >> 4);
  return (high * 2 ** 28 + low) / LONG_SCALE;
}

/**
 * hash(flagKey, identifier, salt): salt "" decides the rollout, salt "variant" the variant.
 * The identifier is the distinct id for person flags and the group key for group flags.
 */
export function hash(key: string, identifier: string, salt = ''): number {
  return bucketOf(`${key}.${identifier}${salt}`);
}

/** The holdout hash has no flag key and "-" as separator, so one holdout spans many flags. */
export function holdoutHash(identifier: string, salt = ''): number {
  return bucketOf(`holdout-${identifier}${salt}`);
}
