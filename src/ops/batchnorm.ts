// Batch normalization with given statistics, as tf.batchNorm:
//   y = (x - mean) · rsqrt(variance + ε) · scale + offset
// mean, variance, scale, offset broadcast against x. When all are per-channel vectors [C] over x's last
// axis (the layer's case) the backend's fused kernel runs over x viewed as [rows, C]; otherwise the formula
// is composed from ops. Gradients are composed from ops either way (so they are differentiable again):
//   dx = dy·s·r    dmean = -Σ dy·s·r    dvariance = -½ Σ dy·(x-mean)·s·r³    doffset = Σ dy    dscale = Σ dy·(x-mean)·r
// with r = rsqrt(variance + ε), s = scale, and Σ summing each back to its input's shape.
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { add, mul, sub, sumToShape } from './binary.js';
import { cast } from './cast.js';
import { neg, rsqrt } from './unary.js';
import { broadcastShapes, toTensor } from './util.js';
import { requireKernel } from './conv_util.js';

type Arg = Tensor | TensorLike;

function floatArg(value: Arg, name: string): Tensor {
  const t = toTensor(value, name, 'batchNorm', 'float32');
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

/** (x - mean) · rsqrt(variance + varianceEpsilon) · scale + offset, as tf.batchNorm (ε defaults to 0.001). */
export function batchNorm(
  x: Arg, mean: Arg, variance: Arg, offset?: Arg | null, scale?: Arg | null, varianceEpsilon?: number | null,
): Tensor {
  const epsilon = varianceEpsilon ?? 0.001;
  if (typeof epsilon !== 'number' || !(epsilon >= 0)) {
    throw new Error(`batchNorm: varianceEpsilon must be a non-negative number, got ${varianceEpsilon}`);
  }
  const input = floatArg(x, 'x');
  const params: [string, Tensor | undefined][] = [
    ['mean', floatArg(mean, 'mean')], ['variance', floatArg(variance, 'variance')],
    ['offset', offset === undefined || offset === null ? undefined : floatArg(offset, 'offset')],
    ['scale', scale === undefined || scale === null ? undefined : floatArg(scale, 'scale')],
  ];
  const meanRank = params[0][1]!.rank;
  for (const [name, t] of params) {
    if (!t) continue;
    if (t.rank !== meanRank) {
      throw new Error(`batchNorm: mean and ${name} must have equal ranks: mean is [${params[0][1]!.shape}], ${name} is [${t.shape}]`);
    }
    const shape = broadcastShapes(input.shape, t.shape, 'batchNorm');
    if (shape.length !== input.rank || shape.some((d, i) => d !== input.shape[i])) {
      throw new Error(`batchNorm: ${name} [${t.shape}] does not broadcast to x [${input.shape}]`);
    }
  }
  const [m, v, o, s] = params.map(([, t]) => t);
  const channels = input.rank === 0 ? 1 : input.shape[input.rank - 1];
  const perChannel = params.every(([, t]) => !t || (t.rank === 1 && t.size === channels));
  if (!perChannel || input.rank === 0) return composedBatchNorm(input, m!, v!, o, s, epsilon);
  const inputs = [input, m!, v!, ...(o ? [o] : []), ...(s ? [s] : [])];
  return ENGINE.runKernel({
    name: 'batchNorm',
    inputs,
    forward: (backend, [xt, mt, vt, ...rest]) => {
      const offsetData = o ? rest[0].dataId : undefined;
      const scaleData = s ? rest[o ? 1 : 0].dataId : undefined;
      return {
        dataId: requireKernel(backend, 'batchNorm', 'batchNorm')(
          xt.dataId, xt.size / channels, channels, mt.dataId, vt.dataId, offsetData, scaleData, epsilon),
        shape: xt.shape,
        dtype: 'float32',
      };
    },
    backward: ([dy], [xt, mt, vt, ...rest]) => {
      const offsetT = o ? rest[0] : undefined;
      const scaleT = s ? rest[o ? 1 : 0] : undefined;
      const grads = batchNormGradients(dy, xt, mt, vt, scaleT, epsilon);
      return [grads.dx, grads.dMean, grads.dVariance, ...(offsetT ? [sumToShape(dy, offsetT.shape)] : []),
        ...(scaleT ? [grads.dScale!] : [])];
    },
  })[0];
}

function batchNormGradients(dy: Tensor, x: Tensor, mean: Tensor, variance: Tensor, scale: Tensor | undefined, epsilon: number) {
  const r = rsqrt(add(variance, epsilon));
  const scaledR = scale ? mul(scale, r) : r;
  const dyScaled = mul(dy, scaledR);
  const centered = sub(x, mean);
  return {
    dx: sumToShape(dyScaled, x.shape),
    dMean: sumToShape(neg(dyScaled), mean.shape),
    dVariance: sumToShape(mul(mul(dyScaled, centered), mul(mul(r, r), -0.5)), variance.shape),
    dScale: scale ? sumToShape(mul(mul(dy, centered), r), scale.shape) : undefined,
  };
}

/** The same formula from broadcasting ops, for statistics that are not per-channel vectors. */
function composedBatchNorm(x: Tensor, mean: Tensor, variance: Tensor, offset: Tensor | undefined, scale: Tensor | undefined, epsilon: number): Tensor {
  let y = mul(sub(x, mean), rsqrt(add(variance, epsilon)));
  if (scale) y = mul(y, scale);
  return offset ? add(y, offset) : y;
}

function rankedBatchNorm(rank: number, name: string) {
  return (x: Arg, mean: Arg, variance: Arg, offset?: Arg | null, scale?: Arg | null, varianceEpsilon?: number | null): Tensor => {
    const t = toTensor(x, 'x', name);
    if (t.rank !== rank) throw new Error(`${name}: x must be rank ${rank}, got shape [${t.shape}]`);
    return batchNorm(t, mean, variance, offset, scale, varianceEpsilon);
  };
}

/** tf.batchNorm2d / 3d / 4d: batchNorm with x's rank checked. */
export const batchNorm2d = rankedBatchNorm(2, 'batchNorm2d');
export const batchNorm3d = rankedBatchNorm(3, 'batchNorm3d');
export const batchNorm4d = rankedBatchNorm(4, 'batchNorm4d');
