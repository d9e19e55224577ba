// The implicit GEMM the convolution kernels share: the tile loop of gemm-tile.ts over a virtual [M, N]
// output, K-slices of the virtual A [M, K] and B [K, N] gathered on the fly (loadA/loadB), and a
// caller-written store of each result.
// Uniform words 0..14 hold the Conv2DInfo (convInfoWords), 15 M, 16 N, 17 K, 18.. the caller's own.
import type { Conv2DInfo } from '../../backend.js';
import { Words, type GpuExecutor } from '../executor.js';
import { MATH_HELPERS, header, type ElementType } from '../wgsl.js';
import { type GemmShape, type GemmTiling, gemmTiling, tileCols, tileRows, tiledGemmMain } from './gemm-tile.js';

/** Words 0..14: N, H, W, C, OH, OW, OC, KH, KW, strideH, strideW, dilationH, dilationW, padTop (i32), padLeft (i32). */
export function convInfoWords(info: Conv2DInfo): Words {
  return new Words()
    .u(info.batch, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
      info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth)
    .i(info.padTop, info.padLeft);
}

/** WGSL `let`s naming the info words (paste at the start of a function). */
export const INFO_LETS = `let N_ = u(0u); let H_ = u(1u); let W_ = u(2u); let C_ = u(3u); let OH_ = u(4u); let OW_ = u(5u); let OC_ = u(6u);
  let KH_ = u(7u); let KW_ = u(8u); let SH_ = u(9u); let SW_ = u(10u); let DH_ = u(11u); let DW_ = u(12u); let PT_ = s(13u); let PL_ = s(14u);`;

export interface ImplicitGemm {
  name: string;
  inputs: readonly (readonly [string, ElementType])[];
  outputs: readonly (readonly [string, ElementType])[];
  /** Body of `fn loadA(row: u32, kk: u32) -> f32`, called only with row < M and kk < K. */
  loadA: string;
  /** Body of `fn loadB(kk: u32, col: u32) -> f32`, called only with kk < K and col < N. */
  loadB: string;
  /** Body of `fn store(row: u32, col: u32, v: f32)`, called for row < M, col < N. */
  store: string;
  helpers?: string;
}

export function implicitGemmSource(g: ImplicitGemm, tiling: GemmTiling, shape?: GemmShape): string {
  return `${header(g.inputs, g.outputs)}
${MATH_HELPERS}
${g.helpers ?? ''}
fn loadA(row: u32, kk: u32) -> f32 {
  ${INFO_LETS}
  ${g.loadA}
}
fn loadB(kk: u32, col: u32) -> f32 {
  ${INFO_LETS}
  ${g.loadB}
}
fn store(row: u32, col: u32, v: f32) {
  ${INFO_LETS}
  ${g.store}
}
${tiledGemmMain(`  let M = u(15u); let N = u(16u); let K = u(17u);
  let row0 = (group.y + group.z * groups.y) * TILE_ROWS;
  let col0 = group.x * TILE_COLS;`, tiling, shape)}`;
}

/** Dispatches an implicit GEMM of [m, n] over k; `words` holds words 0..14 and gets 15..17 and `extra` appended. */
export function runImplicitGemm(exec: GpuExecutor, g: ImplicitGemm, info: Conv2DInfo, ins: number[], outs: number[],
  m: number, n: number, k: number, extra: number[] = []): void {
  const words = convInfoWords(info).u(m, n, k).i(...extra);
  const tiling = gemmTiling(exec.limits, m, n);
  const [gy, gz] = exec.grid(Math.ceil(m / tileRows(tiling)));
  exec.dispatch({
    name: g.name, code: implicitGemmSource(g, tiling, { m, n, k }), inputs: ins, outputs: outs, uniforms: words,
    workgroups: [Math.ceil(n / tileCols(tiling)), gy, gz],
  });
}
