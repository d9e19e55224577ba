// Fused scaled dot-product attention, flash-attention style: the Tq×Tk score matrix never exists. Forward,
// per block of 8 query rows: keys are visited in tiles of `keyTile`; a tile's scores sit in the thread's
// workspace and an online softmax (running max m, running sum l) rescales the output accumulated so far
// whenever the max grows. Only the log-sum-exp of each row is kept; the backward recomputes the
// probabilities from it.
//   q: [B, H, Tq, Dk]   k: [B, H, Tk, Dk]   v: [B, H, Tk, Dv]   out, dOut: [B, H, Tq, Dv]
//   logSumExp, rowDelta: [B, H, Tq]      dq: like q   dk: like k   dv: like v
//   mask (pointer 0 = none): float32 over [B, H, Tq, Tk] addressed by element strides (0 on broadcast axes);
//   nonzero = may attend. causal: query i sees keys j <= i (Keras's lower-triangular use_causal_mask).
// Masked scores count as -1e9, as Keras adds: they get no probability next to an unmasked key, and a row whose
// keys are all masked attends uniformly to every key. Such a row stores logSumExp = -inf as a flag: its
// probabilities are 1/Tk and no gradient reaches q or k from it (its scores are constants).
import { expV, logV, madd } from './vmath';

const MASKED_SCORE: f32 = -1e9;

// @ts-ignore: decorator
@inline function vec4(a: f32, b: f32, c: f32, d: f32): v128 {
  let v = f32x4.splat(a);
  v = f32x4.replace_lane(v, 1, b);
  v = f32x4.replace_lane(v, 2, c);
  return f32x4.replace_lane(v, 3, d);
}

/** All-ones lanes where the flag is set, zero elsewhere: a bit mask for v128.and. */
// @ts-ignore: decorator
@inline function laneMask(a: bool, b: bool, c: bool, d: bool): v128 {
  let v = i32x4.splat(a ? -1 : 0);
  v = i32x4.replace_lane(v, 1, b ? -1 : 0);
  v = i32x4.replace_lane(v, 2, c ? -1 : 0);
  return i32x4.replace_lane(v, 3, d ? -1 : 0);
}

/** [Σ a·b0, Σ a·b1, Σ a·b2, Σ a·b3] over n floats: four dot products sharing the loads of a. */
// @ts-ignore: decorator
@inline function dot4(a: usize, b0: usize, b1: usize, b2: usize, b3: usize, n: i32): v128 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const offset = <usize>d << 2;
    const av = v128.load(a + offset);
    acc0 = madd(av, v128.load(b0 + offset), acc0);
    acc1 = madd(av, v128.load(b1 + offset), acc1);
    acc2 = madd(av, v128.load(b2 + offset), acc2);
    acc3 = madd(av, v128.load(b3 + offset), acc3);
  }
  // Transpose-and-add: lane t of the result is the horizontal sum of acc_t.
  const low01 = f32x4.add(i32x4.shuffle(acc0, acc1, 0, 4, 1, 5), i32x4.shuffle(acc0, acc1, 2, 6, 3, 7));
  const low23 = f32x4.add(i32x4.shuffle(acc2, acc3, 0, 4, 1, 5), i32x4.shuffle(acc2, acc3, 2, 6, 3, 7));
  let sums = f32x4.add(i32x4.shuffle(low01, low23, 0, 1, 4, 5), i32x4.shuffle(low01, low23, 2, 3, 6, 7));
  if (d < n) {
    let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
    for (; d < n; d++) {
      const offset = <usize>d << 2;
      const av = load<f32>(a + offset);
      t0 += av * load<f32>(b0 + offset);
      t1 += av * load<f32>(b1 + offset);
      t2 += av * load<f32>(b2 + offset);
      t3 += av * load<f32>(b3 + offset);
    }
    sums = f32x4.add(sums, vec4(t0, t1, t2, t3));
  }
  return sums;
}

/** o += w0·x0 + w1·x1 + w2·x2 + w3·x3 over n floats, w = the lanes of `weights`. */
// @ts-ignore: decorator
@inline function accumulate4(o: usize, weights: v128, x0: usize, x1: usize, x2: usize, x3: usize, n: i32): void {
  const w0 = i32x4.shuffle(weights, weights, 0, 0, 0, 0);
  const w1 = i32x4.shuffle(weights, weights, 1, 1, 1, 1);
  const w2 = i32x4.shuffle(weights, weights, 2, 2, 2, 2);
  const w3 = i32x4.shuffle(weights, weights, 3, 3, 3, 3);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const offset = <usize>d << 2;
    let acc = v128.load(o + offset);
    acc = madd(w0, v128.load(x0 + offset), acc);
    acc = madd(w1, v128.load(x1 + offset), acc);
    acc = madd(w2, v128.load(x2 + offset), acc);
    acc = madd(w3, v128.load(x3 + offset), acc);
    v128.store(o + offset, acc);
  }
  if (d < n) {
    const s0 = f32x4.extract_lane(weights, 0);
    const s1 = f32x4.extract_lane(weights, 1);
    const s2 = f32x4.extract_lane(weights, 2);
    const s3 = f32x4.extract_lane(weights, 3);
    for (; d < n; d++) {
      const offset = <usize>d << 2;
      store<f32>(o + offset, load<f32>(o + offset) + s0 * load<f32>(x0 + offset) + s1 * load<f32>(x1 + offset)
        + s2 * load<f32>(x2 + offset) + s3 * load<f32>(x3 + offset));
    }
  }
}

// @ts-ignore: decorator
@inline function scaleRow(o: usize, factor: f32, n: i32): void {
  const vf = f32x4.splat(factor);
  let d = 0;
  for (; d + 4 <= n; d += 4) v128.store(o + (<usize>d << 2), f32x4.mul(v128.load(o + (<usize>d << 2)), vf));
  for (; d < n; d++) store<f32>(o + (<usize>d << 2), load<f32>(o + (<usize>d << 2)) * factor);
}

// @ts-ignore: decorator
@inline function zeroRow(o: usize, n: i32): void {
  memory.fill(o, 0, <usize>n << 2);
}

// @ts-ignore: decorator
@inline function scalarExp(x: f32): f32 {
  return f32x4.extract_lane(expV(f32x4.splat(x)), 0);
}

/** True when query i may not attend key j (causal or the mask says 0). maskRow already points at query i. */
// @ts-ignore: decorator
@inline function isMasked(causal: i32, i: i32, j: i32, maskRow: usize, maskStrideKey: i32): bool {
  if (causal && j > i) return true;
  return maskRow != 0 && load<f32>(maskRow + (<usize>(j * maskStrideKey) << 2)) == 0;
}

/** Queries per block: the lanes of two f32x4, so the online softmax runs across 8 queries at once. */
const QUERY_BLOCK: i32 = 8;
/** Keys per register tile of the scores: 6 keys × 8 queries = 12 accumulators (the GEMM's 6×8 tile). */
const KEY_STEP: i32 = 6;

/** Rows of the transposed score tile: keyTile rounded up to whole register tiles. */
// @ts-ignore: decorator
@inline function paddedTile(keyTile: i32): i32 {
  return (keyTile + KEY_STEP - 1) / KEY_STEP * KEY_STEP;
}

/**
 * out = softmax(scale·q·kᵀ, masked)·v and logSumExp per query row, flash-attention style: a block of up to
 * 8 query rows of one (batch, head) walks the keys tile by tile. Per tile: Sᵀ [keys][8 queries] = K·Qᵀ in
 * 6×8 register tiles, the online softmax updates the 8 running maxima and sums as vectors (queries in
 * lanes), and O += P·V in 4×8 register tiles. workspace (floats): Qᵀ block [Dk][8] + Sᵀ [tile][8] + 8
 * correction factors, tile = keyTile rounded up to a multiple of 6. Units: query rows of [B·H·Tq].
 */
export function attention(
  q: usize, k: usize, v: usize, mask: usize, out: usize, logSumExp: usize,
  heads: i32, queryLength: i32, keyLength: i32, keyDim: i32, valueDim: i32, scale: f32, causal: i32,
  maskStrideBatch: i32, maskStrideHead: i32, maskStrideQuery: i32, maskStrideKey: i32, keyTile: i32,
  workspace: usize, start: i32, end: i32,
): void {
  const packedQueries = workspace;                                             // [Dk][8], scaled
  const scoresT = packedQueries + (<usize>(keyDim * QUERY_BLOCK) << 2);        // [tile][8]
  const rowScale = scoresT + (<usize>(paddedTile(keyTile) * QUERY_BLOCK) << 2);  // [8]
  let r = start;
  while (r < end) {
    const bh = r / queryLength;
    const firstQuery = r - bh * queryLength;
    const rows = min(QUERY_BLOCK, min(end - r, queryLength - firstQuery));
    attendBlock(q, k, v, mask, out, logSumExp, heads, queryLength, keyLength, keyDim, valueDim, scale, causal,
      maskStrideBatch, maskStrideHead, maskStrideQuery, maskStrideKey, keyTile, packedQueries, scoresT, rowScale,
      r, bh, firstQuery, rows);
    r += rows;
  }
}

/** One block of `rows` (≤ 8) query rows starting at flattened row r (query firstQuery of head bh). */
function attendBlock(
  q: usize, k: usize, v: usize, mask: usize, out: usize, logSumExp: usize,
  heads: i32, queryLength: i32, keyLength: i32, keyDim: i32, valueDim: i32, scale: f32, causal: i32,
  maskStrideBatch: i32, maskStrideHead: i32, maskStrideQuery: i32, maskStrideKey: i32, keyTile: i32,
  packedQueries: usize, scoresT: usize, rowScale: usize, r: i32, bh: i32, firstQuery: i32, rows: i32,
): void {
  const keyBytes = <usize>keyDim << 2;
  const valueBytes = <usize>valueDim << 2;
  const keys = k + <usize>bh * <usize>keyLength * keyBytes;
  const values = v + <usize>bh * <usize>keyLength * valueBytes;
  const outBlock = out + <usize>r * valueBytes;
  const b = bh / heads;
  const h = bh - b * heads;
  const maskHead = mask ? mask + (<usize>(b * maskStrideBatch + h * maskStrideHead) << 2) : 0;
  // Qᵀ block [Dk][8] times scale; lanes past the block repeat the last row.
  for (let t = 0; t < QUERY_BLOCK; t++) {
    const queryRow = q + <usize>(r + min(t, rows - 1)) * keyBytes;
    for (let d = 0; d < keyDim; d++) {
      store<f32>(packedQueries + (<usize>(d * QUERY_BLOCK + t) << 2), load<f32>(queryRow + (<usize>d << 2)) * scale);
    }
  }
  memory.fill(outBlock, 0, <usize>rows * valueBytes);
  let max0 = f32x4.splat(-Infinity), max1 = f32x4.splat(-Infinity);
  let sum0 = f32x4.splat(0), sum1 = f32x4.splat(0);
  let live: i32 = 0; // bit t: query t has an unmasked key
  // The block's last query sees keys up to firstQuery + rows - 1 under a causal mask.
  const keyEnd = causal ? min(keyLength, firstQuery + rows) : keyLength;
  for (let tileStart = 0; tileStart < keyEnd; tileStart += keyTile) {
    const count = min(keyTile, keyEnd - tileStart);
    const tileKeys = keys + <usize>tileStart * keyBytes;
    scoreTileTransposed(packedQueries, tileKeys, keyDim, count, scoresT);
    if (causal != 0 || mask != 0) {
      for (let t = 0; t < rows; t++) {
        const query = firstQuery + t;
        const maskRow = mask ? maskHead + (<usize>(query * maskStrideQuery) << 2) : 0;
        for (let c = 0; c < count; c++) {
          if (isMasked(causal, query, tileStart + c, maskRow, maskStrideKey)) {
            store<f32>(scoresT + (<usize>(c * QUERY_BLOCK + t) << 2), MASKED_SCORE);
          } else live |= 1 << t;
        }
      }
    } else live = (1 << rows) - 1;
    // Online softmax with the 8 queries in lanes.
    let tileMax0 = f32x4.splat(-Infinity), tileMax1 = f32x4.splat(-Infinity);
    for (let c = 0; c < count; c++) {
      const row = scoresT + (<usize>(c * QUERY_BLOCK) << 2);
      tileMax0 = f32x4.max(tileMax0, v128.load(row));
      tileMax1 = f32x4.max(tileMax1, v128.load(row, 16));
    }
    const newMax0 = f32x4.max(max0, tileMax0), newMax1 = f32x4.max(max1, tileMax1);
    // exp(-inf - m) = 0: the first tile's correction wipes nothing but zeros.
    const correction0 = expV(f32x4.sub(max0, newMax0)), correction1 = expV(f32x4.sub(max1, newMax1));
    max0 = newMax0;
    max1 = newMax1;
    let tileSum0 = f32x4.splat(0), tileSum1 = f32x4.splat(0);
    for (let c = 0; c < count; c++) {
      const row = scoresT + (<usize>(c * QUERY_BLOCK) << 2);
      const p0 = expV(f32x4.sub(v128.load(row), newMax0));
      const p1 = expV(f32x4.sub(v128.load(row, 16), newMax1));
      v128.store(row, p0);
      v128.store(row, p1, 16);
      tileSum0 = f32x4.add(tileSum0, p0);
      tileSum1 = f32x4.add(tileSum1, p1);
    }
    sum0 = madd(sum0, correction0, tileSum0);
    sum1 = madd(sum1, correction1, tileSum1);
    v128.store(rowScale, correction0);
    v128.store(rowScale, correction1, 16);
    accumulateQueries(scoresT, rowScale, 0, rows, count, values + <usize>tileStart * valueBytes, valueDim, outBlock);
    if (rows > 4) accumulateQueries(scoresT, rowScale, 4, rows, count, values + <usize>tileStart * valueBytes, valueDim, outBlock);
  }
  // Row sums and maxima back to scalars through the (now free) correction slots.
  for (let t = 0; t < rows; t++) {
    const outRow = outBlock + <usize>t * valueBytes;
    const at = logSumExp + (<usize>(r + t) << 2);
    if (live & (1 << t)) {
      v128.store(rowScale, sum0);
      v128.store(rowScale, sum1, 16);
      const sum = load<f32>(rowScale + (<usize>t << 2));
      v128.store(rowScale, max0);
      v128.store(rowScale, max1, 16);
      const rowMax = load<f32>(rowScale + (<usize>t << 2));
      scaleRow(outRow, 1.0 / sum, valueDim);
      store<f32>(at, rowMax + f32x4.extract_lane(logV(f32x4.splat(sum)), 0));
    } else {
      // Every key masked: uniform attention over all keys (Keras's -1e9 scores are all equal).
      memory.fill(outRow, 0, valueBytes);
      const w: f32 = 1.0 / <f32>keyLength;
      for (let j = 0; j < keyLength; j += 4) {
        const v0 = values + <usize>j * valueBytes;
        const v1 = j + 1 < keyLength ? v0 + valueBytes : v0;
        const v2 = j + 2 < keyLength ? v0 + 2 * valueBytes : v0;
        const v3 = j + 3 < keyLength ? v0 + 3 * valueBytes : v0;
        accumulate4(outRow, vec4(w, j + 1 < keyLength ? w : 0, j + 2 < keyLength ? w : 0, j + 3 < keyLength ? w : 0), v0, v1, v2, v3, valueDim);
      }
      store<f32>(at, -Infinity);
    }
  }
}

/**
 * Sᵀ [count][8] = K tile [count][Dk] · Qᵀ block [Dk][8], 6 keys × 8 queries of accumulators at a time (key
 * pointers past the tile repeat its last key; those rows of Sᵀ are written but never read).
 */
// @ts-ignore: decorator
@inline function scoreTileTransposed(packedQueries: usize, tileKeys: usize, keyDim: i32, count: i32, scoresT: usize): void {
  const keyBytes = <usize>keyDim << 2;
  const lastKey = tileKeys + <usize>(count - 1) * keyBytes;
  for (let c = 0; c < count; c += KEY_STEP) {
    const k0 = tileKeys + <usize>c * keyBytes;
    const k1 = min(k0 + keyBytes, lastKey), k2 = min(k0 + 2 * keyBytes, lastKey), k3 = min(k0 + 3 * keyBytes, lastKey);
    const k4 = min(k0 + 4 * keyBytes, lastKey), k5 = min(k0 + 5 * keyBytes, lastKey);
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
    let bp = packedQueries;
    for (let d: usize = 0; d < keyBytes; d += 4) {
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      let av = v128.load32_splat(k0 + d);
      c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
      av = v128.load32_splat(k1 + d);
      c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
      av = v128.load32_splat(k2 + d);
      c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
      av = v128.load32_splat(k3 + d);
      c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
      av = v128.load32_splat(k4 + d);
      c40 = madd(av, b0, c40); c41 = madd(av, b1, c41);
      av = v128.load32_splat(k5 + d);
      c50 = madd(av, b0, c50); c51 = madd(av, b1, c51);
      bp += 32;
    }
    const s = scoresT + (<usize>(c * QUERY_BLOCK) << 2);
    v128.store(s, c00); v128.store(s, c01, 16);
    v128.store(s, c10, 32); v128.store(s, c11, 48);
    v128.store(s, c20, 64); v128.store(s, c21, 80);
    v128.store(s, c30, 96); v128.store(s, c31, 112);
    v128.store(s, c40, 128); v128.store(s, c41, 144);
    v128.store(s, c50, 160); v128.store(s, c51, 176);
  }
}

/**
 * O rows first…first+3 = O·correction + P·V over `count` keys: 4 queries × 8 columns of accumulators, then 4
 * columns, then 1. P[query t][key j] is Pᵀ[j][t]. Queries past the block repeat the last one (same lane of P,
 * same correction, same O row: the same result stored twice).
 */
// @ts-ignore: decorator
@inline function accumulateQueries(
  probabilitiesT: usize, rowScale: usize, first: i32, rows: i32, count: i32, values: usize, valueDim: i32, outBlock: usize,
): void {
  const valueBytes = <usize>valueDim << 2;
  const t0 = <usize>first, t1 = <usize>min(first + 1, rows - 1), t2 = <usize>min(first + 2, rows - 1), t3 = <usize>min(first + 3, rows - 1);
  const o0 = outBlock + t0 * valueBytes, o1 = outBlock + t1 * valueBytes;
  const o2 = outBlock + t2 * valueBytes, o3 = outBlock + t3 * valueBytes;
  const p0 = probabilitiesT + (t0 << 2), p1 = probabilitiesT + (t1 << 2), p2 = probabilitiesT + (t2 << 2), p3 = probabilitiesT + (t3 << 2);
  const s0 = v128.load32_splat(rowScale + (t0 << 2)), s1 = v128.load32_splat(rowScale + (t1 << 2));
  const s2 = v128.load32_splat(rowScale + (t2 << 2)), s3 = v128.load32_splat(rowScale + (t3 << 2));
  const pStep = <usize>(QUERY_BLOCK << 2);
  let col = 0;
  for (; col + 8 <= valueDim; col += 8) {
    const off = <usize>col << 2;
    let c00 = f32x4.mul(v128.load(o0 + off), s0), c01 = f32x4.mul(v128.load(o0 + off, 16), s0);
    let c10 = f32x4.mul(v128.load(o1 + off), s1), c11 = f32x4.mul(v128.load(o1 + off, 16), s1);
    let c20 = f32x4.mul(v128.load(o2 + off), s2), c21 = f32x4.mul(v128.load(o2 + off, 16), s2);
    let c30 = f32x4.mul(v128.load(o3 + off), s3), c31 = f32x4.mul(v128.load(o3 + off, 16), s3);
    let vp = values + off;
    let pj: usize = 0;
    for (let j = 0; j < count; j++) {
      const b0 = v128.load(vp);
      const b1 = v128.load(vp, 16);
      let av = v128.load32_splat(p0 + pj);
      c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
      av = v128.load32_splat(p1 + pj);
      c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
      av = v128.load32_splat(p2 + pj);
      c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
      av = v128.load32_splat(p3 + pj);
      c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
      vp += valueBytes;
      pj += pStep;
    }
    v128.store(o0 + off, c00); v128.store(o0 + off, c01, 16);
    v128.store(o1 + off, c10); v128.store(o1 + off, c11, 16);
    v128.store(o2 + off, c20); v128.store(o2 + off, c21, 16);
    v128.store(o3 + off, c30); v128.store(o3 + off, c31, 16);
  }
  for (; col + 4 <= valueDim; col += 4) {
    const off = <usize>col << 2;
    let c0 = f32x4.mul(v128.load(o0 + off), s0), c1 = f32x4.mul(v128.load(o1 + off), s1);
    let c2 = f32x4.mul(v128.load(o2 + off), s2), c3 = f32x4.mul(v128.load(o3 + off), s3);
    let vp = values + off;
    let pj: usize = 0;
    for (let j = 0; j < count; j++) {
      const b0 = v128.load(vp);
      c0 = madd(v128.load32_splat(p0 + pj), b0, c0);
      c1 = madd(v128.load32_splat(p1 + pj), b0, c1);
      c2 = madd(v128.load32_splat(p2 + pj), b0, c2);
      c3 = madd(v128.load32_splat(p3 + pj), b0, c3);
      vp += valueBytes;
      pj += pStep;
    }
    v128.store(o0 + off, c0); v128.store(o1 + off, c1); v128.store(o2 + off, c2); v128.store(o3 + off, c3);
  }
  for (; col < valueDim; col++) {
    const off = <usize>col << 2;
    for (let t = first; t < min(first + 4, rows); t++) {
      const outAt = outBlock + <usize>t * valueBytes + off;
      let acc = load<f32>(outAt) * load<f32>(rowScale + (<usize>t << 2));
      for (let j = 0; j < count; j++) {
        acc += load<f32>(probabilitiesT + (<usize>(j * QUERY_BLOCK + t) << 2)) * load<f32>(values + <usize>j * valueBytes + off);
      }
      store<f32>(outAt, acc);
    }
  }
}

/**
 * Backward for q: rowDelta = Σ dOut·out per row (kept for attentionGradKeyValue), and
 * dq = scale · Σj p·(dOut·v_j - rowDelta) · k_j over the unmasked keys. Units: query rows of [B·H·Tq].
 */
export function attentionGradQuery(
  q: usize, k: usize, v: usize, out: usize, dOut: usize, logSumExp: usize, mask: usize, rowDelta: usize, dq: usize,
  heads: i32, queryLength: i32, keyLength: i32, keyDim: i32, valueDim: i32, scale: f32, causal: i32,
  maskStrideBatch: i32, maskStrideHead: i32, maskStrideQuery: i32, maskStrideKey: i32,
  start: i32, end: i32,
): void {
  const keyBytes = <usize>keyDim << 2;
  const valueBytes = <usize>valueDim << 2;
  const vscale = f32x4.splat(scale);
  for (let r = start; r < end; r++) {
    const bh = r / queryLength;
    const i = r - bh * queryLength;
    const b = bh / heads;
    const h = bh - b * heads;
    const qRow = q + <usize>r * keyBytes;
    const dOutRow = dOut + <usize>r * valueBytes;
    const dqRow = dq + <usize>r * keyBytes;
    const keys = k + <usize>bh * <usize>keyLength * keyBytes;
    const values = v + <usize>bh * <usize>keyLength * valueBytes;
    const maskRow = mask ? mask + (<usize>(b * maskStrideBatch + h * maskStrideHead + i * maskStrideQuery) << 2) : 0;
    const outRow = out + <usize>r * valueBytes;
    const delta = f32x4.extract_lane(dot4(dOutRow, outRow, outRow, outRow, outRow, valueDim), 0);
    store<f32>(rowDelta + (<usize>r << 2), delta);
    zeroRow(dqRow, keyDim);
    const lse = load<f32>(logSumExp + (<usize>r << 2));
    if (lse == -Infinity) continue; // fully masked: constant scores
    const vlse = f32x4.splat(lse);
    const vdelta = f32x4.splat(delta);
    const keyEnd = causal ? min(keyLength, i + 1) : keyLength;
    for (let j = 0; j < keyEnd; j += 4) {
      const k0 = keys + <usize>j * keyBytes;
      const k1 = j + 1 < keyEnd ? k0 + keyBytes : k0;
      const k2 = j + 2 < keyEnd ? k0 + 2 * keyBytes : k0;
      const k3 = j + 3 < keyEnd ? k0 + 3 * keyBytes : k0;
      const v0 = values + <usize>j * valueBytes;
      const v1 = j + 1 < keyEnd ? v0 + valueBytes : v0;
      const v2 = j + 2 < keyEnd ? v0 + 2 * valueBytes : v0;
      const v3 = j + 3 < keyEnd ? v0 + 3 * valueBytes : v0;
      const p = expV(f32x4.sub(f32x4.mul(dot4(qRow, k0, k1, k2, k3, keyDim), vscale), vlse));
      const dp = dot4(dOutRow, v0, v1, v2, v3, valueDim);
      const keep = laneMask(
        !isMasked(causal, i, j, maskRow, maskStrideKey),
        j + 1 < keyEnd && !isMasked(causal, i, j + 1, maskRow, maskStrideKey),
        j + 2 < keyEnd && !isMasked(causal, i, j + 2, maskRow, maskStrideKey),
        j + 3 < keyEnd && !isMasked(causal, i, j + 3, maskRow, maskStrideKey));
      // and, not multiply: a masked score may be huge, and inf·0 would be NaN.
      const ds = v128.and(f32x4.mul(f32x4.mul(p, f32x4.sub(dp, vdelta)), vscale), keep);
      accumulate4(dqRow, ds, k0, k1, k2, k3, keyDim);
    }
  }
}

/**
 * Backward for k and v, after attentionGradQuery has written rowDelta: for key j,
 * dv_j = Σi p_ij·dOut_i and dk_j = scale · Σi p_ij·(dOut_i·v_j - rowDelta_i)·q_i. Units: key rows of [B·H·Tk].
 */
export function attentionGradKeyValue(
  q: usize, k: usize, v: usize, dOut: usize, logSumExp: usize, mask: usize, rowDelta: usize, dk: usize, dv: usize,
  heads: i32, queryLength: i32, keyLength: i32, keyDim: i32, valueDim: i32, scale: f32, causal: i32,
  maskStrideBatch: i32, maskStrideHead: i32, maskStrideQuery: i32, maskStrideKey: i32,
  start: i32, end: i32,
): void {
  const keyBytes = <usize>keyDim << 2;
  const valueBytes = <usize>valueDim << 2;
  const vscale = f32x4.splat(scale);
  const uniform: f32 = 1.0 / <f32>keyLength;
  for (let u = start; u < end; u++) {
    const bh = u / keyLength;
    const j = u - bh * keyLength;
    const b = bh / heads;
    const h = bh - b * heads;
    const keyRow = k + <usize>u * keyBytes;
    const valueRow = v + <usize>u * valueBytes;
    const dkRow = dk + <usize>u * keyBytes;
    const dvRow = dv + <usize>u * valueBytes;
    zeroRow(dkRow, keyDim);
    zeroRow(dvRow, valueDim);
    const firstRow = bh * queryLength;
    const maskBase = mask ? mask + (<usize>(b * maskStrideBatch + h * maskStrideHead + j * maskStrideKey) << 2) : 0;
    const maskQueryBytes = <usize>maskStrideQuery << 2;
    for (let i = 0; i < queryLength; i += 4) {
      let lse0: f32 = 0, lse1: f32 = 0, lse2: f32 = 0, lse3: f32 = 0;
      let delta0: f32 = 0, delta1: f32 = 0, delta2: f32 = 0, delta3: f32 = 0;
      let full0 = false, full1 = false, full2 = false, full3 = false; // row fully masked: p = 1/Tk
      let keep0 = false, keep1 = false, keep2 = false, keep3 = false; // key j unmasked for this row
      for (let t = 0; t < 4; t++) {
        const row = i + t;
        if (row >= queryLength) break;
        const lse = load<f32>(logSumExp + (<usize>(firstRow + row) << 2));
        const full = lse == -Infinity;
        const keep = !full && !(causal && j > row) && !(maskBase != 0 && load<f32>(maskBase + <usize>row * maskQueryBytes) == 0);
        const delta = load<f32>(rowDelta + (<usize>(firstRow + row) << 2));
        const safeLse: f32 = full ? 0 : lse;
        if (t == 0) { lse0 = safeLse; delta0 = delta; full0 = full; keep0 = keep; }
        else if (t == 1) { lse1 = safeLse; delta1 = delta; full1 = full; keep1 = keep; }
        else if (t == 2) { lse2 = safeLse; delta2 = delta; full2 = full; keep2 = keep; }
        else { lse3 = safeLse; delta3 = delta; full3 = full; keep3 = keep; }
      }
      if (!(keep0 || keep1 || keep2 || keep3 || full0 || full1 || full2 || full3)) continue;
      const q0 = q + <usize>(firstRow + i) * keyBytes;
      const q1 = i + 1 < queryLength ? q0 + keyBytes : q0;
      const q2 = i + 2 < queryLength ? q0 + 2 * keyBytes : q0;
      const q3 = i + 3 < queryLength ? q0 + 3 * keyBytes : q0;
      const g0 = dOut + <usize>(firstRow + i) * valueBytes;
      const g1 = i + 1 < queryLength ? g0 + valueBytes : g0;
      const g2 = i + 2 < queryLength ? g0 + 2 * valueBytes : g0;
      const g3 = i + 3 < queryLength ? g0 + 3 * valueBytes : g0;
      const keep = laneMask(keep0, keep1, keep2, keep3);
      const scores = f32x4.mul(dot4(keyRow, q0, q1, q2, q3, keyDim), vscale);
      const computed = v128.and(expV(f32x4.sub(scores, vec4(lse0, lse1, lse2, lse3))), keep);
      const p = v128.or(computed, v128.and(f32x4.splat(uniform), laneMask(full0, full1, full2, full3)));
      const dp = dot4(valueRow, g0, g1, g2, g3, valueDim);
      const ds = v128.and(f32x4.mul(f32x4.mul(p, f32x4.sub(dp, vec4(delta0, delta1, delta2, delta3))), vscale), keep);
      accumulate4(dvRow, p, g0, g1, g2, g3, valueDim);
      accumulate4(dkRow, ds, q0, q1, q2, q3, keyDim);
    }
  }
}
