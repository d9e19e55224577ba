// Slicing: slice (contiguous box), stridedSlice (numpy/TF-style begin:end:stride with masks),
// split and unstack (several slices). All of them read through backend.stridedSlice.
//
// Gradient: a strided read is the adjoint of a strided write into zeros. stridedWrite builds that
// from differentiable ops, one idea per step, so higher-order gradients work too:
//   1. negative strides: reverse dy on those axes; the same positions are then visited with the
//      positive stride |s| starting at the lowest one, b + (n-1)·s;
//   2. strides s > 1: interleave s-1 zeros after every element (reshape to [.., n, 1, ..], pad that
//      axis to s, merge to n·s) and cut the trailing zeros to (n-1)·s + 1;
//   3. pad by [begin, dim - begin - extent] on every axis.
import type { Shape } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { pad } from './pad.js';
import { reshape, reverse } from './shape.js';
import { clone, zeros } from './creation.js';
import { toTensor } from './util.js';

type Arg = Tensor | TensorLike;

/**
 * Reads x[begin[d] + i·strides[d]] for i < size[d] on each axis d (all arguments already valid:
 * every position visited lies inside x). The one kernel behind every op in this file.
 */
function stridedRead(opName: string, x: Tensor, begin: number[], strides: number[], size: number[]): Tensor {
  // Reading everything in order is the identity: a view, no copy.
  const isIdentity = size.length === x.rank && size.every((n, d) => n === x.shape[d] && (begin[d] === 0 && strides[d] === 1));
  if (isIdentity) return clone(x);
  return ENGINE.runKernel({
    name: opName,
    inputs: [x],
    forward: (backend, [input]) => ({
      dataId: backend.stridedSlice(input.dataId, input.shape, begin, strides, size, input.dtype),
      shape: size,
      dtype: input.dtype,
    }),
    backward: ([dy], [input]) => [stridedWrite(dy, input.shape, begin, strides)],
  })[0];
}

/** The adjoint of stridedRead: zeros of xShape with dy written at the strided positions. */
function stridedWrite(dy: Tensor, xShape: Shape, begin: readonly number[], strides: readonly number[]): Tensor {
  const rank = xShape.length;
  if (dy.size === 0) return zeros(xShape, dy.dtype);
  const start = begin.slice();
  const step = strides.slice();
  // 1. Turn negative strides into positive ones over the same positions.
  const flipped: number[] = [];
  for (let d = 0; d < rank; d++) {
    if (step[d] < 0) {
      flipped.push(d);
      start[d] += (dy.shape[d] - 1) * step[d];
      step[d] = -step[d];
    }
  }
  let out = flipped.length ? reverse(dy, flipped) : dy;
  // 2. Spread each strided axis: n elements → (n-1)·s + 1 positions, zeros between.
  for (let d = 0; d < rank; d++) {
    const s = step[d];
    const n = out.shape[d];
    if (s === 1 || n === 1) continue;
    const before = out.shape.slice(0, d);
    const after = out.shape.slice(d + 1);
    const withGap = reshape(out, [...before, n, 1, ...after]);
    const gapPadding = withGap.shape.map((_, i): [number, number] => (i === d + 1 ? [0, s - 1] : [0, 0]));
    const merged = reshape(pad(withGap, gapPadding), [...before, n * s, ...after]);
    out = slice(merged, new Array<number>(rank).fill(0), [...before, (n - 1) * s + 1, ...after]);
  }
  // 3. Place the block at its offset.
  const paddings = xShape.map((dim, d): [number, number] => [start[d], dim - start[d] - out.shape[d]]);
  return paddings.some(([a, b]) => a !== 0 || b !== 0) ? pad(out, paddings) : out;
}

/**
 * A contiguous box: begin on each axis (missing trailing axes: 0) and size (missing or -1: to the end).
 * Number arguments apply to the first axis, as in tfjs.
 */
export function slice(x: Arg, begin: number | number[], size?: number | number[]): Tensor {
  const t = toTensor(x, 'x', 'slice');
  const rank = t.rank;
  if (rank === 0) throw new Error('slice: cannot slice a scalar');
  const beginList = typeof begin === 'number' ? [begin] : begin.slice();
  const sizeList = size === undefined || size === null ? [] : typeof size === 'number' ? [size] : size.slice();
  if (beginList.length > rank || sizeList.length > rank) {
    throw new Error(`slice: begin [${beginList}] and size [${sizeList}] must not be longer than the rank of x, shape [${t.shape}]`);
  }
  while (beginList.length < rank) beginList.push(0);
  while (sizeList.length < rank) sizeList.push(-1);
  const outShape = sizeList.map((s, d) => {
    const b = beginList[d];
    if (!Number.isInteger(b) || b < 0 || b > t.shape[d]) {
      throw new Error(`slice: begin[${d}] = ${b} is out of range for axis ${d} of size ${t.shape[d]} (x shape [${t.shape}])`);
    }
    if (s === -1) return t.shape[d] - b;
    if (!Number.isInteger(s) || s < 0 || b + s > t.shape[d]) {
      throw new Error(`slice: begin[${d}] + size[${d}] = ${b} + ${s} exceeds axis ${d} of size ${t.shape[d]} (x shape [${t.shape}])`);
    }
    return s;
  });
  return stridedRead('slice', t, beginList, new Array<number>(rank).fill(1), outShape);
}

const bit = (mask: number, i: number): boolean => ((mask >> i) & 1) === 1;

/**
 * TF/tfjs strided slice. begin/end/strides list "sparse" dims: one ellipsis (ellipsisMask) stands
 * for as many full axes as needed, newAxisMask inserts size-1 axes, shrinkAxisMask takes one index
 * and drops the axis, beginMask/endMask ignore begin/end (take from the start / to the end).
 * Missing trailing axes are taken whole. Negative indices count from the end; others are clamped.
 */
export function stridedSlice(
  x: Arg, begin: number[], end: number[], strides?: number[],
  beginMask = 0, endMask = 0, ellipsisMask = 0, newAxisMask = 0, shrinkAxisMask = 0,
): Tensor {
  const t = toTensor(x, 'x', 'stridedSlice');
  const steps = strides ?? new Array<number>(begin.length).fill(1);
  if (begin.length !== end.length || steps.length !== begin.length) {
    throw new Error(`stridedSlice: begin [${begin}], end [${end}] and strides [${steps}] must have the same length`);
  }
  if ((ellipsisMask & (ellipsisMask - 1)) !== 0) throw new Error(`stridedSlice: ellipsisMask ${ellipsisMask} sets more than one ellipsis`);
  for (const [name, list] of [['begin', begin], ['end', end], ['strides', steps]] as const) {
    if (list.some((v) => !Number.isInteger(v))) throw new Error(`stridedSlice: ${name} [${list}] must be integers`);
  }

  // Sparse → dense: one entry per input axis, plus where new axes go in the output.
  const rank = t.rank;
  let sparseDims = steps.length;
  let ellipsis = ellipsisMask;
  if (ellipsis === 0) {
    ellipsis = 1 << sparseDims; // an implicit trailing ellipsis takes the remaining axes whole
    sparseDims++;
  }
  let newAxesAfterEllipsis = 0;
  let ellipsisSeen = false;
  for (let i = 0; i < sparseDims; i++) {
    if (ellipsisSeen && bit(newAxisMask, i) && !bit(ellipsis, i)) newAxesAfterEllipsis++;
    if (bit(ellipsis, i)) ellipsisSeen = true;
  }
  const denseBegin: number[] = [];
  const denseEnd: number[] = [];
  const denseStride: number[] = [];
  const beginMasked: boolean[] = [];
  const endMasked: boolean[] = [];
  const shrink: boolean[] = [];
  /** Output axes in order: an input axis index, or 'new' for an inserted size-1 axis. */
  const outputAxes: (number | 'new')[] = [];
  for (let i = 0; i < sparseDims; i++) {
    if (bit(ellipsis, i)) {
      const untilAxis = Math.min(rank - (sparseDims - i) + 1 + newAxesAfterEllipsis, rank);
      while (denseBegin.length < untilAxis) {
        outputAxes.push(denseBegin.length);
        denseBegin.push(0); denseEnd.push(0); denseStride.push(1);
        beginMasked.push(true); endMasked.push(true); shrink.push(false);
      }
    } else if (bit(newAxisMask, i)) {
      outputAxes.push('new');
    } else {
      if (denseBegin.length === rank) {
        throw new Error(`stridedSlice: the slice spec has more axes than x of shape [${t.shape}]`);
      }
      if (!bit(shrinkAxisMask, i)) outputAxes.push(denseBegin.length);
      denseBegin.push(begin[i]); denseEnd.push(end[i]); denseStride.push(steps[i]);
      beginMasked.push(bit(beginMask, i)); endMasked.push(bit(endMask, i)); shrink.push(bit(shrinkAxisMask, i));
    }
  }

  // Dense spec → begin, stride and size per input axis.
  const sizes: number[] = [];
  for (let d = 0; d < rank; d++) {
    const dim = t.shape[d];
    const s = denseStride[d];
    if (s === 0) throw new Error(`stridedSlice: strides[${d}] must be non-zero`);
    if (shrink[d]) {
      if (s < 0) throw new Error(`stridedSlice: a shrunk axis (${d}) needs a positive stride, got ${s}`);
      const index = denseBegin[d] < 0 ? dim + denseBegin[d] : denseBegin[d];
      if (index < 0 || index >= dim) {
        throw new Error(`stridedSlice: index ${denseBegin[d]} is out of range for axis ${d} of size ${dim} (x shape [${t.shape}])`);
      }
      denseBegin[d] = index;
      sizes.push(1);
      continue;
    }
    // Clamp to the positions a stride of this sign can visit: [0, dim] forwards, [-1, dim-1] backwards.
    const low = s > 0 ? 0 : -1;
    const high = s > 0 ? dim : dim - 1;
    const canonical = (value: number, masked: boolean, isEnd: boolean): number => {
      if (masked) return (s > 0) !== isEnd ? low : high;
      const forward = value < 0 ? dim + value : value;
      return Math.min(Math.max(forward, low), high);
    };
    const b = canonical(denseBegin[d], beginMasked[d], false);
    const e = canonical(denseEnd[d], endMasked[d], true);
    const interval = e - b;
    const size = interval === 0 || interval < 0 !== s < 0 ? 0 : Math.ceil(interval / s);
    denseBegin[d] = size === 0 ? 0 : b;
    sizes.push(size);
  }
  const outShape = outputAxes.map((axis) => (axis === 'new' ? 1 : sizes[axis]));
  const read = stridedRead('stridedSlice', t, denseBegin, denseStride.map((s, d) => (sizes[d] === 0 ? 1 : s)), sizes);
  const sameShape = outShape.length === sizes.length && outShape.every((dim, i) => dim === sizes[i]);
  return sameShape ? read : reshape(read, outShape);
}

/** Splits along `axis` into n equal parts or into the given sizes (one may be -1). */
export function split(x: Arg, numOrSizeSplits: number | number[], axis = 0): Tensor[] {
  const t = toTensor(x, 'x', 'split');
  const rank = t.rank;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`split: axis ${axis} is out of range for x of shape [${t.shape}]`);
  }
  const a = axis < 0 ? axis + rank : axis;
  const dim = t.shape[a];
  let sizes: number[];
  if (typeof numOrSizeSplits === 'number') {
    if (!Number.isInteger(numOrSizeSplits) || numOrSizeSplits <= 0 || dim % numOrSizeSplits !== 0) {
      throw new Error(`split: ${numOrSizeSplits} splits must evenly divide axis ${a} of size ${dim} (x shape [${t.shape}])`);
    }
    sizes = new Array<number>(numOrSizeSplits).fill(dim / numOrSizeSplits);
  } else {
    sizes = numOrSizeSplits.slice();
    const unknown = sizes.filter((s) => s === -1).length;
    if (unknown > 1) throw new Error(`split: sizes [${numOrSizeSplits}] have more than one -1`);
    if (sizes.some((s) => !Number.isInteger(s) || s < -1)) throw new Error(`split: sizes [${numOrSizeSplits}] must be non-negative integers (or one -1)`);
    const known = sizes.reduce((total, s) => (s === -1 ? total : total + s), 0);
    if (unknown === 1 && known <= dim) sizes[sizes.indexOf(-1)] = dim - known;
    const total = sizes.reduce((sum, s) => sum + s, 0);
    if (total !== dim || sizes.includes(-1)) {
      throw new Error(`split: sizes [${numOrSizeSplits}] must add up to axis ${a} of size ${dim} (x shape [${t.shape}])`);
    }
  }
  const begin = new Array<number>(rank).fill(0);
  return sizes.map((s) => {
    const size = t.shape.slice();
    size[a] = s;
    const piece = slice(t, begin.slice(), size);
    begin[a] += s;
    return piece;
  });
}

/** The slices of x along `axis`, each with that axis removed. */
export function unstack(x: Arg, axis = 0): Tensor[] {
  const t = toTensor(x, 'x', 'unstack');
  const rank = t.rank;
  if (rank === 0) throw new Error('unstack: cannot unstack a scalar');
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`unstack: axis ${axis} is out of range for x of shape [${t.shape}]`);
  }
  const a = axis < 0 ? axis + rank : axis;
  const pieceShape = t.shape.filter((_, i) => i !== a);
  const size = t.shape.slice();
  size[a] = 1;
  return Array.from({ length: t.shape[a] }, (_, i) => {
    const begin = new Array<number>(rank).fill(0);
    begin[a] = i;
    // The slice is only an intermediate: free it now, the reshaped view keeps the buffer.
    return ENGINE.tidy(() => reshape(slice(t, begin, size), pieceShape));
  });
}
