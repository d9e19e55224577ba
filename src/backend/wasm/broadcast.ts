// Broadcasting and dim collapsing shared by the wasm wrappers (binary, compare, where, transpose…).
// Kernels walk an output shape with one element-stride list per operand; collapsing merges neighbouring
// dims that every operand traverses contiguously, so the kernel's innermost loop is as long as possible.
import { rowMajorStrides } from '../shape.js';

/**
 * Element strides of `shape` aligned to `outShape` (numpy broadcasting: shapes right-aligned, missing or
 * size-1 dims broadcast with stride 0).
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = rowMajorStrides(shape);
  const offset = outShape.length - shape.length;
  const strides = new Array<number>(outShape.length).fill(0);
  for (let d = 0; d < shape.length; d++) {
    strides[offset + d] = shape[d] === 1 ? 0 : own[d];
  }
  return strides;
}

export interface CollapsedLayout {
  shape: number[];
  /** One stride list per operand, same length as shape. */
  strides: number[][];
}

/**
 * Drops size-1 dims and merges dim d into d+1 wherever every operand has stride[d] == stride[d+1] * shape[d+1]
 * (it continues contiguously, or both are broadcast). The result has rank >= 1 and the same element order.
 */
export function collapseDims(shape: readonly number[], stridesList: readonly (readonly number[])[]): CollapsedLayout {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && stridesList.every((s, k) => outStrides[k][last] === s[d] * shape[d]);
    if (mergeable) {
      outShape[last] *= shape[d];
      stridesList.forEach((s, k) => { outStrides[k][last] = s[d]; });
    } else {
      outShape.push(shape[d]);
      stridesList.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: stridesList.map(() => [1]) };
  return { shape: outShape, strides: outStrides };
}

/** Broadcast layout of two operands against outShape, collapsed. */
export function collapsedBroadcast(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): CollapsedLayout {
  return collapseDims(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
}
