// Row walking for the TypeScript kernels of the wasm backend (movement.ts, intmath.ts): an odometer over
// every axis but the last, handing each operand's offset of one innermost row to a visitor, so the visitor
// runs a tight loop (or one copyWithin) per row instead of index arithmetic per element.
// Offsets and strides are in 4-byte elements (pointer >> 2), every dtype being stored in 4 bytes.
import type { DType } from '../backend.js';
import { collapseDims } from './broadcast.js';
import { rowMajorStrides } from '../shape.js';

/**
 * For each row (all axes but the last) of `shape`, calls visit(offsets) with offsets[k] = bases[k] +
 * Σ index[d]·strides[k][d] over the outer axes. `offsets` is reused between calls: read, don't keep.
 */
export function forEachRow(
  shape: readonly number[], strides: readonly (readonly number[])[], bases: readonly number[],
  visit: (offsets: number[]) => void,
): void {
  const outerRank = shape.length - 1;
  for (const dim of shape) if (dim === 0) return;
  const offsets = [...bases];
  if (outerRank <= 0) {
    visit(offsets);
    return;
  }
  const index = new Array<number>(outerRank).fill(0);
  for (;;) {
    visit(offsets);
    let d = outerRank - 1;
    for (; d >= 0; d--) {
      for (let k = 0; k < offsets.length; k++) offsets[k] += strides[k][d];
      if (++index[d] < shape[d]) break;
      for (let k = 0; k < offsets.length; k++) offsets[k] -= strides[k][d] * shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

/**
 * The output (contiguous) and inputs' strides over outShape, with adjacent axes merged wherever every
 * operand walks them contiguously: the longer the last axis, the cheaper forEachRow.
 */
export function collapseWithOutput(outShape: readonly number[], inputStrides: readonly (readonly number[])[]) {
  const layout = collapseDims(outShape, [rowMajorStrides(outShape), ...inputStrides]);
  return { shape: layout.shape, strides: layout.strides };
}

const bitsScratch = new DataView(new ArrayBuffer(4));

/** The 32-bit pattern a value is stored as for `dtype`: f32 bits, ToInt32, or bool 0/1. */
export function storedBits(value: number, dtype: DType): number {
  if (dtype === 'float32') {
    bitsScratch.setFloat32(0, value, true);
    return bitsScratch.getInt32(0, true);
  }
  if (dtype === 'bool') return value !== 0 ? 1 : 0;
  return value | 0;
}

