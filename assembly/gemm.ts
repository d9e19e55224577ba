// Batched single-precision GEMM with a fused epilogue: the kernel behind matMul, dense layers, conv (im2col)
// and attention.
//
// Shape legend (row-major, contiguous, element counts; pointers are bytes):
//   op(A)[t]: [m, k]  stored as A[t] = [m, k], or [k, m] when transA      A[t] at a + 4·t·strideA
//   op(B)[t]: [k, n]  stored as B[t] = [k, n], or [n, k] when transB      B[t] at b + 4·t·strideB
//   C[t]:     [m, n]  C[t] = act(op(A)[t]·op(B)[t] (+ C[t] if accumulate) + bias[n])   C[t] at c + 4·t·m·n
// A stride of 0 broadcasts one matrix over the batch. Units of [start, end) are flattened output rows
// (t·m + row), so a thread's chunk may begin or end in the middle of a batch entry.
//
// Design (GotoBLAS/BLIS style): op(B) is packed into KC×NR column panels and op(A) into MR×KC row panels,
// both zero-padded at the edges, so one MR×NR register-blocked micro-kernel serves every transpose
// combination and every shape. Cache blocking: an NC-wide block of packed B (KC·NC·4 bytes, L2/L3), an
// MC-tall block of packed A (L2), one KC×NR panel of B hot in L1 while the A panels stream past it.
// The epilogue (accumulate, bias, activation) is applied when a tile's last KC block is stored.

import { activateScalar, activateVector } from './activation';
import { microKernel5x8, microKernel6x8 } from './micro-kernels';

/** Micro-tile rows: 6×8 fits 12 accumulators + 2 B vectors + 1 A splat in 16 registers with fused
 *  multiply-add; without it the separate mul needs a temporary and 6 rows spill, so 5. */
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
/** Micro-tile columns: two f32x4 vectors. */
const NR: i32 = 8;
/** Depth of one packed block: a KC×NR panel of B (16 KiB) stays in L1; deeper blocks amortize the
 *  per-tile epilogue (measured 256→512: ~+5%, noisy). */
const KC: i32 = 512;
/** Rows of op(A) packed at once (a multiple of both 5 and 6): MC·KC·4 = 120 KiB, in L2. */
const MC: i32 = 60;
/** Columns of op(B) packed at once: KC·NC·4 = 4 MiB (L3); 1024 measured the same. */
const NC: i32 = 2048;

const PACKED_B_BYTES: i32 = KC * NC * 4;
const PACKED_A_BYTES: i32 = MC * KC * 4;
const TILE_BYTES: i32 = 8 * NR * 4;

/** Scratch bytes one thread needs: packed B block, packed A block, one micro-tile. */
export function gemmWorkspaceBytes(): i32 {
  return PACKED_B_BYTES + PACKED_A_BYTES + TILE_BYTES;
}

/** Rows of the compiled micro-kernel; callers split [start, end) on multiples of it. */
export function gemmMicroRows(): i32 {
  return MR;
}

export function gemm(a: usize, b: usize, c: usize, bias: usize,
  m: i32, n: i32, k: i32, strideA: i32, strideB: i32, transA: i32, transB: i32,
  activation: i32, accumulate: i32, workspace: usize, start: i32, end: i32): void {
  if (start >= end || m <= 0 || n <= 0) return;
  // One B shared by a batch of contiguous [m, k] A's is a single GEMM with batch·m rows: pack B once.
  if (strideB == 0 && transA == 0 && strideA == m * k) {
    gemmRows(a, b, c, bias, end, n, k, transA, transB, activation, accumulate, workspace, start, end);
    return;
  }
  let row = start;
  while (row < end) {
    const t = row / m;
    const rowInBatch = row - t * m;
    const rows = min(end - row, m - rowInBatch);
    const aBatch = a + ((<usize>t * <usize>strideA) << 2);
    const bBatch = b + ((<usize>t * <usize>strideB) << 2);
    const cBatch = c + ((<usize>t * <usize>m * <usize>n) << 2);
    gemmRows(aBatch, bBatch, cBatch, bias, m, n, k, transA, transB, activation, accumulate, workspace,
      rowInBatch, rowInBatch + rows);
    row += rows;
  }
}

/** Rows [rowBegin, rowEnd) of one batch entry; m is op(A)'s row count (the leading dimension when transA). */
function gemmRows(a: usize, b: usize, c: usize, bias: usize, m: i32, n: i32, k: i32,
  transA: i32, transB: i32, activation: i32, accumulate: i32, workspace: usize,
  rowBegin: i32, rowEnd: i32): void {
  const packedB = workspace;
  const packedA = workspace + <usize>PACKED_B_BYTES;
  const tile = packedA + <usize>PACKED_A_BYTES;
  if (k <= 0) {
    epilogueOnly(c, bias, n, activation, accumulate, tile, rowBegin, rowEnd);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nBlock = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kBlock = min(KC, k - pc);
      const loadC = pc > 0 || accumulate != 0;
      const last = pc + kBlock >= k;
      packB(b, n, k, transB, pc, kBlock, jc, nBlock, packedB);
      for (let ic = rowBegin; ic < rowEnd; ic += MC) {
        const mBlock = min(MC, rowEnd - ic);
        packA(a, m, k, transA, ic, mBlock, pc, kBlock, packedA);
        for (let jr = 0; jr < nBlock; jr += NR) {
          const cols = min(NR, nBlock - jr);
          const panelB = packedB + <usize>(jr * kBlock * 4);
          const biasAt = bias != 0 ? bias + <usize>((jc + jr) * 4) : 0;
          // Full-height tiles, then the remainder: two call sites also keep the optimizer from inlining
          // the micro-kernel into this big function, where V8 spills its 12 accumulators.
          let ir = 0;
          for (; ir + MR <= mBlock; ir += MR) {
            microKernel(packedA + <usize>(ir * kBlock * 4), panelB, kBlock, tile);
            const cTile = c + ((<usize>(ic + ir) * <usize>n + <usize>(jc + jr)) << 2);
            storeTile(tile, cTile, n, MR, cols, loadC, last, biasAt, activation);
          }
          if (ir < mBlock) {
            microKernel(packedA + <usize>(ir * kBlock * 4), panelB, kBlock, tile);
            const cTile = c + ((<usize>(ic + ir) * <usize>n + <usize>(jc + jr)) << 2);
            storeTile(tile, cTile, n, mBlock - ir, cols, loadC, last, biasAt, activation);
          }
        }
      }
    }
  }
}

/** k = 0: the product is zero, only accumulate, bias and activation remain. */
function epilogueOnly(c: usize, bias: usize, n: i32, activation: i32, accumulate: i32, tile: usize,
  rowBegin: i32, rowEnd: i32): void {
  const zero = f32x4.splat(0);
  for (let i = 0; i < MR * NR; i += 4) v128.store(tile + <usize>(i * 4), zero);
  for (let row = rowBegin; row < rowEnd; row += MR) {
    for (let j = 0; j < n; j += NR) {
      const cTile = c + ((<usize>row * <usize>n + <usize>j) << 2);
      const biasAt = bias != 0 ? bias + <usize>(j * 4) : 0;
      storeTile(tile, cTile, n, min(MR, rowEnd - row), min(NR, n - j), accumulate != 0, true, biasAt, activation);
    }
  }
}

// ---- packing ----

/** Packs op(B)[pc:pc+kBlock, jc:jc+nBlock] as panels of NR columns, each [kBlock][NR], zero-padded. */
function packB(b: usize, n: i32, k: i32, transB: i32, pc: i32, kBlock: i32, jc: i32, nBlock: i32,
  packed: usize): void {
  for (let jp = 0; jp < nBlock; jp += NR) {
    const cols = min(NR, nBlock - jp);
    const panel = packed + <usize>(jp * kBlock * 4);
    const col = jc + jp;
    if (transB == 0) {
      // op(B)(p, j) = B[p·n + j]: each panel row is contiguous in B.
      let src = b + ((<usize>pc * <usize>n + <usize>col) << 2);
      const srcStep = <usize>n << 2;
      if (cols == NR) {
        for (let p = 0; p < kBlock; p++) {
          const dst = panel + <usize>(p * NR * 4);
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += srcStep;
        }
      } else {
        for (let p = 0; p < kBlock; p++) {
          const dst = panel + <usize>(p * NR * 4);
          for (let j = 0; j < NR; j++) {
            store<f32>(dst + <usize>(j * 4), j < cols ? load<f32>(src + <usize>(j * 4)) : 0);
          }
          src += srcStep;
        }
      }
    } else if (cols == NR) {
      // op(B)(p, j) = B[j·k + p]: each panel column is contiguous in B; 4×4 transposes turn four steps of
      // eight columns into four panel rows.
      const srcStep = <usize>k << 2;
      let src = b + ((<usize>col * <usize>k + <usize>pc) << 2);
      let p = 0;
      for (; p + 4 <= kBlock; p += 4) {
        const dst = panel + <usize>(p * NR * 4);
        transpose4x4Store(src, srcStep, dst, NR * 4);
        transpose4x4Store(src + (srcStep << 2), srcStep, dst + 16, NR * 4);
        src += 16;
      }
      for (; p < kBlock; p++) {
        const dst = panel + <usize>(p * NR * 4);
        for (let j = 0; j < NR; j++) store<f32>(dst + <usize>(j * 4), load<f32>(src + <usize>j * srcStep));
        src += 4;
      }
    } else {
      // Edge panel of a transposed B: scalar, zero-padded.
      for (let j = 0; j < NR; j++) {
        const dst = panel + <usize>(j * 4);
        if (j < cols) {
          const src = b + ((<usize>(col + j) * <usize>k + <usize>pc) << 2);
          for (let p = 0; p < kBlock; p++) {
            store<f32>(dst + <usize>(p * NR * 4), load<f32>(src + <usize>(p * 4)));
          }
        } else {
          for (let p = 0; p < kBlock; p++) store<f32>(dst + <usize>(p * NR * 4), 0);
        }
      }
    }
  }
}

/**
 * Reads four rows of four floats (row r at src + r·srcStep) and stores the transpose: column c of the
 * block goes to dst + c·dstStep as one v128.
 */
@inline function transpose4x4Store(src: usize, srcStep: usize, dst: usize, dstStep: i32): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + srcStep);
  const r2 = v128.load(src + (srcStep << 1));
  const r3 = v128.load(src + srcStep * 3);
  const low01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const low23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const high01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const high23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(low01, low23, 0, 1, 4, 5));
  v128.store(dst + <usize>dstStep, i32x4.shuffle(low01, low23, 2, 3, 6, 7));
  v128.store(dst + <usize>(dstStep * 2), i32x4.shuffle(high01, high23, 0, 1, 4, 5));
  v128.store(dst + <usize>(dstStep * 3), i32x4.shuffle(high01, high23, 2, 3, 6, 7));
}

/** Packs op(A)[ic:ic+mBlock, pc:pc+kBlock] as panels of MR rows, each [kBlock][MR], zero-padded. */
function packA(a: usize, m: i32, k: i32, transA: i32, ic: i32, mBlock: i32, pc: i32, kBlock: i32,
  packed: usize): void {
  for (let ip = 0; ip < mBlock; ip += MR) {
    const rows = min(MR, mBlock - ip);
    const panel = packed + <usize>(ip * kBlock * 4);
    const row = ic + ip;
    if (transA == 0 && rows == MR) {
      // op(A)(i, p) = A[i·k + p]: each panel row is contiguous in A. Rows 0–3 go through 4×4 transposes
      // (one v128 per panel row), the remaining MR − 4 rows are copied one float at a time.
      const srcStep = <usize>k << 2;
      const src = a + ((<usize>row * <usize>k + <usize>pc) << 2);
      let p = 0;
      for (; p + 4 <= kBlock; p += 4) {
        transpose4x4Store(src + <usize>(p * 4), srcStep, panel + <usize>(p * MR * 4), MR * 4);
      }
      for (; p < kBlock; p++) {
        for (let i = 0; i < 4; i++) {
          store<f32>(panel + <usize>((p * MR + i) * 4), load<f32>(src + <usize>i * srcStep + <usize>(p * 4)));
        }
      }
      for (let i = 4; i < MR; i++) {
        const rowSrc = src + <usize>i * srcStep;
        const dst = panel + <usize>(i * 4);
        for (let q = 0; q < kBlock; q++) store<f32>(dst + <usize>(q * MR * 4), load<f32>(rowSrc + <usize>(q * 4)));
      }
    } else if (transA == 0) {
      // Edge panel (fewer than MR rows): scalar, zero-padded.
      for (let i = 0; i < MR; i++) {
        const dst = panel + <usize>(i * 4);
        if (i < rows) {
          const src = a + ((<usize>(row + i) * <usize>k + <usize>pc) << 2);
          for (let p = 0; p < kBlock; p++) {
            store<f32>(dst + <usize>(p * MR * 4), load<f32>(src + <usize>(p * 4)));
          }
        } else {
          for (let p = 0; p < kBlock; p++) store<f32>(dst + <usize>(p * MR * 4), 0);
        }
      }
    } else {
      // op(A)(i, p) = A[p·m + i]: each panel column (fixed p) is contiguous in A.
      let src = a + ((<usize>pc * <usize>m + <usize>row) << 2);
      const srcStep = <usize>m << 2;
      if (rows == MR) {
        for (let p = 0; p < kBlock; p++) {
          const dst = panel + <usize>(p * MR * 4);
          v128.store(dst, v128.load(src));
          for (let i = 4; i < MR; i++) store<f32>(dst + <usize>(i * 4), load<f32>(src + <usize>(i * 4)));
          src += srcStep;
        }
      } else {
        for (let p = 0; p < kBlock; p++) {
          const dst = panel + <usize>(p * MR * 4);
          for (let i = 0; i < MR; i++) {
            store<f32>(dst + <usize>(i * 4), i < rows ? load<f32>(src + <usize>(i * 4)) : 0);
          }
          src += srcStep;
        }
      }
    }
  }
}

// ---- micro-kernels: tile[MR][NR] = panelA[kBlock][MR]ᵀ · panelB[kBlock][NR] ----

/** tile[MR][NR] = panelA[kBlock][MR]ᵀ · panelB[kBlock][NR] with the compiled MR. */
function microKernel(panelA: usize, panelB: usize, kBlock: i32, tile: usize): void {
  if (MR == 6) microKernel6x8(panelA, panelB, kBlock, tile);
  else microKernel5x8(panelA, panelB, kBlock, tile);
}

// ---- epilogue ----

/**
 * Merges a micro-tile (rows × cols valid of tile[MR][NR]) into C (row stride ldc elements): adds the old C
 * when loadC (a later KC block, or accumulate), then on the last KC block adds bias and activates.
 */
@inline function storeTile(tile: usize, c: usize, ldc: i32, rows: i32, cols: i32, loadC: bool, last: bool,
  bias: usize, activation: i32): void {
  const rowStep = <usize>ldc << 2;
  if (cols == NR) {
    let bias0 = f32x4.splat(0), bias1 = f32x4.splat(0);
    if (bias != 0) { bias0 = v128.load(bias); bias1 = v128.load(bias, 16); }
    let cRow = c;
    for (let i = 0; i < rows; i++) {
      const t = tile + <usize>(i * NR * 4);
      let v0 = v128.load(t);
      let v1 = v128.load(t, 16);
      if (loadC) {
        v0 = f32x4.add(v0, v128.load(cRow));
        v1 = f32x4.add(v1, v128.load(cRow, 16));
      }
      if (last) {
        v0 = activateVector(f32x4.add(v0, bias0), activation);
        v1 = activateVector(f32x4.add(v1, bias1), activation);
      }
      v128.store(cRow, v0);
      v128.store(cRow, v1, 16);
      cRow += rowStep;
    }
    return;
  }
  let cRow = c;
  for (let i = 0; i < rows; i++) {
    const t = tile + <usize>(i * NR * 4);
    for (let j = 0; j < cols; j++) {
      const at = cRow + <usize>(j * 4);
      let v = load<f32>(t + <usize>(j * 4));
      if (loadC) v += load<f32>(at);
      if (last) {
        if (bias != 0) v += load<f32>(bias + <usize>(j * 4));
        v = activateScalar(v, activation);
      }
      store<f32>(at, v);
    }
    cRow += rowStep;
  }
}
