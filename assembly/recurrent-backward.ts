// Backpropagation through time for the cells of recurrent.ts, split as the forward: by batch rows over the
// whole sequence (recurrentBackwardSequence), or one step at a time by blocks of 4 units (recurrentBackwardStep).
// The gradient reaching h from the next step is Σ_j dNext[b, j]·U[u, j] (a row of U per unit, contiguous), so
// a thread split by units needs only its own units of every buffer it writes and the whole of dNext, which the
// previous hand-off finished: one hand-off per step (two for the GRU without resetAfter, whose reset gate
// gradient needs the candidate's gradient of every unit first).
//
// Shape legend (elements; pointers are bytes at the current step, strides are elements between batch rows):
//   dGates [B, G·U] out: gradient of the input-side pre-activations (x·W + b) at this step's input time
//   recNext [B, G·U]: the recurrent-side gradients (of h·U) of the next processed step; 0 at the last step
//   recOut [B, G·U]: this step's recurrent-side gradients where they differ from dGates (gru resetAfter)
//   gates [B, G·U] the saved activated gates; saved [B, U] the mode's extra (lstm c, gru resetAfter h·U_h + b)
//   dSequence, hPrev, cPrev [B, U] with strides; dhCarry, dcCarry, direct: [B, U] contiguous, in/out
//   mask, nextMask [B] with maskStride (0 = no mask)
// Modes as recurrent.ts: 0 lstm, 1 gru resetAfter, 2 gru (update gate and candidate), 3 gru (reset gate,
// after mode 2 of the same step), 4 simpleRnn. Units of start/end: blocks of 4 units.
import { madd, splat } from './vmath';
import { activateGate, gateSlope, laneSum, loadUnits, stepValid, storeUnits } from './recurrent-math';

const MODE_LSTM: i32 = 0;
const MODE_GRU_RESET_AFTER: i32 = 1;
const MODE_GRU_UPDATE: i32 = 2;
const MODE_GRU_RESET: i32 = 3;
const MODE_SIMPLE_RNN: i32 = 4;

// @ts-ignore: decorator
@inline function rowPtr(base: usize, row: i32, stride: i32, column: i32): usize {
  return base + ((<usize>row * <usize>stride + <usize>column) << 2);
}

/**
 * For units unit…unit+3 and rows d0, d1 (pointers at column 0): Σ_j d[j]·U[u, j] over columns
 * [columnStart, columnStart + columns) of U [units, rowLength]; stores the 4-unit vectors at out and out+16.
 */
// @ts-ignore: decorator
@inline function rowsTimesWeights(d0: usize, d1: usize, weights: usize, rowLength: i32, columnStart: i32,
  columns: i32, units: i32, unit: i32, out: usize): void {
  const rowBytes = <usize>rowLength << 2;
  const first = weights + ((<usize>min(unit, units - 1) * <usize>rowLength + <usize>columnStart) << 2);
  // Units past the end reuse the last row; their lanes are never stored.
  const w0 = first;
  const w1 = unit + 1 < units ? w0 + rowBytes : w0;
  const w2 = unit + 2 < units ? w0 + 2 * rowBytes : w0;
  const w3 = unit + 3 < units ? w0 + 3 * rowBytes : w0;
  const g0 = d0 + (<usize>columnStart << 2);
  const g1 = d1 + (<usize>columnStart << 2);
  let a0 = splat(0), a1 = splat(0), a2 = splat(0), a3 = splat(0);
  let b0 = splat(0), b1 = splat(0), b2 = splat(0), b3 = splat(0);
  let j = 0;
  if (d0 == d1) {
    // One row (a batch of 1, or an odd last row): half the work; the second result repeats the first.
    for (; j + 4 <= columns; j += 4) {
      const offset = <usize>j << 2;
      const x0 = v128.load(g0 + offset);
      a0 = madd(x0, v128.load(w0 + offset), a0); a1 = madd(x0, v128.load(w1 + offset), a1);
      a2 = madd(x0, v128.load(w2 + offset), a2); a3 = madd(x0, v128.load(w3 + offset), a3);
    }
    b0 = a0; b1 = a1; b2 = a2; b3 = a3;
  }
  for (; j + 4 <= columns; j += 4) {
    const offset = <usize>j << 2;
    const x0 = v128.load(g0 + offset);
    const x1 = v128.load(g1 + offset);
    const u0 = v128.load(w0 + offset);
    const u1 = v128.load(w1 + offset);
    const u2 = v128.load(w2 + offset);
    const u3 = v128.load(w3 + offset);
    a0 = madd(x0, u0, a0); a1 = madd(x0, u1, a1); a2 = madd(x0, u2, a2); a3 = madd(x0, u3, a3);
    b0 = madd(x1, u0, b0); b1 = madd(x1, u1, b1); b2 = madd(x1, u2, b2); b3 = madd(x1, u3, b3);
  }
  let s0 = laneSum(a0), s1 = laneSum(a1), s2 = laneSum(a2), s3 = laneSum(a3);
  let t0 = laneSum(b0), t1 = laneSum(b1), t2 = laneSum(b2), t3 = laneSum(b3);
  for (; j < columns; j++) {
    const offset = <usize>j << 2;
    const x0 = load<f32>(g0 + offset);
    const x1 = load<f32>(g1 + offset);
    s0 += x0 * load<f32>(w0 + offset); s1 += x0 * load<f32>(w1 + offset);
    s2 += x0 * load<f32>(w2 + offset); s3 += x0 * load<f32>(w3 + offset);
    t0 += x1 * load<f32>(w0 + offset); t1 += x1 * load<f32>(w1 + offset);
    t2 += x1 * load<f32>(w2 + offset); t3 += x1 * load<f32>(w3 + offset);
  }
  let v = f32x4.splat(s0);
  v = f32x4.replace_lane(v, 1, s1); v = f32x4.replace_lane(v, 2, s2); v = f32x4.replace_lane(v, 3, s3);
  v128.store(out, v);
  let w = f32x4.splat(t0);
  w = f32x4.replace_lane(w, 1, t1); w = f32x4.replace_lane(w, 2, t2); w = f32x4.replace_lane(w, 3, t3);
  v128.store(out, w, 16);
}

/** Columns of U whose gradients reach h_prev through the product (the rest arrive through `direct`). */
// @ts-ignore: decorator
@inline function productColumns(mode: i32, units: i32, rowLength: i32): i32 {
  return mode == MODE_GRU_UPDATE ? 2 * units : rowLength;
}

/** Bytes of scratch one thread needs: two 4-unit vectors. */
export function recurrentBackwardWorkspaceBytes(): i32 {
  return 32;
}

/** One step back for batch rows [rowStart, rowEnd) and unit blocks [start, end). */
function backwardBlocks(mode: i32, dGates: usize, dGateStride: i32, recNext: usize, recNextStride: i32,
  recOut: usize, weights: usize, rowLength: i32, units: i32, rowStart: i32, rowEnd: i32, gates: usize, gateStride: i32,
  dSequence: usize, dSequenceStride: i32, hPrev: usize, hPrevStride: i32, saved: usize, cPrev: usize, savedStride: i32,
  cPrevStride: i32, dhCarry: usize, dcCarry: usize, direct: usize, mask: usize, nextMask: usize, maskStride: i32,
  activation: i32, recurrentActivation: i32, workspace: usize, start: i32, end: i32): void {
  const gateBytes = <usize>units << 2;
  for (let block = start; block < end; block++) {
    const unit = block << 2;
    const n = min(4, units - unit);
    for (let b = rowStart; b < rowEnd; b += 2) {
      const pair = min(b + 1, rowEnd - 1);
      if (mode == MODE_GRU_RESET) {
        // The gradient of r·h_prev: this step's candidate gradients times the rows of U_h.
        rowsTimesWeights(rowPtr(dGates, b, dGateStride, 0), rowPtr(dGates, pair, dGateStride, 0), weights, rowLength,
          2 * units, units, units, unit, workspace);
      } else if (recNext != 0) {
        rowsTimesWeights(rowPtr(recNext, b, recNextStride, 0), rowPtr(recNext, pair, recNextStride, 0), weights,
          rowLength, 0, productColumns(mode, units, rowLength), units, unit, workspace);
      }
      for (let row = b; row <= pair; row++) {
        const product = v128.load(workspace + (row == b ? 0 : 16));
        const gateRow = rowPtr(gates, row, gateStride, unit);
        const dGateRow = rowPtr(dGates, row, dGateStride, unit);
        const carry = rowPtr(dhCarry, row, units, unit);
        const directAt = rowPtr(direct, row, units, unit);
        const valid = stepValid(mask, row, maskStride);
        if (mode == MODE_GRU_RESET) {
          if (!valid) {
            storeUnits(dGateRow + gateBytes, splat(0), n);
            continue;
          }
          const r = loadUnits(gateRow + gateBytes, n);
          const h = loadUnits(rowPtr(hPrev, row, hPrevStride, unit), n);
          storeUnits(dGateRow + gateBytes, f32x4.mul(f32x4.mul(product, h), gateSlope(r, recurrentActivation)), n);
          storeUnits(directAt, madd(r, product, loadUnits(directAt, n)), n);
          continue;
        }
        const fromNext = recNext != 0 && stepValid(nextMask, row, maskStride);
        let dh = fromNext ? product : loadUnits(carry, n);
        if (fromNext && mode != MODE_LSTM && mode != MODE_SIMPLE_RNN) dh = f32x4.add(dh, loadUnits(directAt, n));
        dh = f32x4.add(dh, loadUnits(rowPtr(dSequence, row, dSequenceStride, unit), n));
        if (!valid) {
          // The step kept the previous state: the gradient passes through untouched.
          storeUnits(carry, dh, n);
          const gatesUsed = mode == MODE_LSTM ? 4 : mode == MODE_SIMPLE_RNN ? 1 : 3;
          for (let g = 0; g < gatesUsed; g++) {
            storeUnits(dGateRow + <usize>g * gateBytes, splat(0), n);
            if (mode == MODE_GRU_RESET_AFTER) storeUnits(rowPtr(recOut, row, dGateStride, unit) + <usize>g * gateBytes, splat(0), n);
          }
          continue;
        }
        if (mode == MODE_LSTM) {
          const i = loadUnits(gateRow, n);
          const f = loadUnits(gateRow + gateBytes, n);
          const g = loadUnits(gateRow + 2 * gateBytes, n);
          const o = loadUnits(gateRow + 3 * gateBytes, n);
          const activeC = activateGate(loadUnits(rowPtr(saved, row, savedStride, unit), n), activation);
          const cellCarry = rowPtr(dcCarry, row, units, unit);
          const dc = madd(f32x4.mul(dh, o), gateSlope(activeC, activation), loadUnits(cellCarry, n));
          const cPrevBlock = loadUnits(rowPtr(cPrev, row, cPrevStride, unit), n);
          storeUnits(dGateRow, f32x4.mul(f32x4.mul(dc, g), gateSlope(i, recurrentActivation)), n);
          storeUnits(dGateRow + gateBytes, f32x4.mul(f32x4.mul(dc, cPrevBlock), gateSlope(f, recurrentActivation)), n);
          storeUnits(dGateRow + 2 * gateBytes, f32x4.mul(f32x4.mul(dc, i), gateSlope(g, activation)), n);
          storeUnits(dGateRow + 3 * gateBytes, f32x4.mul(f32x4.mul(dh, activeC), gateSlope(o, recurrentActivation)), n);
          storeUnits(cellCarry, f32x4.mul(dc, f), n);
        } else if (mode == MODE_SIMPLE_RNN) {
          storeUnits(dGateRow, f32x4.mul(dh, gateSlope(loadUnits(gateRow, n), activation)), n);
        } else {
          // gru: h = z·h_prev + (1 - z)·candidate
          const z = loadUnits(gateRow, n);
          const candidate = loadUnits(gateRow + 2 * gateBytes, n);
          const h = loadUnits(rowPtr(hPrev, row, hPrevStride, unit), n);
          const dz = f32x4.mul(f32x4.mul(dh, f32x4.sub(h, candidate)), gateSlope(z, recurrentActivation));
          const dCandidate = f32x4.mul(f32x4.mul(dh, f32x4.sub(splat(1), z)), gateSlope(candidate, activation));
          storeUnits(dGateRow, dz, n);
          storeUnits(dGateRow + 2 * gateBytes, dCandidate, n);
          storeUnits(directAt, f32x4.mul(dh, z), n);
          if (mode == MODE_GRU_RESET_AFTER) {
            const r = loadUnits(gateRow + gateBytes, n);
            const recurrentPart = loadUnits(rowPtr(saved, row, savedStride, unit), n);
            const dr = f32x4.mul(f32x4.mul(dCandidate, recurrentPart), gateSlope(r, recurrentActivation));
            storeUnits(dGateRow + gateBytes, dr, n);
            const recRow = rowPtr(recOut, row, dGateStride, unit);
            storeUnits(recRow, dz, n);
            storeUnits(recRow + gateBytes, dr, n);
            storeUnits(recRow + 2 * gateBytes, f32x4.mul(dCandidate, r), n);
          }
        }
      }
    }
  }
}

/** One step back over the whole batch; units of start/end: blocks of 4 units. */
export function recurrentBackwardStep(mode: i32, dGates: usize, dGateStride: i32, recNext: usize, recNextStride: i32,
  recOut: usize, weights: usize, rowLength: i32, units: i32, batch: i32, gates: usize, gateStride: i32,
  dSequence: usize, dSequenceStride: i32, hPrev: usize, hPrevStride: i32, saved: usize, cPrev: usize, savedStride: i32,
  cPrevStride: i32, dhCarry: usize, dcCarry: usize, direct: usize, mask: usize, nextMask: usize, maskStride: i32,
  activation: i32, recurrentActivation: i32, workspace: usize, start: i32, end: i32): void {
  backwardBlocks(mode, dGates, dGateStride, recNext, recNextStride, recOut, weights, rowLength, units, 0, batch, gates,
    gateStride, dSequence, dSequenceStride, hPrev, hPrevStride, saved, cPrev, savedStride, cPrevStride, dhCarry, dcCarry,
    direct, mask, nextMask, maskStride, activation, recurrentActivation, workspace, start, end);
}

/**
 * Every step back, from the last processed one, for batch rows [start, end) (rows never interact: no hand-off
 * between steps). Whole-buffer pointers as recurrentForwardSequence; recurrentGrads is dGates except for the
 * gru with resetAfter (mode 1), which keeps its recurrent-side gradients apart. Mode 2 is followed by mode 3.
 */
export function recurrentBackwardSequence(mode: i32, dGates: usize, recurrentGrads: usize, weights: usize, units: i32,
  steps: i32, goBackwards: i32, gates: usize, dSequence: usize, initialH: usize, initialC: usize, sequence: usize,
  extra: usize, dhCarry: usize, dcCarry: usize, direct: usize, mask: usize, activation: i32, recurrentActivation: i32,
  workspace: usize, start: i32, end: i32): void {
  const width = (mode == MODE_LSTM ? 4 : mode == MODE_SIMPLE_RNN ? 1 : 3) * units;
  const gateStride = steps * width;
  const stateStride = steps * units;
  const unitBlocks = (units + 3) >> 2;
  for (let s = steps - 1; s >= 0; s--) {
    const t = goBackwards ? steps - 1 - s : s;
    const next = s + 1 < steps ? (goBackwards ? steps - 2 - s : s + 1) : -1;
    const row = (<usize>t * <usize>width) << 2;
    const recNext = next >= 0 ? recurrentGrads + ((<usize>next * <usize>width) << 2) : 0;
    const hPrev = s > 0 ? sequence + ((<usize>(s - 1) * <usize>units) << 2) : initialH;
    const cPrev = s > 0 ? (extra ? extra + ((<usize>(s - 1) * <usize>units) << 2) : 0) : initialC;
    const previousStride = s > 0 ? stateStride : units;
    const saved = extra ? extra + ((<usize>s * <usize>units) << 2) : 0;
    const stepMask = mask ? mask + (<usize>t << 2) : 0;
    const nextMask = mask && next >= 0 ? mask + (<usize>next << 2) : 0;
    const stepDSequence = dSequence + ((<usize>s * <usize>units) << 2);
    backwardBlocks(mode, dGates + row, gateStride, recNext, gateStride, mode == MODE_GRU_RESET_AFTER ? recurrentGrads + row : 0,
      weights, width, units, start, end, gates + row, gateStride, stepDSequence, stateStride, hPrev, previousStride, saved,
      cPrev, stateStride, previousStride, dhCarry, dcCarry, direct, stepMask, nextMask, steps, activation,
      recurrentActivation, workspace, 0, unitBlocks);
    if (mode == MODE_GRU_UPDATE) {
      backwardBlocks(MODE_GRU_RESET, dGates + row, gateStride, recNext, gateStride, 0, weights, width, units, start, end,
        gates + row, gateStride, stepDSequence, stateStride, hPrev, previousStride, saved, cPrev, stateStride,
        previousStride, dhCarry, dcCarry, direct, stepMask, nextMask, steps, activation, recurrentActivation, workspace,
        0, unitBlocks);
    }
  }
}

/** The gradient of the initial state h: as a step's incoming gradient, without a step of its own. */
export function recurrentInitialStateGrad(mode: i32, recNext: usize, recNextStride: i32, weights: usize, rowLength: i32,
  units: i32, batch: i32, dhCarry: usize, direct: usize, nextMask: usize, maskStride: i32, out: usize,
  workspace: usize, start: i32, end: i32): void {
  for (let block = start; block < end; block++) {
    const unit = block << 2;
    const n = min(4, units - unit);
    for (let b = 0; b < batch; b += 2) {
      const pair = min(b + 1, batch - 1);
      rowsTimesWeights(rowPtr(recNext, b, recNextStride, 0), rowPtr(recNext, pair, recNextStride, 0), weights,
        rowLength, 0, productColumns(mode, units, rowLength), units, unit, workspace);
      for (let row = b; row <= pair; row++) {
        const at = <usize>(row * units + unit) << 2;
        let dh: v128;
        if (stepValid(nextMask, row, maskStride)) {
          dh = v128.load(workspace + (row == b ? 0 : 16));
          if (mode != MODE_LSTM && mode != MODE_SIMPLE_RNN) dh = f32x4.add(dh, loadUnits(direct + at, n));
        } else {
          dh = loadUnits(dhCarry + at, n);
        }
        storeUnits(out + at, dh, n);
      }
    }
  }
}
