// Wrappers for assembly/layernorm.ts: layer normalization over the last axis of x viewed as [rows, cols].
// Forward and dx split by rows; dgamma/dbeta split by columns (each thread sums all rows of its columns).
import type { Runtime } from '../../runtime/types.js';

/** y, and each row's mean and rstd [rows] for the backward; gamma/beta pointers 0 when absent. */
export function runLayerNorm(
  rt: Runtime, x: number, gamma: number, beta: number, y: number, mean: number, rstd: number,
  rows: number, cols: number, epsilon: number,
): void {
  if (rows === 0 || cols === 0) return;
  rt.run('layerNorm', [x, gamma, beta, y, mean, rstd, cols, epsilon], rows, { grain: 1, costPerUnit: cols * 8 });
}

/** dx (pointer 0: skipped), dgamma and dbeta (0: skipped) from x, dy and the forward's mean/rstd. */
export function runLayerNormGrad(
  rt: Runtime, x: number, dy: number, gamma: number, mean: number, rstd: number,
  dx: number, dgamma: number, dbeta: number, rows: number, cols: number,
): void {
  if (cols === 0) return;
  if (dx && rows > 0) {
    rt.run('layerNormGradInput', [x, dy, gamma, mean, rstd, dx, cols], rows, { grain: 1, costPerUnit: cols * 12 });
  }
  if (dgamma || dbeta) {
    // Column slices on multiples of 4 keep the SIMD loop aligned to whole vectors.
    rt.run('layerNormGradParams', [x, dy, mean, rstd, dgamma, dbeta, rows, cols], cols, { grain: 4, costPerUnit: rows * 5 });
  }
}
