// Convolutions with tfjs semantics: conv2d, conv1d, conv2dTranspose, depthwiseConv2d, separableConv2d and
// fused.conv2d (bias + activation in the kernel's epilogue), with gradients through the backprop kernels.
//   x: [N, H, W, C] (NHWC; NCHW runs as a transpose around the NHWC kernel)   filter: [KH, KW, C, OC]
//   y: [N, OH, OW, OC]                         depthwise filter: [KH, KW, C, M] → y: [N, OH, OW, C·M]
// Each kernel is an op whose gradient is the adjoint kernel, and each adjoint is an op too, so
// higher-order gradients flow: conv ↔ backpropInput ↔ backpropFilter close under differentiation.
import type { FusedActivation } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { add, sumToShape } from './binary.js';
import { cast } from './cast.js';
import { reshape, transpose } from './shape.js';
import { activationGradient, applyActivation, type Activation } from './fused_activation.js';
import { broadcastShapes, toTensor } from './util.js';
import {
  backendInfo, checkDataFormat, computeConv2DInfo, ConvGeometry, DataFormat, DimRoundingMode, Padding, PairArg,
  parsePair, requireKernel,
} from './conv_util.js';

type Arg = Tensor | TensorLike;

// --- kernel ops (NHWC, float32, validated geometry) ----------------------------------------------------

function conv2dKernel(x: Tensor, filter: Tensor, g: ConvGeometry, bias?: Tensor, activation: FusedActivation = 'linear'): Tensor {
  const info = backendInfo(g);
  return ENGINE.runKernel({
    name: 'conv2d',
    inputs: bias ? [x, filter, bias] : [x, filter],
    forward: (backend, [input, weights, b]) => ({
      dataId: requireKernel(backend, 'conv2d', 'conv2d')(input.dataId, weights.dataId, info, b?.dataId, activation),
      shape: g.outShape,
      dtype: 'float32',
    }),
    backward: ([dy], [input, weights, b], [y], needs) => {
      const dz = activationGradient(activation, dy, y, () => conv2dKernel(input, weights, g, b), 'fused.conv2d');
      const grads = [
        needs[0] ? conv2dBackpropInput(dz, weights, g) : null,
        needs[1] ? conv2dBackpropFilter(input, dz, g) : null,
      ];
      return b ? [...grads, needs[2] ? sumToShape(dz, b.shape) : null] : grads;
    },
  })[0];
}

/** dx [N, H, W, C] = convᵀ(dy [N, OH, OW, OC], filter): linear in dy and in filter. */
function conv2dBackpropInput(dy: Tensor, filter: Tensor, g: ConvGeometry): Tensor {
  const info = backendInfo(g);
  return ENGINE.runKernel({
    name: 'conv2dBackpropInput',
    inputs: [dy, filter],
    forward: (backend, [upstream, weights]) => ({
      dataId: requireKernel(backend, 'conv2dBackpropInput', 'conv2dBackpropInput')(upstream.dataId, weights.dataId, info),
      shape: [g.batch, g.inHeight, g.inWidth, g.inChannels],
      dtype: 'float32',
    }),
    backward: ([ddx], [upstream, weights], _, needs) => [
      needs[0] ? conv2dKernel(ddx, weights, g) : null,
      needs[1] ? conv2dBackpropFilter(ddx, upstream, g) : null,
    ],
  })[0];
}

/** dFilter [KH, KW, C, OC] = Σ patches(x) ⊗ dy: linear in x and in dy. */
function conv2dBackpropFilter(x: Tensor, dy: Tensor, g: ConvGeometry): Tensor {
  const info = backendInfo(g);
  return ENGINE.runKernel({
    name: 'conv2dBackpropFilter',
    inputs: [x, dy],
    forward: (backend, [input, upstream]) => ({
      dataId: requireKernel(backend, 'conv2dBackpropFilter', 'conv2dBackpropFilter')(input.dataId, upstream.dataId, info),
      shape: [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels],
      dtype: 'float32',
    }),
    backward: ([ddf], [input, upstream], _, needs) => [
      needs[0] ? conv2dBackpropInput(upstream, ddf, g) : null,
      needs[1] ? conv2dKernel(input, ddf, g) : null,
    ],
  })[0];
}

function depthwiseKernel(x: Tensor, filter: Tensor, g: ConvGeometry): Tensor {
  const info = backendInfo(g);
  return ENGINE.runKernel({
    name: 'depthwiseConv2d',
    inputs: [x, filter],
    forward: (backend, [input, weights]) => ({
      dataId: requireKernel(backend, 'depthwiseConv2d', 'depthwiseConv2d')(input.dataId, weights.dataId, info),
      shape: g.outShape,
      dtype: 'float32',
    }),
    backward: ([dy], [input, weights], _, needs) => [
      needs[0] ? depthwiseBackpropInput(dy, weights, g) : null,
      needs[1] ? depthwiseBackpropFilter(input, dy, g) : null,
    ],
  })[0];
}

function depthwiseBackpropInput(dy: Tensor, filter: Tensor, g: ConvGeometry): Tensor {
  const info = backendInfo(g);
  return ENGINE.runKernel({
    name: 'depthwiseConv2dBackpropInput',
    inputs: [dy, filter],
    forward: (backend, [upstream, weights]) => ({
      dataId: requireKernel(backend, 'depthwiseConv2dBackpropInput', 'depthwiseConv2d')(upstream.dataId, weights.dataId, info),
      shape: [g.batch, g.inHeight, g.inWidth, g.inChannels],
      dtype: 'float32',
    }),
    backward: ([ddx], [upstream, weights], _, needs) => [
      needs[0] ? depthwiseKernel(ddx, weights, g) : null,
      needs[1] ? depthwiseBackpropFilter(ddx, upstream, g) : null,
    ],
  })[0];
}

function depthwiseBackpropFilter(x: Tensor, dy: Tensor, g: ConvGeometry): Tensor {
  const info = backendInfo(g);
  return ENGINE.runKernel({
    name: 'depthwiseConv2dBackpropFilter',
    inputs: [x, dy],
    forward: (backend, [input, upstream]) => ({
      dataId: requireKernel(backend, 'depthwiseConv2dBackpropFilter', 'depthwiseConv2d')(input.dataId, upstream.dataId, info),
      shape: [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels / g.inChannels],
      dtype: 'float32',
    }),
    backward: ([ddf], [input, upstream], _, needs) => [
      needs[0] ? depthwiseBackpropInput(upstream, ddf, g) : null,
      needs[1] ? depthwiseKernel(input, ddf, g) : null,
    ],
  })[0];
}

// --- input handling ---------------------------------------------------------------------------------

/** x as float32 rank 4 (a rank-3 x gets a batch of 1), and whether to drop that batch afterwards. */
function batched(xArg: Arg, opName: string, argName = 'x'): [Tensor, boolean] {
  let x = toTensor(xArg, argName, opName, 'float32');
  if (x.dtype !== 'float32') x = cast(x, 'float32');
  if (x.rank === 3) return [reshape(x, [1, ...x.shape]), true];
  if (x.rank !== 4) throw new Error(`${opName}: ${argName} must be rank 4 (or 3), got shape [${x.shape}]`);
  return [x, false];
}

function filterArg(filterArg: Arg, rank: number, opName: string, argName = 'filter'): Tensor {
  let filter = toTensor(filterArg, argName, opName, 'float32');
  if (filter.dtype !== 'float32') filter = cast(filter, 'float32');
  if (filter.rank !== rank) throw new Error(`${opName}: ${argName} must be rank ${rank}, got shape [${filter.shape}]`);
  return filter;
}

const toNHWC = (x: Tensor, dataFormat: DataFormat) => (dataFormat === 'NCHW' ? transpose(x, [0, 2, 3, 1]) : x);
const fromNHWC = (y: Tensor, dataFormat: DataFormat) => (dataFormat === 'NCHW' ? transpose(y, [0, 3, 1, 2]) : y);
const unbatched = (y: Tensor, squeeze: boolean) => (squeeze ? reshape(y, y.shape.slice(1)) : y);

/** Explicit padding in x's format, reordered to NHWC for the transposed input. */
function padForNHWC(pad: Padding, dataFormat: DataFormat): Padding {
  return dataFormat === 'NCHW' && Array.isArray(pad) ? [pad[0], pad[2], pad[3], pad[1]] : pad;
}

// --- public ops -------------------------------------------------------------------------------------

function conv2dImpl(
  opName: string, xArg: Arg, filterIn: Arg, strides: PairArg, pad: Padding, dataFormat: DataFormat,
  dilations: PairArg, dimRoundingMode: DimRoundingMode | undefined | null,
  epilogue?: { bias?: Tensor; activation: FusedActivation },
): Tensor {
  const [x, squeeze] = batched(xArg, opName);
  const filter = filterArg(filterIn, 4, opName);
  const format = checkDataFormat(dataFormat, opName);
  // Validated in the caller's format (so errors show its shapes), then planned on the NHWC input.
  let g = computeConv2DInfo({ opName, inShape: x.shape, filterShape: filter.shape, strides, pad, dilations, dimRoundingMode, dataFormat: format });
  const input = toNHWC(x, format);
  if (format === 'NCHW') {
    g = computeConv2DInfo({ opName, inShape: input.shape, filterShape: filter.shape, strides, pad: padForNHWC(pad, format), dilations, dimRoundingMode });
  }
  const y = conv2dKernel(input, filter, g, epilogue?.bias, epilogue?.activation);
  return unbatched(fromNHWC(y, format), squeeze);
}

/** 2-D convolution: x [N, H, W, C] (or [H, W, C]) ⋆ filter [KH, KW, C, OC], as tf.conv2d. */
export function conv2d(
  x: Arg, filter: Arg, strides: PairArg, pad: Padding, dataFormat: DataFormat = 'NHWC',
  dilations: PairArg = [1, 1], dimRoundingMode?: DimRoundingMode,
): Tensor {
  return conv2dImpl('conv2d', x, filter, strides, pad, dataFormat, dilations, dimRoundingMode);
}

/** 1-D convolution: x [N, W, C] (or [W, C]) ⋆ filter [K, C, OC], as tf.conv1d (only 'NWC'). */
export function conv1d(
  x: Arg, filter: Arg, stride: number, pad: Padding, dataFormat: 'NWC' | 'NCW' = 'NWC',
  dilation = 1, dimRoundingMode?: DimRoundingMode,
): Tensor {
  if (dataFormat !== 'NWC') throw new Error(`conv1d: dataFormat '${dataFormat}' is not supported (only 'NWC')`);
  let input = toTensor(x, 'x', 'conv1d', 'float32');
  const squeeze = input.rank === 2;
  if (squeeze) input = reshape(input, [1, ...input.shape]);
  if (input.rank !== 3) throw new Error(`conv1d: x must be rank 3 (or 2), got shape [${input.shape}]`);
  const weights = toTensor(filter, 'filter', 'conv1d', 'float32');
  if (weights.rank !== 3) throw new Error(`conv1d: filter must be rank 3, got shape [${weights.shape}]`);
  parsePair(stride, 'stride', 'conv1d');
  parsePair(dilation, 'dilation', 'conv1d');
  // The width axis is the only spatial one: a numeric pad must not pad the height of 1 that conv2d sees.
  const pad2d: Padding = typeof pad === 'number' ? [[0, 0], [0, 0], [pad, pad], [0, 0]] : pad;
  const y = conv2dImpl('conv1d', reshape(input, [input.shape[0], 1, input.shape[1], input.shape[2]]),
    reshape(weights, [1, ...weights.shape]), [1, stride], pad2d, 'NHWC', [1, dilation], dimRoundingMode);
  return reshape(y, squeeze ? [y.shape[2], y.shape[3]] : [y.shape[0], y.shape[2], y.shape[3]]);
}

/**
 * Transposed convolution (the gradient of conv2d with respect to its input), as tf.conv2dTranspose:
 * x [N, H, W, inC] with filter [KH, KW, outC, inC] → outputShape [N, OH, OW, outC] (NHWC only).
 */
export function conv2dTranspose(
  x: Arg, filter: Arg, outputShape: number[], strides: PairArg, pad: Padding, dimRoundingMode?: DimRoundingMode,
): Tensor {
  const opName = 'conv2dTranspose';
  const [input, squeeze] = batched(x, opName);
  const weights = filterArg(filter, 4, opName);
  if (!Array.isArray(outputShape) || outputShape.length !== (squeeze ? 3 : 4) || outputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`${opName}: outputShape ${JSON.stringify(outputShape)} must be ${squeeze ? 3 : 4} positive integers (x is [${squeeze ? input.shape.slice(1) : input.shape}])`);
  }
  const out4 = squeeze ? [1, ...outputShape] : outputShape;
  if (weights.shape[3] !== input.shape[3]) {
    throw new Error(`${opName}: x's channels (${input.shape[3]}) must match the filter's last dimension (${weights.shape[3]}): x is [${input.shape}], filter is [${weights.shape}]`);
  }
  if (weights.shape[2] !== out4[3]) {
    throw new Error(`${opName}: outputShape's channels (${out4[3]}) must match the filter's third dimension (${weights.shape[2]}): outputShape [${outputShape}], filter is [${weights.shape}]`);
  }
  const g = computeConv2DInfo({ opName, inShape: out4, filterShape: weights.shape, strides, pad, dimRoundingMode });
  if (out4[0] !== input.shape[0] || g.outHeight !== input.shape[1] || g.outWidth !== input.shape[2]) {
    throw new Error(`${opName}: a convolution of outputShape [${out4}] with strides ${JSON.stringify(strides)} and pad ${JSON.stringify(pad)} gives [${g.outShape}], which does not match x [${input.shape}]`);
  }
  return unbatched(conv2dBackpropInput(input, weights, g), squeeze);
}

/** Depthwise convolution: each of x's C channels with its own M filters → [N, OH, OW, C·M], as tf.depthwiseConv2d. */
export function depthwiseConv2d(
  x: Arg, filter: Arg, strides: PairArg, pad: Padding, dataFormat: DataFormat = 'NHWC',
  dilations: PairArg = [1, 1], dimRoundingMode?: DimRoundingMode,
): Tensor {
  const opName = 'depthwiseConv2d';
  const [input, squeeze] = batched(x, opName);
  const weights = filterArg(filter, 4, opName);
  const format = checkDataFormat(dataFormat, opName);
  let g = computeConv2DInfo({ opName, inShape: input.shape, filterShape: weights.shape, strides, pad, dilations, dimRoundingMode, depthwise: true, dataFormat: format });
  const nhwc = toNHWC(input, format);
  if (format === 'NCHW') {
    g = computeConv2DInfo({ opName, inShape: nhwc.shape, filterShape: weights.shape, strides, pad: padForNHWC(pad, format), dilations, dimRoundingMode, depthwise: true });
  }
  return unbatched(fromNHWC(depthwiseKernel(nhwc, weights, g), format), squeeze);
}

/** Depthwise then 1x1 pointwise convolution, as tf.separableConv2d (NHWC only). */
export function separableConv2d(
  x: Arg, depthwiseFilter: Arg, pointwiseFilter: Arg, strides: PairArg, pad: Padding,
  dilation: PairArg = [1, 1], dataFormat: DataFormat = 'NHWC',
): Tensor {
  const opName = 'separableConv2d';
  if (dataFormat !== 'NHWC') throw new Error(`${opName}: dataFormat '${dataFormat}' is not supported (only 'NHWC')`);
  const [input, squeeze] = batched(x, opName);
  const depthwise = filterArg(depthwiseFilter, 4, opName, 'depthwiseFilter');
  const pointwise = filterArg(pointwiseFilter, 4, opName, 'pointwiseFilter');
  const channels = depthwise.shape[2] * depthwise.shape[3];
  if (pointwise.shape[0] !== 1 || pointwise.shape[1] !== 1 || pointwise.shape[2] !== channels) {
    throw new Error(`${opName}: pointwiseFilter must be [1, 1, ${channels}, outChannels] for depthwiseFilter [${depthwise.shape}], got [${pointwise.shape}]`);
  }
  const g = computeConv2DInfo({ opName, inShape: input.shape, filterShape: depthwise.shape, strides, pad, dilations: dilation, depthwise: true });
  const mid = depthwiseKernel(input, depthwise, g);
  const pointwiseGeometry = computeConv2DInfo({ opName, inShape: mid.shape, filterShape: pointwise.shape, strides: 1, pad: 'valid' });
  return unbatched(conv2dKernel(mid, pointwise, pointwiseGeometry), squeeze);
}

// --- fused conv2d -------------------------------------------------------------------------------------

/** tfjs fused activations plus tanh and gelu, as fused.matMul takes them. */
export type ConvActivation = Activation;
const EPILOGUE_ACTIVATIONS: readonly string[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'gelu', 'elu'];

export interface FusedConv2DConfig {
  x: Arg;
  filter: Arg;
  strides: PairArg;
  pad: Padding;
  dataFormat?: DataFormat;
  dilations?: PairArg;
  dimRoundingMode?: DimRoundingMode;
  /** Broadcast against the output; [OC] (NHWC) runs in the kernel's epilogue. */
  bias?: Arg;
  activation?: ConvActivation;
  preluActivationWeights?: Arg;
  leakyreluAlpha?: number;
}


function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  try {
    const shape = broadcastShapes(to, from, 'fused.conv2d');
    return shape.length === to.length && shape.every((d, i) => d === to[i]);
  } catch {
    return false;
  }
}

/** act(conv2d(x, filter) + bias), as tf.fused.conv2d; bias [OC] and the common activations run in the kernel. */
export function fusedConv2d(config: FusedConv2DConfig): Tensor {
  const opName = 'fused.conv2d';
  const { strides, pad, dataFormat = 'NHWC', dilations = [1, 1], dimRoundingMode, activation = 'linear' } = config;
  if (![...EPILOGUE_ACTIVATIONS, 'prelu', 'leakyrelu'].includes(activation)) {
    throw new Error(`${opName}: unknown activation '${activation}' (expected one of ${[...EPILOGUE_ACTIVATIONS, 'prelu', 'leakyrelu'].join(', ')})`);
  }
  let bias = config.bias === undefined || config.bias === null ? undefined : toTensor(config.bias, 'bias', opName);
  if (bias && bias.dtype !== 'float32') bias = cast(bias, 'float32');
  const x = toTensor(config.x, 'x', opName, 'float32');
  const filter = toTensor(config.filter, 'filter', opName, 'float32');
  const outChannels = filter.shape[3];
  const inEpilogue = dataFormat === 'NHWC' && EPILOGUE_ACTIVATIONS.includes(activation)
    && (!bias || (bias.size === outChannels && bias.shape[bias.rank - 1] === outChannels));
  if (inEpilogue) {
    const rowBias = bias && bias.rank !== 1 ? reshape(bias, [outChannels]) : bias;
    return conv2dImpl(opName, x, filter, strides, pad, dataFormat, dilations, dimRoundingMode,
      { bias: rowBias, activation: activation as FusedActivation });
  }
  const y = conv2dImpl(opName, x, filter, strides, pad, dataFormat, dilations, dimRoundingMode);
  // A per-channel bias [OC] of an NCHW output belongs on the channel axis, as tfjs places it.
  if (bias && dataFormat === 'NCHW' && bias.rank === 1 && bias.size === outChannels && bias.size !== 1) {
    bias = reshape(bias, [outChannels, 1, 1]);
  }
  if (bias && !broadcastsTo(bias.shape, y.shape)) {
    throw new Error(`${opName}: bias [${bias.shape}] does not broadcast to the output [${y.shape}]`);
  }
  const preluWeights = config.preluActivationWeights == null
    ? undefined : toTensor(config.preluActivationWeights, 'preluActivationWeights', 'fused.conv2d');
  return applyActivation(bias ? add(y, bias) : y, activation, preluWeights, config.leakyreluAlpha ?? 0.2, 'fused.conv2d');
}
