// Fused softmax cross-entropy in float64: the oracle for the wasm kernel (assembly/crossentropy.ts).
//   logits, labels: [rows, cols] → loss [rows], probs [rows, cols].
import type { Values } from './storage.js';

/**
 * Per row r, with m the row max: loss[r] = log Σ exp(x - m) · Σ labels - Σ labels · (x - m), which is
 * -Σ labels · log_softmax(x) without ever subtracting two large numbers; probs = softmax(x).
 */
export function softmaxCrossEntropy(
  logits: Values, labels: Values, rows: number, cols: number,
): { loss: Float64Array; probs: Float64Array } {
  const loss = new Float64Array(rows);
  const probs = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) {
      const value = logits[row + c];
      if (value > max || Number.isNaN(value)) max = value;
    }
    let sumExp = 0;
    let sumLabels = 0;
    let labelDotShifted = 0;
    for (let c = 0; c < cols; c++) {
      const shifted = logits[row + c] - max;
      const e = Math.exp(shifted);
      probs[row + c] = e;
      sumExp += e;
      sumLabels += labels[row + c];
      labelDotShifted += labels[row + c] * shifted;
    }
    loss[r] = cols === 0 ? 0 : Math.log(sumExp) * sumLabels - labelDotShifted;
    for (let c = 0; c < cols; c++) probs[row + c] /= sumExp;
  }
  return { loss, probs };
}
