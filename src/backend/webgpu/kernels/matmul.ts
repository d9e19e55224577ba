// GEMM: out[b] = act(op(A[b]) · op(B[b]) + bias) for row-major A, B with either operand transposed, one batch
// matrix per workgroup z. Offsets and batch strides are uniforms, so other kernels (recurrent steps,
// attention) can run GEMMs on parts of buffers without copies. The shape picks the kernel:
//   m ≤ 4 or n ≤ 4           gemm-skinny.ts: K-strided dot products, no tiles (matrix·vector).
//   vec4-aligned operands    gemm-vec4.ts: vec4 tiles; split-K into scratch when K is long and tiles few.
//   otherwise                gemm-tile.ts: the scalar tile loop the convolutions share.
import type { FusedActivation, MatMulArgs } from '../../backend.js';
import type { GpuExecutor } from '../executor.js';
import { Scratch } from '../scratch.js';
import { MATH_HELPERS, header } from '../wgsl.js';
import { type GemmArgs, gemmInputs, gemmWords, storeWgsl } from './gemm-epilogue.js';
import { SKINNY_MAX, skinnyGemmSource, skinnyLayout } from './gemm-skinny.js';
import { splitKReduceSource } from './gemm-split-k.js';
import { type GemmTiling, gemmTiling, tileCols, tileRows, tiledGemmMain, tilingsWithin } from './gemm-tile.js';
import { vec4Aligned, vec4GemmSource } from './gemm-vec4.js';

export { activationWgsl, type GemmArgs } from './gemm-epilogue.js';

function scalarGemmSource(args: GemmArgs, tiling: GemmTiling): string {
  const aAt = args.transposeA ? '(kk) * M + (row)' : '(row) * K + (kk)';
  const bAt = args.transposeB ? '(col) * K + (kk)' : '(kk) * N + (col)';
  const inputs: [string, 'f32'][] = [['A', 'f32'], ['B', 'f32']];
  if (args.bias !== undefined) inputs.push(['BIAS', 'f32']);
  // tiledGemmMain calls store(row, col, v): the shared epilogue under another name, with the batch's base.
  return `${header(inputs, [['OUT', 'f32']])}
${MATH_HELPERS}
${storeWgsl(args).replace('fn store(', 'fn storeAt(')}
var<private> aBase: u32;
var<private> bBase: u32;
var<private> outBase: u32;
fn loadA(row: u32, kk: u32) -> f32 { let M = u(0u); let K = u(2u); return A[aBase + ${aAt}]; }
fn loadB(kk: u32, col: u32) -> f32 { let N = u(1u); let K = u(2u); return B[bBase + ${bAt}]; }
fn store(row: u32, col: u32, v: f32) { storeAt(outBase, row, col, v); }
${tiledGemmMain(`  let M = u(0u); let N = u(1u); let K = u(2u);
  let batch = group.z;
  aBase = u(5u) + batch * u(3u);
  bBase = u(6u) + batch * u(4u);
  outBase = u(7u) + batch * u(9u);
  let row0 = group.y * TILE_ROWS;
  let col0 = group.x * TILE_COLS;`, tiling, args)}`;
}

/**
 * Vec4 tilings, largest first. On llvmpipe (2 cores) 8 rows per invocation ran 1.3x faster than 4, 64-column
 * tiles 1.1-1.3x faster than 32 (N = 256…1024), and the largest tile won at every size measured, 64×64×4096
 * included (split-K giving the parallelism); K-slices of 64 gained nothing over 32.
 */
const VEC4_TILINGS: GemmTiling[] = [
  { threadsX: 16, threadsY: 16, kTile: 32, rowsPerThread: 8 }, // 128×64, 256 invocations, 24 KiB
  { threadsX: 16, threadsY: 8, kTile: 32, rowsPerThread: 8 }, // 64×64, 128 invocations, 16 KiB: WebGPU's default limits
  { threadsX: 8, threadsY: 8, kTile: 32, rowsPerThread: 4 }, // 32×32, 64 invocations, 8 KiB
];
/** For adapters whose limits admit none of the above. */
const SMALL_TILING: GemmTiling = { threadsX: 4, threadsY: 4, kTile: 16, rowsPerThread: 4 };
/**
 * Fewest workgroups (tiles × splits) a larger tiling must give before a smaller one is preferred. Low: a
 * GEMM with fewer tiles than that is dispatch-bound on a GPU, and llvmpipe ran the larger tiles faster.
 */
const MIN_GROUPS = 4;
/** Workgroups below which a long-K GEMM is split along K: enough to occupy a GPU's cores. */
const SPLIT_K_TARGET_GROUPS = 32;
/** Least K per split: shorter ranges spend more on partial sums than they gain. */
const SPLIT_K_MIN_SPAN = 256;

const vec4Groups = (args: GemmArgs, t: GemmTiling) => Math.ceil(args.m / tileRows(t)) * Math.ceil(args.n / tileCols(t)) * args.batch;

/** Splits of K for tiling t (1: none); each split's range is a whole number of K-slices and none is empty. */
function splitKCount(args: GemmArgs, t: GemmTiling): number {
  const groups = vec4Groups(args, t);
  const splits = Math.min(Math.ceil(SPLIT_K_TARGET_GROUPS / groups), Math.floor(args.k / SPLIT_K_MIN_SPAN));
  if (groups >= SPLIT_K_TARGET_GROUPS || splits < 2) return 1;
  const span = t.kTile * Math.ceil(args.k / splits / t.kTile);
  return Math.ceil(args.k / span);
}

/** The largest vec4 tiling within the adapter's limits that gives MIN_GROUPS workgroups, and its K splits. */
export function vec4Plan(exec: GpuExecutor, args: GemmArgs): { tiling: GemmTiling; splits: number } {
  const fits = tilingsWithin(exec.limits, VEC4_TILINGS);
  const tiling = fits.find((t) => vec4Groups(args, t) * splitKCount(args, t) >= MIN_GROUPS) ?? fits[fits.length - 1] ?? SMALL_TILING;
  return { tiling, splits: splitKCount(args, tiling) };
}

/** Runs one (batched) GEMM into an existing output buffer. */
export function gemm(exec: GpuExecutor, args: GemmArgs): void {
  const { m, n, batch } = args;
  if (m === 0 || n === 0 || batch === 0) return; // an empty output: no kernel has anything to write
  const words = gemmWords(args);
  const inputs = gemmInputs(args);
  if (Math.min(m, n) <= SKINNY_MAX) {
    const layout = skinnyLayout(args, Math.min(64, exec.workgroupSize));
    const [gx, gy] = exec.grid(Math.ceil(Math.max(m, n) / layout.longThreads));
    exec.dispatch({ name: 'matMul (skinny)', code: skinnyGemmSource(args, layout), inputs, outputs: [args.out], uniforms: words, workgroups: [gx, gy, batch] });
    return;
  }
  if (!vec4Aligned(args)) {
    const tiling = gemmTiling(exec.limits, m, n, batch);
    exec.dispatch({
      name: 'matMul', code: scalarGemmSource(args, tiling), inputs, outputs: [args.out], uniforms: words,
      workgroups: [Math.ceil(n / tileCols(tiling)), Math.ceil(m / tileRows(tiling)), batch],
    });
    return;
  }
  const { tiling, splits } = vec4Plan(exec, args);
  const groups: [number, number] = [Math.ceil(n / tileCols(tiling)), Math.ceil(m / tileRows(tiling))];
  if (splits === 1) {
    exec.dispatch({ name: 'matMul (vec4)', code: vec4GemmSource(args, tiling), inputs, outputs: [args.out], uniforms: words, workgroups: [...groups, batch] });
    return;
  }
  const scratch = new Scratch(exec);
  try {
    const partial = scratch.create(batch * splits * m * n);
    const plain: GemmArgs = { ...args, bias: undefined, accumulate: false, activation: 'linear' };
    exec.dispatch({
      name: 'matMul (split-K)', code: vec4GemmSource(plain, tiling, splits), inputs: [args.a, args.b], outputs: [partial], uniforms: words,
      workgroups: [...groups, batch * splits],
    });
    const wg = exec.workgroupSize;
    exec.dispatch({
      name: 'matMul (split-K sum)', code: splitKReduceSource(args, splits, wg), inputs: args.bias !== undefined ? [partial, args.bias] : [partial],
      outputs: [args.out], uniforms: gemmWords(args).u(batch * m * n), workgroups: exec.grid(Math.ceil((batch * m * n) / wg)),
    });
  } finally {
    scratch.freeAll();
  }
}

export function matMul(exec: GpuExecutor, [out]: number[], a: number, b: number, bias: number | undefined, g: Omit<MatMulArgs, 'a' | 'b' | 'bias'> & { activation: FusedActivation }): void {
  exec.create(out, g.batch * g.m * g.n);
  gemm(exec, {
    a, b, out, bias, batch: g.batch, m: g.m, n: g.n, k: g.k, transposeA: g.transposeA, transposeB: g.transposeB, activation: g.activation,
    aBatchStride: g.aBatch === 1 ? 0 : g.m * g.k, bBatchStride: g.bBatch === 1 ? 0 : g.k * g.n,
  });
}
