// Seeded random numbers for tests, kept free of src/ imports so backend-only tests can use them too.

/** Seeded uniform values in [low, high) (mulberry32), for reproducible random inputs. */
export function randomValues(n: number, seed: number, low = -1, high = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = low + (high - low) * u;
  }
  return out;
}
