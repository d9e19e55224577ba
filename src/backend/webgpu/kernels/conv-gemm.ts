// The implicit-GEMM skeleton the convolution kernels share: a TILE×TILE block of a virtual [M, N] output
// per workgroup, K-slices of the virtual A [M, K] and B [K, N] gathered on the fly (loadA/loadB) into
// workgroup memory, a 4×4 register block per invocation, and a caller-written store of each result.
// Uniform words 0..14 hold the Conv2DInfo (convInfoWords), 15 M, 16 N, 17 K, 18.. the caller's own.
import type { Conv2DInfo } from '../../backend.js';
import { Words, type GpuExecutor } from '../executor.js';
import { MATH_HELPERS, header, type ElementType } from '../wgsl.js';

export const TILE = 32;
const K_TILE = 16;
const THREADS = 8; // 8×8 invocations, 4×4 outputs each

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

export function implicitGemmSource(g: ImplicitGemm): string {
  return `${header(g.inputs, g.outputs)}
${MATH_HELPERS}
${g.helpers ?? ''}
var<workgroup> tileA: array<array<f32, ${TILE}>, ${K_TILE}>;
var<workgroup> tileB: array<array<f32, ${TILE}>, ${K_TILE}>;
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
@compute @workgroup_size(${THREADS}, ${THREADS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let M = u(15u); let N = u(16u); let K = u(17u);
  let row0 = (group.y + group.z * groups.y) * ${TILE}u;
  let col0 = group.x * ${TILE}u;
  var acc: array<array<f32, 4>, 4>;
  for (var kt = 0u; kt < K; kt += ${K_TILE}u) {
    for (var e = li; e < ${TILE * K_TILE}u; e += ${THREADS * THREADS}u) {
      let kk = e / ${TILE}u; let rc = e % ${TILE}u;
      var a = 0.0; var b = 0.0;
      if (row0 + rc < M && kt + kk < K) { a = loadA(row0 + rc, kt + kk); }
      if (col0 + rc < N && kt + kk < K) { b = loadB(kt + kk, col0 + rc); }
      tileA[kk][rc] = a;
      tileB[kk][rc] = b;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${K_TILE}u; kk++) {
      var av: array<f32, 4>; var bv: array<f32, 4>;
      for (var r = 0u; r < 4u; r++) { av[r] = tileA[kk][local.y + r * ${THREADS}u]; bv[r] = tileB[kk][local.x + r * ${THREADS}u]; }
      for (var r = 0u; r < 4u; r++) { for (var c = 0u; c < 4u; c++) { acc[r][c] = fma(av[r], bv[c], acc[r][c]); } }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let row = row0 + local.y + r * ${THREADS}u;
    if (row >= M) { continue; }
    for (var c = 0u; c < 4u; c++) {
      let col = col0 + local.x + c * ${THREADS}u;
      if (col >= N) { continue; }
      store(row, col, acc[r][c]);
    }
  }
}`;
}

/** Dispatches an implicit GEMM of [m, n] over k; `words` holds words 0..14 and gets 15..17 and `extra` appended. */
export function runImplicitGemm(exec: GpuExecutor, g: ImplicitGemm, info: Conv2DInfo, ins: number[], outs: number[],
  m: number, n: number, k: number, extra: number[] = []): void {
  const words = convInfoWords(info).u(m, n, k).i(...extra);
  const [gy, gz] = exec.grid(Math.ceil(m / TILE));
  exec.dispatch({
    name: g.name, code: implicitGemmSource(g), inputs: ins, outputs: outs, uniforms: words,
    workgroups: [Math.ceil(n / TILE), gy, gz],
  });
}
