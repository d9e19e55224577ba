// The tiled GEMM loop matMul and the implicit-GEMM convolutions share: each workgroup computes a TILE×TILE
// block of an [M, N] output from K-slices of A [M, K] and B [K, N] staged in workgroup memory, each
// invocation a 4×4 register block accumulated in f32.
export const TILE = 32;
const K_TILE = 16;
const THREADS = 8; // 8×8 invocations, 4×4 outputs each

/**
 * The workgroup tiles and `main`. The kernel around it defines `fn loadA(row: u32, kk: u32) -> f32` and
 * `fn loadB(kk: u32, col: u32) -> f32` (called only in bounds), `fn store(row: u32, col: u32, v: f32)` (called
 * for row < M, col < N), and `prologue`: WGSL that sets `M`, `N`, `K` and the tile origin `row0`, `col0` from
 * the builtins `group` (workgroup_id) and `groups` (num_workgroups), and anything loadA/loadB/store read
 * from private variables.
 */
export function tiledGemmMain(prologue: string): string {
  return `var<workgroup> tileA: array<array<f32, ${TILE}>, ${K_TILE}>;
var<workgroup> tileB: array<array<f32, ${TILE}>, ${K_TILE}>;
@compute @workgroup_size(${THREADS}, ${THREADS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>, @builtin(local_invocation_index) li: u32) {
${prologue}
  var acc: array<array<f32, 4>, 4>;
  for (var kt = 0u; kt < K; kt += ${K_TILE}u) {
    // ${TILE * K_TILE} values of each tile, ${(TILE * K_TILE) / (THREADS * THREADS)} per invocation.
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
