// Scaled dot-product attention in float64, one query row at a time with the whole score row materialized:
// the oracle for the fused wasm kernels (same semantics: masked scores are -1e9 as Keras adds, a fully
// masked row attends uniformly and reports logSumExp -inf, and its constant scores pass no gradient).
//   q: [B,H,Tq,Dk]  k: [B,H,Tk,Dk]  v: [B,H,Tk,Dv]  out: [B,H,Tq,Dv]  logSumExp: [B,H,Tq]
import type { AttentionInfo } from '../backend.js';

const MASKED_SCORE = -1e9;

/** Calls visit(r, b, h, i, bh) for every query row r of the flattened [B·H·Tq]. */
function forEachQueryRow(info: AttentionInfo, visit: (r: number, b: number, h: number, i: number, bh: number) => void): void {
  const { batch, heads, queryLength } = info;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const bh = b * heads + h;
      for (let i = 0; i < queryLength; i++) visit(bh * queryLength + i, b, h, i, bh);
    }
  }
}

/** Whether query i of (b, h) may attend key j. */
function allowed(info: AttentionInfo, mask: Float64Array | undefined, b: number, h: number, i: number, j: number): boolean {
  if (info.causal && j > i) return false;
  if (!mask) return true;
  const [sb, sh, si, sj] = info.maskStrides ?? [0, 0, 0, 0];
  return mask[b * sb + h * sh + i * si + j * sj] !== 0;
}

/** The probability row of query r (and whether any key was allowed), from the raw scores. */
function probabilities(
  q: Float64Array, k: Float64Array, mask: Float64Array | undefined, info: AttentionInfo,
  r: number, b: number, h: number, i: number, bh: number,
): { p: Float64Array; allowedMask: boolean[]; anyAllowed: boolean; logSumExp: number } {
  const { keyLength, keyDim, scale } = info;
  const scores = new Float64Array(keyLength);
  const allowedMask: boolean[] = [];
  for (let j = 0; j < keyLength; j++) {
    const ok = allowed(info, mask, b, h, i, j);
    allowedMask.push(ok);
    if (!ok) { scores[j] = MASKED_SCORE; continue; }
    let dot = 0;
    for (let d = 0; d < keyDim; d++) dot += q[r * keyDim + d] * k[(bh * keyLength + j) * keyDim + d];
    scores[j] = scale * dot;
  }
  const max = Math.max(...scores);
  let sum = 0;
  const p = new Float64Array(keyLength);
  for (let j = 0; j < keyLength; j++) sum += p[j] = Math.exp(scores[j] - max);
  for (let j = 0; j < keyLength; j++) p[j] /= sum;
  const anyAllowed = allowedMask.some((ok) => ok);
  return { p, allowedMask, anyAllowed, logSumExp: anyAllowed ? max + Math.log(sum) : -Infinity };
}

export function attention(
  q: Float64Array, k: Float64Array, v: Float64Array, mask: Float64Array | undefined, info: AttentionInfo,
): { out: Float64Array; logSumExp: Float64Array } {
  const { batch, heads, queryLength, keyLength, valueDim } = info;
  const out = new Float64Array(batch * heads * queryLength * valueDim);
  const logSumExp = new Float64Array(batch * heads * queryLength);
  forEachQueryRow(info, (r, b, h, i, bh) => {
    const row = probabilities(q, k, mask, info, r, b, h, i, bh);
    logSumExp[r] = row.logSumExp;
    for (let j = 0; j < keyLength; j++) {
      for (let d = 0; d < valueDim; d++) out[r * valueDim + d] += row.p[j] * v[(bh * keyLength + j) * valueDim + d];
    }
  });
  return { out, logSumExp };
}

/** dq, dk, dv by the chain rule through the materialized probabilities (out and logSumExp are not needed). */
export function attentionGrad(
  q: Float64Array, k: Float64Array, v: Float64Array, mask: Float64Array | undefined, dOut: Float64Array, info: AttentionInfo,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { keyLength, keyDim, valueDim, scale } = info;
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  forEachQueryRow(info, (r, b, h, i, bh) => {
    const { p, allowedMask, anyAllowed } = probabilities(q, k, mask, info, r, b, h, i, bh);
    const dp = new Float64Array(keyLength);
    let delta = 0;
    for (let j = 0; j < keyLength; j++) {
      for (let d = 0; d < valueDim; d++) {
        dp[j] += dOut[r * valueDim + d] * v[(bh * keyLength + j) * valueDim + d];
        dv[(bh * keyLength + j) * valueDim + d] += p[j] * dOut[r * valueDim + d];
      }
      delta += p[j] * dp[j];
    }
    if (!anyAllowed) return;
    for (let j = 0; j < keyLength; j++) {
      if (!allowedMask[j]) continue;
      const ds = p[j] * (dp[j] - delta) * scale;
      for (let d = 0; d < keyDim; d++) {
        dq[r * keyDim + d] += ds * k[(bh * keyLength + j) * keyDim + d];
        dk[(bh * keyLength + j) * keyDim + d] += ds * q[r * keyDim + d];
      }
    }
  });
  return { dq, dk, dv };
}
