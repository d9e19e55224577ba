// Matrix products: matMul (batched, with tfjs batch broadcasting), dot, outerProduct, and
// fused.matMul (bias + activation in the GEMM epilogue), with gradients.
//   a: [...batchA, m, k]  (stored [...batchA, k, m] with transposeA)
//   b: [...batchB, k, n]  (stored [...batchB, n, k] with transposeB)
//   out: [...broadcast(batchA, batchB), m, n]
// The backend takes a batch count per operand that is 1 or the full batch; any other broadcast
// (a: [2, 1, m, k] with b: [5, k, n]) is tiled to the full batch inside the kernel call.
import type { Backend, DataId, DType, FusedActivation } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import { sizeFromShape, Tensor, TensorLike } from '../tensor.js';
import { add, sumToShape } from './binary.js';
import { cast } from './cast.js';
import { reshape } from './shape.js';
import { activationGradient, applyActivation, type Activation } from './fused_activation.js';
import { fusedConv2d } from './conv.js';
import { broadcastShapes, toTensor, upcastDtype } from './util.js';

type Arg = Tensor | TensorLike;

interface MatMulPlan {
  m: number; n: number; k: number;
  batch: number;
  outShape: number[];
  /** Each operand's shape with leading 1s to the output's rank, and whether it must be tiled. */
  aAligned: number[]; bAligned: number[];
  aBatch: number; bBatch: number;
}

function describe(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): string {
  return `a is [${a.shape}], b is [${b.shape}] (transposeA=${transposeA}, transposeB=${transposeB})`;
}

function planMatMul(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean, opName: string): MatMulPlan {
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(`${opName}: a and b must have rank >= 2: ${describe(a, b, transposeA, transposeB)}`);
  }
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const kB = transposeB ? bCols : bRows;
  const n = transposeB ? bRows : bCols;
  if (k !== kB) {
    throw new Error(`${opName}: inner dimensions must match (${k} vs ${kB}): ${describe(a, b, transposeA, transposeB)}`);
  }
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  let batchShape: number[];
  try {
    batchShape = broadcastShapes(aBatchShape, bBatchShape, opName);
  } catch {
    throw new Error(`${opName}: batch dimensions cannot be broadcast together: ${describe(a, b, transposeA, transposeB)}`);
  }
  const align = (shape: number[]) => [...new Array(batchShape.length + 2 - shape.length).fill(1), ...shape];
  return {
    m, n, k,
    batch: sizeFromShape(batchShape),
    outShape: [...batchShape, m, n],
    aAligned: align(a.shape), bAligned: align(b.shape),
    aBatch: sizeFromShape(aBatchShape), bBatch: sizeFromShape(bBatchShape),
  };
}

/** Runs backend.matMul for a plan, tiling an operand whose batch is neither 1 nor the full batch. */
function runMatMul(
  backend: Backend, plan: MatMulPlan, a: DataId, b: DataId, transposeA: boolean, transposeB: boolean,
  bias?: DataId, activation?: FusedActivation,
): DataId {
  const temporaries: DataId[] = [];
  const expand = (data: DataId, aligned: number[], count: number): [DataId, number] => {
    if (count === 1 || count === plan.batch) return [data, count];
    const reps = aligned.map((dim, i) => (i < aligned.length - 2 ? plan.outShape[i] / dim : 1));
    const tiled = backend.tile(data, aligned, reps, 'float32');
    temporaries.push(tiled);
    return [tiled, plan.batch];
  };
  try {
    const [aData, aBatch] = expand(a, plan.aAligned, plan.aBatch);
    const [bData, bBatch] = expand(b, plan.bAligned, plan.bBatch);
    let { batch, m } = plan;
    // A batched a against one shared b is one tall product: [batch·m, k]·[k, n] has the same layout.
    const foldBatch = batch > 1 && aBatch === batch && bBatch === 1 && !transposeA;
    if (foldBatch) {
      m *= batch;
      batch = 1;
    }
    return backend.matMul({
      a: aData, aBatch: foldBatch ? 1 : aBatch, b: bData, bBatch,
      batch, m, n: plan.n, k: plan.k, transposeA, transposeB, bias, activation,
    });
  } finally {
    for (const data of temporaries) backend.dispose(data);
  }
}

/** a and b in float32 and the dtype the result should have (int32 products are computed in float32). */
function prepareOperands(aArg: Arg, bArg: Arg, opName: string): [Tensor, Tensor, DType] {
  let a = toTensor(aArg, 'a', opName);
  let b = toTensor(bArg, 'b', opName);
  const dtype = upcastDtype(a.dtype, b.dtype);
  if (a.dtype !== 'float32') a = cast(a, 'float32');
  if (b.dtype !== 'float32') b = cast(b, 'float32');
  return [a, b, dtype === 'float32' ? 'float32' : 'int32'];
}

/**
 * Gradients of z = op(a)·op(b) given dz, for the four transpose cases, summed over broadcast batch
 * dimensions back to each operand's shape.
 */
function matMulGradients(
  dz: Tensor,
  a: Tensor,
  b: Tensor,
  transposeA: boolean,
  transposeB: boolean,
  needs: readonly boolean[],
): [Tensor | null, Tensor | null] {
  const gradA = (): Tensor => {
    if (!transposeA) return matMul(dz, b, false, !transposeB);
    return transposeB ? matMul(b, dz, true, true) : matMul(b, dz, false, true);
  };
  const gradB = (): Tensor => {
    if (!transposeA && !transposeB) return sharedWeightGradient(dz, a, b, false) ?? matMul(a, dz, true, false);
    if (!transposeA) return sharedWeightGradient(dz, a, b, true) ?? matMul(dz, a, true, false);
    return transposeB ? matMul(dz, a, true, true) : matMul(a, dz, false, false);
  };
  return [
    needs[0] ? sumToShape(gradA(), a.shape) : null,
    needs[1] ? sumToShape(gradB(), b.shape) : null,
  ];
}

/**
 * When b has no batch (a dense layer on [B, T, C] input), its gradient is one product over all rows of a
 * instead of a batch of products summed afterwards. null when that does not apply.
 */
function sharedWeightGradient(dz: Tensor, a: Tensor, b: Tensor, transposeB: boolean): Tensor | null {
  if (a.rank <= 2 || sizeFromShape(b.shape.slice(0, -2)) !== 1 || sizeFromShape(a.shape.slice(0, -2)) === 1) return null;
  if (sizeFromShape(dz.shape.slice(0, -2)) !== sizeFromShape(a.shape.slice(0, -2))) return null;
  const k = a.shape[a.rank - 1];
  const n = dz.shape[dz.rank - 1];
  const rowsOfA = reshape(a, [-1, k]);
  const rowsOfDz = reshape(dz, [-1, n]);
  const grad = transposeB ? matMul(rowsOfDz, rowsOfA, true, false) : matMul(rowsOfA, rowsOfDz, true, false);
  return reshape(grad, b.shape);
}

/** Batched matrix product with tfjs semantics (rank >= 2, batch dimensions broadcast). */
export function matMul(aArg: Arg, bArg: Arg, transposeA = false, transposeB = false): Tensor {
  const [a, b, dtype] = prepareOperands(aArg, bArg, 'matMul');
  const plan = planMatMul(a, b, transposeA, transposeB, 'matMul');
  const out = ENGINE.runKernel({
    name: 'matMul',
    inputs: [a, b],
    forward: (backend, [x, y]) => ({
      dataId: runMatMul(backend, plan, x.dataId, y.dataId, transposeA, transposeB),
      shape: plan.outShape,
      dtype: 'float32',
    }),
    backward: ([dz], [x, y], _, needs) => matMulGradients(dz, x, y, transposeA, transposeB, needs),
  })[0];
  return dtype === 'float32' ? out : cast(out, dtype);
}

/** tfjs dot: 1D·1D → scalar, 2D·1D → [m], 1D·2D → [n], 2D·2D → [m, n]. */
export function dot(t1: Arg, t2: Arg): Tensor {
  const a = toTensor(t1, 't1', 'dot');
  const b = toTensor(t2, 't2', 'dot');
  if (a.rank < 1 || a.rank > 2 || b.rank < 1 || b.rank > 2) {
    throw new Error(`dot: both inputs must have rank 1 or 2: t1 is [${a.shape}], t2 is [${b.shape}]`);
  }
  const k1 = a.shape[a.rank - 1];
  const k2 = b.shape[0];
  if (k1 !== k2) throw new Error(`dot: inner dimensions must match (${k1} vs ${k2}): t1 is [${a.shape}], t2 is [${b.shape}]`);
  const left = a.rank === 1 ? reshape(a, [1, k1]) : a;
  const right = b.rank === 1 ? reshape(b, [k2, 1]) : b;
  const product = matMul(left, right);
  if (a.rank === 2 && b.rank === 2) return product;
  const shape = a.rank === 1 && b.rank === 1 ? [] : a.rank === 1 ? [b.shape[1]] : [a.shape[0]];
  return reshape(product, shape);
}

/** v1: [m], v2: [n] → [m, n]. */
export function outerProduct(v1: Arg, v2: Arg): Tensor {
  const a = toTensor(v1, 'v1', 'outerProduct');
  const b = toTensor(v2, 'v2', 'outerProduct');
  if (a.rank !== 1 || b.rank !== 1) {
    throw new Error(`outerProduct: both inputs must have rank 1: v1 is [${a.shape}], v2 is [${b.shape}]`);
  }
  return matMul(reshape(a, [-1, 1]), reshape(b, [1, -1]));
}

// --- fused matMul ------------------------------------------------------------------------------------

/** tfjs fused activations plus tanh and gelu (exact erf form). */
const EPILOGUE_ACTIVATIONS: readonly string[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'gelu', 'elu'];
const ALL_ACTIVATIONS: readonly string[] = [...EPILOGUE_ACTIVATIONS, 'prelu', 'leakyrelu'];

export interface FusedMatMulConfig {
  a: Arg;
  b: Arg;
  transposeA?: boolean;
  transposeB?: boolean;
  /** Broadcast against the output [..., m, n]; [n] (or [1, n]) runs in the GEMM epilogue. */
  bias?: Arg;
  activation?: Activation;
  preluActivationWeights?: Arg;
  leakyreluAlpha?: number;
}

/** act(op(a)·op(b) + bias), as tf.fused.matMul. */
function fusedMatMul(config: FusedMatMulConfig): Tensor {
  const { transposeA = false, transposeB = false, activation = 'linear', leakyreluAlpha = 0.2 } = config;
  if (!ALL_ACTIVATIONS.includes(activation)) {
    throw new Error(`fused.matMul: unknown activation '${activation}' (expected one of ${ALL_ACTIVATIONS.join(', ')})`);
  }
  const [a, b, dtype] = prepareOperands(config.a, config.b, 'fused.matMul');
  const plan = planMatMul(a, b, transposeA, transposeB, 'fused.matMul');
  let bias = config.bias === undefined || config.bias === null ? undefined : toTensor(config.bias, 'bias', 'fused.matMul');
  if (bias) {
    const broadcast = broadcastShapes(plan.outShape, bias.shape, 'fused.matMul');
    if (broadcast.length !== plan.outShape.length || broadcast.some((d, i) => d !== plan.outShape[i])) {
      throw new Error(`fused.matMul: bias [${bias.shape}] does not broadcast to the output [${plan.outShape}]`);
    }
    if (bias.dtype !== 'float32') bias = cast(bias, 'float32');
  }
  if (activation === 'prelu' && config.preluActivationWeights === undefined) {
    throw new Error(`fused.matMul: activation 'prelu' needs preluActivationWeights (output is [${plan.outShape}])`);
  }
  const rowBias = !bias || (bias.size === plan.n && bias.shape[bias.rank - 1] === plan.n);
  if (!EPILOGUE_ACTIVATIONS.includes(activation) || !rowBias || dtype !== 'float32') {
    const product = matMul(a, b, transposeA, transposeB);
    const z = bias ? add(product, bias) : product;
    const weights = config.preluActivationWeights === undefined
      ? undefined : toTensor(config.preluActivationWeights, 'preluActivationWeights', 'fused.matMul');
    return applyActivation(z, activation, weights, leakyreluAlpha, 'fused.matMul');
  }
  const epilogue = activation as FusedActivation;
  const rowBiasTensor = bias && bias.rank !== 1 ? reshape(bias, [plan.n]) : bias;
  const inputs = rowBiasTensor ? [a, b, rowBiasTensor] : [a, b];
  return ENGINE.runKernel({
    name: 'fusedMatMul',
    inputs,
    forward: (backend, [x, y, c]) => ({
      dataId: runMatMul(backend, plan, x.dataId, y.dataId, transposeA, transposeB, c?.dataId, epilogue),
      shape: plan.outShape,
      dtype: 'float32',
    }),
    backward: ([dy], [x, y, c], [out], needs) => {
      const preActivation = () => (c ? add(matMul(x, y, transposeA, transposeB), c) : matMul(x, y, transposeA, transposeB));
      const dz = activationGradient(epilogue, dy, out, preActivation, 'fused.matMul');
      const [dA, dB] = matMulGradients(dz, x, y, transposeA, transposeB, needs);
      return c ? [dA, dB, needs[2] ? sumToShape(dz, c.shape) : null] : [dA, dB];
    },
  })[0];
}

/** tfjs's tf.fused namespace. */
/** tf.fused: matMul and conv2d with the bias and activation applied in the kernel's epilogue. */
export const fused = { matMul: fusedMatMul, conv2d: fusedConv2d };
