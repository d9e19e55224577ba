// Wrapper for assembly/reduce.ts: x viewed as [outer, reduceSize, inner] → out [outer, inner].
// Output element type: i32 for argMax/argMin (indices) and any/all (bool 0/1), float32 otherwise.
import type { Runtime } from '../../runtime/types.js';
import { REDUCE_OP_CODE } from '../backend.js';

/** With fewer outer slabs than this, split over inner columns instead (reduceInner), if there are enough. */
const MIN_OUTER_FOR_OUTER_SPLIT = 8;
const MIN_INNER_FOR_INNER_SPLIT = 64;

export function runReduce(rt: Runtime, op: number, x: number, out: number, outer: number, reduceSize: number, inner: number): void {
  if (outer === 0 || inner === 0) return;
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
