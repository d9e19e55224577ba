// The GEMM of aligned operands: A and B bound as array<vec4<f32>> (each operand's contiguous dimension, its
// offset and batch stride multiples of 4), a (rowsPerThread·threadsY)×(4·threadsX) output tile per workgroup staged
// from K-slices of kTile in workgroup memory, each invocation rowsPerThread rows × one vec4 of 4 adjacent columns.
// Bounds checks are compiled in only where the shape does not fill the tiles.
//   A [M, K] (transposeA: [K, M]), B [K, N] (transposeB: [N, K]), out [M, N] at outOffset/outRowStride.
import { MATH_HELPERS, header } from '../wgsl.js';
import { type GemmArgs, storeWgsl } from './gemm-epilogue.js';
import { type GemmTiling, storeBlockWgsl } from './gemm-tile.js';

/** Whether every vec4 the kernel reads lies whole inside one operand's contiguous rows. */
export function vec4Aligned(args: GemmArgs): boolean {
  const quad = (v: number) => v % 4 === 0;
  const aInner = args.transposeA ? args.m : args.k;
  const bInner = args.transposeB ? args.k : args.n;
  return quad(aInner) && quad(bInner) && quad(args.aOffset ?? 0) && quad(args.bOffset ?? 0) && quad(args.aBatchStride) && quad(args.bBatchStride);
}

/** WGSL of the tiled vec4 GEMM; `splits` > 1 (split-K) makes group.z = batch·splits + split and sums only that split's K range. */
export function vec4GemmSource(args: GemmArgs, t: GemmTiling, splits = 1): string {
  const { transposeA, transposeB } = args;
  const { threadsX: TX, threadsY: TY, kTile: KT, rowsPerThread: R } = t;
  const TM = R * TY, TN = 4 * TX, THREADS = TX * TY, KT4 = KT / 4, TM4 = TM / 4;
  if (THREADS % KT4 !== 0 || THREADS % TM4 !== 0 || (TM * KT4) % THREADS !== 0 || (TN * KT4) % THREADS !== 0) {
    throw new Error(`webgpu backend: matMul vec4 tiling ${TX}x${TY}, kTile ${KT} does not divide evenly`);
  }
  const span = splits > 1 ? KT * Math.ceil(args.k / splits / KT) : 0;
  const fitM = args.m % TM === 0, fitN = args.n % TN === 0, fitK = splits > 1 ? args.k % span === 0 && span % KT === 0 : args.k % KT === 0;
  const cond = (parts: [boolean, string][]) => {
    const live = parts.filter(([fit]) => !fit).map(([, c]) => c);
    return live.length ? live.join(' && ') : 'true';
  };
  // Each load loop runs a fixed count of vec4s per invocation; the index along the vec4 side is fixed per invocation.
  const loadA = transposeA
    ? `for (var i = 0u; i < ${(KT * TM4) / THREADS}u; i++) {
      let kk = li / ${TM4}u + i * ${THREADS / TM4}u; let m4 = li % ${TM4}u;
      var v = vec4<f32>(0.0);
      if (${cond([[fitK, 'k0 + kk < kEnd'], [fitM, 'row0 + m4 * 4u < M']])}) { v = A[aBase + (k0 + kk) * M4 + row0 / 4u + m4]; }
      tileA[kk][m4] = v;
    }`
    : `for (var i = 0u; i < ${(TM * KT4) / THREADS}u; i++) {
      let r = li / ${KT4}u + i * ${THREADS / KT4}u; let k4 = li % ${KT4}u;
      var v = vec4<f32>(0.0);
      if (${cond([[fitM, 'row0 + r < M'], [fitK, 'k0 + k4 * 4u < kEnd']])}) { v = A[aBase + (row0 + r) * K4 + k0 / 4u + k4]; }
      tileA[r][k4] = v;
    }`;
  const loadB = transposeB
    ? `for (var i = 0u; i < ${(TN * KT4) / THREADS}u; i++) {
      let c = li / ${KT4}u + i * ${THREADS / KT4}u; let k4 = li % ${KT4}u;
      var v = vec4<f32>(0.0);
      if (${cond([[fitN, 'col0 + c < N'], [fitK, 'k0 + k4 * 4u < kEnd']])}) { v = B[bBase + (col0 + c) * K4 + k0 / 4u + k4]; }
      tileB[c][k4] = v;
    }`
    : `for (var i = 0u; i < ${(KT * TX) / THREADS}u; i++) {
      let kk = li / ${TX}u + i * ${THREADS / TX}u; let n4 = li % ${TX}u;
      var v = vec4<f32>(0.0);
      if (${cond([[fitK, 'k0 + kk < kEnd'], [fitN, 'col0 + n4 * 4u < N']])}) { v = B[bBase + (k0 + kk) * N4 + col0 / 4u + n4]; }
      tileB[kk][n4] = v;
    }`;
  // Per k4 step: R + 4 vec4 reads of the tiles, 4·R vec4 FMAs.
  const reads: string[] = [];
  if (transposeA) {
    for (let j = 0; j < 4; j++) for (let q = 0; q < R / 4; q++) reads.push(`let a${j}_${q} = tileA[k4 * 4u + ${j}u][local.y * ${R / 4}u + ${q}u];`);
  } else {
    for (let r = 0; r < R; r++) reads.push(`let a${r} = tileA[local.y * ${R}u + ${r}u][k4];`);
  }
  for (let j = 0; j < 4; j++) reads.push(transposeB ? `let b${j} = tileB[local.x * 4u + ${j}u][k4];` : `let b${j} = tileB[k4 * 4u + ${j}u][local.x];`);
  const fmas: string[] = [];
  for (let j = 0; j < 4; j++) {
    const bj = transposeB ? `vec4<f32>(b0[${j}], b1[${j}], b2[${j}], b3[${j}])` : `b${j}`;
    fmas.push(`{ let b = ${bj};`);
    // the value of row r at k = k4·4 + j
    for (let r = 0; r < R; r++) fmas.push(`  acc${r} = fma(vec4<f32>(${transposeA ? `a${j}_${r >> 2}[${r & 3}]` : `a${r}[${j}]`}), b, acc${r});`);
    fmas.push('}');
  }
  const accs = Array.from({ length: R }, (_, r) => `acc${r}`);
  const inputs: [string, 'f32'][] = [['A', 'f32'], ['B', 'f32']];
  if (args.bias !== undefined) inputs.push(['BIAS', 'f32']);
  const head = header(inputs, [['OUT', 'f32']])
    .replace('var<storage, read> A: array<f32>', 'var<storage, read> A: array<vec4<f32>>')
    .replace('var<storage, read> B: array<f32>', 'var<storage, read> B: array<vec4<f32>>');
  const tileA = transposeA ? `array<array<vec4<f32>, ${TM4}>, ${KT}>` : `array<array<vec4<f32>, ${KT4}>, ${TM}>`;
  const tileB = transposeB ? `array<array<vec4<f32>, ${KT4}>, ${TN}>` : `array<array<vec4<f32>, ${TX}>, ${KT}>`;
  return `${head}
${MATH_HELPERS}
${storeWgsl(args)}
var<workgroup> tileA: ${tileA};
var<workgroup> tileB: ${tileB};
@compute @workgroup_size(${TX}, ${TY})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let M = u(0u); let N = u(1u); let K = u(2u);
  let M4 = M / 4u; let N4 = N / 4u; let K4 = K / 4u;
  ${splits > 1 ? `let batch = group.z / ${splits}u; let split = group.z % ${splits}u;
  let kBegin = split * ${span}u; let kEnd = min(K, kBegin + ${span}u);
  let outBase = group.z * M * N;` : `let batch = group.z; let kBegin = 0u; let kEnd = K;
  let outBase = u(7u) + batch * u(9u);`}
  let aBase = (u(5u) + batch * u(3u)) / 4u;
  let bBase = (u(6u) + batch * u(4u)) / 4u;
  let row0 = group.y * ${TM}u;
  let col0 = group.x * ${TN}u;
  ${accs.map((a) => `var ${a} = vec4<f32>(0.0);`).join(' ')}
  for (var k0 = kBegin; k0 < kEnd; k0 += ${KT}u) {
    ${loadA}
    ${loadB}
    workgroupBarrier();
    for (var k4 = 0u; k4 < ${KT4}u; k4++) {
      ${reads.join('\n      ')}
      ${fmas.join('\n      ')}
    }
    workgroupBarrier();
  }
  ${storeBlockWgsl(R, true, true, splits > 1 ? 'OUT[outBase + row * N + col] = v;' : 'store(outBase, row, col, v);')}
}`;
}
