// The webgpu backend: the Backend interface over GPU buffers. This object lives with the ops; it hands out
// buffer ids at once (so ops never wait on the GPU) and sends each call to the executor that owns the
// device, inline or in the device worker (transport.ts). Output sizes are computed here; kernels are in
// kernels/, one file per family.
import type {
  AdamArgs, AttentionInfo, Backend, BackendMemoryInfo, BinaryOp, CompareOp, Conv2DInfo, DataId, DType, FusedActivation,
  MatMulArgs, RecurrentArgs, RecurrentGradients, RecurrentState, ReduceOp, Shape, TypedArray, UnaryGradOp, UnaryOp,
} from '../backend.js';
import { RECURRENT_GATES } from '../backend.js';
import { sizeOf } from '../shape.js';
import type { Transport } from './transport.js';

/** A GPU buffer handle: `id` names it on the executor side; `elements` 4-byte values; `device` which device made it. */
export class GpuData implements DataId {
  readonly backend = 'webgpu';
  disposed = false;
  constructor(readonly id: number, readonly elements: number, readonly device: number) {}
}

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  private nextId = 1;
  private liveBytes = 0;
  private liveBuffers = 0;

  /** Counts the devices this backend has had: buffers of an earlier (failed) one are gone. */
  private device = 0;
  /** Why the last device was replaced. */
  private lostReason = '';

  constructor(public transport: Transport) {}

  /**
   * Continues on a new transport (a new device) after the old one failed: every buffer of the old device is
   * gone; using one throws, disposing one is a no-op.
   */
  replaceTransport(transport: Transport): void {
    this.lostReason = this.transport.failure?.message ?? 'replaced';
    this.transport.destroy();
    this.transport = transport;
    this.device++;
    this.liveBytes = 0;
    this.liveBuffers = 0;
  }

  checkIndices(indices: DataId, count: number, limit: number, op: string): void {
    this.call('checkIndices', [], [this.id(indices, op), count, limit, op]);
  }

  // --- plumbing ----------------------------------------------------------------------------------------
  private allocate(elements: number): GpuData {
    this.liveBytes += elements * 4;
    this.liveBuffers++;
    return new GpuData(this.nextId++, elements, this.device);
  }

  private id(data: DataId, op: string): number {
    if (data.backend !== 'webgpu') throw new Error(`webgpu backend: ${op} got a buffer of backend '${data.backend}'`);
    if ((data as GpuData).disposed) throw new Error(`webgpu backend: ${op} used a disposed buffer`);
    if ((data as GpuData).device !== this.device) {
      throw new Error(`webgpu backend: ${op} used a tensor of a GPU device that failed (${this.lostReason}); make it again`);
    }
    return (data as GpuData).id;
  }

  private optionalId(data: DataId | undefined, op: string): number | undefined {
    return data ? this.id(data, op) : undefined;
  }

  /** Sends one call whose outputs are fresh buffers of the given sizes; returns them. */
  private call(method: string, outSizes: number[], args: unknown[]): GpuData[] {
    if (this.transport.failure) throw this.transport.failure;
    // Checked here, before the device sees it: an oversized buffer must fail this op, not the device.
    const limit = this.transport.limits.maxStorageBufferBindingSize;
    const oversized = outSizes.find((n) => n * 4 > limit);
    if (oversized !== undefined) {
      throw new Error(`webgpu backend: ${method} needs a buffer of ${oversized} elements (${oversized * 4} bytes), over this ` +
        `adapter's maxStorageBufferBindingSize of ${limit} bytes; split the work (a smaller batch) or use the wasm backend`);
    }
    const outs = outSizes.map((n) => this.allocate(n));
    this.transport.send({ method, outs: outs.map((o) => o.id), args });
    return outs;
  }

  private call1(method: string, size: number, args: unknown[]): DataId {
    return this.call(method, [size], args)[0];
  }

  // --- storage -----------------------------------------------------------------------------------------
  write(values: TypedArray | number[], dtype: DType): DataId {
    let stored: Float32Array | Int32Array;
    if (dtype === 'float32') stored = values instanceof Float32Array ? values.slice() : Float32Array.from(values);
    else if (dtype === 'int32') stored = values instanceof Int32Array ? values.slice() : Int32Array.from(values as ArrayLike<number>, (v) => v | 0);
    else stored = Int32Array.from(values as ArrayLike<number>, (v) => (v !== 0 ? 1 : 0));
    return this.call1('write', stored.length, [stored]);
  }

  fill(size: number, value: number, dtype: DType): DataId {
    return this.call1('fill', size, [size, value, dtype]);
  }

  dropoutMask(size: number, key0: number, key1: number, rate: number, scale: number): DataId {
    return this.call1('dropoutMask', size, [size, key0, key1, rate, scale]);
  }

  read(data: DataId, dtype: DType, size: number): TypedArray {
    return fromBytes(this.transport.readSync(this.id(data, 'dataSync'), size, 'dataSync'), dtype);
  }

  async readAsync(data: DataId, dtype: DType, size: number): Promise<TypedArray> {
    return fromBytes(await this.transport.read(this.id(data, 'data'), size), dtype);
  }

  dispose(data: DataId): void {
    const buffer = data as GpuData;
    if (buffer.backend !== 'webgpu' || buffer.disposed) return;
    buffer.disposed = true;
    if (buffer.device !== this.device) return; // went with its device
    this.liveBytes -= buffer.elements * 4;
    this.liveBuffers--;
    if (!this.transport.failure) this.transport.send({ method: 'free', outs: [], args: [buffer.id] });
  }

  memory(): BackendMemoryInfo {
    return { bytes: this.liveBytes, buffers: this.liveBuffers };
  }

  /** Resolves when the GPU has finished every call made so far (for timing and tests). */
  finish(): Promise<void> {
    return this.transport.finish();
  }

  // --- compute -----------------------------------------------------------------------------------------
  matMul(args: MatMulArgs): DataId {
    const { a, b, bias, ...geometry } = args;
    return this.call1('matMul', args.batch * args.m * args.n, [
      this.id(a, 'matMul'), this.id(b, 'matMul'), this.optionalId(bias, 'matMul'), { ...geometry, activation: args.activation ?? 'linear' },
    ]);
  }

  unary(op: UnaryOp, x: DataId, size: number, dtype: DType, alpha?: number): DataId {
    return this.call1('unary', size, [op, this.id(x, op), size, dtype, alpha ?? 0]);
  }

  unaryGrad(op: UnaryGradOp, xOrY: DataId, dy: DataId, size: number, alpha?: number): DataId {
    return this.call1('unaryGrad', size, [op, this.id(xOrY, `${op}Grad`), this.id(dy, `${op}Grad`), size, alpha ?? 0]);
  }

  binary(op: BinaryOp, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType): DataId {
    return this.call1('binary', sizeOf(outShape), [op, this.id(a, op), aShape, this.id(b, op), bShape, outShape, dtype]);
  }

  compare(op: CompareOp, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType): DataId {
    return this.call1('compare', sizeOf(outShape), [op, this.id(a, op), aShape, this.id(b, op), bShape, outShape, dtype]);
  }

  where(cond: DataId, condShape: Shape, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType): DataId {
    return this.call1('where', sizeOf(outShape), [this.id(cond, 'where'), condShape, this.id(a, 'where'), aShape, this.id(b, 'where'), bShape, outShape, dtype]);
  }

  reduce(op: ReduceOp, x: DataId, outer: number, reduceSize: number, inner: number, dtype: DType): DataId {
    return this.call1('reduce', outer * inner, [op, this.id(x, op), outer, reduceSize, inner, dtype]);
  }

  softmax(x: DataId, rows: number, cols: number, log: boolean): DataId {
    return this.call1('softmax', rows * cols, [this.id(x, 'softmax'), rows, cols, log]);
  }

  softmaxGrad(y: DataId, dy: DataId, rows: number, cols: number, log: boolean): DataId {
    return this.call1('softmaxGrad', rows * cols, [this.id(y, 'softmaxGrad'), this.id(dy, 'softmaxGrad'), rows, cols, log]);
  }

  softmaxCrossEntropy(logits: DataId, labels: DataId, rows: number, cols: number): { loss: DataId; probs: DataId } {
    const [loss, probs] = this.call('softmaxCrossEntropy', [rows, rows * cols], [this.id(logits, 'softmaxCrossEntropy'), this.id(labels, 'softmaxCrossEntropy'), rows, cols]);
    return { loss, probs };
  }

  cast(x: DataId, size: number, from: DType, to: DType): DataId {
    return this.call1('cast', size, [this.id(x, 'cast'), size, from, to]);
  }

  transpose(x: DataId, shape: Shape, perm: readonly number[], dtype: DType): DataId {
    return this.call1('transpose', sizeOf(shape), [this.id(x, 'transpose'), shape, perm, dtype]);
  }

  stridedSlice(x: DataId, shape: Shape, begin: readonly number[], strides: readonly number[], outShape: Shape, dtype: DType): DataId {
    return this.call1('stridedSlice', sizeOf(outShape), [this.id(x, 'stridedSlice'), shape, begin, strides, outShape, dtype]);
  }

  concat(xs: readonly DataId[], shapes: readonly Shape[], axis: number, dtype: DType): DataId {
    const size = shapes.reduce((total, shape) => total + sizeOf(shape), 0);
    return this.call1('concat', size, [xs.map((x) => this.id(x, 'concat')), shapes, axis, dtype]);
  }

  pad(x: DataId, shape: Shape, paddings: readonly (readonly [number, number])[], value: number, dtype: DType): DataId {
    const size = sizeOf(shape.map((d, i) => d + paddings[i][0] + paddings[i][1]));
    return this.call1('pad', size, [this.id(x, 'pad'), shape, paddings, value, dtype]);
  }

  tile(x: DataId, shape: Shape, reps: readonly number[], dtype: DType): DataId {
    return this.call1('tile', sizeOf(shape) * sizeOf(reps), [this.id(x, 'tile'), shape, reps, dtype]);
  }

  gather(x: DataId, outer: number, axisSize: number, inner: number, indices: DataId, numIndices: number, dtype: DType): DataId {
    return this.call1('gather', outer * numIndices * inner, [this.id(x, 'gather'), outer, axisSize, inner, this.id(indices, 'gather'), numIndices, dtype]);
  }

  scatterAdd(updates: DataId, outer: number, axisSize: number, inner: number, indices: DataId, numIndices: number): DataId {
    return this.call1('scatterAdd', outer * axisSize * inner, [this.id(updates, 'scatterAdd'), outer, axisSize, inner, this.id(indices, 'scatterAdd'), numIndices]);
  }

  oneHot(indices: DataId, n: number, depth: number, onValue: number, offValue: number, dtype: DType): DataId {
    return this.call1('oneHot', n * depth, [this.id(indices, 'oneHot'), n, depth, onValue, offValue, dtype]);
  }

  // --- convolution, pooling, normalization -------------------------------------------------------------
  conv2d(x: DataId, filter: DataId, info: Conv2DInfo, bias?: DataId, activation?: FusedActivation): DataId {
    const size = info.batch * info.outHeight * info.outWidth * info.outChannels;
    return this.call1('conv2d', size, [this.id(x, 'conv2d'), this.id(filter, 'conv2d'), info, this.optionalId(bias, 'conv2d'), activation ?? 'linear']);
  }

  conv2dBackpropInput(dy: DataId, filter: DataId, info: Conv2DInfo): DataId {
    const size = info.batch * info.inHeight * info.inWidth * info.inChannels;
    return this.call1('conv2dBackpropInput', size, [this.id(dy, 'conv2dBackpropInput'), this.id(filter, 'conv2dBackpropInput'), info]);
  }

  conv2dBackpropFilter(x: DataId, dy: DataId, info: Conv2DInfo): DataId {
    const size = info.filterHeight * info.filterWidth * info.inChannels * info.outChannels;
    return this.call1('conv2dBackpropFilter', size, [this.id(x, 'conv2dBackpropFilter'), this.id(dy, 'conv2dBackpropFilter'), info]);
  }

  depthwiseConv2d(x: DataId, filter: DataId, info: Conv2DInfo): DataId {
    const size = info.batch * info.outHeight * info.outWidth * info.outChannels;
    return this.call1('depthwiseConv2d', size, [this.id(x, 'depthwiseConv2d'), this.id(filter, 'depthwiseConv2d'), info]);
  }

  depthwiseConv2dBackpropInput(dy: DataId, filter: DataId, info: Conv2DInfo): DataId {
    const size = info.batch * info.inHeight * info.inWidth * info.inChannels;
    return this.call1('depthwiseConv2dBackpropInput', size, [this.id(dy, 'depthwiseConv2dBackpropInput'), this.id(filter, 'depthwiseConv2dBackpropInput'), info]);
  }

  depthwiseConv2dBackpropFilter(x: DataId, dy: DataId, info: Conv2DInfo): DataId {
    const size = info.filterHeight * info.filterWidth * info.outChannels;
    return this.call1('depthwiseConv2dBackpropFilter', size, [this.id(x, 'depthwiseConv2dBackpropFilter'), this.id(dy, 'depthwiseConv2dBackpropFilter'), info]);
  }

  pool2d(x: DataId, info: Conv2DInfo, mode: 'max' | 'avg'): DataId {
    const size = info.batch * info.outHeight * info.outWidth * info.outChannels;
    return this.call1('pool2d', size, [this.id(x, 'pool2d'), info, mode]);
  }

  pool2dBackprop(dy: DataId, x: DataId, info: Conv2DInfo, mode: 'max' | 'avg'): DataId {
    const size = info.batch * info.inHeight * info.inWidth * info.inChannels;
    return this.call1('pool2dBackprop', size, [this.id(dy, 'pool2dBackprop'), this.id(x, 'pool2dBackprop'), info, mode]);
  }

  batchNorm(x: DataId, rows: number, channels: number, mean: DataId, variance: DataId, offset: DataId | undefined, scale: DataId | undefined, epsilon: number): DataId {
    return this.call1('batchNorm', rows * channels, [
      this.id(x, 'batchNorm'), rows, channels, this.id(mean, 'batchNorm'), this.id(variance, 'batchNorm'),
      this.optionalId(offset, 'batchNorm'), this.optionalId(scale, 'batchNorm'), epsilon,
    ]);
  }

  // --- recurrent -------------------------------------------------------------------------------------
  recurrentForward(args: RecurrentArgs): RecurrentState {
    const { batch: B, steps: T, units: U } = args;
    const G = RECURRENT_GATES[args.cell];
    const hasExtra = args.cell === 'lstm' || (args.cell === 'gru' && args.resetAfter);
    const sizes = [B * T * U, B * U, args.cell === 'lstm' ? B * U : 0, B * T * G * U, hasExtra ? B * T * U : 0];
    const outs = this.call('recurrentForward', sizes, [this.recurrentArgs(args)]);
    const [sequence, h, c, gates, extra] = outs;
    if (args.cell !== 'lstm') this.dispose(c);
    if (!hasExtra) this.dispose(extra);
    return { sequence, h, c: args.cell === 'lstm' ? c : undefined, gates, extra: hasExtra ? extra : undefined };
  }

  recurrentBackward(
    args: RecurrentArgs, saved: RecurrentState, dSequence: DataId, dH: DataId, dC: DataId | undefined,
    needs: { x: boolean; kernel: boolean; recurrentKernel: boolean; bias: boolean; initialH: boolean; initialC: boolean },
  ): RecurrentGradients {
    const { batch: B, steps: T, features: F, units: U } = args;
    const width = RECURRENT_GATES[args.cell] * U;
    const wanted = {
      dx: needs.x ? B * T * F : -1,
      dKernel: needs.kernel ? F * width : -1,
      dRecurrentKernel: needs.recurrentKernel ? U * width : -1,
      dBias: needs.bias && args.bias ? (args.cell === 'gru' && args.resetAfter ? 2 : 1) * width : -1,
      dInitialH: needs.initialH ? B * U : -1,
      dInitialC: needs.initialC && args.cell === 'lstm' ? B * U : -1,
    };
    const names = Object.keys(wanted) as (keyof typeof wanted)[];
    const present = names.filter((n) => wanted[n] >= 0);
    const outs = this.call('recurrentBackward', present.map((n) => wanted[n]), [
      this.recurrentArgs(args),
      { sequence: this.id(saved.sequence, 'recurrentBackward'), gates: this.id(saved.gates, 'recurrentBackward'), extra: this.optionalId(saved.extra, 'recurrentBackward') },
      this.id(dSequence, 'recurrentBackward'), this.id(dH, 'recurrentBackward'), this.optionalId(dC, 'recurrentBackward'), present,
    ]);
    const grads: RecurrentGradients = {};
    present.forEach((n, i) => (grads[n] = outs[i]));
    return grads;
  }

  private recurrentArgs(args: RecurrentArgs): Record<string, unknown> {
    const op = 'recurrent';
    return {
      ...args, x: this.id(args.x, op), kernel: this.id(args.kernel, op), recurrentKernel: this.id(args.recurrentKernel, op),
      bias: this.optionalId(args.bias, op), initialH: this.id(args.initialH, op), initialC: this.optionalId(args.initialC, op),
      mask: this.optionalId(args.mask, op),
    };
  }

  // --- attention and layer norm ------------------------------------------------------------------------
  attention(q: DataId, k: DataId, v: DataId, mask: DataId | undefined, info: AttentionInfo): { out: DataId; logSumExp: DataId } {
    const { batch: B, heads: H, queryLength: Tq, valueDim: Dv } = info;
    const [out, logSumExp] = this.call('attention', [B * H * Tq * Dv, B * H * Tq], [
      this.id(q, 'attention'), this.id(k, 'attention'), this.id(v, 'attention'), this.optionalId(mask, 'attention'), info,
    ]);
    return { out, logSumExp };
  }

  attentionGrad(q: DataId, k: DataId, v: DataId, mask: DataId | undefined, out: DataId, logSumExp: DataId, dOut: DataId,
    info: AttentionInfo, needs = { q: true, k: true, v: true }): { dq?: DataId; dk?: DataId; dv?: DataId } {
    const { batch: B, heads: H, queryLength: Tq, keyLength: Tk, keyDim: Dk, valueDim: Dv } = info;
    const op = 'attentionGrad';
    const sizes = [needs.q ? B * H * Tq * Dk : 0, needs.k ? B * H * Tk * Dk : 0, needs.v ? B * H * Tk * Dv : 0];
    const [dq, dk, dv] = this.call(op, sizes, [
      this.id(q, op), this.id(k, op), this.id(v, op), this.optionalId(mask, op), this.id(out, op), this.id(logSumExp, op),
      this.id(dOut, op), info, needs,
    ]);
    const keep = (d: GpuData, needed: boolean) => (needed ? d : (this.dispose(d), undefined));
    return { dq: keep(dq, needs.q), dk: keep(dk, needs.k), dv: keep(dv, needs.v) };
  }

  layerNorm(x: DataId, rows: number, cols: number, gamma: DataId | undefined, beta: DataId | undefined, epsilon: number): { y: DataId; mean: DataId; rstd: DataId } {
    const [y, mean, rstd] = this.call('layerNorm', [rows * cols, rows, rows], [
      this.id(x, 'layerNorm'), rows, cols, this.optionalId(gamma, 'layerNorm'), this.optionalId(beta, 'layerNorm'), epsilon,
    ]);
    return { y, mean, rstd };
  }

  layerNormGrad(x: DataId, dy: DataId, mean: DataId, rstd: DataId, gamma: DataId | undefined, rows: number, cols: number,
    needs: { gamma: boolean; beta: boolean }): { dx: DataId; dgamma?: DataId; dbeta?: DataId } {
    const op = 'layerNormGrad';
    const [dx, dgamma, dbeta] = this.call(op, [rows * cols, needs.gamma ? cols : 0, needs.beta ? cols : 0], [
      this.id(x, op), this.id(dy, op), this.id(mean, op), this.id(rstd, op), this.optionalId(gamma, op), rows, cols, needs,
    ]);
    const keep = (d: GpuData, needed: boolean) => (needed ? d : (this.dispose(d), undefined));
    return { dx, dgamma: keep(dgamma, needs.gamma), dbeta: keep(dbeta, needs.beta) };
  }

  // --- in-place optimizer updates ----------------------------------------------------------------------
  sgdUpdate(param: DataId, grad: DataId, velocity: DataId | undefined, size: number, learningRate: number, momentum: number, nesterov: boolean): void {
    this.call('sgdUpdate', [], [this.id(param, 'sgdUpdate'), this.id(grad, 'sgdUpdate'), this.optionalId(velocity, 'sgdUpdate'), size, learningRate, momentum, nesterov]);
  }

  adamUpdate(param: DataId, grad: DataId, m: DataId, v: DataId, size: number, args: AdamArgs): void {
    this.call('adamUpdate', [], [this.id(param, 'adamUpdate'), this.id(grad, 'adamUpdate'), this.id(m, 'adamUpdate'), this.id(v, 'adamUpdate'), size, args]);
  }
}

function fromBytes(bytes: ArrayBuffer, dtype: DType): TypedArray {
  if (dtype === 'float32') return new Float32Array(bytes);
  const values = new Int32Array(bytes);
  return dtype === 'int32' ? values : Uint8Array.from(values);
}
