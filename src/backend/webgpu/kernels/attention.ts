// Fused scaled dot-product attention, flash-attention style: the Tq×Tk scores never exist in global memory.
//   q, dq: [B, H, Tq, Dk]   k, dk: [B, H, Tk, Dk]   v, dv: [B, H, Tk, Dv]   out, dOut: [B, H, Tq, Dv]
//   logSumExp: [B, H, Tq]   mask (optional): float32 over [B, H, Tq, Tk] by element strides (0 on broadcast axes)
// Forward: one invocation per query row, a workgroup per block of rows of one (batch, head); the workgroup
// stages tiles of K and V in workgroup memory and each row runs an online softmax over them (running max m,
// sum l), rescaling its output accumulator once per tile. Backward, with P = exp(S - logSumExp) recomputed
// tile by tile and D_i = Σ dOut_i·out_i (a row kernel first, packing logSumExp and D, so that no kernel binds
// more than 8 storage buffers, WebGPU's default per stage):
//   dS = P∘(dOut·vᵀ - D)   dq = scale·dS·k   (per query row, K/V tiles shared)
//   dk = scale·dSᵀ·q   dv = Pᵀ·dOut          (per key row, Q/dOut tiles shared)
// so every output row has one writer and no float atomics are needed. Masked pairs get no probability next
// to an allowed key (as Keras's -1e9 would); a row whose keys are all masked attends uniformly to every key
// and stores logSumExp -inf, and its constant scores pass no gradient to q or k (as the wasm kernels).
// Rows live in private arrays of vec4 sized by a power-of-two class of Dk and Dv (zero-padded, so dot
// products need no bounds checks); one pipeline per class, shapes in the uniforms.
import type { AttentionInfo } from '../../backend.js';
import { Words, type GpuExecutor } from '../executor.js';
import { Scratch } from '../scratch.js';
import { UNIFORM_BYTES, elementwiseKernel, header } from '../wgsl.js';
import { fill } from './elementwise.js';

/**
 * Rows (queries or keys) per workgroup, one invocation each: enough to share each staged tile widely, few
 * enough that a short sequence does not leave most of a workgroup idle.
 */
const ROWS_PER_GROUP = 64;
/** Keys (or queries) per staged tile at most: a row keeps one tile of scores in registers. */
const MAX_TILE = 32;
/** f32 bits of -inf: logSumExp's "every key masked" flag, compared as bits (WGSL may assume finite math). */
const NEG_INF_BITS = '0xff800000u';

interface Geometry {
  /** Invocations per workgroup (rows per block). */
  rows: number;
  /** Rows per staged tile. */
  tile: number;
  /** vec4s per q/k row and per v row (the padded depth classes / 4). */
  dk4: number;
  dv4: number;
}

/** A power of two ≥ d (≥ 4): the padded depth of the private row arrays. */
function depthClass(d: number): number {
  let c = 4;
  while (c < d) c *= 2;
  return c;
}

function geometry(exec: GpuExecutor, info: AttentionInfo, op: string): Geometry {
  const dk = depthClass(info.keyDim);
  const dv = depthClass(info.valueDim);
  // Two staged row tiles of dk and dv floats, plus one vec4 of statistics per row (the key-side backward).
  const bytesPerRow = 4 * (dk + dv) + 16;
  const tile = Math.min(MAX_TILE, Math.floor(exec.limits.maxComputeWorkgroupStorageSize / bytesPerRow));
  if (tile < 1) {
    throw new Error(`${op}: Dk ${info.keyDim} and Dv ${info.valueDim} need ${bytesPerRow} bytes of workgroup memory per row; ` +
      `this adapter has ${exec.limits.maxComputeWorkgroupStorageSize} (webgpu backend)`);
  }
  return { rows: Math.min(ROWS_PER_GROUP, exec.workgroupSize), tile, dk4: dk / 4, dv4: dv / 4 };
}

/** Uniform words: 0 heads, 1 Tq, 2 Tk, 3 Dk, 4 Dv, 5 scale, 6 causal, 7–10 mask strides b h i j, 11 groups, 12 blocks per head. */
function words(info: AttentionInfo, blocksPerHead: number): Words {
  const [sb, sh, si, sj] = info.maskStrides ?? [0, 0, 0, 0];
  const groups = info.batch * info.heads * blocksPerHead;
  return new Words().u(info.heads, info.queryLength, info.keyLength, info.keyDim, info.valueDim).f(info.scale)
    .u(info.causal ? 1 : 0, sb, sh, si, sj, groups, blocksPerHead);
}

/**
 * WGSL shared by the three tile kernels: the geometry constants, allowed_(i, j) (causal and mask), a vec4
 * loader per row buffer (zeros past the row's end: rows are not vec4-aligned), and the prologue of main that
 * finds this workgroup's (batch·head, first row) and returns from workgroups past the end (a uniform exit).
 */
function common(g: Geometry, masked: boolean, rowBuffers: string[]): string {
  const loaders = rowBuffers.map((name) => `
fn ${name}4(base: u32, d: u32, n: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) { if (d + c < n) { v[c] = ${name}[base + d + c]; } }
  return v;
}`).join('');
  return `const ROWS = ${g.rows}u;
const TILE = ${g.tile}u;
const DK4 = ${g.dk4}u;
const DV4 = ${g.dv4}u;
var<private> maskBase: u32;
fn allowed_(i: u32, j: u32) -> bool {
  if (u(6u) != 0u && j > i) { return false; }
  return ${masked ? 'MASK[maskBase + i * u(9u) + j * u(10u)] != 0.0' : 'true'};
}
fn sum4_(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }
${loaders}`;
}

const MAIN_PROLOGUE = `
  let g = group.x + group.y * groups.x;
  if (g >= u(11u)) { return; }
  let Tq = u(1u); let Tk = u(2u); let Dk = u(3u); let Dv = u(4u);
  let bh = g / u(12u);
  let first = (g % u(12u)) * ROWS;
  maskBase = (bh / u(0u)) * u(7u) + (bh % u(0u)) * u(8u);`;

const MAIN_SIGNATURE = `@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) li: u32)`;

/** WGSL: the workgroup copies rows [start, start + count) of a [*, n] buffer into a tile of `width` vec4s per row. */
function stageTile(tile: string, buffer: string, width: string, start: string, n: string): string {
  return `for (var e = li; e < count * ${width}; e += ROWS) {
      ${tile}[e] = ${buffer}4((${start} + e / ${width}) * ${n}, (e % ${width}) * 4u, ${n});
    }`;
}

/**
 * WGSL: K and V staged tile by tile in workgroup memory for a block of query rows, up to the keys its last query
 * may see (under a causal mask, first + ROWS - 1), running `perTile` (which sees start and count) on each tile.
 */
function overKeyTiles(perTile: string): string {
  return `let keyEnd = select(Tk, min(Tk, first + ROWS), u(6u) != 0u);
  for (var start = 0u; start < keyEnd; start += TILE) {
    let count = min(TILE, keyEnd - start);
    workgroupBarrier();
    ${stageTile('keys', 'K', 'DK4', 'bh * Tk + start', 'Dk')}
    ${stageTile('values', 'V', 'DV4', 'bh * Tk + start', 'Dv')}
    workgroupBarrier();
    ${perTile}
  }`;
}

/** Input declarations of a tile kernel: `names`, then the mask when there is one (its ids: withMask). */
function inputDecls(names: string[], masked: boolean): [string, 'f32'][] {
  return [...names, ...(masked ? ['MASK'] : [])].map((n) => [n, 'f32'] as [string, 'f32']);
}

function withMask(ids: number[], mask: number | undefined): number[] {
  return mask === undefined ? ids : [...ids, mask];
}

export function attention(exec: GpuExecutor, [out, logSumExp]: number[], q: number, k: number, v: number,
  mask: number | undefined, info: AttentionInfo): void {
  const { batch: B, heads: H, queryLength: Tq, valueDim: Dv } = info;
  exec.create(out, B * H * Tq * Dv);
  exec.create(logSumExp, B * H * Tq);
  if (B * H * Tq === 0) return;
  const g = geometry(exec, info, 'attention');
  const masked = mask !== undefined;
  const code = `${header(inputDecls(['Q', 'K', 'V'], masked), [['OUT', 'f32'], ['LSE', 'f32']])}
${common(g, masked, ['Q', 'K', 'V'])}
var<workgroup> keys: array<vec4<f32>, ${g.tile * g.dk4}>;
var<workgroup> values: array<vec4<f32>, ${g.tile * g.dv4}>;
var<private> query: array<vec4<f32>, DK4>;
var<private> acc: array<vec4<f32>, DV4>;
var<private> m: f32;
var<private> l: f32;
var<private> live: bool;
/** The online softmax over one staged tile of keys [start, start + count) for query i. */
fn attendTile(i: u32, start: u32, count: u32) {
  var scores: array<f32, TILE>;
  var allowedBits = 0u;
  var tileMax = 0.0;
  for (var c = 0u; c < count; c++) {
    if (!allowed_(i, start + c)) { continue; }
    var d4 = vec4<f32>(0.0);
    for (var d = 0u; d < DK4; d++) { d4 = fma(query[d], keys[c * DK4 + d], d4); }
    let s = sum4_(d4);
    scores[c] = s;
    tileMax = select(s, max(tileMax, s), allowedBits != 0u);
    allowedBits |= 1u << c;
  }
  if (allowedBits == 0u) { return; }
  let newMax = select(tileMax, max(m, tileMax), live);
  if (live) {
    let correction = exp(m - newMax);
    l *= correction;
    for (var d = 0u; d < DV4; d++) { acc[d] *= correction; }
  }
  m = newMax;
  live = true;
  for (var c = 0u; c < count; c++) {
    if ((allowedBits & (1u << c)) == 0u) { continue; }
    let p = exp(scores[c] - m);
    l += p;
    for (var d = 0u; d < DV4; d++) { acc[d] = fma(vec4<f32>(p), values[c * DV4 + d], acc[d]); }
  }
}
${MAIN_SIGNATURE} {
${MAIN_PROLOGUE}
  let i = first + li;
  let row = bh * Tq + i;
  if (i < Tq) { for (var d = 0u; d < DK4; d++) { query[d] = Q4(row * Dk, d * 4u, Dk) * f(5u); } }
  ${overKeyTiles('if (i < Tq) { attendTile(i, start, count); }')}
  if (i >= Tq) { return; }
  if (live) {
    LSE[row] = m + log(l);
  } else {
    // Every key masked: Keras's equal -1e9 scores attend uniformly to all Tk keys.
    for (var j = 0u; j < Tk; j++) { for (var d = 0u; d < DV4; d++) { acc[d] += V4((bh * Tk + j) * Dv, d * 4u, Dv); } }
    l = f32(Tk);
    LSE[row] = -inf_();
  }
  for (var d = 0u; d < DV4; d++) {
    let o = acc[d] / l;
    for (var c = 0u; c < 4u; c++) { if (d * 4u + c < Dv) { OUT[row * Dv + d * 4u + c] = o[c]; } }
  }
}`;
  const blocks = Math.ceil(Tq / g.rows);
  exec.dispatch({
    name: 'attention', code, inputs: withMask([q, k, v], mask), outputs: [out, logSumExp],
    uniforms: words(info, blocks), workgroups: exec.grid(B * H * blocks),
  });
}

/** STATS [rows, 4] = (logSumExp or 0, D = Σ dOut·out, 1 if every key is masked else 0, 0) per query row. */
function rowStatistics(exec: GpuExecutor, stats: number, out: number, logSumExp: number, dOut: number, rows: number, valueDim: number): void {
  const wg = exec.workgroupSize;
  const body = `
  let Dv = u(1u);
  var delta = 0.0;
  for (var d = 0u; d < Dv; d++) { delta += DOUT[i * Dv + d] * OUT[i * Dv + d]; }
  let fullyMasked = bitcast<u32>(LSE[i]) == ${NEG_INF_BITS};
  STATS[4u * i] = select(LSE[i], 0.0, fullyMasked);
  STATS[4u * i + 1u] = delta;
  STATS[4u * i + 2u] = select(0.0, 1.0, fullyMasked);
  STATS[4u * i + 3u] = 0.0;`;
  exec.dispatch({
    name: 'attentionGrad statistics', code: elementwiseKernel(header([['OUT', 'f32'], ['LSE', 'f32'], ['DOUT', 'f32']], [['STATS', 'f32']]), wg, 0, body),
    inputs: [out, logSumExp, dOut], outputs: [stats], uniforms: new Words().u(rows, valueDim), workgroups: exec.grid(Math.ceil(rows / wg)),
  });
}

/** dq per query row: K and V tiles staged as in the forward; fully masked rows get 0. */
function queryGradient(exec: GpuExecutor, dq: number, stats: number, q: number, k: number, v: number, mask: number | undefined,
  dOut: number, info: AttentionInfo, g: Geometry): void {
  const masked = mask !== undefined;
  const code = `${header(inputDecls(['Q', 'K', 'V', 'STATS', 'DOUT'], masked), [['DQ', 'f32']])}
${common(g, masked, ['Q', 'K', 'V', 'DOUT'])}
var<workgroup> keys: array<vec4<f32>, ${g.tile * g.dk4}>;
var<workgroup> values: array<vec4<f32>, ${g.tile * g.dv4}>;
var<private> query: array<vec4<f32>, DK4>;
var<private> upstream: array<vec4<f32>, DV4>;
var<private> grad: array<vec4<f32>, DK4>;
fn gradTile(i: u32, start: u32, count: u32, lse: f32, delta: f32) {
  for (var c = 0u; c < count; c++) {
    if (!allowed_(i, start + c)) { continue; }
    var s4 = vec4<f32>(0.0);
    for (var d = 0u; d < DK4; d++) { s4 = fma(query[d], keys[c * DK4 + d], s4); }
    var dp4 = vec4<f32>(0.0);
    for (var d = 0u; d < DV4; d++) { dp4 = fma(upstream[d], values[c * DV4 + d], dp4); }
    let ds = exp(sum4_(s4) - lse) * (sum4_(dp4) - delta);
    for (var d = 0u; d < DK4; d++) { grad[d] = fma(vec4<f32>(ds), keys[c * DK4 + d], grad[d]); }
  }
}
${MAIN_SIGNATURE} {
${MAIN_PROLOGUE}
  let i = first + li;
  let row = bh * Tq + i;
  var attends = false;
  var lse = 0.0; var delta = 0.0;
  if (i < Tq) {
    attends = STATS[4u * row + 2u] == 0.0;
    lse = STATS[4u * row]; delta = STATS[4u * row + 1u];
    for (var d = 0u; d < DK4; d++) { query[d] = Q4(row * Dk, d * 4u, Dk) * f(5u); }
    for (var d = 0u; d < DV4; d++) { upstream[d] = DOUT4(row * Dv, d * 4u, Dv); }
  }
  ${overKeyTiles('if (attends) { gradTile(i, start, count, lse, delta); }')}
  if (i >= Tq) { return; }
  for (var d = 0u; d < DK4; d++) {
    let x = grad[d] * f(5u);
    for (var c = 0u; c < 4u; c++) { if (d * 4u + c < Dk) { DQ[row * Dk + d * 4u + c] = x[c]; } }
  }
}`;
  const blocks = Math.ceil(info.queryLength / g.rows);
  exec.dispatch({
    name: 'attentionGrad dq', code, inputs: withMask([q, k, v, stats, dOut], mask), outputs: [dq],
    uniforms: words(info, blocks), workgroups: exec.grid(info.batch * info.heads * blocks),
  });
}

/** dk and/or dv per key row: Q, dOut and statistics tiles staged; a fully masked query adds dOut/Tk to every dv. */
function keyValueGradient(exec: GpuExecutor, dk: number | undefined, dv: number | undefined, stats: number, q: number, k: number, v: number,
  mask: number | undefined, dOut: number, info: AttentionInfo, g: Geometry): void {
  const masked = mask !== undefined;
  const wantK = dk !== undefined;
  const wantV = dv !== undefined;
  const outputs: [string, 'f32'][] = [];
  if (wantK) outputs.push(['DK', 'f32']);
  if (wantV) outputs.push(['DV', 'f32']);
  const writeRow = (buffer: string, acc: string, width: string, n: string, factor: string) => `
  for (var d = 0u; d < ${width}; d++) {
    let x = ${acc}[d]${factor};
    for (var c = 0u; c < 4u; c++) { if (d * 4u + c < ${n}) { ${buffer}[row * ${n} + d * 4u + c] = x[c]; } }
  }`;
  const code = `${header(inputDecls(['Q', 'K', 'V', 'STATS', 'DOUT'], masked), outputs)}
${common(g, masked, ['Q', 'K', 'V', 'STATS', 'DOUT'])}
var<workgroup> queries: array<vec4<f32>, ${g.tile * g.dk4}>;
var<workgroup> upstream: array<vec4<f32>, ${g.tile * g.dv4}>;
var<workgroup> rowStats: array<vec4<f32>, ${g.tile}>;
var<private> key: array<vec4<f32>, DK4>;
var<private> value: array<vec4<f32>, DV4>;
var<private> dkAcc: array<vec4<f32>, DK4>;
var<private> dvAcc: array<vec4<f32>, DV4>;
fn gradTile(j: u32, start: u32, count: u32, uniformWeight: f32) {
  for (var c = 0u; c < count; c++) {
    let stats = rowStats[c];
    if (stats.z != 0.0) {
      ${wantV ? 'for (var d = 0u; d < DV4; d++) { dvAcc[d] = fma(vec4<f32>(uniformWeight), upstream[c * DV4 + d], dvAcc[d]); }' : ''}
      continue;
    }
    if (!allowed_(start + c, j)) { continue; }
    var s4 = vec4<f32>(0.0);
    for (var d = 0u; d < DK4; d++) { s4 = fma(key[d], queries[c * DK4 + d], s4); }
    let p = exp(sum4_(s4) - stats.x);
    ${wantV ? 'for (var d = 0u; d < DV4; d++) { dvAcc[d] = fma(vec4<f32>(p), upstream[c * DV4 + d], dvAcc[d]); }' : ''}
    ${wantK ? `var dp4 = vec4<f32>(0.0);
    for (var d = 0u; d < DV4; d++) { dp4 = fma(value[d], upstream[c * DV4 + d], dp4); }
    let ds = p * (sum4_(dp4) - stats.y);
    for (var d = 0u; d < DK4; d++) { dkAcc[d] = fma(vec4<f32>(ds), queries[c * DK4 + d], dkAcc[d]); }` : ''}
  }
}
${MAIN_SIGNATURE} {
${MAIN_PROLOGUE}
  let j = first + li;
  let row = bh * Tk + j;
  if (j < Tk) {
    for (var d = 0u; d < DK4; d++) { key[d] = K4(row * Dk, d * 4u, Dk) * f(5u); }
    ${wantK ? 'for (var d = 0u; d < DV4; d++) { value[d] = V4(row * Dv, d * 4u, Dv); }' : ''}
  }
  // Under a causal mask, queries before the block's first key see none of its keys, unless a mask may leave
  // a row fully masked (such rows attend to every key).
  let queryStart = ${masked ? '0u' : 'select(0u, first, u(6u) != 0u)'};
  let uniformWeight = 1.0 / f32(Tk);
  for (var start = queryStart; start < Tq; start += TILE) {
    let count = min(TILE, Tq - start);
    workgroupBarrier();
    ${stageTile('queries', 'Q', 'DK4', 'bh * Tq + start', 'Dk')}
    ${stageTile('upstream', 'DOUT', 'DV4', 'bh * Tq + start', 'Dv')}
    ${stageTile('rowStats', 'STATS', '1u', 'bh * Tq + start', '4u')}
    workgroupBarrier();
    if (j < Tk) { gradTile(j, start, count, uniformWeight); }
  }
  if (j >= Tk) { return; }
  ${wantK ? writeRow('DK', 'dkAcc', 'DK4', 'Dk', ' * f(5u)') : ''}
  ${wantV ? writeRow('DV', 'dvAcc', 'DV4', 'Dv', '') : ''}
}`;
  const blocks = Math.ceil(info.keyLength / g.rows);
  const outIds = [...(wantK ? [dk] : []), ...(wantV ? [dv] : [])] as number[];
  exec.dispatch({
    name: 'attentionGrad dk dv', code, inputs: withMask([q, k, v, stats, dOut], mask), outputs: outIds,
    uniforms: words(info, blocks), workgroups: exec.grid(info.batch * info.heads * blocks),
  });
}

export function attentionGrad(exec: GpuExecutor, [dq, dk, dv]: number[], q: number, k: number, v: number, mask: number | undefined,
  out: number, logSumExp: number, dOut: number, info: AttentionInfo, needs: { q: boolean; k: boolean; v: boolean }): void {
  const { batch: B, heads: H, queryLength: Tq, keyLength: Tk, keyDim: Dk, valueDim: Dv } = info;
  // Only the gradients asked for exist; the backend frees the others' ids, which were never created here.
  const gradients = [[dq, needs.q, B * H * Tq * Dk], [dk, needs.k, B * H * Tk * Dk], [dv, needs.v, B * H * Tk * Dv]] as const;
  if (B * H * Tq === 0 || Tk === 0) {
    // No query attends any key: the gradients asked for are zeros.
    for (const [id, wanted, size] of gradients) if (wanted) fill(exec, [id], size, 0, 'float32');
    return;
  }
  for (const [id, wanted, size] of gradients) if (wanted) exec.create(id, size);
  if (!(needs.q || needs.k || needs.v)) return;
  const g = geometry(exec, info, 'attentionGrad');
  const scratch = new Scratch(exec);
  try {
    const stats = scratch.create(B * H * Tq * 4);
    rowStatistics(exec, stats, out, logSumExp, dOut, B * H * Tq, Dv);
    if (needs.q) queryGradient(exec, dq, stats, q, k, v, mask, dOut, info, g);
    if (needs.k || needs.v) keyValueGradient(exec, needs.k ? dk : undefined, needs.v ? dv : undefined, stats, q, k, v, mask, dOut, info, g);
  } finally {
    scratch.freeAll();
  }
}
