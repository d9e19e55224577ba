// Tensor creation: tensor / tensorNd / scalar from values, constant fills, ranges, identity
// matrices, variables and clone. Values are converted to the requested dtype here, the way tfjs
// converts them (int32 truncates toward zero, bool is Math.round(v) != 0), so every backend
// receives the same numbers.
import type { DType, Shape, TypedArray } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import { sizeFromShape, Tensor, TensorLike } from '../tensor.js';
import { Variable } from '../variable.js';
import { assertIntegerShape, flattenTensorLike, toTensor } from './util.js';

const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

function assertDtypeName(dtype: DType, opName: string): void {
  if (!DTYPES.includes(dtype)) throw new Error(`${opName}: unknown dtype '${dtype}' (expected ${DTYPES.join(', ')})`);
}

/**
 * Converts user values to what the backend should store for `dtype`. float32 number[] passes through
 * unrounded (the reference backend keeps float64, which finite-difference checks rely on).
 */
function convertValues(values: TypedArray | number[], dtype: DType): TypedArray | number[] {
  if (dtype === 'int32') return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
  if (dtype === 'bool') {
    if (values instanceof Uint8Array) return values;
    const out = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Math.round(values[i]) !== 0 ? 1 : 0;
    return out;
  }
  return values;
}

/** Creates a tensor from (nested) values, optionally reshaped to `shape` and converted to `dtype`. */
export function tensor(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  const { values: flat, shape: inferredShape, inferredDtype } = flattenTensorLike(values, 'tensor: values');
  const outDtype = dtype ?? inferredDtype;
  assertDtypeName(outDtype, 'tensor');
  let outShape = inferredShape;
  if (shape !== undefined && shape !== null) {
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`tensor: shape [${shape}] must consist of non-negative integers`);
    }
    if (sizeFromShape(shape) !== flat.length) {
      throw new Error(`tensor: shape [${shape}] needs ${sizeFromShape(shape)} values but ${flat.length} were given`);
    }
    // Nested values must agree with the shape (a flat innermost level may cover several trailing axes).
    for (let i = 0; i < inferredShape.length; i++) {
      const isLast = i === inferredShape.length - 1;
      const ok = inferredShape[i] === shape[i] || (isLast && inferredShape[i] === sizeFromShape(shape.slice(i)));
      if (!ok) throw new Error(`tensor: the nesting of values, [${inferredShape}], does not match the shape [${shape}]`);
    }
    outShape = shape.slice();
  }
  return ENGINE.fromValues(convertValues(flat, outDtype), outShape, outDtype);
}

/** A rank-0 tensor. */
export function scalar(value: number | boolean, dtype?: DType): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`scalar: value must be a number or boolean, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return tensor(value, [], dtype);
}

function tensorOfRank(rank: number, values: TensorLike, shape: Shape | undefined, dtype: DType | undefined): Tensor {
  const opName = `tensor${rank}d`;
  const inferredRank = flattenTensorLike(values, `${opName}: values`).shape.length;
  if (rank === 1) {
    if (inferredRank !== 1) throw new Error(`tensor1d: values must be a flat array or typed array, got rank ${inferredRank}`);
  } else {
    if (inferredRank !== 1 && inferredRank !== rank) {
      throw new Error(`${opName}: values must be nested to rank ${rank} or flat, got rank ${inferredRank}`);
    }
    if (inferredRank === 1 && shape === undefined) {
      throw new Error(`${opName}: a shape is required when values are flat`);
    }
  }
  if (shape !== undefined && shape.length !== rank) {
    throw new Error(`${opName}: shape [${shape}] must have rank ${rank}`);
  }
  return tensor(values, shape, dtype);
}

export function tensor1d(values: TensorLike, dtype?: DType): Tensor {
  return tensorOfRank(1, values, undefined, dtype);
}
export function tensor2d(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  return tensorOfRank(2, values, shape, dtype);
}
export function tensor3d(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  return tensorOfRank(3, values, shape, dtype);
}
export function tensor4d(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  return tensorOfRank(4, values, shape, dtype);
}
export function tensor5d(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  return tensorOfRank(5, values, shape, dtype);
}
export function tensor6d(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  return tensorOfRank(6, values, shape, dtype);
}

/** A tensor of `shape` with every element `value` (dtype inferred from the value like tfjs). */
export function fill(shape: Shape, value: number | boolean, dtype?: DType): Tensor {
  const outDtype = dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  assertDtypeName(outDtype, 'fill');
  assertIntegerShape(shape, 'fill');
  const numeric = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  const stored = outDtype === 'int32' ? Math.trunc(numeric) | 0 : outDtype === 'bool' ? (Math.round(numeric) !== 0 ? 1 : 0) : numeric;
  return ENGINE.runKernel({
    name: 'fill',
    inputs: [],
    forward: (backend) => ({ dataId: backend.fill(sizeFromShape(shape), stored, outDtype), shape: shape.slice(), dtype: outDtype }),
  })[0];
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return fill(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return fill(shape, 1, dtype);
}

/** Zeros with x's shape and dtype. */
export function zerosLike(x: Tensor | TensorLike): Tensor {
  const t = toTensor(x, 'x', 'zerosLike');
  return fill(t.shape, 0, t.dtype);
}

/** Ones with x's shape and dtype. */
export function onesLike(x: Tensor | TensorLike): Tensor {
  const t = toTensor(x, 'x', 'onesLike');
  return fill(t.shape, 1, t.dtype);
}

/** `value` everywhere, with x's shape (and x's dtype unless given). */
export function fullLike(x: Tensor | TensorLike, value: number | boolean, dtype?: DType): Tensor {
  const t = toTensor(x, 'x', 'fullLike');
  return fill(t.shape, value, dtype ?? t.dtype);
}

/**
 * start, start+step, … up to (not including) stop. Like tfjs, a decreasing range with the default
 * step counts down, and the values accumulate in the output dtype (so an int32 range truncates).
 */
export function range(start: number, stop: number, step = 1, dtype: 'float32' | 'int32' = 'float32'): Tensor {
  if (step === 0) throw new Error('range: step must not be zero');
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`range: dtype must be float32 or int32, got ${dtype}`);
  for (const [name, v] of [['start', start], ['stop', stop], ['step', step]] as const) {
    if (!Number.isFinite(v)) throw new Error(`range: ${name} must be a finite number, got ${v}`);
  }
  const empty = start === stop || (start < stop && step < 0) || (stop < start && step > 1);
  const count = empty ? 0 : Math.abs(Math.ceil((stop - start) / step));
  const values = dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
  const actualStep = stop < start && step === 1 ? -1 : step;
  if (count > 0) values[0] = start;
  for (let i = 1; i < count; i++) values[i] = values[i - 1] + actualStep;
  return ENGINE.fromValues(values, [count], dtype);
}

/** `num` evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num <= 0) throw new Error(`linspace: num must be a positive integer, got ${num}`);
  const values = new Float32Array(num);
  const step = num === 1 ? 0 : (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) values[i] = start + i * step;
  return ENGINE.fromValues(values, [num], 'float32');
}

/** Identity matrix [numRows, numColumns], optionally repeated over batchShape: [...batchShape, rows, cols]. */
export function eye(numRows: number, numColumns?: number, batchShape?: number[], dtype: DType = 'float32'): Tensor {
  const columns = numColumns ?? numRows;
  assertIntegerShape([numRows, columns], 'eye');
  const batch = batchShape ?? [];
  assertIntegerShape(batch, 'eye');
  assertDtypeName(dtype, 'eye');
  const matrixSize = numRows * columns;
  const batchCount = sizeFromShape(batch);
  const values = dtype === 'float32' ? new Float32Array(batchCount * matrixSize) : dtype === 'int32' ? new Int32Array(batchCount * matrixSize) : new Uint8Array(batchCount * matrixSize);
  for (let b = 0; b < batchCount; b++) {
    for (let i = 0; i < Math.min(numRows, columns); i++) values[b * matrixSize + i * columns + i] = 1;
  }
  return ENGINE.fromValues(values, [...batch, numRows, columns], dtype);
}

/** A trainable (by default) Variable holding a copy of the initial value's buffer reference. */
export function variable(initialValue: Tensor | TensorLike, trainable = true, name?: string, dtype?: DType): Variable {
  if (dtype !== undefined) assertDtypeName(dtype, 'variable');
  if (initialValue instanceof Tensor) return new Variable(initialValue, trainable, name, dtype);
  // A temporary made from plain values: the variable takes its own reference, the temporary goes.
  const temporary = toTensor(initialValue, 'initialValue', 'variable');
  try {
    return new Variable(temporary, trainable, name, dtype);
  } finally {
    temporary.dispose();
  }
}

/** A new tensor with x's values; like tfjs it shares x's buffer (tensors are immutable). */
export function clone(x: Tensor | TensorLike): Tensor {
  const t = toTensor(x, 'x', 'clone');
  return ENGINE.runKernel({
    name: 'clone',
    inputs: [t],
    forward: (_backend, [input]) => ({ dataId: input.dataId, shape: input.shape, dtype: input.dtype }),
    backward: ([dy]) => [dy],
  })[0];
}
