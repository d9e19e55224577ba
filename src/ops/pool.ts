// Pooling with tfjs semantics: maxPool, avgPool and pool ('max' | 'avg', with dilations), with gradients
// through the backend's pool2dBackprop kernel.
//   x: [N, H, W, C] (or [H, W, C]) → y: [N, OH, OW, C]; windows [KH, KW] never mix channels.
// Padding never takes part: a max ignores it, an average divides by the number of real inputs (tfjs).
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { cast } from './cast.js';
import { pad as padOp } from './pad.js';
import { reshape } from './shape.js';
import { toTensor } from './util.js';
import {
  backendInfo, computePool2DInfo, ConvGeometry, DimRoundingMode, Padding, PairArg, parsePair, requireKernel,
} from './conv_util.js';

type Arg = Tensor | TensorLike;
type PoolMode = 'max' | 'avg';

const opNameOf = (mode: PoolMode) => (mode === 'max' ? 'maxPool' : 'avgPool');

function poolKernel(x: Tensor, g: ConvGeometry, mode: PoolMode): Tensor {
  const info = backendInfo(g);
  const opName = opNameOf(mode);
  return ENGINE.runKernel({
    name: opName,
    inputs: [x],
    forward: (backend, [input]) => ({
      dataId: requireKernel(backend, 'pool2d', opName)(input.dataId, info, mode),
      shape: g.outShape,
      dtype: 'float32',
    }),
    backward: ([dy], [input]) => [poolBackprop(dy, input, g, mode)],
  })[0];
}

/** dx [N, H, W, C] from dy [N, OH, OW, C]: linear in dy (max routes it to each window's first maximum of x). */
function poolBackprop(dy: Tensor, x: Tensor, g: ConvGeometry, mode: PoolMode): Tensor {
  const info = backendInfo(g);
  const opName = opNameOf(mode);
  return ENGINE.runKernel({
    name: `${opName}Backprop`,
    inputs: [dy, x],
    forward: (backend, [upstream, input]) => ({
      dataId: requireKernel(backend, 'pool2dBackprop', opName)(upstream.dataId, input.dataId, info, mode),
      shape: input.shape,
      dtype: 'float32',
    }),
    backward: ([ddx]) => {
      // avg: the adjoint of spreading dy evenly is averaging again. max would need each window's argmax
      // of x, which no kernel returns; tfjs has no second-order maxPool gradient either.
      if (mode === 'avg') return [poolKernel(ddx, g, 'avg'), null];
      throw new Error(`maxPool: second-order gradients are not supported (x is [${x.shape}])`);
    },
  })[0];
}

/** x as rank 4 float32, whether it had a batch axis, and its original dtype. */
function prepare(xArg: Arg, opName: string): { x: Tensor; squeeze: boolean; dtype: Tensor['dtype'] } {
  const t = toTensor(xArg, 'x', opName);
  if (t.rank !== 3 && t.rank !== 4) throw new Error(`${opName}: x must be rank 4 (or 3), got shape [${t.shape}]`);
  const squeeze = t.rank === 3;
  const asFloat = t.dtype === 'float32' ? t : cast(t, 'float32');
  return { x: squeeze ? reshape(asFloat, [1, ...t.shape]) : asFloat, squeeze, dtype: t.dtype };
}

function finish(y: Tensor, squeeze: boolean, dtype: Tensor['dtype']): Tensor {
  const typed = dtype === 'float32' ? y : cast(y, dtype);
  return squeeze ? reshape(typed, typed.shape.slice(1)) : typed;
}

function pool2d(mode: PoolMode, xArg: Arg, filterSize: PairArg, strides: PairArg, pad: Padding, dimRoundingMode?: DimRoundingMode): Tensor {
  const opName = opNameOf(mode);
  const { x, squeeze, dtype } = prepare(xArg, opName);
  const g = computePool2DInfo(opName, x.shape, filterSize, strides, pad, dimRoundingMode);
  return finish(poolKernel(x, g, mode), squeeze, dtype);
}

/** Max over each [KH, KW] window, as tf.maxPool. */
export function maxPool(x: Arg, filterSize: PairArg, strides: PairArg, pad: Padding, dimRoundingMode?: DimRoundingMode): Tensor {
  return pool2d('max', x, filterSize, strides, pad, dimRoundingMode);
}

/** Mean over each [KH, KW] window (padding excluded), as tf.avgPool; the result keeps x's dtype. */
export function avgPool(x: Arg, filterSize: PairArg, strides: PairArg, pad: Padding, dimRoundingMode?: DimRoundingMode): Tensor {
  return pool2d('avg', x, filterSize, strides, pad, dimRoundingMode);
}

/**
 * tf.pool: max or avg pooling with optional dilations (then strides must be 1). As tfjs (which pools a
 * space-to-batch of x), a dilated 'same' pool pads x with zeros that do take part in the window.
 */
export function pool(
  input: Arg, windowShape: PairArg, poolingType: PoolMode, pad: Padding,
  dilations: PairArg = [1, 1], strides: PairArg = 1, dimRoundingMode?: DimRoundingMode,
): Tensor {
  if (poolingType !== 'max' && poolingType !== 'avg') {
    throw new Error(`pool: poolingType must be 'max' or 'avg', got '${String(poolingType)}'`);
  }
  const [dilationHeight, dilationWidth] = parsePair(dilations ?? 1, 'dilations', 'pool');
  const padding = pad === 0 ? 'valid' : pad;
  if (dilationHeight === 1 && dilationWidth === 1) return pool2d(poolingType, input, windowShape, strides ?? 1, padding, dimRoundingMode);
  const opName = 'pool';
  const { x, squeeze, dtype } = prepare(input, opName);
  const stridePair = parsePair(strides ?? 1, 'strides', opName);
  if (stridePair.some((s) => s > 1)) {
    throw new Error(`pool: either strides or dilations must be 1, got strides [${stridePair}] and dilations [${dilationHeight},${dilationWidth}]`);
  }
  if (padding !== 'same' && padding !== 'valid') {
    throw new Error(`pool: dilations > 1 take padding 'same' or 'valid', got ${JSON.stringify(pad)} (x is [${x.shape}])`);
  }
  const [windowHeight, windowWidth] = parsePair(windowShape, 'windowShape', opName);
  let padded = x;
  if (padding === 'same') {
    const extraHeight = (windowHeight - 1) * dilationHeight;
    const extraWidth = (windowWidth - 1) * dilationWidth;
    const top = Math.floor(extraHeight / 2);
    const left = Math.floor(extraWidth / 2);
    padded = padOp(x, [[0, 0], [top, extraHeight - top], [left, extraWidth - left], [0, 0]]);
  }
  const g = computePool2DInfo(opName, padded.shape, [windowHeight, windowWidth], 1, 'valid', dimRoundingMode, [dilationHeight, dilationWidth]);
  return finish(poolKernel(padded, g, poolingType), squeeze, dtype);
}
