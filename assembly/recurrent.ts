// LSTM / GRU / simpleRNN steps. The input projection x·W + bias for every step is one big GEMM done
// beforehand (src/backend/wasm/recurrent.ts); a step adds h·U and applies the gate math. Two ways to split:
// - recurrentForwardSequence: threads own batch rows and run every step (rows never interact: no hand-off);
// - recurrentForwardStep (small batches): one step, threads own unit blocks with all their gates, so the
//   gate math needs nothing from other threads and one step is one hand-off.
//
// Shape legend (elements; pointers are bytes, strides are elements between batch rows):
//   gates  [B, G·U]  row b at gates + 4·b·gateStride: holds x·W + bias on entry, the activated gates on exit
//   hIn    [B, U]    the vector multiplied by U (h_prev, or r·h_prev for the GRU candidate)
//   hPrev, cPrev, hOut, cOut [B, U] with their strides; mask [B] with maskStride (0 = no mask)
//   packed: the used gate columns of U [U, G·U] reordered by recurrentPackWeights (below)
// Modes (G = gates used): 0 lstm (4) [i|f|c|o]; 1 gru with resetAfter (3) [z|r|h], cOut gets h·U_h + b_rh;
//   2 gru reset/update gates (2), r·h_prev goes to rhOut; 3 gru candidate (1) from hIn = r·h_prev; 4 simpleRnn (1).
// Units of start/end: see each kernel.
import { madd, splat } from './vmath';
import { activateGate, loadUnits, stepValid, storeUnits } from './recurrent-math';

const MODE_LSTM: i32 = 0;
const MODE_GRU_RESET_AFTER: i32 = 1;
const MODE_GRU_GATES: i32 = 2;
const MODE_GRU_CANDIDATE: i32 = 3;
const MODE_SIMPLE_RNN: i32 = 4;
/** Bytes of one packed row of a panel: 4 vectors of 4 lanes. */
const PANEL_ROW_BYTES: usize = 64;

/** Gate columns of U a mode multiplies. */
export function recurrentGatesUsed(mode: i32): i32 {
  if (mode == MODE_LSTM) return 4;
  if (mode == MODE_GRU_RESET_AFTER) return 3;
  if (mode == MODE_GRU_GATES) return 2;
  return 1;
}

/** Unit blocks per group: a group fills whole 4-vector panels (G·blocks divisible by 4). */
export function recurrentGroupBlocks(mode: i32): i32 {
  const gatesUsed = recurrentGatesUsed(mode);
  return gatesUsed == 4 ? 1 : gatesUsed == 2 ? 2 : 4;
}

/**
 * Reorders gate columns [firstGate·U, (firstGate+gatesUsed)·U) of U [U, rowLength] into panels of 4 vectors:
 * vector v = block·gatesUsed + gate holds units 4·block…4·block+3 of that gate, and panel p stores, for each
 * row k, its vectors 4p…4p+3 side by side (64 bytes), zero where a unit does not exist. Units: panels.
 */
export function recurrentPackWeights(weights: usize, packed: usize, units: i32, rowLength: i32, firstGate: i32,
  gatesUsed: i32, start: i32, end: i32): void {
  for (let panel = start; panel < end; panel++) {
    for (let k = 0; k < units; k++) {
      const out = packed + (<usize>panel * <usize>units + <usize>k) * PANEL_ROW_BYTES;
      const row = weights + ((<usize>k * <usize>rowLength) << 2);
      for (let slot = 0; slot < 16; slot++) {
        const vector = panel * 4 + (slot >> 2);
        const block = vector / gatesUsed;
        const gate = vector - block * gatesUsed;
        const unit = block * 4 + (slot & 3);
        const value = unit < units ? load<f32>(row + ((<usize>((firstGate + gate) * units + unit)) << 2)) : <f32>0;
        store<f32>(out + (<usize>slot << 2), value);
      }
    }
  }
}

/** Two rows of h times one panel: 8 accumulators, stored as row0 then row1 (64 bytes each). */
// @ts-ignore: decorator
@inline function panelProduct(h0: usize, h1: usize, panel: usize, units: i32, out0: usize, out1: usize): void {
  let a0 = splat(0), a1 = splat(0), a2 = splat(0), a3 = splat(0);
  let b0 = splat(0), b1 = splat(0), b2 = splat(0), b3 = splat(0);
  for (let k = 0; k < units; k++) {
    const w = panel + <usize>k * PANEL_ROW_BYTES;
    const offset = <usize>k << 2;
    const x0 = v128.load32_splat(h0 + offset);
    const x1 = v128.load32_splat(h1 + offset);
    const w0 = v128.load(w);
    const w1 = v128.load(w, 16);
    const w2 = v128.load(w, 32);
    const w3 = v128.load(w, 48);
    a0 = madd(x0, w0, a0); a1 = madd(x0, w1, a1); a2 = madd(x0, w2, a2); a3 = madd(x0, w3, a3);
    b0 = madd(x1, w0, b0); b1 = madd(x1, w1, b1); b2 = madd(x1, w2, b2); b3 = madd(x1, w3, b3);
  }
  v128.store(out0, a0); v128.store(out0, a1, 16); v128.store(out0, a2, 32); v128.store(out0, a3, 48);
  v128.store(out1, b0); v128.store(out1, b1, 16); v128.store(out1, b2, 32); v128.store(out1, b3, 48);
}

/** One row of h times one panel (a batch of 1, or an odd last row): 4 accumulators. */
// @ts-ignore: decorator
@inline function panelProductOneRow(h0: usize, panel: usize, units: i32, out0: usize): void {
  let a0 = splat(0), a1 = splat(0), a2 = splat(0), a3 = splat(0);
  for (let k = 0; k < units; k++) {
    const w = panel + <usize>k * PANEL_ROW_BYTES;
    const x0 = v128.load32_splat(h0 + (<usize>k << 2));
    a0 = madd(x0, v128.load(w), a0); a1 = madd(x0, v128.load(w, 16), a1);
    a2 = madd(x0, v128.load(w, 32), a2); a3 = madd(x0, v128.load(w, 48), a3);
  }
  v128.store(out0, a0); v128.store(out0, a1, 16); v128.store(out0, a2, 32); v128.store(out0, a3, 48);
}

/** Bytes of scratch a thread needs: the products of two rows for one group (at most 3 panels). */
export function recurrentStepWorkspaceBytes(): i32 {
  return 2 * 3 * <i32>PANEL_ROW_BYTES;
}

// @ts-ignore: decorator
@inline function rowPtr(base: usize, row: i32, stride: i32, column: i32): usize {
  return base + ((<usize>row * <usize>stride + <usize>column) << 2);
}

/** One step for batch rows [rowStart, rowEnd) and unit blocks [blockStart, blockEnd). */
function forwardBlocks(mode: i32, gates: usize, gateStride: i32, hIn: usize, hInStride: i32,
  hPrev: usize, hPrevStride: i32, cPrev: usize, cPrevStride: i32, packed: usize, units: i32, rowStart: i32, rowEnd: i32,
  hOut: usize, hOutStride: i32, cOut: usize, cOutStride: i32, mask: usize, maskStride: i32,
  recurrentBiasH: usize, rhOut: usize, activation: i32, recurrentActivation: i32,
  workspace: usize, start: i32, end: i32): void {
  const gatesUsed = recurrentGatesUsed(mode);
  const groupBlocks = recurrentGroupBlocks(mode);
  const panelsPerGroup = (groupBlocks * gatesUsed) >> 2;
  const rowBytes = <usize>panelsPerGroup * PANEL_ROW_BYTES;
  const unitBlocks = (units + 3) >> 2;
  for (let groupStart = start; groupStart < end; groupStart += groupBlocks) {
    const group = groupStart / groupBlocks;
    const panels = packed + <usize>group * <usize>panelsPerGroup * <usize>units * PANEL_ROW_BYTES;
    for (let b = rowStart; b < rowEnd; b += 2) {
      const pair = min(b + 1, rowEnd - 1);
      for (let p = 0; p < panelsPerGroup; p++) {
        const panel = panels + <usize>p * <usize>units * PANEL_ROW_BYTES;
        const out = workspace + <usize>p * PANEL_ROW_BYTES;
        if (pair == b) panelProductOneRow(rowPtr(hIn, b, hInStride, 0), panel, units, out);
        else panelProduct(rowPtr(hIn, b, hInStride, 0), rowPtr(hIn, pair, hInStride, 0), panel, units, out, out + rowBytes);
      }
      const blocksEnd = min(groupStart + groupBlocks, min(end, unitBlocks));
      for (let row = b; row <= pair; row++) {
        const products = workspace + (row == b ? 0 : rowBytes);
        for (let block = groupStart; block < blocksEnd; block++) {
          const product = products + (<usize>((block - groupStart) * gatesUsed) << 4);
          const unit = block << 2;
          const n = min(4, units - unit);
          const valid = stepValid(mask, row, maskStride);
          const gateRow = rowPtr(gates, row, gateStride, unit);
          const hPrevBlock = loadUnits(rowPtr(hPrev, row, hPrevStride, unit), n);
          const gateBytes = <usize>units << 2;
          if (mode == MODE_LSTM) {
            const i = activateGate(f32x4.add(loadUnits(gateRow, n), v128.load(product)), recurrentActivation);
            const f = activateGate(f32x4.add(loadUnits(gateRow + gateBytes, n), v128.load(product, 16)), recurrentActivation);
            const g = activateGate(f32x4.add(loadUnits(gateRow + 2 * gateBytes, n), v128.load(product, 32)), activation);
            const o = activateGate(f32x4.add(loadUnits(gateRow + 3 * gateBytes, n), v128.load(product, 48)), recurrentActivation);
            storeUnits(gateRow, i, n);
            storeUnits(gateRow + gateBytes, f, n);
            storeUnits(gateRow + 2 * gateBytes, g, n);
            storeUnits(gateRow + 3 * gateBytes, o, n);
            const cPrevBlock = loadUnits(rowPtr(cPrev, row, cPrevStride, unit), n);
            const c = madd(f, cPrevBlock, f32x4.mul(i, g));
            const h = f32x4.mul(o, activateGate(c, activation));
            storeUnits(rowPtr(cOut, row, cOutStride, unit), valid ? c : cPrevBlock, n);
            storeUnits(rowPtr(hOut, row, hOutStride, unit), valid ? h : hPrevBlock, n);
          } else if (mode == MODE_GRU_RESET_AFTER) {
            const z = activateGate(f32x4.add(loadUnits(gateRow, n), v128.load(product)), recurrentActivation);
            const r = activateGate(f32x4.add(loadUnits(gateRow + gateBytes, n), v128.load(product, 16)), recurrentActivation);
            const recurrentPart = f32x4.add(v128.load(product, 32), loadUnits(recurrentBiasH + (<usize>unit << 2), n));
            const candidate = activateGate(madd(r, recurrentPart, loadUnits(gateRow + 2 * gateBytes, n)), activation);
            storeUnits(gateRow, z, n);
            storeUnits(gateRow + gateBytes, r, n);
            storeUnits(gateRow + 2 * gateBytes, candidate, n);
            storeUnits(rowPtr(cOut, row, cOutStride, unit), recurrentPart, n);
            const h = madd(z, f32x4.sub(hPrevBlock, candidate), candidate);
            storeUnits(rowPtr(hOut, row, hOutStride, unit), valid ? h : hPrevBlock, n);
          } else if (mode == MODE_GRU_GATES) {
            const z = activateGate(f32x4.add(loadUnits(gateRow, n), v128.load(product)), recurrentActivation);
            const r = activateGate(f32x4.add(loadUnits(gateRow + gateBytes, n), v128.load(product, 16)), recurrentActivation);
            storeUnits(gateRow, z, n);
            storeUnits(gateRow + gateBytes, r, n);
            storeUnits(rowPtr(rhOut, row, units, unit), f32x4.mul(r, hPrevBlock), n);
          } else if (mode == MODE_GRU_CANDIDATE) {
            const candidate = activateGate(f32x4.add(loadUnits(gateRow + 2 * gateBytes, n), v128.load(product)), activation);
            storeUnits(gateRow + 2 * gateBytes, candidate, n);
            const z = loadUnits(gateRow, n);
            const h = madd(z, f32x4.sub(hPrevBlock, candidate), candidate);
            storeUnits(rowPtr(hOut, row, hOutStride, unit), valid ? h : hPrevBlock, n);
          } else {
            const h = activateGate(f32x4.add(loadUnits(gateRow, n), v128.load(product)), activation);
            storeUnits(gateRow, h, n);
            storeUnits(rowPtr(hOut, row, hOutStride, unit), valid ? h : hPrevBlock, n);
          }
        }
      }
    }
  }
}

/** One time step over the whole batch; units of start/end: unit blocks (multiples of recurrentGroupBlocks). */
export function recurrentForwardStep(mode: i32, gates: usize, gateStride: i32, hIn: usize, hInStride: i32,
  hPrev: usize, hPrevStride: i32, cPrev: usize, cPrevStride: i32, packed: usize, units: i32, batch: i32,
  hOut: usize, hOutStride: i32, cOut: usize, cOutStride: i32, mask: usize, maskStride: i32,
  recurrentBiasH: usize, rhOut: usize, activation: i32, recurrentActivation: i32,
  workspace: usize, start: i32, end: i32): void {
  forwardBlocks(mode, gates, gateStride, hIn, hInStride, hPrev, hPrevStride, cPrev, cPrevStride, packed, units, 0, batch,
    hOut, hOutStride, cOut, cOutStride, mask, maskStride, recurrentBiasH, rhOut, activation, recurrentActivation,
    workspace, start, end);
}

/** Gate blocks of a cell's gates buffer row: lstm 4, gru 3 (modes 1 to 3), simpleRnn 1. */
export function recurrentCellGates(mode: i32): i32 {
  return mode == MODE_LSTM ? 4 : mode == MODE_SIMPLE_RNN ? 1 : 3;
}

/**
 * Every step of the sequence for batch rows [start, end): rows never interact, so a thread that owns whole
 * rows needs no hand-off between steps. Whole-buffer pointers (layouts as the legend, all [B, T, …] with
 * T = steps); step s reads input time goBackwards ? T-1-s : s. mode is the cell's first mode (gru: 1 or 2;
 * mode 2 is followed by mode 3 with packedCandidate). resetTimesH [B, U] is scratch for mode 2.
 */
export function recurrentForwardSequence(mode: i32, gates: usize, initialH: usize, initialC: usize, packed: usize,
  packedCandidate: usize, units: i32, steps: i32, goBackwards: i32, sequence: usize, extra: usize, mask: usize,
  recurrentBiasH: usize, resetTimesH: usize, activation: i32, recurrentActivation: i32,
  workspace: usize, start: i32, end: i32): void {
  const width = recurrentCellGates(mode) * units;
  const gateStride = steps * width;
  const stateStride = steps * units;
  const unitBlocks = (units + 3) >> 2;
  for (let s = 0; s < steps; s++) {
    const t = goBackwards ? steps - 1 - s : s;
    const stepGates = gates + ((<usize>t * <usize>width) << 2);
    const hPrev = s > 0 ? sequence + ((<usize>(s - 1) * <usize>units) << 2) : initialH;
    const cPrev = s > 0 ? (extra ? extra + ((<usize>(s - 1) * <usize>units) << 2) : 0) : initialC;
    const previousStride = s > 0 ? stateStride : units;
    const hOut = sequence + ((<usize>s * <usize>units) << 2);
    const cOut = extra ? extra + ((<usize>s * <usize>units) << 2) : 0;
    const stepMask = mask ? mask + (<usize>t << 2) : 0;
    forwardBlocks(mode, stepGates, gateStride, hPrev, previousStride, hPrev, previousStride, cPrev, previousStride,
      packed, units, start, end, hOut, stateStride, cOut, stateStride, stepMask, steps, recurrentBiasH, resetTimesH,
      activation, recurrentActivation, workspace, 0, unitBlocks);
    if (mode == MODE_GRU_GATES) {
      forwardBlocks(MODE_GRU_CANDIDATE, stepGates, gateStride, resetTimesH, units, hPrev, previousStride, cPrev,
        previousStride, packedCandidate, units, start, end, hOut, stateStride, cOut, stateStride, stepMask, steps,
        recurrentBiasH, resetTimesH, activation, recurrentActivation, workspace, 0, unitBlocks);
    }
  }
}
