// The GEMM of a skinny product, m ≤ 4 or n ≤ 4 (batch-1 inference, matrix·vector): no tiles to reuse, so
// each invocation keeps one long-side output's (up to 4) sums while striding over K, the workgroup's
// kSplit invocations of one output add their partial sums in workgroup memory once at the end.
// Invocations run along whichever of the long side and K is contiguous in memory, so reads coalesce.
//   out[b][row, col] = Σ_k op(A)[row, k]·op(B)[k, col]; short side S = m (or n), long side L = n (or m).
import { MATH_HELPERS, header } from '../wgsl.js';
import { type GemmArgs, storeWgsl } from './gemm-epilogue.js';

/** Largest side the skinny kernel takes as its short side (its sums per invocation). */
export const SKINNY_MAX = 4;

export interface SkinnyLayout {
  /** Outputs along the long side per workgroup, and invocations sharing one output's K range. */
  longThreads: number; kSplit: number;
  /** Whether the long side (else K) varies fastest between neighbouring invocations. */
  longFastest: boolean;
}

const nextPow2 = (v: number) => 2 ** Math.ceil(Math.log2(Math.max(1, v)));

/** The layout for a workgroup of `invocations` (a power of 2). */
export function skinnyLayout(args: GemmArgs, invocations: number): SkinnyLayout {
  const shortIsM = args.m <= args.n;
  const long = shortIsM ? args.n : args.m;
  // The long side is contiguous when it is B's row (m short, B not transposed) or A's row (n short, A transposed).
  const longFastest = shortIsM ? !args.transposeB : args.transposeA;
  // Along the long side 32 adjacent invocations read one 128-byte line on GPUs that coalesce; along K
  // 8 (32 bytes), as on llvmpipe fewer invocations per output ran faster (1x1024x1024 with B transposed:
  // 1.5x from 32 to 8) and every workgroup of partial sums costs a barrier there.
  const fastest = Math.min(longFastest ? 32 : 8, invocations, nextPow2(longFastest ? long : args.k));
  const other = invocations / fastest;
  return longFastest ? { longThreads: fastest, kSplit: other, longFastest } : { longThreads: other, kSplit: fastest, longFastest };
}

/** WGSL of the skinny GEMM; workgroups: [ceil(L / longThreads) as a grid, batch]. */
export function skinnyGemmSource(args: GemmArgs, layout: SkinnyLayout): string {
  const { longThreads: LT, kSplit: KS, longFastest } = layout;
  const shortIsM = args.m <= args.n;
  const S = shortIsM ? args.m : args.n;
  const aAt = (row: string, kk: string) => (args.transposeA ? `aBase + ${kk} * M + ${row}` : `aBase + ${row} * K + ${kk}`);
  const bAt = (kk: string, col: string) => (args.transposeB ? `bBase + ${col} * K + ${kk}` : `bBase + ${kk} * N + ${col}`);
  const sums: string[] = [];
  for (let s = 0; s < S; s++) {
    sums.push(shortIsM
      ? `acc[${s}] = fma(A[${aAt(`${s}u`, 'kk')}], bv, acc[${s}]);`
      : `acc[${s}] = fma(av, B[${bAt('kk', `${s}u`)}], acc[${s}]);`);
  }
  const common = shortIsM ? `let bv = B[${bAt('kk', 'l')}];` : `let av = A[${aAt('l', 'kk')}];`;
  const inputs: [string, 'f32'][] = [['A', 'f32'], ['B', 'f32']];
  if (args.bias !== undefined) inputs.push(['BIAS', 'f32']);
  const store = (s: string, v: string) => (shortIsM ? `store(outBase, ${s}, l, ${v});` : `store(outBase, l, ${s}, ${v});`);
  return `${header(inputs, [['OUT', 'f32']])}
${MATH_HELPERS}
${storeWgsl(args)}
${KS > 1 ? `var<workgroup> partial: array<array<f32, ${LT * KS}>, ${S}>;` : ''}
@compute @workgroup_size(${LT * KS})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let M = u(0u); let N = u(1u); let K = u(2u);
  let batch = group.z;
  let aBase = u(5u) + batch * u(3u);
  let bBase = u(6u) + batch * u(4u);
  let outBase = u(7u) + batch * u(9u);
  let lLocal = ${longFastest ? `li % ${LT}u` : `li / ${KS}u`};
  let ks = ${longFastest ? `li / ${LT}u` : `li % ${KS}u`};
  let l = (group.x + group.y * groups.x) * ${LT}u + lLocal;
  let L = ${shortIsM ? 'N' : 'M'};
  var acc: array<f32, ${S}>;
  if (l < L) {
    for (var kk = ks; kk < K; kk += ${KS}u) {
      ${common}
      ${sums.join('\n      ')}
    }
  }
  ${KS > 1 ? `for (var s = 0u; s < ${S}u; s++) { partial[s][li] = acc[s]; }
  workgroupBarrier();
  // The first invocations of each output add the kSplit partial sums: one barrier, no tree.
  if (ks != 0u || l >= L) { return; }
  for (var s = 0u; s < ${S}u; s++) {
    var v = 0.0;
    for (var j = 0u; j < ${KS}u; j++) { v += partial[s][${longFastest ? `j * ${LT}u + lLocal` : `lLocal * ${KS}u + j`}]; }
    acc[s] = v;
  }` : 'if (l >= L) { return; }'}
  for (var s = 0u; s < ${S}u; s++) { ${store('s', 'acc[s]')} }
}`;
}
