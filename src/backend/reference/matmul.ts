// Batched matrix product with optional bias and fused activation, accumulated in float64.
//   a: [aBatch, m, k]  (stored [aBatch, k, m] when transposeA)
//   b: [bBatch, k, n]  (stored [bBatch, n, k] when transposeB)
//   out: [batch, m, n] = act(a·b + bias[n]);  aBatch and bBatch are 1 (broadcast) or batch.
// Transposes are handled by element strides rather than copies: a(i, p) = a[aBase + i·aRowStep + p·aDepthStep].

import type { FusedActivation } from '../backend.js';
import { gelu, sigmoid } from './math.js';
import type { Values } from './storage.js';

export interface ReferenceMatMulArgs {
  a: Values; aBatch: number;
  b: Values; bBatch: number;
  batch: number; m: number; n: number; k: number;
  transposeA: boolean; transposeB: boolean;
  bias?: Values;
  activation?: FusedActivation;
}

/** The fused epilogue activations; the same definitions unary() uses for these ops. */
export function activationFunction(activation: FusedActivation): (x: number) => number {
  switch (activation) {
    case 'linear': return (x) => x;
    case 'relu': return (x) => (x < 0 ? 0 : x);
    case 'relu6': return (x) => (x < 0 ? 0 : x > 6 ? 6 : x);
    case 'sigmoid': return sigmoid;
    case 'tanh': return Math.tanh;
    case 'gelu': return gelu;
    case 'elu': return (x) => (x >= 0 ? x : Math.expm1(x));
  }
}

export function matMul(args: ReferenceMatMulArgs): Float64Array {
  const { a, b, batch, m, n, k, transposeA, transposeB, bias } = args;
  const activate = activationFunction(args.activation ?? 'linear');
  const aRowStep = transposeA ? 1 : k;
  const aDepthStep = transposeA ? m : 1;
  const bDepthStep = transposeB ? 1 : n;
  const bColumnStep = transposeB ? k : 1;
  const out = new Float64Array(batch * m * n);
  const rowSums = new Float64Array(n);
  for (let batchIndex = 0; batchIndex < batch; batchIndex++) {
    const aBase = (args.aBatch === 1 ? 0 : batchIndex) * m * k;
    const bBase = (args.bBatch === 1 ? 0 : batchIndex) * k * n;
    const outBase = batchIndex * m * n;
    for (let i = 0; i < m; i++) {
      rowSums.fill(0);
      // i-p-j order: one a element times a row of b, so the inner loop walks b and rowSums together.
      for (let p = 0; p < k; p++) {
        const aValue = a[aBase + i * aRowStep + p * aDepthStep];
        const bRow = bBase + p * bDepthStep;
        for (let j = 0; j < n; j++) rowSums[j] += aValue * b[bRow + j * bColumnStep];
      }
      for (let j = 0; j < n; j++) {
        out[outBase + i * n + j] = activate(rowSums[j] + (bias ? bias[j] : 0));
      }
    }
  }
  return out;
}
