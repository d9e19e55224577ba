// Backward of the fused attention (assembly/attention.ts), flash-attention style: probabilities are recomputed
// tile by tile from the saved logSumExp, never stored whole. Two kernels so that every output row has one
// writer: dq split by query rows, then dk and dv split by key rows. A 0 dq, dk or dv pointer skips that work.
//   q, dq: [B, H, Tq, Dk]   k, dk: [B, H, Tk, Dk]   v, dv: [B, H, Tk, Dv]   out, dOut: [B, H, Tq, Dv]
//   logSumExp, rowDelta: [B, H, Tq]   mask: as the forward's (pointer 0 = none, strides per axis)
// With P = softmax(S), S = scale·q·kᵀ (masked pairs: constants), D_i = Σ dOut_i·out_i:
//   dS = P∘(dOut·vᵀ - D)   dq = scale·dS·k   dk = scale·dSᵀ·q   dv = Pᵀ·dOut
// A fully masked row (logSumExp -inf) has P = 1/Tk on every key and dS = 0.
import {
  accumulateLanes, isMasked, multiplyLanes, packLanes, paddedTile, LANES,
} from './attention-tiles';
import { expV } from './vmath';

// @ts-ignore: decorator
@inline function bitMaskLanes(bits: i32, lane0: i32): v128 {
  let v = i32x4.splat((bits >> lane0) & 1 ? -1 : 0);
  v = i32x4.replace_lane(v, 1, (bits >> (lane0 + 1)) & 1 ? -1 : 0);
  v = i32x4.replace_lane(v, 2, (bits >> (lane0 + 2)) & 1 ? -1 : 0);
  return i32x4.replace_lane(v, 3, (bits >> (lane0 + 3)) & 1 ? -1 : 0);
}

/**
 * rowDelta = Σ dOut·out per query row (kept for attentionGradKeyValue), and dq = scale·Σj dS_ij·k_j, for
 * blocks of 8 queries (lanes) walking the key tiles. workspace (floats): Qᵀ and dOutᵀ blocks [Dk][8] + [Dv][8],
 * two [tile][8] tiles, 8 ones. Units: query rows of [B·H·Tq].
 */
export function attentionGradQuery(
  q: usize, k: usize, v: usize, out: usize, dOut: usize, logSumExp: usize, mask: usize, rowDelta: usize, dq: usize,
  heads: i32, queryLength: i32, keyLength: i32, keyDim: i32, valueDim: i32, scale: f32, causal: i32,
  maskStrideBatch: i32, maskStrideHead: i32, maskStrideQuery: i32, maskStrideKey: i32, keyTile: i32,
  workspace: usize, start: i32, end: i32,
): void {
  const keyBytes = <usize>keyDim << 2;
  const valueBytes = <usize>valueDim << 2;
  const tile = paddedTile(keyTile);
  const packedQueries = workspace;                                           // [Dk][8], scaled
  const packedUpstream = packedQueries + (<usize>(keyDim * LANES) << 2);  // [Dv][8]
  const scoresT = packedUpstream + (<usize>(valueDim * LANES) << 2);   // [tile][8]: S, then dS
  const upstreamT = scoresT + (<usize>(tile * LANES) << 2);            // [tile][8]: dOut·vᵀ
  const ones = upstreamT + (<usize>(tile * LANES) << 2);               // [8]
  v128.store(ones, f32x4.splat(1));
  v128.store(ones, f32x4.splat(1), 16);
  let r = start;
  while (r < end) {
    const bh = r / queryLength;
    const firstQuery = r - bh * queryLength;
    const rows = min(LANES, min(end - r, queryLength - firstQuery));
    const b = bh / heads;
    const h = bh - b * heads;
    const maskHead = mask ? mask + (<usize>(b * maskStrideBatch + h * maskStrideHead) << 2) : 0;
    const keys = k + <usize>bh * <usize>keyLength * keyBytes;
    const values = v + <usize>bh * <usize>keyLength * valueBytes;
    const dqBlock = dq + <usize>r * keyBytes;
    // Per-lane statistics: D, logSumExp (0 for fully masked rows, whose lanes are cleared below).
    let delta0 = f32x4.splat(0), delta1 = f32x4.splat(0), lse0 = f32x4.splat(0), lse1 = f32x4.splat(0);
    let liveBits = 0;
    for (let t = 0; t < LANES; t++) {
      const row = r + min(t, rows - 1);
      const outRow = out + <usize>row * valueBytes;
      const dOutRow = dOut + <usize>row * valueBytes;
      let delta: f32 = 0;
      for (let d = 0; d < valueDim; d++) delta += load<f32>(dOutRow + (<usize>d << 2)) * load<f32>(outRow + (<usize>d << 2));
      if (t < rows) store<f32>(rowDelta + (<usize>row << 2), delta);
      let lse = load<f32>(logSumExp + (<usize>row << 2));
      if (lse == -Infinity) lse = 0;
      else liveBits |= 1 << t; // lanes past the block copy the last row's
      const lane = t & 3;
      if (t < 4) {
        delta0 = lane == 0 ? f32x4.replace_lane(delta0, 0, delta) : lane == 1 ? f32x4.replace_lane(delta0, 1, delta) : lane == 2 ? f32x4.replace_lane(delta0, 2, delta) : f32x4.replace_lane(delta0, 3, delta);
        lse0 = lane == 0 ? f32x4.replace_lane(lse0, 0, lse) : lane == 1 ? f32x4.replace_lane(lse0, 1, lse) : lane == 2 ? f32x4.replace_lane(lse0, 2, lse) : f32x4.replace_lane(lse0, 3, lse);
      } else {
        delta1 = lane == 0 ? f32x4.replace_lane(delta1, 0, delta) : lane == 1 ? f32x4.replace_lane(delta1, 1, delta) : lane == 2 ? f32x4.replace_lane(delta1, 2, delta) : f32x4.replace_lane(delta1, 3, delta);
        lse1 = lane == 0 ? f32x4.replace_lane(lse1, 0, lse) : lane == 1 ? f32x4.replace_lane(lse1, 1, lse) : lane == 2 ? f32x4.replace_lane(lse1, 2, lse) : f32x4.replace_lane(lse1, 3, lse);
      }
    }
    r += rows;
    if (dq == 0) continue; // only rowDelta was wanted
    memory.fill(dqBlock, 0, <usize>rows * keyBytes);
    if (liveBits == 0) continue;
    const live0 = bitMaskLanes(liveBits, 0), live1 = bitMaskLanes(liveBits, 4);
    const vscale = f32x4.splat(scale);
    packLanes(q + <usize>(r - rows) * keyBytes, keyDim, rows, scale, packedQueries);
    packLanes(dOut + <usize>(r - rows) * valueBytes, valueDim, rows, 1, packedUpstream);
    const keyEnd = causal ? min(keyLength, firstQuery + rows) : keyLength;
    for (let tileStart = 0; tileStart < keyEnd; tileStart += keyTile) {
      const count = min(keyTile, keyEnd - tileStart);
      multiplyLanes(packedQueries, keys + <usize>tileStart * keyBytes, keyDim, count, scoresT);
      multiplyLanes(packedUpstream, values + <usize>tileStart * valueBytes, valueDim, count, upstreamT);
      for (let c = 0; c < count; c++) {
        const at = scoresT + (<usize>(c * LANES) << 2);
        const dpAt = upstreamT + (<usize>(c * LANES) << 2);
        const p0 = expV(f32x4.sub(v128.load(at), lse0));
        const p1 = expV(f32x4.sub(v128.load(at, 16), lse1));
        // and, not multiply: a masked pair's p may overflow, and inf·0 would be NaN.
        v128.store(at, v128.and(f32x4.mul(f32x4.mul(p0, f32x4.sub(v128.load(dpAt), delta0)), vscale), live0));
        v128.store(at, v128.and(f32x4.mul(f32x4.mul(p1, f32x4.sub(v128.load(dpAt, 16), delta1)), vscale), live1), 16);
      }
      const crossesDiagonal = causal != 0 && tileStart + count - 1 > firstQuery;
      if (mask != 0 && maskStrideQuery == 0 && !crossesDiagonal) {
        // One mask row for every query (key padding): clear whole rows of dSᵀ.
        for (let c = 0; c < count; c++) {
          if (load<f32>(maskHead + (<usize>((tileStart + c) * maskStrideKey) << 2)) == 0) {
            v128.store(scoresT + (<usize>(c * LANES) << 2), f32x4.splat(0));
            v128.store(scoresT + (<usize>(c * LANES) << 2), f32x4.splat(0), 16);
          }
        }
      } else if (mask != 0 || crossesDiagonal) {
        for (let t = 0; t < LANES; t++) {
          const query = firstQuery + min(t, rows - 1);
          const maskRow = mask ? maskHead + (<usize>(query * maskStrideQuery) << 2) : 0;
          for (let c = 0; c < count; c++) {
            if (isMasked(causal, query, tileStart + c, maskRow, maskStrideKey)) store<f32>(scoresT + (<usize>(c * LANES + t) << 2), 0);
          }
        }
      }
      accumulateLanes(scoresT, ones, 0, rows, count, keys + <usize>tileStart * keyBytes, keyDim, dqBlock);
      if (rows > 4) accumulateLanes(scoresT, ones, 4, rows, count, keys + <usize>tileStart * keyBytes, keyDim, dqBlock);
    }
  }
}

/**
 * dk = scale·Σi dS_ij·q_i and dv = Σi P_ij·dOut_i for blocks of 8 keys (lanes) walking the query tiles, after
 * attentionGradQuery has written rowDelta. workspace (floats): Kᵀ and Vᵀ blocks [Dk][8] + [Dv][8], two
 * [tile][8] tiles, 8 ones. Units: key rows of [B·H·Tk].
 */
export function attentionGradKeyValue(
  q: usize, k: usize, v: usize, dOut: usize, logSumExp: usize, mask: usize, rowDelta: usize, dk: usize, dv: usize,
  heads: i32, queryLength: i32, keyLength: i32, keyDim: i32, valueDim: i32, scale: f32, causal: i32,
  maskStrideBatch: i32, maskStrideHead: i32, maskStrideQuery: i32, maskStrideKey: i32, queryTile: i32,
  workspace: usize, start: i32, end: i32,
): void {
  const keyBytes = <usize>keyDim << 2;
  const valueBytes = <usize>valueDim << 2;
  const tile = paddedTile(queryTile);
  const packedKeys = workspace;                                             // [Dk][8], scaled
  const packedValues = packedKeys + (<usize>(keyDim * LANES) << 2);   // [Dv][8]
  const probabilities = packedValues + (<usize>(valueDim * LANES) << 2);  // [tile][8]: P
  const scores = probabilities + (<usize>(tile * LANES) << 2);        // [tile][8]: S, dOut·vᵀ, then dS
  const ones = scores + (<usize>(tile * LANES) << 2);                 // [8]
  v128.store(ones, f32x4.splat(1));
  v128.store(ones, f32x4.splat(1), 16);
  const uniform = f32x4.splat(1.0 / <f32>keyLength);
  const vscale = f32x4.splat(scale);
  let u = start;
  while (u < end) {
    const bh = u / keyLength;
    const firstKey = u - bh * keyLength;
    const rows = min(LANES, min(end - u, keyLength - firstKey));
    const b = bh / heads;
    const h = bh - b * heads;
    const maskHead = mask ? mask + (<usize>(b * maskStrideBatch + h * maskStrideHead) << 2) : 0;
    const queries = q + <usize>bh * <usize>queryLength * keyBytes;
    const upstream = dOut + <usize>bh * <usize>queryLength * valueBytes;
    const firstRow = bh * queryLength;
    const dkBlock = dk + <usize>u * keyBytes;
    const dvBlock = dv + <usize>u * valueBytes;
    if (dk) memory.fill(dkBlock, 0, <usize>rows * keyBytes);
    if (dv) memory.fill(dvBlock, 0, <usize>rows * valueBytes);
    packLanes(k + <usize>u * keyBytes, keyDim, rows, scale, packedKeys);
    packLanes(v + <usize>u * valueBytes, valueDim, rows, 1, packedValues);
    // The shared mask row's verdict on the block's keys, as lane masks (used when maskStrideQuery is 0).
    let keepBits = 0;
    if (mask != 0 && maskStrideQuery == 0) {
      for (let t = 0; t < LANES; t++) {
        if (load<f32>(maskHead + (<usize>((firstKey + min(t, rows - 1)) * maskStrideKey) << 2)) != 0) keepBits |= 1 << t;
      }
    }
    const keepKeys0 = bitMaskLanes(keepBits, 0), keepKeys1 = bitMaskLanes(keepBits, 4);
    // Under a causal mask only queries >= the block's first key see it, unless a mask may leave a row fully
    // masked (such rows attend to every key).
    const queryStart = causal != 0 && mask == 0 ? firstKey : 0;
    for (let tileStart = queryStart; tileStart < queryLength; tileStart += queryTile) {
      const count = min(queryTile, queryLength - tileStart);
      multiplyLanes(packedKeys, queries + <usize>tileStart * keyBytes, keyDim, count, scores);
      let anyFull = false;
      for (let c = 0; c < count; c++) {
        const row = firstRow + tileStart + c;
        const lse = load<f32>(logSumExp + (<usize>row << 2));
        const at = probabilities + (<usize>(c * LANES) << 2);
        if (lse == -Infinity) {
          v128.store(at, uniform);
          v128.store(at, uniform, 16);
          anyFull = true;
        } else {
          const vlse = f32x4.splat(lse);
          v128.store(at, expV(f32x4.sub(v128.load(scores + (<usize>(c * LANES) << 2)), vlse)));
          v128.store(at, expV(f32x4.sub(v128.load(scores + (<usize>(c * LANES) << 2), 16), vlse)), 16);
        }
      }
      multiplyLanes(packedValues, upstream + <usize>tileStart * valueBytes, valueDim, count, scores);
      for (let c = 0; c < count; c++) {
        const row = firstRow + tileStart + c;
        const at = scores + (<usize>(c * LANES) << 2);
        const pAt = probabilities + (<usize>(c * LANES) << 2);
        if (load<f32>(logSumExp + (<usize>row << 2)) == -Infinity) {
          v128.store(at, f32x4.splat(0));
          v128.store(at, f32x4.splat(0), 16);
          continue;
        }
        const vdelta = f32x4.splat(load<f32>(rowDelta + (<usize>row << 2)));
        v128.store(at, f32x4.mul(f32x4.mul(v128.load(pAt), f32x4.sub(v128.load(at), vdelta)), vscale));
        v128.store(at, f32x4.mul(f32x4.mul(v128.load(pAt, 16), f32x4.sub(v128.load(at, 16), vdelta)), vscale), 16);
      }
      // Masked pairs: no probability (a fully masked row keeps its uniform one) and no dS. A mask shared by every
      // query (key padding) is one lane mask for the whole block.
      const crossesDiagonal = causal != 0 && firstKey + rows - 1 > tileStart;
      if (mask != 0 && maskStrideQuery == 0 && !crossesDiagonal) {
        for (let c = 0; c < count; c++) {
          if (load<f32>(logSumExp + (<usize>(firstRow + tileStart + c) << 2)) == -Infinity) continue;
          const offset = <usize>(c * LANES) << 2;
          v128.store(probabilities + offset, v128.and(v128.load(probabilities + offset), keepKeys0));
          v128.store(probabilities + offset, v128.and(v128.load(probabilities + offset, 16), keepKeys1), 16);
          v128.store(scores + offset, v128.and(v128.load(scores + offset), keepKeys0));
          v128.store(scores + offset, v128.and(v128.load(scores + offset, 16), keepKeys1), 16);
        }
      } else if (mask != 0 || crossesDiagonal) {
        for (let c = 0; c < count; c++) {
          const query = tileStart + c;
          if (load<f32>(logSumExp + (<usize>(firstRow + query) << 2)) == -Infinity) continue;
          const maskRow = mask ? maskHead + (<usize>(query * maskStrideQuery) << 2) : 0;
          for (let t = 0; t < LANES; t++) {
            if (isMasked(causal, query, firstKey + min(t, rows - 1), maskRow, maskStrideKey)) {
              const offset = <usize>(c * LANES + t) << 2;
              store<f32>(probabilities + offset, 0);
              store<f32>(scores + offset, 0);
            }
          }
        }
      }
      if (dv) {
        accumulateLanes(probabilities, ones, 0, rows, count, upstream + <usize>tileStart * valueBytes, valueDim, dvBlock);
        if (rows > 4) accumulateLanes(probabilities, ones, 4, rows, count, upstream + <usize>tileStart * valueBytes, valueDim, dvBlock);
      }
      if (dk) {
        accumulateLanes(scores, ones, 0, rows, count, queries + <usize>tileStart * keyBytes, keyDim, dkBlock);
        if (rows > 4) accumulateLanes(scores, ones, 4, rows, count, queries + <usize>tileStart * keyBytes, keyDim, dkBlock);
      }
    }
    u += rows;
  }
}
