// Fused scaled dot-product attention, flash-attention style: the Tq×Tk score matrix never exists. Forward,
// per block of 8 query rows: keys are visited in tiles of `keyTile`; a tile's scores sit in the thread's
// workspace and an online softmax (running max m, running sum l) rescales the output accumulated so far
// whenever the max grows. Only the log-sum-exp of each row is kept; the backward recomputes the
// probabilities from it (assembly/attention-backward.ts).
//   q: [B, H, Tq, Dk]   k: [B, H, Tk, Dk]   v: [B, H, Tk, Dv]   out: [B, H, Tq, Dv]   logSumExp: [B, H, Tq]
//   mask (pointer 0 = none): float32 over [B, H, Tq, Tk] addressed by element strides (0 on broadcast axes);
//   nonzero = may attend. causal: query i sees keys j <= i (Keras's lower-triangular use_causal_mask).
// Masked scores count as -1e9, as Keras adds: they get no probability next to an unmasked key, and a row whose
// keys are all masked attends uniformly to every key. Such a row stores logSumExp = -inf as a flag: its
// probabilities are 1/Tk and no gradient reaches q or k from it (its scores are constants).
import {
  accumulate4, accumulateLanes, isMasked, LANES, MASKED_SCORE, multiplyPanels, packKeyPanels, packLanes, paddedTile, scaleRow, vec4,
} from './attention-tiles';
import { expV, logV, madd } from './vmath';

/**
 * out = softmax(scale·q·kᵀ, masked)·v and logSumExp per query row, flash-attention style: a block of up to
 * 8 query rows of one (batch, head) walks the keys tile by tile. Per tile: Sᵀ [keys][8 queries] = K·Qᵀ in
 * 6×8 register tiles (K packed as panels of 6 keys once per head), the online softmax updates the 8 running
 * maxima and sums as vectors (queries in lanes), and O += P·V in 4×8 register tiles. workspace (floats): Qᵀ
 * block [Dk][8] + Sᵀ [tile][8] + 8 correction factors + K panels [⌈Tk/6⌉·6][Dk], tile = keyTile rounded up
 * to a multiple of 6. Units: query rows of [B·H·Tq].
 */
export function attention(
  q: usize, k: usize, v: usize, mask: usize, out: usize, logSumExp: usize,
  heads: i32, queryLength: i32, keyLength: i32, keyDim: i32, valueDim: i32, scale: f32, causal: i32,
  maskStrideBatch: i32, maskStrideHead: i32, maskStrideQuery: i32, maskStrideKey: i32, keyTile: i32,
  workspace: usize, start: i32, end: i32,
): void {
  const packedQueries = workspace;                                             // [Dk][8], scaled
  const scoresT = packedQueries + (<usize>(keyDim * LANES) << 2);        // [tile][8]
  const rowScale = scoresT + (<usize>(paddedTile(keyTile) * LANES) << 2);  // [8]
  const keyPanels = rowScale + (<usize>LANES << 2);                         // [Tk/6][Dk][6] of the current head
  let packedHead = -1;
  let r = start;
  while (r < end) {
    const bh = r / queryLength;
    if (bh != packedHead) {
      packKeyPanels(k + <usize>bh * <usize>keyLength * (<usize>keyDim << 2), keyLength, keyDim, keyPanels);
      packedHead = bh;
    }
    const firstQuery = r - bh * queryLength;
    const rows = min(LANES, min(end - r, queryLength - firstQuery));
    attendBlock(q, k, v, mask, out, logSumExp, heads, queryLength, keyLength, keyDim, valueDim, scale, causal,
      maskStrideBatch, maskStrideHead, maskStrideQuery, maskStrideKey, paddedTile(keyTile), packedQueries, scoresT, rowScale,
      keyPanels, r, bh, firstQuery, rows);
    r += rows;
  }
}

/** One block of `rows` (≤ 8) query rows starting at flattened row r (query firstQuery of head bh). */
function attendBlock(
  q: usize, k: usize, v: usize, mask: usize, out: usize, logSumExp: usize,
  heads: i32, queryLength: i32, keyLength: i32, keyDim: i32, valueDim: i32, scale: f32, causal: i32,
  maskStrideBatch: i32, maskStrideHead: i32, maskStrideQuery: i32, maskStrideKey: i32, keyTile: i32,
  packedQueries: usize, scoresT: usize, rowScale: usize, keyPanels: usize, r: i32, bh: i32, firstQuery: i32, rows: i32,
): void {
  const keyBytes = <usize>keyDim << 2;
  const valueBytes = <usize>valueDim << 2;
  const values = v + <usize>bh * <usize>keyLength * valueBytes;
  const outBlock = out + <usize>r * valueBytes;
  const b = bh / heads;
  const h = bh - b * heads;
  const maskHead = mask ? mask + (<usize>(b * maskStrideBatch + h * maskStrideHead) << 2) : 0;
  // Qᵀ block [Dk][8] times scale; lanes past the block repeat the last row.
  packLanes(q + <usize>r * keyBytes, keyDim, rows, scale, packedQueries);
  memory.fill(outBlock, 0, <usize>rows * valueBytes);
  let max0 = f32x4.splat(-Infinity), max1 = f32x4.splat(-Infinity);
  let sum0 = f32x4.splat(0), sum1 = f32x4.splat(0);
  let live: i32 = 0; // bit t: query t has an unmasked key
  // The block's last query sees keys up to firstQuery + rows - 1 under a causal mask.
  const keyEnd = causal ? min(keyLength, firstQuery + rows) : keyLength;
  for (let tileStart = 0; tileStart < keyEnd; tileStart += keyTile) {
    const count = min(keyTile, keyEnd - tileStart);
    // keyTile is a multiple of 6 here, so every tile starts on a panel.
    multiplyPanels(packedQueries, keyPanels + (<usize>(tileStart * keyDim) << 2), keyDim, count, scoresT);
    // Causal masking only touches tiles that reach past the block's first query. A mask shared by every query
    // (key padding, [B, 1, 1, Tk]) masks whole rows of Sᵀ.
    const crossesDiagonal = causal != 0 && tileStart + count - 1 > firstQuery;
    if (mask != 0 && maskStrideQuery == 0 && !crossesDiagonal) {
      for (let c = 0; c < count; c++) {
        if (load<f32>(maskHead + (<usize>((tileStart + c) * maskStrideKey) << 2)) == 0) {
          const row = scoresT + (<usize>(c * LANES) << 2);
          v128.store(row, f32x4.splat(MASKED_SCORE));
          v128.store(row, f32x4.splat(MASKED_SCORE), 16);
        } else live = (1 << rows) - 1;
      }
    } else if (mask != 0 || crossesDiagonal) {
      // Lanes past the block mask like the last query, so they stay copies of its lane.
      for (let t = 0; t < LANES; t++) {
        const query = firstQuery + min(t, rows - 1);
        const maskRow = mask ? maskHead + (<usize>(query * maskStrideQuery) << 2) : 0;
        for (let c = 0; c < count; c++) {
          if (isMasked(causal, query, tileStart + c, maskRow, maskStrideKey)) {
            store<f32>(scoresT + (<usize>(c * LANES + t) << 2), MASKED_SCORE);
          } else if (t < rows) live |= 1 << t;
        }
      }
    } else live = (1 << rows) - 1;
    // Online softmax with the 8 queries in lanes.
    let tileMax0 = f32x4.splat(-Infinity), tileMax1 = f32x4.splat(-Infinity);
    for (let c = 0; c < count; c++) {
      const row = scoresT + (<usize>(c * LANES) << 2);
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
      const row = scoresT + (<usize>(c * LANES) << 2);
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
    accumulateLanes(scoresT, rowScale, 0, rows, count, values + <usize>tileStart * valueBytes, valueDim, outBlock);
    if (rows > 4) accumulateLanes(scoresT, rowScale, 4, rows, count, values + <usize>tileStart * valueBytes, valueDim, outBlock);
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

