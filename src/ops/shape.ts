// Shape and layout: reshape (a view: no copy), expandDims / squeeze (reshapes), transpose,
// broadcastTo (a tile) and reverse (a strided read with stride -1 on the reversed axes).
import type { Shape } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { tile } from './pad.js';
import { clone } from './creation.js';
import { inferReshape, parseAxes, toTensor } from './util.js';

type Arg = Tensor | TensorLike;

/** The same values in a new shape (one -1 is inferred). Shares x's buffer: nothing is copied. */
export function reshape(x: Arg, shape: Shape): Tensor {
  const t = toTensor(x, 'x', 'reshape');
  if (!Array.isArray(shape)) throw new Error(`reshape: shape must be an array of integers, got ${shape}`);
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < -1) {
      throw new Error(`reshape: invalid target shape [${shape}] for x of shape [${t.shape}]: dimensions must be integers >= -1`);
    }
  }
  let outShape: number[];
  try {
    outShape = inferReshape(shape, t.size, 'reshape');
  } catch (error) {
    throw new Error(`${(error as Error).message} (x has shape [${t.shape}])`);
  }
  return ENGINE.runKernel({
    name: 'reshape',
    inputs: [t],
    forward: (_backend, [input]) => ({ dataId: input.dataId, shape: outShape, dtype: input.dtype }),
    backward: ([dy], [input]) => [reshape(dy, input.shape)],
  })[0];
}

/** Inserts a size-1 axis at `axis` (in [-(rank+1), rank]). */
export function expandDims(x: Arg, axis = 0): Tensor {
  const t = toTensor(x, 'x', 'expandDims');
  const rank = t.rank;
  if (!Number.isInteger(axis) || axis < -(rank + 1) || axis > rank) {
    throw new Error(`expandDims: axis ${axis} is out of range [${-(rank + 1)}, ${rank}] for x of shape [${t.shape}]`);
  }
  const at = axis < 0 ? axis + rank + 1 : axis;
  const shape = t.shape.slice();
  shape.splice(at, 0, 1);
  return reshape(t, shape);
}

/** Removes size-1 axes: the given ones (each must be 1) or all of them. */
export function squeeze(x: Arg, axis?: number | number[]): Tensor {
  const t = toTensor(x, 'x', 'squeeze');
  let drop: number[];
  if (axis === undefined || axis === null || (Array.isArray(axis) && axis.length === 0)) {
    drop = t.shape.flatMap((dim, i) => (dim === 1 ? [i] : []));
  } else {
    drop = parseAxes(axis, t.rank, 'squeeze');
    for (const a of drop) {
      if (t.shape[a] !== 1) throw new Error(`squeeze: cannot squeeze axis ${a} of shape [${t.shape}]: its size is ${t.shape[a]}, not 1`);
    }
  }
  return reshape(t, t.shape.filter((_, i) => !drop.includes(i)));
}

/** Permutes the axes: output axis d is input axis perm[d]. Default perm reverses the axes. */
export function transpose(x: Arg, perm?: number[]): Tensor {
  const t = toTensor(x, 'x', 'transpose');
  const rank = t.rank;
  const order = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const seen = new Set<number>();
  if (order.length !== rank) throw new Error(`transpose: perm [${order}] must have length ${rank} for x of shape [${t.shape}]`);
  for (const axis of order) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= rank || seen.has(axis)) {
      throw new Error(`transpose: perm [${order}] is not a permutation of 0..${rank - 1} (x has shape [${t.shape}])`);
    }
    seen.add(axis);
  }
  if (order.every((axis, i) => axis === i)) return clone(t);
  const outShape = order.map((axis) => t.shape[axis]);
  const inverse = new Array<number>(rank);
  order.forEach((axis, i) => (inverse[axis] = i));
  return ENGINE.runKernel({
    name: 'transpose',
    inputs: [t],
    forward: (backend, [input]) => ({
      dataId: backend.transpose(input.dataId, input.shape, order, input.dtype),
      shape: outShape,
      dtype: input.dtype,
    }),
    backward: ([dy]) => [transpose(dy, inverse)],
  })[0];
}

/** Broadcasts x to `shape` (numpy rules: x's axes align with the trailing ones of shape). */
export function broadcastTo(x: Arg, shape: Shape): Tensor {
  const t = toTensor(x, 'x', 'broadcastTo');
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`broadcastTo: target shape [${shape}] must consist of non-negative integers`);
  }
  if (shape.length < t.rank) {
    throw new Error(`broadcastTo: cannot broadcast [${t.shape}] to the lower-rank shape [${shape}]`);
  }
  const padded = [...new Array<number>(shape.length - t.rank).fill(1), ...t.shape];
  const reps = padded.map((dim, i) => {
    if (dim === shape[i]) return 1;
    if (dim === 1) return shape[i];
    throw new Error(`broadcastTo: [${t.shape}] cannot be broadcast to [${shape}] (axis ${i}: ${dim} vs ${shape[i]})`);
  });
  const lifted = t.rank === shape.length ? t : reshape(t, padded);
  return reps.every((r) => r === 1) ? clone(lifted) : tile(lifted, reps);
}

/** Reverses the order of elements along the given axes (all axes by default). */
export function reverse(x: Arg, axis?: number | number[]): Tensor {
  const t = toTensor(x, 'x', 'reverse');
  const axes = parseAxes(axis, t.rank, 'reverse');
  if (axes.length === 0 || t.size === 0) return clone(t);
  // Read backwards on the reversed axes: begin at the last element, stride -1.
  const begin = t.shape.map((dim, i) => (axes.includes(i) ? dim - 1 : 0));
  const strides = t.shape.map((_, i) => (axes.includes(i) ? -1 : 1));
  return ENGINE.runKernel({
    name: 'reverse',
    inputs: [t],
    forward: (backend, [input]) => ({
      dataId: backend.stridedSlice(input.dataId, input.shape, begin, strides, input.shape, input.dtype),
      shape: input.shape,
      dtype: input.dtype,
    }),
    backward: ([dy]) => [reverse(dy, axes)],
  })[0];
}
