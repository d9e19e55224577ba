// The reference backend: every Backend kernel in plain TypeScript, float64 inside. It is the oracle
// the wasm and webgpu backends are tested against and the fallback where they are unavailable.
// This class only resolves handles and registers outputs; the kernels live in the topic files.
//
//   const backend = new ReferenceBackend();
//   const x = backend.write([1, -2, 3], 'float32');
//   backend.read(backend.unary('relu', x, 3, 'float32'), 'float32', 3); // Float32Array [1, 0, 3]

import type { AttentionInfo } from '../backend.js';
import type {
  AdamArgs, Backend, BackendMemoryInfo, RecurrentArgs, RecurrentGradients, RecurrentState, BinaryOp, CompareOp, Conv2DInfo, DataId, FusedActivation, DType, MatMulArgs, ReduceOp, Shape,
  TypedArray, UnaryGradOp, UnaryOp,
} from '../backend.js';
import * as attention from './attention.js';
import * as conv from './conv.js';
import * as layernorm from './layernorm.js';
import { batchNorm } from './batchnorm.js';
import * as depthwise from './depthwise.js';
import * as pool from './pool.js';
import { softmaxCrossEntropy } from './crossentropy.js';
import * as elementwise from './elementwise.js';
import { matMul } from './matmul.js';
import * as movement from './movement.js';
import { adamUpdate, sgdUpdate } from './optimizer.js';
import { reduce, softmax, softmaxGrad } from './reduce.js';
import { recurrentBackwardValues, recurrentForwardValues, type RecurrentValues } from './recurrent.js';
import { allocate, BufferRegistry, fromUser, toUser, type Values } from './storage.js';

export { ReferenceData } from './storage.js';

export class ReferenceBackend implements Backend {
  readonly name = 'reference';
  private readonly buffers = new BufferRegistry();

  private values(data: DataId, op: string): Values {
    return this.buffers.valuesOf(data, op);
  }

  private output(values: Values): DataId {
    return this.buffers.register(values);
  }

  // --- storage -----------------------------------------------------------------------------------

  /** Copies values in. A number[] (or Float64Array) keeps full float64 precision for float32. */
  write(values: TypedArray | number[], dtype: DType): DataId {
    return this.output(fromUser(values, dtype));
  }

  fill(size: number, value: number, dtype: DType): DataId {
    const values = allocate(size, dtype);
    values.fill(dtype === 'bool' ? (value !== 0 ? 1 : 0) : value);
    return this.output(values);
  }

  read(data: DataId, dtype: DType, size: number): TypedArray {
    return toUser(this.values(data, 'read'), dtype, size);
  }

  /** Not in the Backend interface: the unrounded float64 contents, for gradient checks. */
  readFloat64(data: DataId): Float64Array {
    return Float64Array.from(this.values(data, 'readFloat64'));
  }

  dispose(data: DataId): void {
    this.buffers.release(data);
  }

  memory(): BackendMemoryInfo {
    return { bytes: this.buffers.bytes, buffers: this.buffers.buffers };
  }

  // --- compute -----------------------------------------------------------------------------------

  matMul(args: MatMulArgs): DataId {
    return this.output(matMul({
      ...args,
      a: this.values(args.a, 'matMul'),
      b: this.values(args.b, 'matMul'),
      bias: args.bias ? this.values(args.bias, 'matMul') : undefined,
    }));
  }

  unary(op: UnaryOp, x: DataId, size: number, dtype: DType, alpha?: number): DataId {
    return this.output(elementwise.unary(op, this.values(x, op), size, dtype, alpha));
  }

  unaryGrad(op: UnaryGradOp, xOrY: DataId, dy: DataId, size: number, alpha?: number): DataId {
    const name = `${op}Grad`;
    return this.output(elementwise.unaryGrad(op, this.values(xOrY, name), this.values(dy, name), size, alpha));
  }

  binary(op: BinaryOp, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType): DataId {
    return this.output(elementwise.binary(op, this.values(a, op), aShape, this.values(b, op), bShape, outShape, dtype));
  }

  compare(op: CompareOp, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, _dtype: DType): DataId {
    return this.output(elementwise.compare(op, this.values(a, op), aShape, this.values(b, op), bShape, outShape));
  }

  where(
    cond: DataId, condShape: Shape, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType,
  ): DataId {
    return this.output(elementwise.where(
      this.values(cond, 'where'), condShape, this.values(a, 'where'), aShape, this.values(b, 'where'), bShape,
      outShape, dtype,
    ));
  }

  reduce(op: ReduceOp, x: DataId, outer: number, reduceSize: number, inner: number, dtype: DType): DataId {
    return this.output(reduce(op, this.values(x, op), outer, reduceSize, inner, dtype));
  }

  softmax(x: DataId, rows: number, cols: number, log: boolean): DataId {
    return this.output(softmax(this.values(x, 'softmax'), rows, cols, log));
  }

  softmaxGrad(y: DataId, dy: DataId, rows: number, cols: number, log: boolean): DataId {
    return this.output(softmaxGrad(this.values(y, 'softmaxGrad'), this.values(dy, 'softmaxGrad'), rows, cols, log));
  }

  softmaxCrossEntropy(logits: DataId, labels: DataId, rows: number, cols: number): { loss: DataId; probs: DataId } {
    const { loss, probs } = softmaxCrossEntropy(
      this.values(logits, 'softmaxCrossEntropy'), this.values(labels, 'softmaxCrossEntropy'), rows, cols,
    );
    return { loss: this.output(loss), probs: this.output(probs) };
  }

  cast(x: DataId, size: number, _from: DType, to: DType): DataId {
    return this.output(elementwise.cast(this.values(x, 'cast'), size, to));
  }

  transpose(x: DataId, shape: Shape, perm: readonly number[], dtype: DType): DataId {
    return this.output(movement.transpose(this.values(x, 'transpose'), shape, perm, dtype));
  }

  stridedSlice(
    x: DataId, shape: Shape, begin: readonly number[], strides: readonly number[], outShape: Shape, dtype: DType,
  ): DataId {
    return this.output(movement.stridedSlice(this.values(x, 'stridedSlice'), shape, begin, strides, outShape, dtype));
  }

  concat(xs: readonly DataId[], shapes: readonly Shape[], axis: number, dtype: DType): DataId {
    return this.output(movement.concat(xs.map((x) => this.values(x, 'concat')), shapes, axis, dtype));
  }

  pad(x: DataId, shape: Shape, paddings: readonly (readonly [number, number])[], value: number, dtype: DType): DataId {
    return this.output(movement.pad(this.values(x, 'pad'), shape, paddings, value, dtype));
  }

  tile(x: DataId, shape: Shape, reps: readonly number[], dtype: DType): DataId {
    return this.output(movement.tile(this.values(x, 'tile'), shape, reps, dtype));
  }

  gather(
    x: DataId, outer: number, axisSize: number, inner: number, indices: DataId, numIndices: number, dtype: DType,
  ): DataId {
    return this.output(movement.gather(
      this.values(x, 'gather'), outer, axisSize, inner, this.values(indices, 'gather'), numIndices, dtype,
    ));
  }

  scatterAdd(updates: DataId, outer: number, axisSize: number, inner: number, indices: DataId, numIndices: number): DataId {
    return this.output(movement.scatterAdd(
      this.values(updates, 'scatterAdd'), outer, axisSize, inner, this.values(indices, 'scatterAdd'), numIndices,
    ));
  }

  oneHot(indices: DataId, n: number, depth: number, onValue: number, offValue: number, dtype: DType): DataId {
    return this.output(movement.oneHot(this.values(indices, 'oneHot'), n, depth, onValue, offValue, dtype));
  }

  // --- convolution --------------------------------------------------------------------------------

  conv2d(x: DataId, filter: DataId, info: Conv2DInfo, bias?: DataId, activation?: FusedActivation): DataId {
    return this.output(conv.conv2d(
      this.values(x, 'conv2d'), this.values(filter, 'conv2d'), info,
      bias ? this.values(bias, 'conv2d') : undefined, activation,
    ));
  }

  conv2dBackpropInput(dy: DataId, filter: DataId, info: Conv2DInfo): DataId {
    return this.output(conv.conv2dBackpropInput(
      this.values(dy, 'conv2dBackpropInput'), this.values(filter, 'conv2dBackpropInput'), info,
    ));
  }

  conv2dBackpropFilter(x: DataId, dy: DataId, info: Conv2DInfo): DataId {
    return this.output(conv.conv2dBackpropFilter(
      this.values(x, 'conv2dBackpropFilter'), this.values(dy, 'conv2dBackpropFilter'), info,
    ));
  }

  // --- depthwise convolution, pooling, batch norm (float32 buffers are Float64Array here) ------------

  depthwiseConv2d(x: DataId, filter: DataId, info: Conv2DInfo): DataId {
    return this.output(depthwise.depthwiseConv2d(
      this.float(x, 'depthwiseConv2d'), this.float(filter, 'depthwiseConv2d'), info,
    ));
  }

  depthwiseConv2dBackpropInput(dy: DataId, filter: DataId, info: Conv2DInfo): DataId {
    return this.output(depthwise.depthwiseConv2dBackpropInput(
      this.float(dy, 'depthwiseConv2dBackpropInput'), this.float(filter, 'depthwiseConv2dBackpropInput'), info,
    ));
  }

  depthwiseConv2dBackpropFilter(x: DataId, dy: DataId, info: Conv2DInfo): DataId {
    return this.output(depthwise.depthwiseConv2dBackpropFilter(
      this.float(x, 'depthwiseConv2dBackpropFilter'), this.float(dy, 'depthwiseConv2dBackpropFilter'), info,
    ));
  }

  pool2d(x: DataId, info: Conv2DInfo, mode: 'max' | 'avg'): DataId {
    return this.output(pool.pool2d(this.float(x, 'pool2d'), info, mode));
  }

  pool2dBackprop(dy: DataId, x: DataId, info: Conv2DInfo, mode: 'max' | 'avg'): DataId {
    return this.output(pool.pool2dBackprop(this.float(dy, 'pool2dBackprop'), this.float(x, 'pool2dBackprop'), info, mode));
  }

  batchNorm(
    x: DataId, rows: number, channels: number, mean: DataId, variance: DataId,
    offset: DataId | undefined, scale: DataId | undefined, epsilon: number,
  ): DataId {
    return this.output(batchNorm(
      this.float(x, 'batchNorm'), rows, channels, this.float(mean, 'batchNorm'), this.float(variance, 'batchNorm'),
      offset ? this.float(offset, 'batchNorm') : undefined, scale ? this.float(scale, 'batchNorm') : undefined, epsilon,
    ));
  }

  // --- recurrent (whole sequence) -----------------------------------------------------------------

  private recurrentValues(args: RecurrentArgs): RecurrentValues {
    const op = `recurrent ${args.cell}`;
    return {
      x: this.float(args.x, op), kernel: this.float(args.kernel, op), recurrentKernel: this.float(args.recurrentKernel, op),
      bias: args.bias && this.float(args.bias, op), initialH: this.float(args.initialH, op),
      initialC: args.initialC && this.float(args.initialC, op), mask: args.mask && this.float(args.mask, op),
    };
  }

  recurrentForward(args: RecurrentArgs): RecurrentState {
    const saved = recurrentForwardValues(args, this.recurrentValues(args));
    return {
      sequence: this.output(saved.sequence), h: this.output(saved.h), c: saved.c && this.output(saved.c),
      gates: this.output(saved.gates), extra: saved.extra && this.output(saved.extra),
    };
  }

  recurrentBackward(
    args: RecurrentArgs, saved: RecurrentState, dSequence: DataId, dH: DataId, dC: DataId | undefined,
    needs: { x: boolean; kernel: boolean; recurrentKernel: boolean; bias: boolean; initialH: boolean; initialC: boolean },
  ): RecurrentGradients {
    const op = `recurrentBackward ${args.cell}`;
    const grads = recurrentBackwardValues(args, this.recurrentValues(args), {
      sequence: this.float(saved.sequence, op), h: this.float(saved.h, op), gates: this.float(saved.gates, op),
      extra: saved.extra && this.float(saved.extra, op),
    }, this.float(dSequence, op), this.float(dH, op), dC && this.float(dC, op));
    return {
      dx: needs.x ? this.output(grads.dx) : undefined,
      dKernel: needs.kernel ? this.output(grads.dKernel) : undefined,
      dRecurrentKernel: needs.recurrentKernel ? this.output(grads.dRecurrentKernel) : undefined,
      dBias: needs.bias && args.bias ? this.output(grads.dBias) : undefined,
      dInitialH: needs.initialH ? this.output(grads.dInitialH) : undefined,
      dInitialC: needs.initialC && grads.dInitialC ? this.output(grads.dInitialC) : undefined,
    };
  }

  // --- attention and layer normalization ---------------------------------------------------------

  attention(q: DataId, k: DataId, v: DataId, mask: DataId | undefined, info: AttentionInfo): { out: DataId; logSumExp: DataId } {
    const result = attention.attention(this.float(q, 'attention'), this.float(k, 'attention'), this.float(v, 'attention'),
      mask ? this.float(mask, 'attention') : undefined, info);
    return { out: this.output(result.out), logSumExp: this.output(result.logSumExp) };
  }

  attentionGrad(q: DataId, k: DataId, v: DataId, mask: DataId | undefined, _out: DataId, _logSumExp: DataId, dOut: DataId,
    info: AttentionInfo, needs = { q: true, k: true, v: true }): { dq?: DataId; dk?: DataId; dv?: DataId } {
    const name = 'attentionGrad';
    const grads = attention.attentionGrad(this.float(q, name), this.float(k, name), this.float(v, name),
      mask ? this.float(mask, name) : undefined, this.float(dOut, name), info);
    return {
      dq: needs.q ? this.output(grads.dq) : undefined,
      dk: needs.k ? this.output(grads.dk) : undefined,
      dv: needs.v ? this.output(grads.dv) : undefined,
    };
  }

  layerNorm(x: DataId, rows: number, cols: number, gamma: DataId | undefined, beta: DataId | undefined, epsilon: number):
    { y: DataId; mean: DataId; rstd: DataId } {
    const result = layernorm.layerNorm(this.float(x, 'layerNorm'), rows, cols,
      gamma ? this.float(gamma, 'layerNorm') : undefined, beta ? this.float(beta, 'layerNorm') : undefined, epsilon);
    return { y: this.output(result.y), mean: this.output(result.mean), rstd: this.output(result.rstd) };
  }

  layerNormGrad(x: DataId, dy: DataId, mean: DataId, rstd: DataId, gamma: DataId | undefined, rows: number, cols: number,
    needs: { gamma: boolean; beta: boolean }): { dx: DataId; dgamma?: DataId; dbeta?: DataId } {
    const name = 'layerNormGrad';
    const grads = layernorm.layerNormGrad(this.float(x, name), this.float(dy, name), this.float(mean, name),
      this.float(rstd, name), gamma ? this.float(gamma, name) : undefined, rows, cols);
    return {
      dx: this.output(grads.dx),
      dgamma: needs.gamma ? this.output(grads.dgamma) : undefined,
      dbeta: needs.beta ? this.output(grads.dbeta) : undefined,
    };
  }

  /** A float32 buffer's float64 storage; these kernels take float32 only. */
  private float(data: DataId, op: string): Float64Array {
    const values = this.values(data, op);
    if (!(values instanceof Float64Array)) throw new Error(`reference backend: ${op} takes float32 buffers`);
    return values;
  }

  // --- in-place optimizer updates ----------------------------------------------------------------

  sgdUpdate(
    param: DataId, grad: DataId, velocity: DataId | undefined, size: number,
    learningRate: number, momentum: number, nesterov: boolean,
  ): void {
    sgdUpdate(
      this.values(param, 'sgdUpdate'), this.values(grad, 'sgdUpdate'),
      velocity ? this.values(velocity, 'sgdUpdate') : undefined, size, learningRate, momentum, nesterov,
    );
  }

  adamUpdate(param: DataId, grad: DataId, m: DataId, v: DataId, size: number, args: AdamArgs): void {
    adamUpdate(
      this.values(param, 'adamUpdate'), this.values(grad, 'adamUpdate'), this.values(m, 'adamUpdate'),
      this.values(v, 'adamUpdate'), size, args,
    );
  }
}
