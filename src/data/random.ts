// Seeded pseudo-random numbers for shuffling datasets and splits: reproducible across runs and platforms
// (plain 32-bit integer arithmetic), independent of the tensor RNG so data order never shifts weight init.

/** Hashes a string seed (tfjs accepts strings) to 32 bits with FNV-1a. */
function hashSeed(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A generator of uniform numbers in [0, 1): mulberry32 (32-bit state, full period, good enough for order). */
export class SeededRandom {
  private state: number;

  /** No seed: seeded from Math.random, so each run differs (like tfjs without a seed). */
  constructor(seed?: number | string) {
    const start = seed === undefined ? Math.floor(Math.random() * 2 ** 32) : typeof seed === 'string' ? hashSeed(seed) : seed;
    if (!Number.isFinite(start)) throw new Error(`SeededRandom: seed must be a finite number or a string, got ${seed}`);
    this.state = Math.floor(start) >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A fresh 32-bit seed, for deriving one generator per epoch from a base seed. */
  nextSeed(): number {
    return Math.floor(this.next() * 2 ** 32) >>> 0;
  }
}

/** The indices 0..n-1 in an order drawn by Fisher-Yates from `random`. */
export function permutation(n: number, random: SeededRandom): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}
