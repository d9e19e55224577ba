// Wrapper for assembly/crossentropy.ts: fused softmax cross-entropy over logits viewed as [rows, cols].
import type { Runtime } from '../../runtime/types.js';

/** loss [rows] and probs [rows, cols] from logits and labels [rows, cols] (all byte pointers, float32). */
export function runSoftmaxCrossEntropy(
  rt: Runtime, logits: number, labels: number, loss: number, probs: number, rows: number, cols: number,
): void {
  if (rows === 0) return;
  if (cols === 0) {
    // An empty row: log Σ exp over nothing is -inf, but with no labels the loss is an empty sum, 0.
    rt.f32().fill(0, loss >> 2, (loss >> 2) + rows);
    return;
  }
  // ~20 flops per element: exp (~12), the three running sums, and the normalizing division.
  rt.run('softmaxCrossEntropy', [logits, labels, loss, probs, rows, cols], rows, { grain: 1, costPerUnit: cols * 20 });
}
