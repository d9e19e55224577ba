// Data movement: transpose, strided slice, concat, pad, tile, gather / scatterAdd, oneHot.
// Values are copied unchanged, so each kernel works for every dtype (output storage = dtype).

import type { DType, Shape } from '../backend.js';
import { stridedOffsets } from './indexing.js';
import { rowMajorStrides, sizeOf } from '../shape.js';
import { allocate, type Values } from './storage.js';

function gatherByOffsets(x: Values, offsets: Int32Array, dtype: DType): Values {
  const out = allocate(offsets.length, dtype);
  for (let i = 0; i < offsets.length; i++) out[i] = x[offsets[i]];
  return out;
}

/** out axis d is input axis perm[d]: outShape[d] = shape[perm[d]]. */
export function transpose(x: Values, shape: Shape, perm: readonly number[], dtype: DType): Values {
  const inStrides = rowMajorStrides(shape);
  const outShape = perm.map((axis) => shape[axis]);
  const strides = perm.map((axis) => inStrides[axis]);
  return gatherByOffsets(x, stridedOffsets(outShape, strides), dtype);
}

/** out[i0, i1, …] = x[begin[0] + i0·strides[0], begin[1] + i1·strides[1], …]. */
export function stridedSlice(
  x: Values, shape: Shape, begin: readonly number[], strides: readonly number[], outShape: Shape, dtype: DType,
): Values {
  const inStrides = rowMajorStrides(shape);
  let base = 0;
  for (let d = 0; d < shape.length; d++) base += begin[d] * inStrides[d];
  const steps = inStrides.map((stride, d) => stride * strides[d]);
  return gatherByOffsets(x, stridedOffsets(outShape, steps, base), dtype);
}

/**
 * Each input viewed as [outer, axisSize_j · inner]; the output row o is the inputs' rows o laid
 * side by side.
 */
export function concat(xs: readonly Values[], shapes: readonly Shape[], axis: number, dtype: DType): Values {
  const firstShape = shapes[0];
  const outer = sizeOf(firstShape.slice(0, axis));
  const inner = sizeOf(firstShape.slice(axis + 1));
  const rowLengths = shapes.map((shape) => shape[axis] * inner);
  const outRowLength = rowLengths.reduce((total, length) => total + length, 0);
  const out = allocate(outer * outRowLength, dtype);
  for (let o = 0; o < outer; o++) {
    let column = 0;
    for (let j = 0; j < xs.length; j++) {
      const length = rowLengths[j];
      for (let c = 0; c < length; c++) out[o * outRowLength + column + c] = xs[j][o * length + c];
      column += length;
    }
  }
  return out;
}

/** Constant padding; paddings[d] = [before, after], both >= 0. */
export function pad(
  x: Values, shape: Shape, paddings: readonly (readonly [number, number])[], value: number, dtype: DType,
): Values {
  const outShape = shape.map((dim, d) => paddings[d][0] + dim + paddings[d][1]);
  const out = allocate(sizeOf(outShape), dtype);
  out.fill(value);
  // Scatter every input element to its place in the output: the input index shifted by `before`.
  const outStrides = rowMajorStrides(outShape);
  let base = 0;
  for (let d = 0; d < shape.length; d++) base += paddings[d][0] * outStrides[d];
  const targets = stridedOffsets(shape, outStrides, base);
  for (let i = 0; i < targets.length; i++) out[targets[i]] = x[i];
  return out;
}

/** out[i0, …] = x[i0 mod shape[0], …]; outShape[d] = shape[d]·reps[d]. */
export function tile(x: Values, shape: Shape, reps: readonly number[], dtype: DType): Values {
  const rank = shape.length;
  const outShape = shape.map((dim, d) => dim * reps[d]);
  const inStrides = rowMajorStrides(shape);
  const out = allocate(sizeOf(outShape), dtype);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let source = 0;
    for (let d = 0; d < rank; d++) source += (index[d] % shape[d]) * inStrides[d];
    out[i] = x[source];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** x: [outer, axisSize, inner], indices: [numIndices] → out: [outer, numIndices, inner]. */
export function gather(
  x: Values, outer: number, axisSize: number, inner: number, indices: Values, numIndices: number, dtype: DType,
): Values {
  const out = allocate(outer * numIndices * inner, dtype);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < numIndices; j++) {
      const source = (o * axisSize + indices[j]) * inner;
      const target = (o * numIndices + j) * inner;
      for (let i = 0; i < inner; i++) out[target + i] = x[source + i];
    }
  }
  return out;
}

/** updates: [outer, numIndices, inner] → out: [outer, axisSize, inner], repeated indices accumulate. */
export function scatterAdd(
  updates: Values, outer: number, axisSize: number, inner: number, indices: Values, numIndices: number,
): Float64Array {
  const out = new Float64Array(outer * axisSize * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < numIndices; j++) {
      const target = (o * axisSize + indices[j]) * inner;
      const source = (o * numIndices + j) * inner;
      for (let i = 0; i < inner; i++) out[target + i] += updates[source + i];
    }
  }
  return out;
}

/** indices: [n] → out: [n, depth]; a row whose index is outside [0, depth) is all offValue. */
export function oneHot(
  indices: Values, n: number, depth: number, onValue: number, offValue: number, dtype: DType,
): Values {
  const out = allocate(n * depth, dtype);
  out.fill(offValue);
  for (let r = 0; r < n; r++) {
    const index = indices[r];
    if (index >= 0 && index < depth) out[r * depth + index] = onValue;
  }
  return out;
}
