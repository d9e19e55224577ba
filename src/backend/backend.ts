// The narrow interface every backend implements: ~35 primitive kernels over opaque data handles.
// Ops (src/ops/) validate shapes and dtypes before calling here, so backends may assume valid input.
// Layout is always row-major and contiguous; shapes are plain number arrays.

export type DType = 'float32' | 'int32' | 'bool';
export type Shape = readonly number[];
export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** Opaque handle to a backend-owned buffer. One handle may back several tensors (reshape shares it). */
export interface DataId {
  readonly backend: string;
}

/** Activation fused into matMul's epilogue; codes match assembly/activation.ts. */
export type FusedActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'gelu' | 'elu';
export const FUSED_ACTIVATION_CODE: Record<FusedActivation, number> = {
  linear: 0, relu: 1, relu6: 2, sigmoid: 3, tanh: 4, gelu: 5, elu: 6,
};

/**
 * Elementwise unary ops. `alpha` is the slope for leakyRelu (always passed: its default, tfjs's 0.2, lives
 * in ops/unary.ts) and the exponent for powScalar.
 */
export type UnaryOp =
  | 'neg' | 'abs' | 'square' | 'sqrt' | 'rsqrt' | 'exp' | 'expm1' | 'log' | 'log1p' | 'reciprocal'
  | 'relu' | 'relu6' | 'leakyRelu' | 'elu' | 'selu' | 'sigmoid' | 'tanh' | 'gelu' | 'softplus'
  | 'sin' | 'cos' | 'sign' | 'floor' | 'ceil' | 'round' | 'step' | 'erf' | 'logicalNot';
export const UNARY_OP_CODE: Record<UnaryOp, number> = {
  neg: 0, abs: 1, square: 2, sqrt: 3, rsqrt: 4, exp: 5, expm1: 6, log: 7, log1p: 8, reciprocal: 9,
  relu: 10, relu6: 11, leakyRelu: 12, elu: 13, selu: 14, sigmoid: 15, tanh: 16, gelu: 17, softplus: 18,
  sin: 19, cos: 20, sign: 21, floor: 22, ceil: 23, round: 24, step: 25, erf: 26, logicalNot: 27,
};

/** Unary ops with a fused backward kernel: dx = dy * f'(x) (some use y = f(x) instead, see unaryGrad). */
export type UnaryGradOp =
  | 'relu' | 'relu6' | 'leakyRelu' | 'elu' | 'selu' | 'sigmoid' | 'tanh' | 'gelu' | 'softplus'
  | 'sqrt' | 'rsqrt' | 'exp' | 'log' | 'abs' | 'erf';

/** Elementwise binary ops with numpy broadcasting. Comparisons and logical ops produce 'bool'. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'pow' | 'squaredDifference' | 'floorDiv' | 'mod'
  | 'atan2';
export const BINARY_OP_CODE: Record<BinaryOp, number> = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, pow: 6, squaredDifference: 7, floorDiv: 8, mod: 9,
  atan2: 10,
};
export type CompareOp =
  | 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual' | 'logicalAnd' | 'logicalOr';
export const COMPARE_OP_CODE: Record<CompareOp, number> = {
  equal: 0, notEqual: 1, less: 2, lessEqual: 3, greater: 4, greaterEqual: 5, logicalAnd: 6, logicalOr: 7,
};

/** Reductions over the middle axis of a [outer, reduce, inner] view. argMax/argMin produce 'int32'. */
export type ReduceOp = 'sum' | 'max' | 'min' | 'prod' | 'argMax' | 'argMin' | 'logSumExp' | 'any' | 'all';
export const REDUCE_OP_CODE: Record<ReduceOp, number> = {
  sum: 0, max: 1, min: 2, prod: 3, argMax: 4, argMin: 5, logSumExp: 6, any: 7, all: 8,
};

export interface MatMulArgs {
  /** a: [batchA, m, k] (or [batchA, k, m] with transposeA); batchA is 1 or the output batch. */
  a: DataId; aBatch: number;
  /** b: [batchB, k, n] (or [batchB, n, k] with transposeB); batchB is 1 or the output batch. */
  b: DataId; bBatch: number;
  batch: number; m: number; n: number; k: number;
  transposeA: boolean; transposeB: boolean;
  /** Optional bias [n] added to every row, then the activation: out = act(a·b + bias). */
  bias?: DataId;
  activation?: FusedActivation;
}

export interface AdamArgs {
  learningRate: number; beta1: number; beta2: number; epsilon: number;
  /** 1-based step count, for bias correction. */
  step: number;
  /** AdamW's decoupled weight decay (0 for plain Adam). */
  weightDecay: number;
}

/**
 * Geometry of a 2-D convolution or pooling window over NHWC data (computed and validated by the ops).
 * Padding after the input (bottom/right) follows from the output size. For depthwise convolution
 * outChannels = inChannels * channelMultiplier; for pooling outChannels = inChannels.
 */
export interface Conv2DInfo {
  batch: number; inHeight: number; inWidth: number; inChannels: number;
  outHeight: number; outWidth: number; outChannels: number;
  filterHeight: number; filterWidth: number;
  strideHeight: number; strideWidth: number;
  dilationHeight: number; dilationWidth: number;
  padTop: number; padLeft: number;
}

export interface BackendMemoryInfo {
  /** Bytes held by live buffers. */
  bytes: number;
  /** Number of live buffers. */
  buffers: number;
  /** Bytes the backend reserved from its host (wasm memory size), where that differs. */
  reservedBytes?: number;
}

/** Convolution, pooling and normalization kernels (NHWC, float32). */
export interface ConvolutionKernels {
  /** y [N,OH,OW,OC] = x [N,H,W,C] ⋆ filter [KH,KW,C,OC], then + bias [OC] and the activation. */
  conv2d(x: DataId, filter: DataId, info: Conv2DInfo, bias?: DataId, activation?: FusedActivation): DataId;
  /** dx [N,H,W,C] from dy [N,OH,OW,OC] and filter [KH,KW,C,OC] (also conv2dTranspose's forward). */
  conv2dBackpropInput(dy: DataId, filter: DataId, info: Conv2DInfo): DataId;
  /** dFilter [KH,KW,C,OC] from x [N,H,W,C] and dy [N,OH,OW,OC]. */
  conv2dBackpropFilter(x: DataId, dy: DataId, info: Conv2DInfo): DataId;
  /** y [N,OH,OW,C*M] = depthwise x [N,H,W,C] ⋆ filter [KH,KW,C,M] (outChannels = C*M). */
  depthwiseConv2d(x: DataId, filter: DataId, info: Conv2DInfo): DataId;
  depthwiseConv2dBackpropInput(dy: DataId, filter: DataId, info: Conv2DInfo): DataId;
  depthwiseConv2dBackpropFilter(x: DataId, dy: DataId, info: Conv2DInfo): DataId;
  /** Max or average over each window (padding excluded from averages, as tfjs does); y [N,OH,OW,C]. */
  pool2d(x: DataId, info: Conv2DInfo, mode: 'max' | 'avg'): DataId;
  /** dx [N,H,W,C]: max routes dy to the first maximum of each window (needs x); avg spreads it evenly. */
  pool2dBackprop(dy: DataId, x: DataId, info: Conv2DInfo, mode: 'max' | 'avg'): DataId;
  /**
   * y = (x - mean) * rsqrt(variance + epsilon) * scale + offset over the last axis of x viewed as
   * [rows, channels]; mean, variance, scale, offset are [channels] (scale/offset optional).
   */
  batchNorm(x: DataId, rows: number, channels: number, mean: DataId, variance: DataId,
    offset: DataId | undefined, scale: DataId | undefined, epsilon: number): DataId;
}

/** Activations the fused recurrent kernels know; codes match assembly/recurrent-math.ts. */
export type RecurrentActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'hardSigmoid';
export const RECURRENT_ACTIVATION_CODE: Record<RecurrentActivation, number> = {
  linear: 0, relu: 1, sigmoid: 2, tanh: 3, hardSigmoid: 4,
};
/** Gate order as tfjs/Keras: lstm [i | f | c | o], gru [z | r | h], simpleRnn one block. */
export type RecurrentCell = 'lstm' | 'gru' | 'simpleRnn';
export const RECURRENT_GATES: Record<RecurrentCell, number> = { lstm: 4, gru: 3, simpleRnn: 1 };

/** One whole-sequence recurrent layer. B batch, T steps, F features, U units, G gates (RECURRENT_GATES). */
export interface RecurrentArgs {
  cell: RecurrentCell;
  batch: number; steps: number; features: number; units: number;
  x: DataId;                 // [B, T, F]
  kernel: DataId;            // [F, G·U]
  recurrentKernel: DataId;   // [U, G·U]
  bias?: DataId;             // [G·U]; gru with resetAfter: [2, G·U] (input bias row, then recurrent bias row)
  initialH: DataId;          // [B, U]
  initialC?: DataId;         // [B, U], lstm only
  mask?: DataId;             // [B, T] float32, 0 = keep the previous state and output (tfjs)
  activation: RecurrentActivation;
  recurrentActivation: RecurrentActivation;
  /** Process input steps T-1 … 0; outputs stay in processing order, as tfjs returns them. */
  goBackwards: boolean;
  /** gru only: Keras's reset_after (reset gate applied after the recurrent product). */
  resetAfter: boolean;
}

/** What a forward produces and what its backward reads back. */
export interface RecurrentState {
  sequence: DataId;          // [B, T, U] h after each processed step
  h: DataId;                 // [B, U]
  c?: DataId;                // [B, U], lstm
  /** Activated gates [B, T, G·U], rows in input time order. */
  gates: DataId;
  /** lstm: cell state after each step [B, T, U]; gru with resetAfter: h·U_h + recurrent bias [B, T, U]. */
  extra?: DataId;
}

/** Gradients a recurrent backward returns; an entry is absent when its input was not needed. */
export interface RecurrentGradients {
  dx?: DataId; dKernel?: DataId; dRecurrentKernel?: DataId; dBias?: DataId; dInitialH?: DataId; dInitialC?: DataId;
}

/** Fused whole-sequence recurrent kernels (float32). */
export interface RecurrentKernels {
  recurrentForward(args: RecurrentArgs): RecurrentState;
  /** BPTT from upstream gradients of the sequence [B,T,U], final h [B,U] and (lstm) final c [B,U]. */
  recurrentBackward(args: RecurrentArgs, saved: RecurrentState, dSequence: DataId, dH: DataId, dC: DataId | undefined,
    needs: { x: boolean; kernel: boolean; recurrentKernel: boolean; bias: boolean; initialH: boolean; initialC: boolean }): RecurrentGradients;
}

/** Geometry of one attention call; q [B,H,Tq,Dk], k [B,H,Tk,Dk], v [B,H,Tk,Dv] (ops validate the shapes). */
export interface AttentionInfo {
  batch: number; heads: number; queryLength: number; keyLength: number; keyDim: number; valueDim: number;
  /** Multiplies q·kᵀ before the softmax. */
  scale: number;
  /** Query i attends keys j <= i (Keras's lower-triangular use_causal_mask). */
  causal: boolean;
  /**
   * Element strides [b, h, i, j] of the float32 mask over [B,H,Tq,Tk] (0 on broadcast axes); nonzero = may
   * attend. Required when a mask buffer is passed.
   */
  maskStrides?: readonly [number, number, number, number];
}

/**
 * Fused attention and layer normalization (float32). Masked scores count as -1e9 (Keras): a row with every
 * key masked attends uniformly, and its logSumExp is -inf, which tells the backward so.
 */
export interface AttentionKernels {
  /** out [B,H,Tq,Dv] = softmax(scale·q·kᵀ, masked)·v, and logSumExp [B,H,Tq] of each row's scores. */
  attention(q: DataId, k: DataId, v: DataId, mask: DataId | undefined, info: AttentionInfo): { out: DataId; logSumExp: DataId };
  /**
   * Gradients from dOut [B,H,Tq,Dv], the forward's out and logSumExp (scores recomputed, never stored); an input
   * that `needs` marks false gets no gradient (absent) and costs no work. needs defaults to all true.
   */
  attentionGrad(q: DataId, k: DataId, v: DataId, mask: DataId | undefined, out: DataId, logSumExp: DataId, dOut: DataId,
    info: AttentionInfo, needs?: { q: boolean; k: boolean; v: boolean }): { dq?: DataId; dk?: DataId; dv?: DataId };
  /** y [rows, cols] = (x - mean)/sqrt(var + epsilon)·gamma + beta per row; mean and rstd [rows] kept for the backward. */
  layerNorm(x: DataId, rows: number, cols: number, gamma: DataId | undefined, beta: DataId | undefined, epsilon: number):
    { y: DataId; mean: DataId; rstd: DataId };
  /** dx [rows, cols], and dgamma, dbeta [cols] summed over rows (each only when asked for). */
  layerNormGrad(x: DataId, dy: DataId, mean: DataId, rstd: DataId, gamma: DataId | undefined, rows: number, cols: number,
    needs: { gamma: boolean; beta: boolean }): { dx: DataId; dgamma?: DataId; dbeta?: DataId };
}

/**
 * The fused recurrent, attention and layer-norm kernels are optional: where a backend lacks a pair (forward
 * and backward), the ops compose the same function from primitives (slower, more memory), so a new backend
 * can start without them.
 */
export interface Backend extends ConvolutionKernels, Partial<RecurrentKernels>, Partial<AttentionKernels> {
  readonly name: string;
  /**
   * Checks on the device that every int32 index is in [0, limit): the first one that is not makes the next
   * read of any buffer reject with an Error naming `op`, the index and its position. Ops then never read
   * indices on the host. CPU backends leave it out (the ops check on the host, where a read is free).
   */
  checkIndices?(indices: DataId, count: number, limit: number, op: string): void;

  // --- storage -----------------------------------------------------------------------------------
  /** Copies values into a new buffer. bool is stored as 0/1; values.length must equal size. */
  write(values: TypedArray | number[], dtype: DType): DataId;
  /** A new buffer of `size` elements, every element `value`. */
  fill(size: number, value: number, dtype: DType): DataId;
  /** Copies out: Float32Array for float32, Int32Array for int32, Uint8Array for bool. */
  read(data: DataId, dtype: DType, size: number): TypedArray;
  /**
   * Asynchronous read for backends whose memory the CPU cannot read synchronously (a GPU buffer);
   * Tensor.data() uses it when present. CPU backends leave it out.
   */
  readAsync?(data: DataId, dtype: DType, size: number): Promise<TypedArray>;
  /** Frees the buffer. Idempotent. */
  dispose(data: DataId): void;
  memory(): BackendMemoryInfo;

  // --- compute (every output is a new buffer; inputs are never modified unless said) ---------------
  /** Batched matrix product with optional fused bias + activation. float32 only. */
  matMul(args: MatMulArgs): DataId;
  unary(op: UnaryOp, x: DataId, size: number, dtype: DType, alpha?: number): DataId;
  /**
   * dx = dy * f'(x). For sigmoid, tanh, exp, sqrt, rsqrt the kernel reads `y` = f(x) instead of x
   * (pass the forward output); for the others it reads x. alpha as in unary.
   */
  unaryGrad(op: UnaryGradOp, xOrY: DataId, dy: DataId, size: number, alpha?: number): DataId;
  /** out = a op b, with a and b broadcast to outShape. Output dtype equals the (shared) input dtype. */
  binary(op: BinaryOp, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType): DataId;
  /** Comparisons and logical ops with broadcasting; output is 'bool'. */
  compare(op: CompareOp, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType): DataId;
  /** out[i] = cond[i] ? a[i] : b[i], all three broadcast to outShape. */
  where(cond: DataId, condShape: Shape, a: DataId, aShape: Shape, b: DataId, bShape: Shape, outShape: Shape, dtype: DType): DataId;
  /**
   * x viewed as [outer, reduce, inner] → [outer, inner]; reduce >= 1 (the ops fill empty reductions with
   * their identities). Output dtype: int32 for arg ops, else dtype.
   */
  reduce(op: ReduceOp, x: DataId, outer: number, reduceSize: number, inner: number, dtype: DType): DataId;
  /** Softmax (or log-softmax) over the last axis of x viewed as [rows, cols]. */
  softmax(x: DataId, rows: number, cols: number, log: boolean): DataId;
  /** Backward of softmax / log-softmax given the forward output y and upstream dy. */
  softmaxGrad(y: DataId, dy: DataId, rows: number, cols: number, log: boolean): DataId;
  /**
   * Fused, stable softmax cross-entropy over rows of [rows, cols] float32 logits and labels (probability
   * rows, not validated): loss [rows] = -Σ labels · log_softmax(logits), probs [rows, cols] = softmax(logits)
   * (kept for the backward, d logits = (probs - labels) · dy).
   */
  softmaxCrossEntropy(logits: DataId, labels: DataId, rows: number, cols: number): { loss: DataId; probs: DataId };
  cast(x: DataId, size: number, from: DType, to: DType): DataId;
  transpose(x: DataId, shape: Shape, perm: readonly number[], dtype: DType): DataId;
  /** out[i0..] = x[begin + i*strides] for each output index; strides may be negative. */
  stridedSlice(x: DataId, shape: Shape, begin: readonly number[], strides: readonly number[], outShape: Shape, dtype: DType): DataId;
  /** Concatenates along `axis`; every input has the same shape except on that axis. */
  concat(xs: readonly DataId[], shapes: readonly Shape[], axis: number, dtype: DType): DataId;
  /** Pads with a constant; paddings[i] = [before, after]. */
  pad(x: DataId, shape: Shape, paddings: readonly (readonly [number, number])[], value: number, dtype: DType): DataId;
  tile(x: DataId, shape: Shape, reps: readonly number[], dtype: DType): DataId;
  /** x viewed as [outer, axisSize, inner]; indices (int32, already range-checked) pick along the axis. */
  gather(x: DataId, outer: number, axisSize: number, inner: number, indices: DataId, numIndices: number, dtype: DType): DataId;
  /**
   * The adjoint of gather: out [outer, axisSize, inner] = 0, then out[o, indices[j], i] += updates[o, j, i].
   * float32 only.
   */
  scatterAdd(updates: DataId, outer: number, axisSize: number, inner: number, indices: DataId, numIndices: number): DataId;
  /** indices int32 [n] → [n, depth] with on/off values (already range-checked: out of range rows are all off). */
  oneHot(indices: DataId, n: number, depth: number, onValue: number, offValue: number, dtype: DType): DataId;

  /**
   * Optional: a float32 dropout keep-mask generated on the device, `scale` where the counter-based uniform
   * of element i (ops/dropout.ts's counterUniform, bit for bit) is ≥ rate, else 0. Absent: the op builds it
   * on the host.
   */
  dropoutMask?(size: number, key0: number, key1: number, rate: number, scale: number): DataId;

  // --- in-place optimizer updates (modify param and state buffers; float32) -------------------------
  /** velocity = momentum*velocity + grad; param -= lr*(nesterov ? grad + momentum*velocity : velocity). momentum 0: plain SGD (velocity may be undefined). */
  sgdUpdate(param: DataId, grad: DataId, velocity: DataId | undefined, size: number, learningRate: number, momentum: number, nesterov: boolean): void;
  /** Adam / AdamW: m, v updated in place; param -= lr * (mhat / (sqrt(vhat) + eps) + weightDecay * param). */
  adamUpdate(param: DataId, grad: DataId, m: DataId, v: DataId, size: number, args: AdamArgs): void;
}
