// The tiled GEMM loop the implicit-GEMM convolutions, the scalar matMul and the recurrent dU share: each
// workgroup computes a tileRows×tileCols block of an [M, N] output from K-slices of A [M, K] and B [K, N]
// gathered by scalar loaders into workgroup memory as vec4s (A: 4 consecutive k of one row, B: 4 adjacent
// columns of one k), each invocation rowsPerThread rows × one vec4 of 4 adjacent columns accumulated in f32.
// Bounds checks are compiled in only where the shape (when given) does not fill the tiles.
import type { GpuLimits } from '../gpu.js';

export interface GemmTiling {
  /** Invocations along columns and rows: the tile is rowsPerThread·threadsY rows × 4·threadsX columns. */
  threadsX: number; threadsY: number;
  /** Output rows per invocation (a multiple of 4). */
  rowsPerThread: number;
  /** K per workgroup-memory slice (a multiple of 4): one pair of barriers per slice. */
  kTile: number;
}

/** The [M, N] output and K of one dispatch: lets the loop drop the bounds checks that tiles it fills need not. */
export interface GemmShape { m: number; n: number; k: number }

export const tileRows = (t: GemmTiling): number => t.rowsPerThread * t.threadsY;
export const tileCols = (t: GemmTiling): number => 4 * t.threadsX;
/** Workgroup memory of one tiling, in bytes. */
export const tileBytes = (t: GemmTiling): number => (tileRows(t) + tileCols(t)) * t.kTile * 4;

/**
 * Tilings, largest first. On llvmpipe (2 cores) 8 rows × one vec4 per invocation with K-slices of 32 ran conv2d
 * forward ([16384, 64] over K = 288) about 3x faster than the old 32×32 tiles of 4×4 strided scalars with K-slices
 * of 16, and 128×64 ran it 1.1-1.2x faster than 64×64 (within the shared machine's noise on the odd-size
 * scalar matMul). The 32-column tilings serve N ≤ 32 (conv2d's dx over 32 channels) without half-empty tiles.
 */
const TILINGS: GemmTiling[] = [
  { threadsX: 16, threadsY: 16, rowsPerThread: 8, kTile: 32 }, // 128×64, 256 invocations, 24 KiB
  { threadsX: 16, threadsY: 8, rowsPerThread: 8, kTile: 32 }, // 64×64, 128 invocations, 16 KiB: WebGPU's default limits
  { threadsX: 8, threadsY: 16, rowsPerThread: 8, kTile: 32 }, // 128×32, 128 invocations, 20 KiB
  { threadsX: 8, threadsY: 8, rowsPerThread: 8, kTile: 32 }, // 64×32, 64 invocations, 12 KiB
  { threadsX: 8, threadsY: 8, rowsPerThread: 4, kTile: 32 }, // 32×32, 64 invocations, 8 KiB
];
/** For adapters whose limits admit none of the above. */
const SMALL_TILING: GemmTiling = { threadsX: 4, threadsY: 4, rowsPerThread: 4, kTile: 16 }; // 16×16, 2 KiB
/** Fewest workgroups a larger tiling must give before a smaller one is preferred (as gemm-vec4's plan). */
const MIN_GROUPS = 4;
/** Padded work (tiles × tile area) a larger tiling may spend over the least padded one before it is passed over. */
const MAX_PADDING = 1.15;

/** The tilings (in their order) whose workgroup size and memory the adapter's limits allow. */
export function tilingsWithin(limits: GpuLimits, tilings: readonly GemmTiling[]): GemmTiling[] {
  return tilings.filter((t) => t.threadsX * t.threadsY <= limits.maxComputeInvocationsPerWorkgroup &&
    t.threadsX <= limits.maxComputeWorkgroupSizeX && t.threadsY <= limits.maxComputeWorkgroupSizeY &&
    tileBytes(t) <= limits.maxComputeWorkgroupStorageSize);
}

/** The largest tiling within the adapter's limits that gives MIN_GROUPS workgroups over an [m, n] output (× batch) without padding it much more than a smaller one. */
export function gemmTiling(limits: GpuLimits, m: number, n: number, batch = 1): GemmTiling {
  const fits = tilingsWithin(limits, TILINGS);
  const groups = (t: GemmTiling) => Math.ceil(m / tileRows(t)) * Math.ceil(n / tileCols(t)) * batch;
  const padded = (t: GemmTiling) => groups(t) * tileRows(t) * tileCols(t);
  const candidates = fits.filter((t) => groups(t) >= MIN_GROUPS);
  if (candidates.length === 0) return fits[fits.length - 1] ?? SMALL_TILING;
  const least = Math.min(...candidates.map(padded));
  return candidates.find((t) => padded(t) <= MAX_PADDING * least)!;
}

/**
 * The workgroup tiles and `main` for one tiling. The kernel around it defines `fn loadA(row: u32, kk: u32) -> f32`
 * and `fn loadB(kk: u32, col: u32) -> f32` (called only in bounds), `fn store(row: u32, col: u32, v: f32)` (called
 * for row < M, col < N), and `prologue`: WGSL that sets `M`, `N`, `K` and the tile origin `row0`, `col0` from
 * the builtins `group` (workgroup_id) and `groups` (num_workgroups) and the module constants TILE_ROWS and
 * TILE_COLS, and anything loadA/loadB/store read from private variables. Dispatch ⌈N / tileCols⌉ × ⌈M / tileRows⌉
 * workgroups; `shape`, when given, must be the M, N, K the prologue sets.
 */
export function tiledGemmMain(prologue: string, t: GemmTiling, shape?: GemmShape): string {
  const { threadsX: TX, threadsY: TY, rowsPerThread: R, kTile: KT } = t;
  const TM = tileRows(t), TN = tileCols(t), THREADS = TX * TY, KT4 = KT / 4;
  if (R % 4 !== 0 || KT % 4 !== 0 || (TM * KT4) % THREADS !== 0 || (KT * TX) % THREADS !== 0) {
    throw new Error(`webgpu backend: GEMM tiling ${TX}x${TY}, ${R} rows, kTile ${KT} does not divide evenly`);
  }
  const fitM = shape !== undefined && shape.m % TM === 0;
  const fitN = shape !== undefined && shape.n % TN === 0;
  const fitK = shape !== undefined && shape.k % KT === 0;
  const all = (conds: (string | false)[]) => conds.filter(Boolean).join(' && ') || 'true';
  // A: the invocation's vec4s of 4 consecutive k of one row; B: of 4 adjacent columns of one k.
  // Where K (N) is a multiple of 4 a vec4 lies wholly in or out of bounds: one check for its 4 lanes.
  const quadK = shape !== undefined && shape.k % 4 === 0, quadN = shape !== undefined && shape.n % 4 === 0;
  const aLanes = [0, 1, 2, 3].map((j) =>
    `if (${all([!fitK && !quadK && `k + ${j}u < K`])}) { v[${j}] = loadA(row, k + ${j}u); }`).join(' ');
  const bLanes = [0, 1, 2, 3].map((j) =>
    `if (${all([!fitN && !quadN && `col + ${j}u < N`])}) { v[${j}] = loadB(k, col + ${j}u); }`).join(' ');
  const reads: string[] = [];
  for (let r = 0; r < R; r++) reads.push(`let a${r} = tileA[local.y * ${R}u + ${r}u][k4];`);
  for (let j = 0; j < 4; j++) reads.push(`let b${j} = tileB[k4 * 4u + ${j}u][local.x];`);
  const fmas: string[] = [];
  for (let j = 0; j < 4; j++) for (let r = 0; r < R; r++) fmas.push(`acc${r} = fma(vec4<f32>(a${r}[${j}]), b${j}, acc${r});`);
  const accs = Array.from({ length: R }, (_, r) => `acc${r}`);
  return `const TILE_ROWS = ${TM}u;
const TILE_COLS = ${TN}u;
var<workgroup> tileA: array<array<vec4<f32>, ${KT4}>, ${TM}>;
var<workgroup> tileB: array<array<vec4<f32>, ${TX}>, ${KT}>;
@compute @workgroup_size(${TX}, ${TY})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>, @builtin(local_invocation_index) li: u32) {
${prologue}
  ${accs.map((a) => `var ${a} = vec4<f32>(0.0);`).join(' ')}
  for (var k0 = 0u; k0 < K; k0 += ${KT}u) {
    for (var i = 0u; i < ${(TM * KT4) / THREADS}u; i++) {
      let e = li + i * ${THREADS}u;
      let row = row0 + e / ${KT4}u; let k = k0 + (e % ${KT4}u) * 4u;
      var v = vec4<f32>(0.0);
      if (${all([!fitM && 'row < M', !fitK && quadK && 'k < K'])}) { ${aLanes} }
      tileA[e / ${KT4}u][e % ${KT4}u] = v;
    }
    for (var i = 0u; i < ${(KT * TX) / THREADS}u; i++) {
      let e = li + i * ${THREADS}u;
      let k = k0 + e / ${TX}u; let col = col0 + (e % ${TX}u) * 4u;
      var v = vec4<f32>(0.0);
      if (${all([!fitK && 'k < K', !fitN && quadN && 'col < N'])}) { ${bLanes} }
      tileB[e / ${TX}u][e % ${TX}u] = v;
    }
    workgroupBarrier();
    for (var k4 = 0u; k4 < ${KT4}u; k4++) {
      ${reads.join('\n      ')}
      ${fmas.join('\n      ')}
    }
    workgroupBarrier();
  }
  ${storeBlockWgsl(R, !fitM, !fitN, 'store(row, col, v);')}
}`;
}

/**
 * WGSL handing an invocation's block, accumulators acc0…acc{R-1} (rows local.y·R + r, columns 4·local.x + c of
 * the tile at row0, col0), to `store` (a statement of row, col and v), checking rows < M and columns < N where asked.
 */
export function storeBlockWgsl(R: number, checkRows: boolean, checkCols: boolean, store: string): string {
  const accs = Array.from({ length: R }, (_, r) => `acc${r}`);
  return `let acc = array<vec4<f32>, ${R}>(${accs.join(', ')});
  for (var r = 0u; r < ${R}u; r++) {
    let row = row0 + local.y * ${R}u + r;
    ${checkRows ? 'if (row >= M) { continue; }' : ''}
    for (var c = 0u; c < 4u; c++) {
      let col = col0 + local.x * 4u + c;
      ${checkCols ? 'if (col >= N) { continue; }' : ''}
      let v = acc[r][c];
      ${store}
    }
  }`;
}
