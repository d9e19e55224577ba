// Reductions over the middle axis of x viewed as [outer, reduce, inner] → [outer, inner], and
// softmax / log-softmax over the last axis of x viewed as [rows, cols], with their backward passes.
// Accumulation is float64. NaN behaviour follows tfjs-cpu: max/min/sum propagate NaN; argMax/argMin
// scan with a strict comparison from the first element, so a NaN never wins unless it is first.

import type { DType, ReduceOp } from '../backend.js';
import { allocate, type Values } from './storage.js';

/** Reduces one strided column x[start + r·stride], r < count. */
function reduceColumn(op: ReduceOp, x: Values, start: number, count: number, stride: number): number {
  switch (op) {
    case 'sum': {
      let sum = 0;
      for (let r = 0; r < count; r++) sum += x[start + r * stride];
      return sum;
    }
    case 'prod': {
      let product = 1;
      for (let r = 0; r < count; r++) product *= x[start + r * stride];
      return product;
    }
    case 'max': {
      let max = -Infinity;
      for (let r = 0; r < count; r++) {
        const value = x[start + r * stride];
        if (value > max || Number.isNaN(value)) max = value;
        if (Number.isNaN(max)) break;
      }
      return max;
    }
    case 'min': {
      let min = Infinity;
      for (let r = 0; r < count; r++) {
        const value = x[start + r * stride];
        if (value < min || Number.isNaN(value)) min = value;
        if (Number.isNaN(min)) break;
      }
      return min;
    }
    case 'argMax': {
      let best = x[start];
      let bestIndex = 0;
      for (let r = 1; r < count; r++) {
        const value = x[start + r * stride];
        if (value > best) { best = value; bestIndex = r; } // first index wins ties
      }
      return bestIndex;
    }
    case 'argMin': {
      let best = x[start];
      let bestIndex = 0;
      for (let r = 1; r < count; r++) {
        const value = x[start + r * stride];
        if (value < best) { best = value; bestIndex = r; }
      }
      return bestIndex;
    }
    case 'logSumExp': {
      // max + log Σ exp(x − max). All −∞ gives NaN (−∞ − −∞), which is what tfjs returns too.
      const max = reduceColumn('max', x, start, count, stride);
      let sum = 0;
      for (let r = 0; r < count; r++) sum += Math.exp(x[start + r * stride] - max);
      return max + Math.log(sum);
    }
    case 'any': {
      for (let r = 0; r < count; r++) if (x[start + r * stride] !== 0) return 1;
      return 0;
    }
    case 'all': {
      for (let r = 0; r < count; r++) if (x[start + r * stride] === 0) return 0;
      return 1;
    }
  }
}

/** x: [outer, reduceSize, inner] → out: [outer, inner]; int32 for argMax/argMin, else dtype. */
export function reduce(
  op: ReduceOp, x: Values, outer: number, reduceSize: number, inner: number, dtype: DType,
): Values {
  const outDtype: DType = op === 'argMax' || op === 'argMin' ? 'int32' : dtype;
  const out = allocate(outer * inner, outDtype);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      out[o * inner + i] = reduceColumn(op, x, o * reduceSize * inner + i, reduceSize, inner);
    }
  }
  return out;
}

/** x: [rows, cols] → softmax (or log-softmax) of each row, shifted by the row max for stability. */
export function softmax(x: Values, rows: number, cols: number, log: boolean): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[row + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[row + c] - max);
    if (log) {
      const logSum = Math.log(sum);
      for (let c = 0; c < cols; c++) out[row + c] = x[row + c] - max - logSum;
    } else {
      for (let c = 0; c < cols; c++) out[row + c] = Math.exp(x[row + c] - max) / sum;
    }
  }
  return out;
}

/**
 * Backward from the forward output y and upstream dy, per row:
 *   softmax:      dx = y ⊙ (dy − Σ dy⊙y)
 *   log-softmax:  dx = dy − exp(y) · Σ dy
 */
export function softmaxGrad(y: Values, dy: Values, rows: number, cols: number, log: boolean): Float64Array {
  const dx = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    if (log) {
      let dySum = 0;
      for (let c = 0; c < cols; c++) dySum += dy[row + c];
      for (let c = 0; c < cols; c++) dx[row + c] = dy[row + c] - Math.exp(y[row + c]) * dySum;
    } else {
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += dy[row + c] * y[row + c];
      for (let c = 0; c < cols; c++) dx[row + c] = y[row + c] * (dy[row + c] - dot);
    }
  }
  return dx;
}
