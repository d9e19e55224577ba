// Wrapper for assembly/reduce.ts: x viewed as [outer, reduceSize, inner] → out [outer, inner].
// Output element type: i32 for argMax/argMin (indices) and any/all (bool 0/1), float32 otherwise.
import type { Runtime } from '../../runtime/types.js';
import { REDUCE_OP_CODE } from '../backend.js';

/** With fewer outer slabs than this, split over inner columns instead (reduceInner), if there are enough. */
const MIN_OUTER_FOR_OUTER_SPLIT = 8;
const MIN_INNER_FOR_INNER_SPLIT = 64;

/**
 * A long reduction into few columns (a conv layer's bias gradient: [N·H·W, C < 64] → [C]) has nothing to
 * split on, so it runs as PARTIAL_SLABS partial reductions (split across threads) and one over the partials.
 * The slab count does not depend on the thread count: results are the same on any number of threads.
 */
const PARTIAL_SLABS = 8;
const MIN_ROWS_PER_SLAB = 1024;
const COMBINABLE = new Set([REDUCE_OP_CODE.sum, REDUCE_OP_CODE.max, REDUCE_OP_CODE.min, REDUCE_OP_CODE.prod]);

export function runReduce(rt: Runtime, op: number, x: number, out: number, outer: number, reduceSize: number, inner: number): void {
  if (outer === 0 || inner === 0) return;
  if (outer === 1 && inner < MIN_INNER_FOR_INNER_SPLIT && COMBINABLE.has(op) &&
    reduceSize % PARTIAL_SLABS === 0 && reduceSize >= PARTIAL_SLABS * MIN_ROWS_PER_SLAB) {
    const partials = rt.alloc(PARTIAL_SLABS * inner * 4);
    try {
      const rows = reduceSize / PARTIAL_SLABS;
      rt.run('reduce', [op, x, partials, PARTIAL_SLABS, rows, inner], PARTIAL_SLABS, { grain: 1, costPerUnit: rows * inner });
      rt.run('reduce', [op, partials, out, 1, PARTIAL_SLABS, inner], 1);
    } finally {
      rt.free(partials);
    }
    return;
  }
  const perElement = op === REDUCE_OP_CODE.logSumExp ? 20 : 1;
  if (outer < MIN_OUTER_FOR_OUTER_SPLIT && inner >= MIN_INNER_FOR_INNER_SPLIT) {
    // e.g. a column sum of [N, C]: outer = 1, so cut the C columns into 16-column (64-byte) strips.
    rt.run('reduceInner', [op, x, out, outer, reduceSize, inner], inner, {
      grain: 16, costPerUnit: outer * reduceSize * perElement,
    });
    return;
  }
  rt.run('reduce', [op, x, out, outer, reduceSize, inner], outer, { grain: 1, costPerUnit: reduceSize * inner * perElement });
}
