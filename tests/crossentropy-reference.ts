// float64 references and label generators shared by the cross-entropy kernel and loss tests.
import { randomValues } from './helpers.js';

/** float64 softmax cross-entropy of each row: loss [rows] and probs [rows * cols]. */
export function crossEntropy64(logits: ArrayLike<number>, labels: ArrayLike<number>, rows: number, cols: number) {
  const loss: number[] = [];
  const probs: number[] = [];
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: cols }, (_, j) => logits[r * cols + j]);
    const m = Math.max(...x);
    const logSum = Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
    let total = 0;
    for (let j = 0; j < cols; j++) {
      const logProbability = x[j] - m - logSum;
      total -= labels[r * cols + j] * logProbability;
      probs.push(Math.exp(logProbability));
    }
    loss.push(total);
  }
  return { loss, probs };
}

/** Random probability rows (smoothed-label-like): positive values normalized per row. */
export function probabilityRows(rows: number, cols: number, seed: number): Float32Array {
  const values = randomValues(rows * cols, seed, 0.01, 1);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let j = 0; j < cols; j++) total += values[r * cols + j];
    for (let j = 0; j < cols; j++) values[r * cols + j] /= total;
  }
  return values;
}

export function oneHotRows(rows: number, cols: number, seed: number): Float32Array {
  const picks = randomValues(rows, seed, 0, cols);
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) values[r * cols + Math.min(cols - 1, Math.floor(picks[r]))] = 1;
  return values;
}
