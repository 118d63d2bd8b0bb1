// Rollout and variant buckets: whether an identifier is inside a condition's rollout and which
// variant it gets, from the SHA-1 hash of flag key and identifier [spec 5.2], cached per flag set.
import type { CompiledCondition, CompiledFlag } from './compile-flag.js';
import { hash } from './hash.js';

/**
 * Rollout and variant buckets by identifier, for one set of compiled flags: the same person or
 * group asks for flags again and again, and SHA-1 is the largest part of evaluating a flag. A
 * bucket depends only on the flag key and identifier, so entries never go stale; past `capacity`
 * the identifiers first seen longest ago are dropped (an identifier still in use is simply
 * hashed again; moving it up on every hit would cost more than that).
 */
export class BucketCache {
  private readonly rows = new Map<string, Float64Array>();
  /** Identifiers in the order first seen, as a ring once full; `oldest` is the next to go. */
  private readonly insertionOrder: string[] = [];
  private oldest = 0;
  // The last two rows asked for: a request asks for its distinct id's and group key's rows once per flag.
  private recentKey: string | undefined;
  private recentRow: Float64Array | undefined;
  private olderKey: string | undefined;
  private olderRow: Float64Array | undefined;

  constructor(
    /** Two slots (rollout, variant) per flag of the set. */
    private readonly slots: number,
    private readonly capacity: number,
  ) {}

  row(identifier: string): Float64Array {
    if (identifier === this.recentKey) return this.recentRow as Float64Array;
    if (identifier === this.olderKey) return this.olderRow as Float64Array;
    const row = this.lookUp(identifier);
    this.olderKey = this.recentKey;
    this.olderRow = this.recentRow;
    this.recentKey = identifier;
    this.recentRow = row;
    return row;
  }

  private lookUp(identifier: string): Float64Array {
    const cached = this.rows.get(identifier);
    if (cached !== undefined) return cached;
    if (this.insertionOrder.length < this.capacity) {
      this.insertionOrder.push(identifier);
    } else {
      // Full: the identifier first seen longest ago gives up its place. (A ring of keys rather
      // than the Map's own order: taking a Map's first key after many deletions walks over every
      // deleted entry.) Its row is not reused: the two-row memo above may still hand it out.
      this.rows.delete(this.insertionOrder[this.oldest]);
      this.insertionOrder[this.oldest] = identifier;
      this.oldest = (this.oldest + 1) % this.capacity;
    }
    const row = new Float64Array(this.slots).fill(NaN);
    this.rows.set(identifier, row);
    return row;
  }
}

/** Rollout null means everyone; otherwise in iff hash <= rollout/100 (spec 5.2). */
export function inRollout(flag: CompiledFlag, identifier: string, rolloutPercentage: number | null, buckets: BucketCache | undefined): boolean {
  if (rolloutPercentage === null || rolloutPercentage === 100) return true;
  return bucket(flag, identifier, 0, buckets) <= rolloutPercentage / 100;
}

export function variantFor(flag: CompiledFlag, condition: CompiledCondition, identifier: string, buckets: BucketCache | undefined): string | null {
  if (condition.variant !== null) return condition.variant;
  if (flag.variants.length === 0) return null;
  const value = bucket(flag, identifier, 1, buckets);
  // A bucket on a boundary falls on the same side as in posthog-node and the flags service.
  for (const variant of flag.variants) if (value < variant.upTo) return variant.key;
  return null;
}

/** The rollout (0) or variant (1) bucket, from the cache when the flag set has seen the identifier. */
function bucket(flag: CompiledFlag, identifier: string, kind: 0 | 1, buckets: BucketCache | undefined): number {
  const salt = kind === 0 ? '' : 'variant';
  if (buckets === undefined) return hash(flag.definition.key, identifier, salt);
  const row = buckets.row(identifier);
  const slot = 2 * flag.slot + kind;
  let value = row[slot];
  if (Number.isNaN(value)) row[slot] = value = hash(flag.definition.key, identifier, salt);
  return value;
}
