// Data movement for the wasm backend, in TypeScript over the Int32Array view of wasm memory: every dtype
// is a 4-byte element, so copying bits moves float32, int32 and bool alike. Contiguous runs go through
// copyWithin (memmove speed); only strided inner axes fall back to a per-element loop.
// All offsets are in elements (byte pointer >> 2). Callers allocate outputs before taking `mem`.
import type { DType } from '../backend.js';
import { collapseWithOutput, forEachRow, storedBits } from './rows.js';
import { rowMajorStrides, sizeOf } from '../shape.js';

/** Copies a row of `length` elements read with `step` (1 = contiguous, may be negative) to dst. */
function copyRow(mem: Int32Array, dst: number, src: number, length: number, step: number): void {
  if (step === 1) mem.copyWithin(dst, src, src + length);
  else for (let i = 0; i < length; i++) mem[dst + i] = mem[src + i * step];
}

/** out[i0, i1, …] = x[begin[0] + i0·strides[0], …]; strides may be negative. x: shape, out: outShape. */
export function stridedSlice(
  mem: Int32Array, x: number, shape: readonly number[], begin: readonly number[], strides: readonly number[],
  outShape: readonly number[], out: number,
): void {
  if (sizeOf(outShape) === 0) return;
  const inStrides = rowMajorStrides(shape);
  let base = x;
  for (let d = 0; d < shape.length; d++) base += begin[d] * inStrides[d];
  const steps = inStrides.map((stride, d) => stride * strides[d]);
  const { shape: rows, strides: [outSteps, inSteps] } = collapseWithOutput(outShape, [steps]);
  const last = rows.length - 1;
  const length = rows[last];
  forEachRow(rows, [outSteps, inSteps], [out, base], ([dst, src]) => copyRow(mem, dst, src, length, inSteps[last]));
}

/** Inputs viewed as [outer, axisSize_j·inner]: output row o is the inputs' rows o side by side. */
export function concat(mem: Int32Array, xs: readonly number[], shapes: readonly (readonly number[])[], axis: number, out: number): void {
  const outer = sizeOf(shapes[0].slice(0, axis));
  const inner = sizeOf(shapes[0].slice(axis + 1));
  const rowLengths = shapes.map((shape) => shape[axis] * inner);
  const outRowLength = rowLengths.reduce((sum, length) => sum + length, 0);
  for (let j = 0, column = 0; j < xs.length; column += rowLengths[j], j++) {
    const length = rowLengths[j];
    if (length === 0) continue;
    if (outer === 1) mem.copyWithin(out + column, xs[j], xs[j] + length);
    else for (let o = 0; o < outer; o++) mem.copyWithin(out + o * outRowLength + column, xs[j] + o * length, xs[j] + (o + 1) * length);
  }
}

/** Constant padding, paddings[d] = [before, after] (both >= 0). */
export function pad(
  mem: Int32Array, x: number, shape: readonly number[], paddings: readonly (readonly [number, number])[],
  value: number, dtype: DType, out: number,
): void {
  const rank = shape.length;
  const outShape = shape.map((dim, d) => paddings[d][0] + dim + paddings[d][1]);
  mem.fill(storedBits(value, dtype), out, out + sizeOf(outShape));
  if (sizeOf(shape) === 0) return;
  if (rank === 0) {
    mem[out] = mem[x];
    return;
  }
  // Trailing axes without padding are contiguous in both: one run covers them and the last padded axis.
  let rowAxis = rank - 1;
  while (rowAxis > 0 && paddings[rowAxis][0] === 0 && paddings[rowAxis][1] === 0) rowAxis--;
  const outStrides = rowMajorStrides(outShape);
  const rowShape = [...shape.slice(0, rowAxis), sizeOf(shape.slice(rowAxis))];
  const inRowStrides = rowMajorStrides(rowShape);
  let start = out;
  for (let d = 0; d <= rowAxis; d++) start += paddings[d][0] * outStrides[d];
  const length = rowShape[rowAxis];
  forEachRow(rowShape, [outStrides.slice(0, rowAxis + 1), inRowStrides], [start, x], ([dst, src]) => {
    mem.copyWithin(dst, src, src + length);
  });
}

/** Fills dst[length, total) by doubling copies of dst[0, length): O(log reps) copyWithin calls. */
function repeatRun(mem: Int32Array, dst: number, length: number, total: number): void {
  for (let filled = length; filled < total; ) {
    const chunk = Math.min(filled, total - filled);
    mem.copyWithin(dst + filled, dst, dst + chunk);
    filled += chunk;
  }
}

/** out[i0, …] = x[i0 mod shape[0], …], outShape[d] = shape[d]·reps[d]. */
export function tile(mem: Int32Array, x: number, shape: readonly number[], reps: readonly number[], out: number): void {
  const rank = shape.length;
  const outShape = shape.map((dim, d) => dim * reps[d]);
  if (sizeOf(outShape) === 0) return;
  if (rank === 0) {
    mem[out] = mem[x];
    return;
  }
  const inStrides = rowMajorStrides(shape);
  const outStrides = rowMajorStrides(outShape);
  // Writes the first repetition of axis d (recursing into its rows), then repeats that whole block.
  const tileAxis = (d: number, src: number, dst: number): void => {
    const block = shape[d] * (d === rank - 1 ? 1 : outStrides[d]);
    if (d === rank - 1) mem.copyWithin(dst, src, src + shape[d]);
    else for (let i = 0; i < shape[d]; i++) tileAxis(d + 1, src + i * inStrides[d], dst + i * outStrides[d]);
    repeatRun(mem, dst, block, block * reps[d]);
  };
  tileAxis(0, x, out);
}

/** x: [outer, axisSize, inner], indices: int32 [numIndices] → out: [outer, numIndices, inner]. */
export function gather(
  mem: Int32Array, x: number, outer: number, axisSize: number, inner: number, indices: number, numIndices: number, out: number,
): void {
  for (let o = 0; o < outer; o++) {
    const source = x + o * axisSize * inner;
    const target = out + o * numIndices * inner;
    if (inner === 1) {
      for (let j = 0; j < numIndices; j++) mem[target + j] = mem[source + mem[indices + j]];
    } else {
      for (let j = 0; j < numIndices; j++) {
        const from = source + mem[indices + j] * inner;
        mem.copyWithin(target + j * inner, from, from + inner);
      }
    }
  }
}

/** updates: f32 [outer, numIndices, inner] → out: f32 [outer, axisSize, inner]; repeated indices add up. */
export function scatterAdd(
  f32: Float32Array, i32: Int32Array, updates: number, outer: number, axisSize: number, inner: number,
  indices: number, numIndices: number, out: number,
): void {
  f32.fill(0, out, out + outer * axisSize * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < numIndices; j++) {
      const target = out + (o * axisSize + i32[indices + j]) * inner;
      const source = updates + (o * numIndices + j) * inner;
      for (let i = 0; i < inner; i++) f32[target + i] += f32[source + i];
    }
  }
}

/** indices: int32 [n] → out [n, depth]; rows whose index is outside [0, depth) stay all off. */
export function oneHot(
  mem: Int32Array, indices: number, n: number, depth: number, onValue: number, offValue: number, dtype: DType, out: number,
): void {
  mem.fill(storedBits(offValue, dtype), out, out + n * depth);
  const onBits = storedBits(onValue, dtype);
  for (let r = 0; r < n; r++) {
    const index = mem[indices + r];
    if (index >= 0 && index < depth) mem[out + r * depth + index] = onBits;
  }
}
