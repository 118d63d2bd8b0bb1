// A scalable Bloom filter over (project, distinct id): "certainly absent" or "maybe present".
// Ingestion asks it before reading the store, since most distinct ids in real traffic are new
// anonymous ones: without it every batch would scan the distinct-id table for them.
//
// One layer of ~10 bits per key answers ~1% false positives. When a layer holds its capacity, a
// layer twice as large with a tighter error rate is added (Almeida et al., "Scalable Bloom
// Filters", 2007), so the total false-positive rate stays near the target however many keys come.

/** Error rate of the first layer; each next layer halves it, so the sum stays under twice this. */
const FIRST_LAYER_ERROR = 0.005;
const LN2_SQUARED = Math.LN2 * Math.LN2;

class Layer {
  readonly bits: Uint32Array;
  readonly bitCount: number;
  readonly hashCount: number;
  count = 0;

  constructor(
    readonly capacity: number,
    errorRate: number,
  ) {
    // Optimal size and hash count for n keys at error rate p: m = -n ln p / ln² 2, k = m/n ln 2.
    this.bitCount = Math.max(64, Math.ceil((-capacity * Math.log(errorRate)) / LN2_SQUARED));
    this.hashCount = Math.max(1, Math.round((this.bitCount / capacity) * Math.LN2));
    this.bits = new Uint32Array(Math.ceil(this.bitCount / 32));
  }

  /** Double hashing (Kirsch and Mitzenmacher): bit i is h1 + i * h2. */
  has(h1: number, h2: number): boolean {
    for (let i = 0; i < this.hashCount; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const index = bit % this.bitCount;
      if ((this.bits[index >>> 5] & (1 << (index & 31))) === 0) return false;
    }
    return true;
  }

  add(h1: number, h2: number): void {
    for (let i = 0; i < this.hashCount; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const index = bit % this.bitCount;
      this.bits[index >>> 5] |= 1 << (index & 31);
    }
    this.count += 1;
  }
}

// Two independent 32-bit hashes of (project, distinct id), computed in one pass: FNV-1a and a
// multiply-xorshift hash with other constants. The project id is mixed in first. The results go
// to two module variables rather than a new array: this runs for every event.
let hash1 = 0;
let hash2 = 0;
function hashKey(projectId: number, distinctId: string): void {
  let a = (0x811c9dc5 ^ projectId) >>> 0;
  let b = (0x9e3779b9 ^ Math.imul(projectId, 0x85ebca6b)) >>> 0;
  for (let i = 0; i < distinctId.length; i++) {
    const c = distinctId.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // Final avalanche, so keys differing in their last character spread over the whole range.
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 16;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  hash1 = a >>> 0;
  // An odd step visits distinct bits for every i when the bit count is a power of two, and
  // never repeats bit 0 for all i when it is not.
  hash2 = (b | 1) >>> 0;
}

export class MembershipFilter {
  private readonly layers: Layer[] = [];

  /** `initialCapacity`: keys the first layer holds before a second (twice as large) is added. */
  constructor(initialCapacity = 1 << 20) {
    this.layers.push(new Layer(initialCapacity, FIRST_LAYER_ERROR));
  }

  /** False only when the key was certainly never added. */
  mightContain(projectId: number, distinctId: string): boolean {
    hashKey(projectId, distinctId);
    for (const layer of this.layers) if (layer.has(hash1, hash2)) return true;
    return false;
  }

  add(projectId: number, distinctId: string): void {
    hashKey(projectId, distinctId);
    for (const layer of this.layers) if (layer.has(hash1, hash2)) return;
    let last = this.layers[this.layers.length - 1];
    if (last.count >= last.capacity) {
      last = new Layer(last.capacity * 2, FIRST_LAYER_ERROR / 2 ** this.layers.length);
      this.layers.push(last);
    }
    last.add(hash1, hash2);
  }

  /** Keys added (those that looked present already are not counted twice). */
  get size(): number {
    return this.layers.reduce((n, layer) => n + layer.count, 0);
  }

  /** Memory held by the bit arrays. */
  get bytes(): number {
    return this.layers.reduce((n, layer) => n + layer.bits.byteLength, 0);
  }

  get layerCount(): number {
    return this.layers.length;
  }
}
