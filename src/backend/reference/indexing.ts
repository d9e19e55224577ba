// Index arithmetic shared by the movement and broadcasting kernels. The one idea: broadcasting,
// transpose and strided slicing all read input element  base + Σ_d outIndex[d]·stride[d]  for each
// output element, they differ only in the per-axis strides (0 on a broadcast axis, permuted strides
// for transpose, scaled strides for a slice). stridedOffsets walks the output once with an odometer.

import type { Shape } from '../backend.js';
import { rowMajorStrides, sizeOf } from '../shape.js';

/**
 * For each output element (row-major over outShape), the input offset base + Σ index[d]·strides[d].
 * strides has one entry per output axis and may be 0 or negative.
 */
export function stridedOffsets(outShape: Shape, strides: readonly number[], base = 0): Int32Array {
  const rank = outShape.length;
  const offsets = new Int32Array(sizeOf(outShape));
  const index = new Array<number>(rank).fill(0);
  let offset = base;
  for (let i = 0; i < offsets.length; i++) {
    offsets[i] = offset;
    // Advance the odometer: bump the last axis, carrying into earlier axes when one wraps.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      offset += strides[d];
      if (index[d] < outShape[d]) break;
      offset -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return offsets;
}

/**
 * Strides that read an input of inShape broadcast (numpy rules, trailing axes aligned) to outShape:
 * 0 on axes the input lacks or has size 1.
 */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const inStrides = rowMajorStrides(inShape);
  const skipped = outShape.length - inShape.length;
  const strides = new Array<number>(outShape.length).fill(0);
  for (let d = 0; d < inShape.length; d++) {
    strides[d + skipped] = inShape[d] === 1 ? 0 : inStrides[d];
  }
  return strides;
}

/** Offsets reading inShape broadcast to outShape, or null when no broadcasting happens (identity). */
export function broadcastOffsets(inShape: Shape, outShape: Shape): Int32Array | null {
  if (sizeOf(inShape) === sizeOf(outShape)) return null;
  return stridedOffsets(outShape, broadcastStrides(inShape, outShape));
}
