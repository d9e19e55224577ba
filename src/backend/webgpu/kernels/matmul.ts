// GEMM: out[b] = act(op(A[b]) · op(B[b]) + bias) for row-major A, B with either operand transposed, on the
// shared tile loop (gemm-tile.ts), one batch matrix per workgroup z. Offsets and batch strides are uniforms,
// so other kernels (recurrent steps, attention) can run GEMMs on parts of buffers without copies.
import type { FusedActivation, MatMulArgs } from '../../backend.js';
import { Words, type GpuExecutor } from '../executor.js';
import { MATH_HELPERS, header } from '../wgsl.js';
import { TILE, tiledGemmMain } from './gemm-tile.js';

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

function gemmSource(args: GemmArgs): string {
  const { transposeA, transposeB } = args;
  // Uniform words: 0 m, 1 n, 2 k, 3 aBatchStride, 4 bBatchStride, 5 aOffset, 6 bOffset, 7 outOffset, 8 outRowStride, 9 outBatchStride
  const aAt = transposeA ? '(kk) * M + (row)' : '(row) * K + (kk)';
  const bAt = transposeB ? '(col) * K + (kk)' : '(kk) * N + (col)';
  const inputs: [string, 'f32'][] = [['A', 'f32'], ['B', 'f32']];
  if (args.bias !== undefined) inputs.push(['BIAS', 'f32']);
  return `${header(inputs, [['OUT', 'f32']])}
${MATH_HELPERS}
var<private> aBase: u32;
var<private> bBase: u32;
var<private> outBase: u32;
fn loadA(row: u32, kk: u32) -> f32 { let M = u(0u); let K = u(2u); return A[aBase + ${aAt}]; }
fn loadB(kk: u32, col: u32) -> f32 { let N = u(1u); let K = u(2u); return B[bBase + ${bAt}]; }
fn store(row: u32, col: u32, acc: f32) {
  let at = outBase + row * u(8u) + col;
  var v = acc;
  ${args.accumulate ? 'v += OUT[at];' : ''}
  ${args.bias !== undefined ? 'v += BIAS[col];' : ''}
  OUT[at] = ${activationWgsl(args.activation, 'v')};
}
${tiledGemmMain(`  let M = u(0u); let N = u(1u); let K = u(2u);
  let batch = group.z;
  aBase = u(5u) + batch * u(3u);
  bBase = u(6u) + batch * u(4u);
  outBase = u(7u) + batch * u(9u);
  let row0 = group.y * ${TILE}u;
  let col0 = group.x * ${TILE}u;`)}`;
}

/** Runs one (batched) GEMM into an existing output buffer. */
export function gemm(exec: GpuExecutor, args: GemmArgs): void {
  const { m, n, k, batch } = args;
  const words = new Words().u(
    m, n, k, args.aBatchStride, args.bBatchStride, args.aOffset ?? 0, args.bOffset ?? 0, args.outOffset ?? 0,
    args.outRowStride ?? n, args.outBatchStride ?? m * n,
  );
  const inputs = args.bias !== undefined ? [args.a, args.b, args.bias] : [args.a, args.b];
  exec.dispatch({
    name: 'matMul', code: gemmSource(args), inputs, outputs: [args.out], uniforms: words,
    workgroups: [Math.ceil(n / TILE), Math.ceil(m / TILE), batch],
  });
}

export function matMul(exec: GpuExecutor, [out]: number[], a: number, b: number, bias: number | undefined, g: Omit<MatMulArgs, 'a' | 'b' | 'bias'> & { activation: FusedActivation }): void {
  exec.create(out, g.batch * g.m * g.n);
  gemm(exec, {
    a, b, out, bias, batch: g.batch, m: g.m, n: g.n, k: g.k, transposeA: g.transposeA, transposeB: g.transposeB, activation: g.activation,
    aBatchStride: g.aBatch === 1 ? 0 : g.m * g.k, bBatchStride: g.bBatch === 1 ? 0 : g.k * g.n,
  });
}
