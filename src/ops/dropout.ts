// Inverted dropout (tf.dropout) and the keep-masks every dropout in sinew uses (layers, attention, recurrent
// cells, BERT). A mask comes from a counter-based generator: element i keeps when hash(key, i) ≥ rate, the
// 64-bit key drawn from sinew's random stream (or from `seed`). The same key gives the same bits on every
// backend, and a GPU generates the mask itself instead of receiving it from the host every batch.
//
//   const y = tf.dropout(x, 0.1);                       // training only: the layers call it when training
import { ENGINE } from '../engine.js';
import { sizeFromShape, type Tensor, type TensorLike } from '../tensor.js';
import { mul } from './binary.js';
import { cast } from './cast.js';
import { randomKey, type Seed } from './random.js';
import { assertIntegerShape, toTensor } from './util.js';

/** One round of a 32-bit integer mixer (xorshift-multiply); the WGSL kernel repeats it bit for bit. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Element i's uniform in [0, 1): 24 random bits, exact in float32. */
export function counterUniform(key0: number, key1: number, i: number): number {
  return (mix32(mix32((i ^ key0) >>> 0) ^ key1) >>> 8) / 16777216;
}

/** The mask on the host: `scale` where counterUniform ≥ rate (both in float32, as the kernels compare), else 0. */
export function dropoutMaskValues(size: number, key0: number, key1: number, rate: number, scale: number): Float32Array {
  const threshold = Math.fround(rate);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) if (counterUniform(key0, key1, i) >= threshold) values[i] = scale;
  return values;
}

function checkRate(rate: number, op: string): void {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`${op}: rate must be in [0, 1), got ${rate}`);
}

/** A float32 keep-mask of `shape`: 1/(1 - rate) with probability 1 - rate, else 0. */
export function dropoutMask(shape: number[], rate: number, seed?: Seed): Tensor {
  checkRate(rate, 'dropoutMask');
  assertIntegerShape(shape, 'dropoutMask');
  const [key0, key1] = randomKey(seed);
  const size = sizeFromShape(shape);
  const scale = Math.fround(1 / (1 - rate));
  const backend = ENGINE.backendFor('dropout');
  if (!backend.dropoutMask) return ENGINE.fromValues(dropoutMaskValues(size, key0, key1, rate, scale), shape.slice(), 'float32');
  return ENGINE.makeTensor({ dataId: backend.dropoutMask(size, key0, key1, Math.fround(rate), scale), shape: shape.slice(), dtype: 'float32' });
}

/**
 * tfjs's tf.dropout: x with each element zeroed with probability `rate` and the rest scaled by 1/(1 - rate).
 * noiseShape (broadcastable to x's shape) shares one draw along the axes where it is 1.
 */
export function dropout(xArg: Tensor | TensorLike, rate: number, noiseShape?: number[], seed?: Seed): Tensor {
  const x = toTensor(xArg, 'x', 'dropout', 'float32');
  checkRate(rate, 'dropout');
  if (rate === 0) return x;
  const shape = noiseShape ?? x.shape;
  if (shape.length !== x.rank || shape.some((d, i) => d !== 1 && d !== x.shape[i])) {
    throw new Error(`dropout: noiseShape [${shape}] does not broadcast to x's shape [${x.shape}]`);
  }
  const floatX = x.dtype === 'float32' ? x : cast(x, 'float32');
  return ENGINE.tidy(() => mul(floatX, dropoutMask(shape, rate, seed)));
}
