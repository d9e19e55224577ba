// Wrappers for assembly/attention.ts and attention-backward.ts: fused attention forward (online softmax over
// key tiles) and its two-kernel backward. Threads split the forward and dq by query rows of [B·H·Tq], dk/dv by key rows of
// [B·H·Tk], so every output row has one writer.
import type { AttentionInfo } from '../backend.js';
import type { Runtime } from '../../runtime/types.js';

/** Keys per tile of the forward's online softmax: a tile's scores are the only ones alive per thread. */
export const KEY_TILE = 64;
/** Rows per block of the attention kernels (LANES in assembly/attention-tiles.ts). */
const LANES = 8;

/**
 * Per-thread scratch of the forward: Qᵀ block [Dk][8], Sᵀ tile [tile][8] (tile: keyTile up to a multiple of 6),
 * 8 floats, and one head's K as panels of 6 keys [⌈Tk/6⌉·6][Dk] (linear in Tk).
 */
function forwardWorkspaceBytes(info: AttentionInfo, keyTile: number): number {
  const tile = Math.ceil(keyTile / 6) * 6;
  return 4 * (info.keyDim * LANES + tile * LANES + LANES + Math.ceil(info.keyLength / 6) * 6 * info.keyDim);
}

function geometryArgs(info: AttentionInfo, mask: number): number[] {
  const strides = mask ? info.maskStrides ?? [0, 0, 0, 0] : [0, 0, 0, 0];
  return [info.heads, info.queryLength, info.keyLength, info.keyDim, info.valueDim, info.scale, info.causal ? 1 : 0, ...strides];
}

/** Flops of one query row against all keys: a dot of Dk and an axpy of Dv per key, plus the exp. */
function rowCost(info: AttentionInfo): number {
  return info.keyLength * (2 * info.keyDim + 2 * info.valueDim + 8);
}

/** out [B,H,Tq,Dv] and logSumExp [B,H,Tq] from q, k, v and an optional float32 mask (pointer 0 = none). */
export function runAttention(
  rt: Runtime, q: number, k: number, v: number, mask: number, out: number, logSumExp: number, info: AttentionInfo,
  keyTile = KEY_TILE,
): void {
  const rows = info.batch * info.heads * info.queryLength;
  if (rows === 0) return;
  // Chunks on multiples of the register block keep every block whole (except at head boundaries).
  rt.run('attention', [q, k, v, mask, out, logSumExp, ...geometryArgs(info, mask), keyTile], rows, {
    grain: LANES, costPerUnit: rowCost(info), workspaceBytes: forwardWorkspaceBytes(info, keyTile),
  });
}

/** Per-thread scratch of each backward kernel: two packed [D][8] blocks, two [tile][8] tiles, 8 floats. */
function backwardWorkspaceBytes(info: AttentionInfo, tile: number): number {
  return 4 * ((info.keyDim + info.valueDim) * LANES + 2 * Math.ceil(tile / 6) * 6 * LANES + LANES);
}

/**
 * dq, dk, dv from dOut and the forward's out and logSumExp; a 0 pointer skips that gradient. rowDelta is scratch
 * of B·H·Tq floats that the first kernel fills (Σ dOut·out per row) and the second reads.
 */
export function runAttentionGrad(
  rt: Runtime, q: number, k: number, v: number, mask: number, out: number, logSumExp: number, dOut: number,
  rowDelta: number, dq: number, dk: number, dv: number, info: AttentionInfo, tile = KEY_TILE,
): void {
  const queryRows = info.batch * info.heads * info.queryLength;
  const keyRows = info.batch * info.heads * info.keyLength;
  const geometry = geometryArgs(info, mask);
  if (queryRows > 0) {
    rt.run('attentionGradQuery', [q, k, v, out, dOut, logSumExp, mask, rowDelta, dq, ...geometry, tile], queryRows,
      { grain: LANES, costPerUnit: info.keyLength * (4 * info.keyDim + 2 * info.valueDim + 8), workspaceBytes: backwardWorkspaceBytes(info, tile) });
  }
  if (keyRows > 0 && (dk || dv)) {
    rt.run('attentionGradKeyValue', [q, k, v, dOut, logSumExp, mask, rowDelta, dk, dv, ...geometry, tile], keyRows,
      { grain: LANES, costPerUnit: info.queryLength * (4 * info.keyDim + 4 * info.valueDim + 8), workspaceBytes: backwardWorkspaceBytes(info, tile) });
  }
}
