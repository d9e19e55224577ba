// What every GEMM kernel of matmul.ts shares: the arguments, their uniform words, and the fused epilogue
// (accumulate, bias, activation) that stores one result through the output offsets and strides.
import type { FusedActivation } from '../../backend.js';
import { Words } from '../executor.js';

export interface GemmArgs {
  a: number; b: number; out: number; bias?: number;
  batch: number; m: number; n: number; k: number;
  transposeA: boolean; transposeB: boolean;
  activation: FusedActivation;
  /** Elements between consecutive batch matrices (0: one matrix shared by every batch). */
  aBatchStride: number; bBatchStride: number;
  /** Element offsets of the first matrices and of the output (default 0). */
  aOffset?: number; bOffset?: number; outOffset?: number;
  /** Row stride of the output (default n), so a GEMM can write columns of a wider matrix. */
  outRowStride?: number;
  /** Elements between output batch matrices (default m·n). */
  outBatchStride?: number;
  /** Add to the output instead of overwriting it (out += a·b). */
  accumulate?: boolean;
}

/** WGSL of the fused epilogue activations (codes as FusedActivation). */
export function activationWgsl(activation: FusedActivation, v: string): string {
  switch (activation) {
    case 'linear': return v;
    case 'relu': return `select(select(${v}, 0.0, ${v} < 0.0), ${v}, ${v} != ${v})`;
    case 'relu6': return `select(clamp(${v}, 0.0, 6.0), ${v}, ${v} != ${v})`;
    case 'sigmoid': return `sigmoid_(${v})`;
    case 'tanh': return `tanh_(${v})`;
    case 'gelu': return `gelu_(${v})`;
    case 'elu': return `select(expm1_(${v}), ${v}, ${v} >= 0.0)`;
  }
}

/**
 * Uniform words: 0 m, 1 n, 2 k, 3 aBatchStride, 4 bBatchStride, 5 aOffset, 6 bOffset, 7 outOffset,
 * 8 outRowStride, 9 outBatchStride, 10.. the kernel's own.
 */
export function gemmWords(args: GemmArgs): Words {
  const { m, n, k } = args;
  return new Words().u(
    m, n, k, args.aBatchStride, args.bBatchStride, args.aOffset ?? 0, args.bOffset ?? 0, args.outOffset ?? 0,
    args.outRowStride ?? n, args.outBatchStride ?? m * n,
  );
}

export const gemmInputs = (args: GemmArgs): number[] => (args.bias !== undefined ? [args.a, args.b, args.bias] : [args.a, args.b]);

/** `fn store(outBase, row, col, acc)`: the epilogue of one result, to OUT[outBase + row·outRowStride + col]. */
export function storeWgsl(args: Pick<GemmArgs, 'bias' | 'accumulate' | 'activation'>): string {
  return `fn store(outBase: u32, row: u32, col: u32, acc: f32) {
  let at = outBase + row * u(8u) + col;
  var v = acc;
  ${args.accumulate ? 'v += OUT[at];' : ''}
  ${args.bias !== undefined ? 'v += BIAS[col];' : ''}
  OUT[at] = ${activationWgsl(args.activation, 'v')};
}`;
}
