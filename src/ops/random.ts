// Random tensors. Values are generated here in TypeScript by a seeded generator and then written, so
// the same seed gives bit-identical tensors on every backend.
//
// Generator: xoshiro128** (32-bit state words, so plain JS integer ops suffice), seeded through
// splitmix32. Uniforms use 53 bits from two draws; normals use Marsaglia's polar method (as tfjs).
// An explicit `seed` argument starts a fresh stream (same seed → same values, as in tfjs); without one,
// values come from a global stream that setRandomSeed() makes reproducible.
import type { DType, Shape } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import { sizeFromShape, Tensor, TensorLike } from '../tensor.js';
import { assertIntegerShape, toTensor } from './util.js';

export type Seed = number | string;

/** A 32-bit hash of a seed, so numbers of any kind and strings all seed the generator. */
function hashSeed(seed: Seed): number {
  if (typeof seed === 'number' && Number.isInteger(seed) && Math.abs(seed) <= 0x7fffffff) return seed | 0;
  const text = String(seed);
  let hash = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}

export class RandomStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: Seed) {
    // splitmix32 spreads the seed over the four state words (never all zero).
    let state = hashSeed(seed) >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32 random bits as an unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A pair of independent standard normals (Marsaglia polar method). */
  nextNormalPair(): [number, number] {
    let v1: number, v2: number, s: number;
    do {
      v1 = 2 * this.nextDouble() - 1;
      v2 = 2 * this.nextDouble() - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s === 0);
    const scale = Math.sqrt((-2 * Math.log(s)) / s);
    return [v1 * scale, v2 * scale];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

let globalStream: RandomStream | null = null;

/** Makes every later unseeded random op reproducible (tfjs has no global seed; this is sinew's). */
export function setRandomSeed(seed: Seed): void {
  globalStream = new RandomStream(seed);
}

function streamFor(seed: Seed | undefined | null): RandomStream {
  if (seed !== undefined && seed !== null) return new RandomStream(seed);
  if (!globalStream) globalStream = new RandomStream(Math.floor(Math.random() * 0x7fffffff));
  return globalStream;
}

function checkArgs(opName: string, shape: Shape, dtype: DType): void {
  if (!Array.isArray(shape)) throw new Error(`${opName}: shape must be an array of integers, got ${shape}`);
  assertIntegerShape(shape, opName);
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`${opName}: dtype must be float32 or int32, got ${dtype}`);
}

/** Writes generated values; float32 is rounded here so every backend stores the same bits. */
function write(values: Float64Array, shape: Shape, dtype: DType): Tensor {
  const typed = dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
  return ENGINE.fromValues(typed, shape.slice(), dtype);
}

/** n normals with the given mean and stdDev; truncated: redraw any value beyond 2 stdDev (as tfjs). */
function normals(stream: RandomStream, n: number, mean: number, stdDev: number, truncated: boolean): Float64Array {
  const out = new Float64Array(n);
  let filled = 0;
  while (filled < n) {
    for (const z of stream.nextNormalPair()) {
      if (filled === n) break;
      if (truncated && Math.abs(z) > 2) continue;
      out[filled++] = mean + stdDev * z;
    }
  }
  return out;
}

/**
 * n standard normals from `seed`'s stream (else the global one), rounded to float32 as randomNormal([n])
 * stores them, without a tensor (for initializers that compute on the host, such as orthogonal).
 */
export function normalDraws(n: number, seed?: Seed): Float32Array {
  return Float32Array.from(normals(streamFor(seed), n, 0, 1, false));
}

/** Normal(mean, stdDev) values; int32 rounds to the nearest integer like tfjs. */
export function randomNormal(shape: Shape, mean = 0, stdDev = 1, dtype: 'float32' | 'int32' = 'float32', seed?: Seed): Tensor {
  checkArgs('randomNormal', shape, dtype);
  const values = normals(streamFor(seed), sizeFromShape(shape), mean, stdDev, false);
  if (dtype === 'int32') values.forEach((v, i) => (values[i] = Math.round(v)));
  return write(values, shape, dtype);
}

/** randomNormal with mean 0 and stdDev 1. */
export function randomStandardNormal(shape: Shape, dtype: 'float32' | 'int32' = 'float32', seed?: Seed): Tensor {
  return randomNormal(shape, 0, 1, dtype, seed);
}

/** Normal(mean, stdDev) with values beyond 2 stdDev re-drawn. */
export function truncatedNormal(shape: Shape, mean = 0, stdDev = 1, dtype: 'float32' | 'int32' = 'float32', seed?: Seed): Tensor {
  checkArgs('truncatedNormal', shape, dtype);
  const values = normals(streamFor(seed), sizeFromShape(shape), mean, stdDev, true);
  if (dtype === 'int32') values.forEach((v, i) => (values[i] = Math.round(v)));
  return write(values, shape, dtype);
}

/** A 64-bit key (two 32-bit words) for a counter-based generator: from `seed`, else the global stream. */
export function randomKey(seed?: Seed): [number, number] {
  const stream = streamFor(seed);
  return [stream.nextUint32(), stream.nextUint32()];
}

/**
 * n uniform draws in [0, 1) from the global stream, rounded to float32 as randomUniform([n]) stores them,
 * without a tensor (for host-side decisions such as fit's shuffle order).
 */
export function uniformDraws(n: number): Float32Array {
  const stream = streamFor(undefined);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = stream.nextDouble();
  return values;
}

/** Uniform values in [minval, maxval); int32 truncates toward zero like tfjs. */
export function randomUniform(shape: Shape, minval = 0, maxval = 1, dtype: 'float32' | 'int32' = 'float32', seed?: Seed): Tensor {
  checkArgs('randomUniform', shape, dtype);
  const stream = streamFor(seed);
  const values = new Float64Array(sizeFromShape(shape));
  const span = maxval - minval;
  for (let i = 0; i < values.length; i++) values[i] = minval + span * stream.nextDouble();
  return write(values, shape, dtype);
}

/**
 * Draws numSamples class indices per row from logits [classes] or [batch, classes] (probabilities
 * when normalized). Returns int32 [numSamples] or [batch, numSamples].
 */
export function multinomial(logits: Tensor | TensorLike, numSamples: number, seed?: Seed, normalized = false): Tensor {
  const t = toTensor(logits, 'logits', 'multinomial');
  if (t.rank !== 1 && t.rank !== 2) throw new Error(`multinomial: logits must be rank 1 or 2, got shape [${t.shape}]`);
  if (!Number.isInteger(numSamples) || numSamples < 0) throw new Error(`multinomial: numSamples must be a non-negative integer, got ${numSamples}`);
  const classes = t.shape[t.rank - 1];
  if (classes < 2) throw new Error(`multinomial: need at least 2 classes, got shape [${t.shape}]`);
  const rows = t.rank === 1 ? 1 : t.shape[0];
  const values = t.dataSync();
  const stream = streamFor(seed);
  const out = new Int32Array(rows * numSamples);
  const cumulative = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    // Cumulative (unnormalized) probabilities: softmax of the logits, or the probabilities as given.
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, values[r * classes + c]);
    let total = 0;
    for (let c = 0; c < classes; c++) {
      const v = values[r * classes + c];
      total += normalized ? v : Math.exp(v - max);
      cumulative[c] = total;
    }
    for (let s = 0; s < numSamples; s++) {
      const u = stream.nextDouble() * total;
      let c = 0;
      while (c < classes - 1 && cumulative[c] <= u) c++;
      out[r * numSamples + s] = c;
    }
  }
  return ENGINE.fromValues(out, t.rank === 1 ? [numSamples] : [rows, numSamples], 'int32');
}
