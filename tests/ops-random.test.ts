// Random ops: determinism (same seed → same bits, on every backend), setRandomSeed, distribution
// statistics, dtype rules, bad inputs.
import { expect, it } from 'vitest';
import { describeEachBackend, tf } from './helpers.js';
import { counterUniform, dropoutMaskValues } from '../src/ops/dropout.js';
import { randomKey } from '../src/ops/random.js';
import type { Tensor } from '../src/index.js';

function stats(t: Tensor) {
  const v = Array.from(t.dataSync() as Float32Array);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { values: v, mean, std: Math.sqrt(variance), min: Math.min(...v), max: Math.max(...v) };
}

/** Every random op with a seed, as bits. */
function seededSamples(seed: number): number[][] {
  return tf.tidy(() => [
    tf.randomNormal([3, 17], 0.5, 2, 'float32', seed),
    tf.randomUniform([127], -3, 5, 'float32', seed),
    tf.truncatedNormal([5, 3], 1, 0.5, 'float32', seed),
    tf.randomNormal([9], 0, 10, 'int32', seed),
    tf.randomUniform([9], 0, 10, 'int32', seed),
    tf.randomStandardNormal([4], 'float32', seed),
    tf.multinomial(tf.tensor([[0.1, 2, -1], [3, 0, 0]]), 7, seed),
  ].map((t) => Array.from(t.dataSync())));
}

it('same seed gives bit-identical values on every backend; another seed differs', async () => {
  const perBackend: number[][][] = [];
  for (const backend of ['wasm', 'reference']) {
    await tf.setBackend(backend);
    perBackend.push(seededSamples(42));
    expect(seededSamples(42)).toEqual(perBackend[perBackend.length - 1]);
  }
  expect(perBackend[0]).toEqual(perBackend[1]);
  const other = seededSamples(43);
  expect(other[0]).not.toEqual(perBackend[0][0]);
  expect(other[1]).not.toEqual(perBackend[0][1]);
  // String seeds work too and are deterministic.
  expect(Array.from(tf.randomUniform([5], 0, 1, 'float32', 'abc').dataSync())).toEqual(Array.from(tf.randomUniform([5], 0, 1, 'float32', 'abc').dataSync()));
});

it('setRandomSeed makes unseeded calls reproducible across backends', async () => {
  const run = () => tf.tidy(() => [tf.randomNormal([20]), tf.randomUniform([20]), tf.truncatedNormal([20])].map((t) => Array.from(t.dataSync())));
  await tf.setBackend('wasm');
  tf.setRandomSeed(7);
  const first = run();
  await tf.setBackend('reference');
  tf.setRandomSeed(7);
  const second = run();
  expect(second).toEqual(first);
  // Without re-seeding the stream moves on.
  expect(run()[0]).not.toEqual(first[0]);
});

describeEachBackend('random distributions', () => {
  it('randomNormal has the requested mean and stdDev', () => {
    const s = stats(tf.randomNormal([20000], 3, 2, 'float32', 1));
    expect(Math.abs(s.mean - 3)).toBeLessThan(0.06);
    expect(Math.abs(s.std - 2)).toBeLessThan(0.06);
    // About 95.4% within two standard deviations.
    const inside = s.values.filter((v) => Math.abs(v - 3) <= 4).length / s.values.length;
    expect(Math.abs(inside - 0.9545)).toBeLessThan(0.01);
  });

  it('truncatedNormal stays within two stdDev with the truncated spread', () => {
    const s = stats(tf.truncatedNormal([20000], -1, 0.5, 'float32', 2));
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThanOrEqual(0);
    expect(Math.abs(s.mean + 1)).toBeLessThan(0.02);
    // The standard deviation of a normal truncated at ±2σ is 0.8796σ.
    expect(Math.abs(s.std - 0.8796 * 0.5)).toBeLessThan(0.01);
  });

  it('randomUniform fills [minval, maxval) evenly', () => {
    const s = stats(tf.randomUniform([20000], -2, 6, 'float32', 3));
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThan(6);
    expect(Math.abs(s.mean - 2)).toBeLessThan(0.08);
    const buckets = new Array(8).fill(0);
    for (const v of s.values) buckets[Math.floor(v + 2)]++;
    for (const count of buckets) expect(Math.abs(count - 2500)).toBeLessThan(200);
  });

  it('int32 dtypes: uniform truncates, normal rounds (as tfjs)', () => {
    const u = tf.randomUniform([2000], 0, 5, 'int32', 4);
    expect(u.dtype).toBe('int32');
    const values = Array.from(u.dataSync());
    expect(new Set(values)).toEqual(new Set([0, 1, 2, 3, 4]));
    const n = tf.randomNormal([2000], 0, 3, 'int32', 5);
    expect(n.dtype).toBe('int32');
    expect(Array.from(n.dataSync()).every(Number.isInteger)).toBe(true);
    // Rounding (not truncation) keeps the mass at 0 near P(|z| < 0.5/3) ≈ 13%.
    const zeros = Array.from(n.dataSync()).filter((v) => v === 0).length / 2000;
    expect(zeros).toBeGreaterThan(0.09);
    expect(zeros).toBeLessThan(0.17);
  });

  it('multinomial follows softmax(logits), or the given probabilities when normalized', () => {
    const logits = [Math.log(0.2), Math.log(0.5), Math.log(0.3)];
    const draws = tf.multinomial(logits, 10000, 6);
    expect(draws.shape).toEqual([10000]);
    expect(draws.dtype).toBe('int32');
    const counts = [0, 0, 0];
    for (const v of draws.dataSync()) counts[v]++;
    [0.2, 0.5, 0.3].forEach((p, i) => expect(Math.abs(counts[i] / 10000 - p)).toBeLessThan(0.02));
    const normalized = tf.multinomial(tf.tensor([[0, 1], [1, 0]]), 5, 7, true);
    expect(normalized.shape).toEqual([2, 5]);
    expect(Array.from(normalized.dataSync())).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  });

  it('rejects bad shapes and dtypes', () => {
    expect(() => tf.randomNormal([2, -1])).toThrow(/randomNormal: invalid shape \[2,-1\]/);
    expect(() => tf.randomUniform([1.5])).toThrow(/randomUniform: invalid shape/);
    expect(() => tf.truncatedNormal([2], 0, 1, 'bool' as any)).toThrow(/truncatedNormal: dtype must be float32 or int32/);
    expect(() => tf.multinomial(tf.zeros([2, 2, 2]), 3)).toThrow(/multinomial: logits must be rank 1 or 2/);
  });

  it('leaves no tensors behind inside tidy', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.randomNormal([10]);
      tf.randomUniform([10], 0, 1, 'float32', 1);
      tf.multinomial([1, 2], 3);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeEachBackend('dropout', () => {
  it('tf.dropout: zero or x/(1 - rate), about rate of them zero, the same mask for the same seed, and noiseShape', async () => {
    const x = tf.ones([64, 50]);
    const y = tf.dropout(x, 0.3, undefined, 'mask-seed');
    const values = Array.from(await y.data());
    const scale = Math.fround(1 / 0.7);
    expect(values.every((v) => v === 0 || v === scale)).toBe(true);
    const dropped = values.filter((v) => v === 0).length / values.length;
    expect(Math.abs(dropped - 0.3)).toBeLessThan(0.03);
    expect(Array.from(await tf.dropout(x, 0.3, undefined, 'mask-seed').data())).toEqual(values);
    expect(Array.from(await tf.dropout(x, 0.3, undefined, 'other').data())).not.toEqual(values);
    const shared = Array.from(await tf.dropout(x, 0.5, [64, 1], 3).data());
    for (let r = 0; r < 64; r++) expect(new Set(shared.slice(r * 50, (r + 1) * 50)).size).toBe(1);
    expect(() => tf.dropout(x, 1)).toThrow(/dropout: rate must be in \[0, 1\), got 1/);
    expect(() => tf.dropout(x, 0.1, [3, 50])).toThrow(/dropout: noiseShape \[3,50\] does not broadcast to x's shape \[64,50\]/);
  });

  it('the mask has the host generator\'s bits on every backend (ops/dropout.ts counterUniform)', async () => {
    const [key0, key1] = [0x12345678, 0x9abcdef0 | 0];
    tf.setRandomSeed(11);
    const mask = await tf.dropoutMask([1000], 0.25).data();
    tf.setRandomSeed(11);
    const [k0, k1] = randomKey();
    expect(Array.from(mask)).toEqual(Array.from(dropoutMaskValues(1000, k0, k1, 0.25, Math.fround(1 / 0.75))));
    // The generator spreads evenly: mean 1/2, and neighbouring counters uncorrelated.
    const draws = Array.from({ length: 4096 }, (_, i) => counterUniform(key0, key1, i));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    let lag = 0;
    for (let i = 1; i < draws.length; i++) lag += (draws[i] - 0.5) * (draws[i - 1] - 0.5);
    expect(Math.abs(lag / (draws.length - 1) / (1 / 12))).toBeLessThan(0.05);
  });
});
