// Fused scaled dot-product attention, flash-attention style: the Tq×Tk score matrix never exists. Forward,
// per query row: keys are visited in tiles of `keyTile`; a tile's scores sit in the thread's workspace and
// an online softmax (running max m, running sum l) rescales the output accumulated so far whenever the max
// grows. Only the log-sum-exp of each row is kept; the backward recomputes the probabilities from it.
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

/**
 * out = softmax(scale·q·kᵀ, masked)·v and logSumExp per query row. workspace: (keyTile + 4) floats.
 * Units: query rows of the flattened [B·H·Tq].
 */
export function attention(
  q: usize, k: usize, v: usize, mask: usize, out: usize, logSumExp: usize,
  heads: i32, queryLength: i32, keyLength: i32, keyDim: i32, valueDim: i32, scale: f32, causal: i32,
  maskStrideBatch: i32, maskStrideHead: i32, maskStrideQuery: i32, maskStrideKey: i32, keyTile: i32,
  workspace: usize, start: i32, end: i32,
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
    const keys = k + <usize>bh * <usize>keyLength * keyBytes;
    const values = v + <usize>bh * <usize>keyLength * valueBytes;
    const outRow = out + <usize>r * valueBytes;
    const maskRow = mask ? mask + (<usize>(b * maskStrideBatch + h * maskStrideHead + i * maskStrideQuery) << 2) : 0;
    zeroRow(outRow, valueDim);
    let runningMax: f32 = -Infinity;
    let runningSum: f32 = 0;
    let anyUnmasked = false;
    // Causal rows stop at key i; a row with nothing unmasked up to there falls back to all keys (uniform).
    const causalEnd = causal ? min(keyLength, i + 1) : keyLength;
    for (let pass = 0; pass < 2; pass++) {
      const from = pass == 0 ? 0 : causalEnd;
      const to = pass == 0 ? causalEnd : (anyUnmasked ? causalEnd : keyLength);
      for (let tileStart = from; tileStart < to; tileStart += keyTile) {
        const count = min(keyTile, to - tileStart);
        // Scores of the tile, four keys per dot4 (pointers past the tile repeat the last key).
        for (let t = 0; t < count; t += 4) {
          const k0 = keys + <usize>(tileStart + t) * keyBytes;
          const k1 = t + 1 < count ? k0 + keyBytes : k0;
          const k2 = t + 2 < count ? k0 + 2 * keyBytes : k0;
          const k3 = t + 3 < count ? k0 + 3 * keyBytes : k0;
          v128.store(workspace + (<usize>t << 2), f32x4.mul(dot4(qRow, k0, k1, k2, k3, keyDim), vscale));
        }
        let tileMax: f32 = -Infinity;
        for (let t = 0; t < count; t++) {
          const at = workspace + (<usize>t << 2);
          if (isMasked(causal, i, tileStart + t, maskRow, maskStrideKey)) store<f32>(at, MASKED_SCORE);
          else anyUnmasked = true;
          tileMax = max(tileMax, load<f32>(at));
        }
        // Lanes past the tile get probability exactly 0.
        for (let t = count; t < ((count + 3) & ~3); t++) store<f32>(workspace + (<usize>t << 2), -Infinity);
        if (tileMax > runningMax) {
          if (runningSum > 0) {
            const correction = scalarExp(runningMax - tileMax);
            runningSum *= correction;
            scaleRow(outRow, correction, valueDim);
          }
          runningMax = tileMax;
        }
        const vmax = f32x4.splat(runningMax);
        let sums = f32x4.splat(0);
        for (let t = 0; t < count; t += 4) {
          const at = workspace + (<usize>t << 2);
          const p = expV(f32x4.sub(v128.load(at), vmax));
          sums = f32x4.add(sums, p);
          const v0 = values + <usize>(tileStart + t) * valueBytes;
          const v1 = t + 1 < count ? v0 + valueBytes : v0;
          const v2 = t + 2 < count ? v0 + 2 * valueBytes : v0;
          const v3 = t + 3 < count ? v0 + 3 * valueBytes : v0;
          accumulate4(outRow, p, v0, v1, v2, v3, valueDim);
        }
        runningSum += f32x4.extract_lane(sums, 0) + f32x4.extract_lane(sums, 1)
          + f32x4.extract_lane(sums, 2) + f32x4.extract_lane(sums, 3);
      }
    }
    scaleRow(outRow, 1.0 / runningSum, valueDim);
    const lse = anyUnmasked ? runningMax + f32x4.extract_lane(logV(f32x4.splat(runningSum)), 0) : -Infinity;
    store<f32>(logSumExp + (<usize>r << 2), lse);
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
