// Reductions over any set of axes (sum, mean, max, min, prod, argMax, argMin, logSumExp, any, all,
// moments) with their gradients. The backend reduces the middle axis of x viewed as
// [outer, reduce, inner]: a contiguous run of axes maps onto that view as is, any other set is first
// transposed (inside the kernel call, so the op stays one node on the tape) to [kept..., reduced...].
//   x: [...], axes → out: x.shape without the axes (keepDims: with 1 in their place)
import type { Backend, DataId, DType, ReduceOp } from '../backend/backend.js';
import { ENGINE, GradientFn } from '../engine.js';
import { sizeFromShape, Tensor, TensorLike } from '../tensor.js';
import { add, div, mul, sub } from './binary.js';
import { cast } from './cast.js';
import { compare } from './compare.js';
import { onesLike, zerosLike } from './creation.js';
import { broadcastTo, reshape } from './shape.js';
import { exp, square } from './unary.js';
import { where } from './where.js';
import { assertDtype, parseAxes, toTensor } from './util.js';

type Arg = Tensor | TensorLike;
type AxisArg = number | number[] | null;

interface Reduction {
  /** Sorted, distinct, non-negative axes. */
  axes: number[];
  /** x.shape with 1 at every reduced axis: what dy is reshaped to before broadcasting back. */
  keepShape: number[];
  /** The op's output shape (keepShape when keepDims). */
  outShape: number[];
}

function planReduction(shape: readonly number[], axis: AxisArg | undefined, keepDims: boolean, opName: string): Reduction {
  const axes = parseAxes(axis, shape.length, opName).filter((a) => a >= 0 && a < shape.length);
  const keepShape = shape.map((dim, i) => (axes.includes(i) ? 1 : dim));
  const outShape = keepDims ? keepShape : shape.filter((_, i) => !axes.includes(i));
  return { axes, keepShape, outShape };
}

/** What a reduction over no elements gives: sum 0, prod 1, max -inf, min +inf, any false, all true. */
const EMPTY_REDUCTION: Record<ReduceOp, number> = {
  sum: 0, prod: 1, max: -Infinity, min: Infinity, logSumExp: -Infinity, argMax: 0, argMin: 0, any: 0, all: 1,
};

/** The empty reduction's value as stored in `dtype` (int32 has no infinities: 0; bool: nonzero is true). */
function emptyReductionValue(op: ReduceOp, dtype: DType): number {
  const value = EMPTY_REDUCTION[op];
  if (dtype === 'float32') return value;
  if (dtype === 'bool') return value !== 0 ? 1 : 0;
  return Number.isFinite(value) ? value : 0;
}

/**
 * Runs backend.reduce over `axes` of x (empty reductions are filled here: backends see reduceSize >= 1).
 * Axes of size 1 are irrelevant to the memory layout, so they are dropped before deciding whether the
 * reduced axes form one contiguous run.
 */
function reduceOnBackend(backend: Backend, op: ReduceOp, x: Tensor, axes: number[], dtype: DType): DataId {
  if (axes.some((a) => x.shape[a] === 0)) {
    const outDtype: DType = op === 'argMax' || op === 'argMin' ? 'int32' : dtype;
    const outSize = sizeFromShape(x.shape.filter((_, i) => !axes.includes(i)));
    return backend.fill(outSize, emptyReductionValue(op, outDtype), outDtype);
  }
  const dims: number[] = [];
  const reduced: boolean[] = [];
  x.shape.forEach((dim, i) => {
    if (dim !== 1) {
      dims.push(dim);
      reduced.push(axes.includes(i));
    }
  });
  const first = reduced.indexOf(true);
  const last = reduced.lastIndexOf(true);
  const contiguous = first < 0 || reduced.slice(first, last + 1).every(Boolean);
  if (contiguous) {
    if (first < 0) return backend.reduce(op, x.dataId, x.size, 1, 1, dtype);
    const outer = sizeFromShape(dims.slice(0, first));
    const reduceSize = sizeFromShape(dims.slice(first, last + 1));
    const inner = sizeFromShape(dims.slice(last + 1));
    return backend.reduce(op, x.dataId, outer, reduceSize, inner, dtype);
  }
  const keptAxes = dims.map((_, i) => i).filter((i) => !reduced[i]);
  const reducedAxes = dims.map((_, i) => i).filter((i) => reduced[i]);
  const transposed = backend.transpose(x.dataId, dims, [...keptAxes, ...reducedAxes], dtype);
  try {
    const outer = sizeFromShape(keptAxes.map((i) => dims[i]));
    const reduceSize = sizeFromShape(reducedAxes.map((i) => dims[i]));
    return backend.reduce(op, transposed, outer, reduceSize, 1, dtype);
  } finally {
    backend.dispose(transposed);
  }
}

function reduction(
  op: ReduceOp, opName: string, x: Tensor, plan: Reduction, outDtype: DType, backward?: GradientFn,
): Tensor {
  return ENGINE.runKernel({
    name: opName,
    inputs: [x],
    forward: (backend, [input]) => ({
      dataId: reduceOnBackend(backend, op, input, plan.axes, input.dtype),
      shape: plan.outShape,
      dtype: outDtype,
    }),
    backward: x.dtype === 'float32' ? backward : undefined,
  })[0];
}

/** Broadcasts a reduced tensor (outShape) back over the input's shape. */
function expandBack(reduced: Tensor, plan: Reduction, like: Tensor): Tensor {
  return broadcastTo(reshape(reduced, plan.keepShape), like.shape);
}

/** bool counts as int32 in sums and products, as in tfjs. */
function integerOrFloat(x: Tensor): Tensor {
  return x.dtype === 'bool' ? cast(x, 'int32') : x;
}

function asFloat(x: Tensor): Tensor {
  return x.dtype === 'float32' ? x : cast(x, 'float32');
}

export function sum(x: Arg, axis: AxisArg = null, keepDims = false): Tensor {
  const input = integerOrFloat(toTensor(x, 'x', 'sum'));
  const plan = planReduction(input.shape, axis, keepDims, 'sum');
  return reduction('sum', 'sum', input, plan, input.dtype, ([dy], [xs]) => [expandBack(dy, plan, xs)]);
}

/** Mean in float32 (int32 and bool inputs are cast first, as in tfjs). */
export function mean(x: Arg, axis: AxisArg = null, keepDims = false): Tensor {
  const input = asFloat(toTensor(x, 'x', 'mean'));
  const plan = planReduction(input.shape, axis, keepDims, 'mean');
  const count = sizeFromShape(plan.axes.map((a) => input.shape[a]));
  return div(sum(input, plan.axes, keepDims), count);
}

/** Gradient of max/min: dy goes to every element equal to the result (all tied extrema, as tfjs). */
const extremumBackward = (plan: Reduction): GradientFn => ([dy], [xs], [y]) => {
  const hits = cast(compare('equal', xs, reshape(y, plan.keepShape), 'max'), 'float32');
  return [mul(hits, reshape(dy, plan.keepShape))];
};

export function max(x: Arg, axis: AxisArg = null, keepDims = false): Tensor {
  const input = toTensor(x, 'x', 'max');
  if (input.dtype === 'bool') return any(input, axis, keepDims);
  const plan = planReduction(input.shape, axis, keepDims, 'max');
  return reduction('max', 'max', input, plan, input.dtype, extremumBackward(plan));
}

export function min(x: Arg, axis: AxisArg = null, keepDims = false): Tensor {
  const input = toTensor(x, 'x', 'min');
  if (input.dtype === 'bool') return all(input, axis, keepDims);
  const plan = planReduction(input.shape, axis, keepDims, 'min');
  return reduction('min', 'min', input, plan, input.dtype, extremumBackward(plan));
}

/**
 * Product. Gradient = product of the other elements, computed without dividing by zero: with no zero in
 * a slice it is prod/x; with exactly one zero only that element gets the product of the rest; else 0.
 */
export function prod(x: Arg, axis: AxisArg = null, keepDims = false): Tensor {
  const input = integerOrFloat(toTensor(x, 'x', 'prod'));
  const plan = planReduction(input.shape, axis, keepDims, 'prod');
  return reduction('prod', 'prod', input, plan, input.dtype, ([dy], [xs]) => {
    const isZero = compare('equal', xs, 0, 'prod');
    const nonZero = where(isZero, onesLike(xs), xs);
    const zeroCount = sum(cast(isZero, 'float32'), plan.axes, true);
    const productOfNonZeros = prod(nonZero, plan.axes, true);
    const noZeros = div(productOfNonZeros, nonZero);
    const onlyZero = where(compare('equal', zeroCount, 1, 'prod'), productOfNonZeros, zerosLike(productOfNonZeros));
    const others = where(compare('equal', zeroCount, 0, 'prod'), noZeros, where(isZero, add(zerosLike(xs), onlyZero), zerosLike(xs)));
    return [mul(others, reshape(dy, plan.keepShape))];
  });
}

/** tfjs argMax/argMin: one axis (default 0), int32 indices, first index on ties. */
function argReduction(op: 'argMax' | 'argMin', x: Arg, axis: number): Tensor {
  let input = toTensor(x, 'x', op);
  if (!Number.isInteger(axis)) throw new Error(`${op}: axis must be a single integer, got ${axis} (x is [${input.shape}])`);
  if (input.rank === 0) throw new Error(`${op}: x must have rank >= 1, got a scalar`);
  if (input.dtype === 'bool') input = cast(input, 'int32');
  const plan = planReduction(input.shape, axis, false, op);
  return reduction(op, op, input, plan, 'int32');
}

export function argMax(x: Arg, axis = 0): Tensor {
  return argReduction('argMax', x, axis);
}

export function argMin(x: Arg, axis = 0): Tensor {
  return argReduction('argMin', x, axis);
}

/** log Σ exp(x), shifted by the max for stability. Gradient: dy · exp(x − logSumExp). */
export function logSumExp(x: Arg, axis: AxisArg = null, keepDims = false): Tensor {
  const input = asFloat(toTensor(x, 'x', 'logSumExp'));
  const plan = planReduction(input.shape, axis, keepDims, 'logSumExp');
  return reduction('logSumExp', 'logSumExp', input, plan, 'float32', ([dy], [xs], [y]) => [
    mul(exp(sub(xs, reshape(y, plan.keepShape))), reshape(dy, plan.keepShape)),
  ]);
}

function logicalReduction(op: 'any' | 'all', x: Arg, axis: AxisArg, keepDims: boolean): Tensor {
  const input = toTensor(x, 'x', op);
  assertDtype(input, ['bool'], op);
  return reduction(op, op, input, planReduction(input.shape, axis, keepDims, op), 'bool');
}

export function any(x: Arg, axis: AxisArg = null, keepDims = false): Tensor {
  return logicalReduction('any', x, axis, keepDims);
}

export function all(x: Arg, axis: AxisArg = null, keepDims = false): Tensor {
  return logicalReduction('all', x, axis, keepDims);
}

/** Mean and (biased) variance over axes, as tfjs moments; float32. */
export function moments(x: Arg, axis: AxisArg = null, keepDims = false): { mean: Tensor; variance: Tensor } {
  const input = asFloat(toTensor(x, 'x', 'moments'));
  const plan = planReduction(input.shape, axis, keepDims, 'moments');
  const average = mean(input, plan.axes, keepDims);
  const deviation = sub(input, reshape(average, plan.keepShape));
  return { mean: average, variance: mean(square(deviation), plan.axes, keepDims) };
}
