// gather (pick slices along an axis by index) and its adjoint scatterAdd, which is gather's gradient
// (repeated indices accumulate); oneHot.
//
// Shape legend: x [...pre, axisSize, ...post] is viewed as [outer, axisSize, inner] with
// outer = prod(pre), inner = prod(post); indices [...idx] (n elements) give
// out [...pre, ...idx, ...post], i.e. [outer, n, inner].
import type { DType, Shape } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import { sizeFromShape, Tensor, TensorLike } from '../tensor.js';
import { flattenTensorLike, toTensor } from './util.js';

type Arg = Tensor | TensorLike;

/** int32 indices: a Tensor must already be int32 (as in tfjs); plain values are truncated to int32. */
function toIndices(indices: Tensor | TensorLike, opName: string): Tensor {
  if (indices instanceof Tensor) {
    indices.throwIfDisposed(opName);
    if (indices.dtype !== 'int32') {
      throw new Error(`${opName}: indices must be an int32 tensor, got a ${indices.dtype} tensor of shape [${indices.shape}]`);
    }
    return indices;
  }
  const { values, shape } = flattenTensorLike(indices, `${opName}: argument 'indices'`);
  return ENGINE.fromValues(Int32Array.from(values as ArrayLike<number>), shape, 'int32');
}

interface AxisView {
  outer: number;
  axisSize: number;
  inner: number;
}

function axisView(shape: Shape, axis: number): AxisView {
  return { outer: sizeFromShape(shape.slice(0, axis)), axisSize: shape[axis], inner: sizeFromShape(shape.slice(axis + 1)) };
}

/** out [outer, n, inner] = x [outer, axisSize, inner] picked by indices (already range-checked). */
function gatherKernel(x: Tensor, indices: Tensor, axis: number): Tensor {
  const view = axisView(x.shape, axis);
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  return ENGINE.runKernel({
    name: 'gather',
    inputs: [x, indices],
    forward: (backend, [input, idx]) => ({
      dataId: backend.gather(input.dataId, view.outer, view.axisSize, view.inner, idx.dataId, idx.size, input.dtype),
      shape: outShape,
      dtype: input.dtype,
    }),
    backward: ([dy], [input, idx]) => [scatterAddKernel(dy, idx, input.shape, axis), null],
  })[0];
}

/** The adjoint of gatherKernel: zeros of xShape, then updates added at the indexed slices. */
function scatterAddKernel(updates: Tensor, indices: Tensor, xShape: Shape, axis: number): Tensor {
  const view = axisView(xShape, axis);
  return ENGINE.runKernel({
    name: 'scatterAdd',
    inputs: [updates, indices],
    forward: (backend, [upd, idx]) => ({
      dataId: backend.scatterAdd(upd.dataId, view.outer, view.axisSize, view.inner, idx.dataId, idx.size),
      shape: xShape.slice(),
      dtype: 'float32',
    }),
    backward: ([dy], [, idx]) => [gatherKernel(dy, idx, axis), null],
  })[0];
}

/** Whether the current backend checks indices itself (a GPU: a host read would stall its queue). */
export function indicesCheckedOnDevice(op: string): boolean {
  return ENGINE.backendFor(op).checkIndices !== undefined;
}

/**
 * A backend must never see an index outside [0, limit). Checked on the device where the backend can
 * (the next read then rejects with the same message), else on the host.
 */
export function checkIndices(idx: Tensor, limit: number, op: string, what: string): void {
  const backend = ENGINE.backendFor(op);
  if (backend.checkIndices) {
    backend.checkIndices(idx.dataId, idx.size, limit, `${op} ${what}`);
    return;
  }
  const values = idx.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= limit) {
      throw new Error(`${op}: index ${values[i]} (at position ${i}) is out of range [0, ${limit - 1}] ${what}`);
    }
  }
}

/** Slices of x along `axis` at the given int32 indices; out shape x[:axis] + indices.shape + x[axis+1:]. */
export function gather(x: Arg, indices: Tensor | TensorLike, axis = 0, batchDims = 0): Tensor {
  const t = toTensor(x, 'x', 'gather');
  if (batchDims !== 0) throw new Error(`gather: batchDims = ${batchDims} is not supported (only 0)`);
  if (t.rank === 0) throw new Error('gather: x must have rank >= 1, got a scalar');
  if (!Number.isInteger(axis) || axis < -t.rank || axis >= t.rank) {
    throw new Error(`gather: axis ${axis} is out of range for x of shape [${t.shape}]`);
  }
  const a = axis < 0 ? axis + t.rank : axis;
  const idx = toIndices(indices, 'gather');
  try {
    checkIndices(idx, t.shape[a], 'gather', `for axis ${a} of x, shape [${t.shape}]`);
    return gatherKernel(t, idx, a);
  } finally {
    if (idx !== indices) idx.dispose(); // a temporary made from plain values (the tape keeps its own reference)
  }
}

/** indices [...] → [..., depth]: onValue at each index, offValue elsewhere (rows out of range: all off). */
export function oneHot(indices: Tensor | TensorLike, depth: number, onValue = 1, offValue = 0, dtype: DType = 'int32'): Tensor {
  if (!Number.isInteger(depth) || depth < 2) throw new Error(`oneHot: depth must be an integer >= 2, got ${depth}`);
  if (!['float32', 'int32', 'bool'].includes(dtype)) throw new Error(`oneHot: unknown dtype '${dtype}'`);
  const idx = toIndices(indices, 'oneHot');
  const outShape = [...idx.shape, depth];
  const out = ENGINE.runKernel({
    name: 'oneHot',
    inputs: [idx],
    forward: (backend, [input]) => ({
      dataId: backend.oneHot(input.dataId, input.size, depth, onValue, offValue, dtype),
      shape: outShape,
      dtype,
    }),
  })[0];
  if (idx !== indices) idx.dispose();
  return out;
}
