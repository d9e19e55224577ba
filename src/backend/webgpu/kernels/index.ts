// Every kernel the executor runs, by the Backend method name the webgpu backend sends.
import type { GpuExecutor } from '../executor.js';
import * as elementwise from './elementwise.js';
import * as matmul from './matmul.js';
import * as reduction from './reduce.js';
import * as movement from './movement.js';
import * as conv from './conv.js';
import * as optimizer from './optimizer.js';
import * as attention from './attention.js';
import * as layerNorm from './layernorm.js';
import * as recurrent from './recurrent.js';
import { checkIndices } from './validate.js';

export type Kernel = (exec: GpuExecutor, outs: number[], ...args: any[]) => void;

export const KERNELS: Record<string, Kernel> = {
  fill: elementwise.fill, dropoutMask: elementwise.dropoutMask, unary: elementwise.unary, unaryGrad: elementwise.unaryGrad, binary: elementwise.binary,
  compare: elementwise.compare, where: elementwise.where, cast: elementwise.cast,
  matMul: matmul.matMul,
  reduce: reduction.reduce, softmax: reduction.softmax, softmaxGrad: reduction.softmaxGrad, softmaxCrossEntropy: reduction.softmaxCrossEntropy,
  transpose: movement.transpose, stridedSlice: movement.stridedSlice, concat: movement.concat, pad: movement.pad, tile: movement.tile,
  gather: movement.gather, scatterAdd: movement.scatterAdd, oneHot: movement.oneHot,
  conv2d: conv.conv2d, conv2dBackpropInput: conv.conv2dBackpropInput, conv2dBackpropFilter: conv.conv2dBackpropFilter,
  depthwiseConv2d: conv.depthwiseConv2d, depthwiseConv2dBackpropInput: conv.depthwiseConv2dBackpropInput,
  depthwiseConv2dBackpropFilter: conv.depthwiseConv2dBackpropFilter, pool2d: conv.pool2d, pool2dBackprop: conv.pool2dBackprop,
  batchNorm: conv.batchNorm,
  sgdUpdate: optimizer.sgdUpdate, adamUpdate: optimizer.adamUpdate,
  attention: attention.attention, attentionGrad: attention.attentionGrad, layerNorm: layerNorm.layerNorm, layerNormGrad: layerNorm.layerNormGrad,
  checkIndices,
  recurrentForward: recurrent.recurrentForward, recurrentBackward: recurrent.recurrentBackward,
};
