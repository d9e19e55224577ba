// The wasm backend: buffers are blocks of wasm linear memory owned by the runtime's allocator; float32
// compute goes to the SIMD kernels (through the wrappers beside this file), int32/bool math and data
// movement run in TypeScript over typed-array views of the same memory.
//
//   const backend = new WasmBackend(await createRuntime());
//   const x = backend.write([1, -2, 3], 'float32');
//   backend.read(backend.unary('relu', x, 3, 'float32'), 'float32', 3); // Float32Array [1, 0, 3]
//
// Storage: 4 bytes per element for every dtype (float32 as f32; int32 and bool as i32, bool 0/1).
import type {
  AdamArgs, Backend, BackendMemoryInfo, RecurrentArgs, RecurrentGradients, RecurrentState, BinaryOp, CompareOp, Conv2DInfo, DataId, FusedActivation, DType, MatMulArgs, ReduceOp, Shape,
  TypedArray, UnaryGradOp, UnaryOp,
} from '../backend.js';
import { BINARY_OP_CODE, COMPARE_OP_CODE, FUSED_ACTIVATION_CODE, REDUCE_OP_CODE, UNARY_OP_CODE } from '../backend.js';
import type { Runtime } from '../../runtime/types.js';
import type { AttentionInfo } from '../backend.js';
import { runAttention, runAttentionGrad } from './attention.js';
import { runBatchNorm } from './batchnorm.js';
import { runLayerNorm, runLayerNormGrad } from './layernorm.js';
import { runConv2d, runConv2dBackpropFilter, runConv2dBackpropInput } from './conv.js';
import { runSoftmaxCrossEntropy } from './crossentropy.js';
import { runDepthwiseConv2d, runDepthwiseConv2dBackpropFilter, runDepthwiseConv2dBackpropInput } from './depthwise.js';
import { runBinary, runCompare, runUnary, runUnaryGrad } from './elementwise.js';
import * as intmath from './intmath.js';
import { runGemm } from './matmul.js';
import * as movement from './movement.js';
import { runAdam, runSgd } from './optimizer.js';
import { runReduce } from './reduce.js';
import { runRecurrentBackward, runRecurrentForward, type RecurrentHost } from './recurrent.js';
import { runPool2d, runPool2dBackprop } from './pool.js';
import { storedBits } from './rows.js';
import { sizeOf } from '../shape.js';
import { runSoftmax, runSoftmaxGrad } from './softmax.js';
import { runTranspose } from './transpose.js';

const BYTES_PER_ELEMENT = 4;

/** A buffer in wasm memory: byte pointer `ptr` (-1 once disposed) and its length in bytes. */
export class WasmData implements DataId {
  readonly backend = 'wasm';
  constructor(public ptr: number, readonly bytes: number) {}
}

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  private liveBytes = 0;
  private liveBuffers = 0;

  constructor(readonly runtime: Runtime) {}

  // --- storage -----------------------------------------------------------------------------------

  /** A new, uninitialized buffer of `size` 4-byte elements. */
  private allocate(size: number): WasmData {
    const bytes = size * BYTES_PER_ELEMENT;
    const data = new WasmData(this.runtime.alloc(bytes), bytes);
    this.liveBytes += bytes;
    this.liveBuffers++;
    return data;
  }

  /** The byte pointer of a live buffer; fails loudly for a foreign or disposed handle. */
  private ptr(data: DataId, op: string): number {
    if (data.backend !== 'wasm') throw new Error(`wasm backend: ${op} got a buffer of backend '${data.backend}'`);
    const ptr = (data as WasmData).ptr;
    if (ptr < 0) throw new Error(`wasm backend: ${op} used a disposed buffer`);
    return ptr;
  }

  /** Element offset (ptr / 4) of a live buffer, for the typed-array kernels. */
  private at(data: DataId, op: string): number {
    return this.ptr(data, op) >> 2;
  }

  write(values: TypedArray | number[], dtype: DType): DataId {
    const out = this.allocate(values.length);
    const start = out.ptr >> 2;
    if (dtype === 'float32') this.runtime.f32().set(values, start);
    else if (dtype === 'int32' && !(values instanceof Float32Array)) this.runtime.i32().set(values, start);
    else {
      const i32 = this.runtime.i32();
      if (dtype === 'bool') for (let i = 0; i < values.length; i++) i32[start + i] = values[i] !== 0 ? 1 : 0;
      else for (let i = 0; i < values.length; i++) i32[start + i] = values[i]; // ToInt32 truncation
    }
    return out;
  }

  fill(size: number, value: number, dtype: DType): DataId {
    const out = this.allocate(size);
    this.runtime.i32().fill(storedBits(value, dtype), out.ptr >> 2, (out.ptr >> 2) + size);
    return out;
  }

  read(data: DataId, dtype: DType, size: number): TypedArray {
    const start = this.at(data, 'read');
    if (dtype === 'float32') return this.runtime.f32().slice(start, start + size);
    const values = this.runtime.i32().subarray(start, start + size);
    return dtype === 'int32' ? values.slice() : Uint8Array.from(values);
  }

  dispose(data: DataId): void {
    const buffer = data as WasmData;
    if (buffer.backend !== 'wasm' || buffer.ptr < 0) return;
    this.runtime.free(buffer.ptr);
    buffer.ptr = -1;
    this.liveBytes -= buffer.bytes;
    this.liveBuffers--;
  }

  memory(): BackendMemoryInfo {
    return { bytes: this.liveBytes, buffers: this.liveBuffers, reservedBytes: this.runtime.memory.buffer.byteLength };
  }

  // --- compute -----------------------------------------------------------------------------------

  matMul(args: MatMulArgs): DataId {
    const { batch, m, n, k } = args;
    const a = this.ptr(args.a, 'matMul');
    const b = this.ptr(args.b, 'matMul');
    const bias = args.bias ? this.ptr(args.bias, 'matMul') : 0;
    const out = this.allocate(batch * m * n);
    if (k === 0) this.runtime.f32().fill(0, out.ptr >> 2, (out.ptr >> 2) + batch * m * n);
    runGemm(this.runtime, {
      a, b, out: out.ptr, bias, batch, m, n, k,
      strideA: args.aBatch === 1 ? 0 : m * k,
      strideB: args.bBatch === 1 ? 0 : k * n,
      transposeA: args.transposeA, transposeB: args.transposeB,
      activation: FUSED_ACTIVATION_CODE[args.activation ?? 'linear'],
    });
    return out;
  }

  unary(op: UnaryOp, x: DataId, size: number, dtype: DType, alpha?: number): DataId {
    const input = this.ptr(x, op);
    const slope = alpha ?? 0; // leakyRelu's slope always comes from the op
    const out = this.allocate(size);
    if (dtype === 'float32') runUnary(this.runtime, UNARY_OP_CODE[op], input, out.ptr, size, slope);
    else intmath.intUnary(this.runtime.i32(), op, input >> 2, out.ptr >> 2, size, dtype, slope);
    return out;
  }

  unaryGrad(op: UnaryGradOp, xOrY: DataId, dy: DataId, size: number, alpha?: number): DataId {
    const name = `${op}Grad`;
    const source = this.ptr(xOrY, name);
    const upstream = this.ptr(dy, name);
    const slope = alpha ?? 0; // leakyRelu's slope always comes from the op
    const out = this.allocate(size);
    runUnaryGrad(this.runtime, UNARY_OP_CODE[op], source, upstream, out.ptr, size, slope);
    return out;
  }

  binary(op: BinaryOp, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType): DataId {
    const left = this.ptr(a, op);
    const right = this.ptr(b, op);
    const out = this.allocate(sizeOf(outShape));
    if (dtype === 'float32') runBinary(this.runtime, BINARY_OP_CODE[op], left, aShape, right, bShape, out.ptr, outShape);
    else intmath.intBinary(this.runtime.i32(), op, left >> 2, aShape, right >> 2, bShape, out.ptr >> 2, outShape, dtype);
    return out;
  }

  compare(op: CompareOp, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType): DataId {
    const left = this.ptr(a, op);
    const right = this.ptr(b, op);
    const out = this.allocate(sizeOf(outShape));
    if (dtype === 'float32') runCompare(this.runtime, COMPARE_OP_CODE[op], left, aShape, right, bShape, out.ptr, outShape);
    else intmath.compareTS(this.runtime.i32(), this.runtime.i32(), op, left >> 2, aShape, right >> 2, bShape, out.ptr >> 2, outShape);
    return out;
  }

  where(cond: DataId, condShape: Shape, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, _dtype: DType): DataId {
    const c = this.at(cond, 'where');
    const left = this.at(a, 'where');
    const right = this.at(b, 'where');
    const out = this.allocate(sizeOf(outShape));
    intmath.where(this.runtime.i32(), c, condShape, left, aShape, right, bShape, out.ptr >> 2, outShape);
    return out;
  }

  reduce(op: ReduceOp, x: DataId, outer: number, reduceSize: number, inner: number, dtype: DType): DataId {
    const input = this.ptr(x, op);
    const out = this.allocate(outer * inner);
    // any/all test != 0, which the SIMD kernel also does right on i32 0/1 (bool) input.
    const simd = dtype === 'float32' || (dtype === 'bool' && (op === 'any' || op === 'all'));
    if (simd) {
      runReduce(this.runtime, REDUCE_OP_CODE[op], input, out.ptr, outer, reduceSize, inner);
      // The kernel writes any/all as i32 0/1; a float32 output wants 0.0/1.0.
      if (dtype === 'float32' && (op === 'any' || op === 'all')) this.i32ToF32InPlace(out, outer * inner);
    }
    else intmath.intReduce(this.runtime.i32(), op, input >> 2, outer, reduceSize, inner, out.ptr >> 2, dtype);
    return out;
  }

  private i32ToF32InPlace(data: WasmData, size: number): void {
    const start = data.ptr >> 2;
    const i32 = this.runtime.i32();
    const f32 = this.runtime.f32();
    for (let i = start; i < start + size; i++) f32[i] = i32[i];
  }

  softmax(x: DataId, rows: number, cols: number, log: boolean): DataId {
    const input = this.ptr(x, 'softmax');
    const out = this.allocate(rows * cols);
    runSoftmax(this.runtime, input, out.ptr, rows, cols, log);
    return out;
  }

  softmaxGrad(y: DataId, dy: DataId, rows: number, cols: number, log: boolean): DataId {
    const output = this.ptr(y, 'softmaxGrad');
    const upstream = this.ptr(dy, 'softmaxGrad');
    const out = this.allocate(rows * cols);
    runSoftmaxGrad(this.runtime, output, upstream, out.ptr, rows, cols, log);
    return out;
  }

  softmaxCrossEntropy(logits: DataId, labels: DataId, rows: number, cols: number): { loss: DataId; probs: DataId } {
    const input = this.ptr(logits, 'softmaxCrossEntropy');
    const targets = this.ptr(labels, 'softmaxCrossEntropy');
    const loss = this.allocate(rows);
    const probs = this.allocate(rows * cols);
    runSoftmaxCrossEntropy(this.runtime, input, targets, loss.ptr, probs.ptr, rows, cols);
    return { loss, probs };
  }

  cast(x: DataId, size: number, from: DType, to: DType): DataId {
    const input = this.at(x, 'cast');
    const out = this.allocate(size);
    intmath.cast(this.runtime.f32(), this.runtime.i32(), input, out.ptr >> 2, size, from, to);
    return out;
  }

  transpose(x: DataId, shape: Shape, perm: readonly number[], _dtype: DType): DataId {
    const input = this.ptr(x, 'transpose');
    const out = this.allocate(sizeOf(shape));
    runTranspose(this.runtime, input, out.ptr, shape, perm);
    return out;
  }

  stridedSlice(x: DataId, shape: Shape, begin: readonly number[], strides: readonly number[], outShape: Shape, _dtype: DType): DataId {
    const input = this.at(x, 'stridedSlice');
    const out = this.allocate(sizeOf(outShape));
    movement.stridedSlice(this.runtime.i32(), input, shape, begin, strides, outShape, out.ptr >> 2);
    return out;
  }

  concat(xs: readonly DataId[], shapes: readonly Shape[], axis: number, _dtype: DType): DataId {
    const inputs = xs.map((x) => this.at(x, 'concat'));
    const outShape = [...shapes[0]];
    outShape[axis] = shapes.reduce((sum, shape) => sum + shape[axis], 0);
    const out = this.allocate(sizeOf(outShape));
    movement.concat(this.runtime.i32(), inputs, shapes, axis, out.ptr >> 2);
    return out;
  }

  pad(x: DataId, shape: Shape, paddings: readonly (readonly [number, number])[], value: number, dtype: DType): DataId {
    const input = this.at(x, 'pad');
    const out = this.allocate(sizeOf(shape.map((dim, d) => paddings[d][0] + dim + paddings[d][1])));
    movement.pad(this.runtime.i32(), input, shape, paddings, value, dtype, out.ptr >> 2);
    return out;
  }

  tile(x: DataId, shape: Shape, reps: readonly number[], _dtype: DType): DataId {
    const input = this.at(x, 'tile');
    const out = this.allocate(sizeOf(shape.map((dim, d) => dim * reps[d])));
    movement.tile(this.runtime.i32(), input, shape, reps, out.ptr >> 2);
    return out;
  }

  gather(x: DataId, outer: number, axisSize: number, inner: number, indices: DataId, numIndices: number, _dtype: DType): DataId {
    const input = this.at(x, 'gather');
    const index = this.at(indices, 'gather');
    const out = this.allocate(outer * numIndices * inner);
    movement.gather(this.runtime.i32(), input, outer, axisSize, inner, index, numIndices, out.ptr >> 2);
    return out;
  }

  scatterAdd(updates: DataId, outer: number, axisSize: number, inner: number, indices: DataId, numIndices: number): DataId {
    const source = this.at(updates, 'scatterAdd');
    const index = this.at(indices, 'scatterAdd');
    const out = this.allocate(outer * axisSize * inner);
    movement.scatterAdd(this.runtime.f32(), this.runtime.i32(), source, outer, axisSize, inner, index, numIndices, out.ptr >> 2);
    return out;
  }

  oneHot(indices: DataId, n: number, depth: number, onValue: number, offValue: number, dtype: DType): DataId {
    const index = this.at(indices, 'oneHot');
    const out = this.allocate(n * depth);
    movement.oneHot(this.runtime.i32(), index, n, depth, onValue, offValue, dtype, out.ptr >> 2);
    return out;
  }

  // --- convolution --------------------------------------------------------------------------------

  conv2d(x: DataId, filter: DataId, info: Conv2DInfo, bias?: DataId, activation?: FusedActivation): DataId {
    const input = this.ptr(x, 'conv2d');
    const weights = this.ptr(filter, 'conv2d');
    const biasPtr = bias ? this.ptr(bias, 'conv2d') : 0;
    const out = this.allocate(info.batch * info.outHeight * info.outWidth * info.outChannels);
    runConv2d(this.runtime, info, input, weights, biasPtr, FUSED_ACTIVATION_CODE[activation ?? 'linear'], out.ptr);
    return out;
  }

  conv2dBackpropInput(dy: DataId, filter: DataId, info: Conv2DInfo): DataId {
    const upstream = this.ptr(dy, 'conv2dBackpropInput');
    const weights = this.ptr(filter, 'conv2dBackpropInput');
    const out = this.allocate(info.batch * info.inHeight * info.inWidth * info.inChannels);
    runConv2dBackpropInput(this.runtime, info, upstream, weights, out.ptr);
    return out;
  }

  conv2dBackpropFilter(x: DataId, dy: DataId, info: Conv2DInfo): DataId {
    const input = this.ptr(x, 'conv2dBackpropFilter');
    const upstream = this.ptr(dy, 'conv2dBackpropFilter');
    const out = this.allocate(info.filterHeight * info.filterWidth * info.inChannels * info.outChannels);
    runConv2dBackpropFilter(this.runtime, info, input, upstream, out.ptr);
    return out;
  }

  // --- depthwise convolution, pooling, batch norm (NHWC float32) --------------------------------------

  depthwiseConv2d(x: DataId, filter: DataId, info: Conv2DInfo): DataId {
    const out = this.allocate(info.batch * info.outHeight * info.outWidth * info.outChannels);
    runDepthwiseConv2d(this.runtime, this.ptr(x, 'depthwiseConv2d'), this.ptr(filter, 'depthwiseConv2d'), out.ptr, info);
    return out;
  }

  depthwiseConv2dBackpropInput(dy: DataId, filter: DataId, info: Conv2DInfo): DataId {
    const name = 'depthwiseConv2dBackpropInput';
    const out = this.allocate(info.batch * info.inHeight * info.inWidth * info.inChannels);
    runDepthwiseConv2dBackpropInput(this.runtime, this.ptr(dy, name), this.ptr(filter, name), out.ptr, info);
    return out;
  }

  depthwiseConv2dBackpropFilter(x: DataId, dy: DataId, info: Conv2DInfo): DataId {
    const name = 'depthwiseConv2dBackpropFilter';
    const out = this.allocate(info.filterHeight * info.filterWidth * info.outChannels);
    runDepthwiseConv2dBackpropFilter(this.runtime, this.ptr(x, name), this.ptr(dy, name), out.ptr, info);
    return out;
  }

  pool2d(x: DataId, info: Conv2DInfo, mode: 'max' | 'avg'): DataId {
    const out = this.allocate(info.batch * info.outHeight * info.outWidth * info.inChannels);
    runPool2d(this.runtime, this.ptr(x, 'pool2d'), out.ptr, info, mode);
    return out;
  }

  pool2dBackprop(dy: DataId, x: DataId, info: Conv2DInfo, mode: 'max' | 'avg'): DataId {
    const out = this.allocate(info.batch * info.inHeight * info.inWidth * info.inChannels);
    runPool2dBackprop(this.runtime, this.ptr(dy, 'pool2dBackprop'), this.ptr(x, 'pool2dBackprop'), out.ptr, info, mode);
    return out;
  }

  batchNorm(
    x: DataId, rows: number, channels: number, mean: DataId, variance: DataId,
    offset: DataId | undefined, scale: DataId | undefined, epsilon: number,
  ): DataId {
    const out = this.allocate(rows * channels);
    runBatchNorm(
      this.runtime, this.ptr(x, 'batchNorm'), out.ptr, rows, channels, this.ptr(mean, 'batchNorm'),
      this.ptr(variance, 'batchNorm'), offset ? this.ptr(offset, 'batchNorm') : undefined,
      scale ? this.ptr(scale, 'batchNorm') : undefined, epsilon,
    );
    return out;
  }

  // --- attention and layer normalization ---------------------------------------------------------

  attention(q: DataId, k: DataId, v: DataId, mask: DataId | undefined, info: AttentionInfo): { out: DataId; logSumExp: DataId } {
    const rows = info.batch * info.heads * info.queryLength;
    const out = this.allocate(rows * info.valueDim);
    const logSumExp = this.allocate(rows);
    runAttention(this.runtime, this.ptr(q, 'attention'), this.ptr(k, 'attention'), this.ptr(v, 'attention'),
      mask ? this.ptr(mask, 'attention') : 0, out.ptr, logSumExp.ptr, info);
    return { out, logSumExp };
  }

  attentionGrad(q: DataId, k: DataId, v: DataId, mask: DataId | undefined, out: DataId, logSumExp: DataId, dOut: DataId,
    info: AttentionInfo, needs = { q: true, k: true, v: true }): { dq?: DataId; dk?: DataId; dv?: DataId } {
    const name = 'attentionGrad';
    const { batch, heads, queryLength, keyLength, keyDim, valueDim } = info;
    const dq = needs.q ? this.allocate(batch * heads * queryLength * keyDim) : undefined;
    const dk = needs.k ? this.allocate(batch * heads * keyLength * keyDim) : undefined;
    const dv = needs.v ? this.allocate(batch * heads * keyLength * valueDim) : undefined;
    const rowDelta = this.allocate(batch * heads * queryLength);
    runAttentionGrad(this.runtime, this.ptr(q, name), this.ptr(k, name), this.ptr(v, name), mask ? this.ptr(mask, name) : 0,
      this.ptr(out, name), this.ptr(logSumExp, name), this.ptr(dOut, name), rowDelta.ptr, dq?.ptr ?? 0, dk?.ptr ?? 0,
      dv?.ptr ?? 0, info);
    this.dispose(rowDelta);
    return { dq, dk, dv };
  }

  layerNorm(x: DataId, rows: number, cols: number, gamma: DataId | undefined, beta: DataId | undefined, epsilon: number):
    { y: DataId; mean: DataId; rstd: DataId } {
    const y = this.allocate(rows * cols);
    const mean = this.allocate(rows);
    const rstd = this.allocate(rows);
    runLayerNorm(this.runtime, this.ptr(x, 'layerNorm'), gamma ? this.ptr(gamma, 'layerNorm') : 0,
      beta ? this.ptr(beta, 'layerNorm') : 0, y.ptr, mean.ptr, rstd.ptr, rows, cols, epsilon);
    return { y, mean, rstd };
  }

  layerNormGrad(x: DataId, dy: DataId, mean: DataId, rstd: DataId, gamma: DataId | undefined, rows: number, cols: number,
    needs: { gamma: boolean; beta: boolean }): { dx: DataId; dgamma?: DataId; dbeta?: DataId } {
    const name = 'layerNormGrad';
    const dx = this.allocate(rows * cols);
    const dgamma = needs.gamma ? this.allocate(cols) : undefined;
    const dbeta = needs.beta ? this.allocate(cols) : undefined;
    runLayerNormGrad(this.runtime, this.ptr(x, name), this.ptr(dy, name), gamma ? this.ptr(gamma, name) : 0,
      this.ptr(mean, name), this.ptr(rstd, name), dx.ptr, dgamma?.ptr ?? 0, dbeta?.ptr ?? 0, rows, cols);
    return { dx, dgamma, dbeta };
  }

  // --- recurrent (whole sequence) -----------------------------------------------------------------

  private recurrentHost(): RecurrentHost {
    return { runtime: this.runtime, allocate: (size) => this.allocate(size), ptr: (data, op) => this.ptr(data, op) };
  }

  recurrentForward(args: RecurrentArgs): RecurrentState {
    return runRecurrentForward(this.recurrentHost(), args);
  }

  recurrentBackward(
    args: RecurrentArgs, saved: RecurrentState, dSequence: DataId, dH: DataId, dC: DataId | undefined,
    needs: { x: boolean; kernel: boolean; recurrentKernel: boolean; bias: boolean; initialH: boolean; initialC: boolean },
  ): RecurrentGradients {
    return runRecurrentBackward(this.recurrentHost(), args, saved, dSequence, dH, dC, needs);
  }

  // --- in-place optimizer updates ----------------------------------------------------------------

  sgdUpdate(param: DataId, grad: DataId, velocity: DataId | undefined, size: number, learningRate: number, momentum: number, nesterov: boolean): void {
    const velocityPtr = velocity ? this.ptr(velocity, 'sgdUpdate') : 0;
    runSgd(this.runtime, this.ptr(param, 'sgdUpdate'), this.ptr(grad, 'sgdUpdate'), velocityPtr, size, learningRate, momentum, nesterov);
  }

  adamUpdate(param: DataId, grad: DataId, m: DataId, v: DataId, size: number, args: AdamArgs): void {
    runAdam(
      this.runtime, this.ptr(param, 'adamUpdate'), this.ptr(grad, 'adamUpdate'), this.ptr(m, 'adamUpdate'),
      this.ptr(v, 'adamUpdate'), size, args.learningRate, args.beta1, args.beta2, args.epsilon, args.weightDecay, args.step,
    );
  }
}
