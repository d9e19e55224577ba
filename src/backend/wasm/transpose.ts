// Wrapper for assembly/transpose.ts (4-byte elements: float32, int32, bool-as-i32).
// The permutation is simplified first: size-1 dims are dropped and runs of input dims that stay adjacent
// and in order are merged. What is left is a copy (rank 1), a (batched) swap of the last two axes — the
// tiled SIMD kernel — or a general strided walk.
import type { Runtime } from '../../runtime/types.js';
import { rowMajorStrides } from '../shape.js';

interface SimplePermutation {
  /** Input shape after merging. */
  shape: number[];
  perm: number[];
}

function simplifyPermutation(shape: readonly number[], perm: readonly number[]): SimplePermutation {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  // Merge output-adjacent axes that are also input-adjacent and increasing: groups of input axes.
  const groups: number[][] = [];
  for (const axis of kept) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  // Renumber the groups in input order.
  const inputOrder = [...groups].sort((a, b) => a[0] - b[0]);
  const newShape = inputOrder.map((g) => g.reduce((p, axis) => p * shape[axis], 1));
  const newPerm = groups.map((g) => inputOrder.indexOf(g));
  return { shape: newShape, perm: newPerm };
}

export function runTranspose(rt: Runtime, x: number, out: number, shape: readonly number[], perm: readonly number[]): void {
  const total = shape.reduce((p, d) => p * d, 1);
  if (total === 0) return;
  const simple = simplifyPermutation(shape, perm);
  const rank = simple.shape.length;
  if (rank <= 1) {
    rt.u8().copyWithin(out, x, x + total * 4);
    return;
  }
  const isLastTwoSwap = simple.perm[rank - 1] === rank - 2 && simple.perm[rank - 2] === rank - 1 &&
    simple.perm.slice(0, rank - 2).every((axis, i) => axis === i);
  if (isLastTwoSwap) {
    // x [batch, rows, cols] → out [batch, cols, rows]
    const rows = simple.shape[rank - 2];
    const cols = simple.shape[rank - 1];
    const batch = total / (rows * cols);
    rt.run('transpose2d', [x, out, batch, rows, cols], batch * cols, { grain: 4, costPerUnit: rows * 2 });
    return;
  }
  const inStrides = rowMajorStrides(simple.shape);
  const outShape = simple.perm.map((axis) => simple.shape[axis]);
  const meta = rt.alloc(2 * rank * 4);
  try {
    rt.i32().set([...outShape, ...simple.perm.map((axis) => inStrides[axis])], meta >> 2);
    rt.run('transpose', [x, out, rank, meta], total, { grain: 16, costPerUnit: 2 });
  } finally {
    rt.free(meta);
  }
}
