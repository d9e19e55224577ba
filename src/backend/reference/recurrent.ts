// Whole-sequence LSTM / GRU / simpleRNN forward and BPTT backward in plain TypeScript, float64 inside: the
// oracle for the wasm kernels. Written step by step from the tfjs/Keras cell formulas, nothing fused.
//   x [B,T,F]  kernel [F,G·U]  recurrentKernel [U,G·U]  h, c [B,U]  mask [B,T]  gates [B,T,G·U] (input time order)
//   sequence, extra [B,T,U] (processing order: step s reads input time t = goBackwards ? T-1-s : s)
// Cells (gate pre-activations z* = x·W + h·U + bias; ra = recurrentActivation, a = activation):
//   lstm: i,f,o = ra(z*), g = a(zc); c' = f·c + i·g; h' = o·a(c')
//   gru:  z,r = ra(z*); hh = a(xh + (r·h)·U_h + b_h)  or with resetAfter a(xh + b_h + r·(h·U_h + b_rh));
//         h' = z·h + (1 - z)·hh
//   simpleRnn: h' = a(x·W + h·U + b)
import type { RecurrentActivation, RecurrentCell } from '../backend.js';
import { RECURRENT_GATES } from '../backend.js';

type FloatArray = Float32Array | Float64Array;

export interface RecurrentShape {
  cell: RecurrentCell;
  batch: number; steps: number; features: number; units: number;
  activation: RecurrentActivation; recurrentActivation: RecurrentActivation;
  goBackwards: boolean; resetAfter: boolean;
}

export interface RecurrentValues {
  x: FloatArray; kernel: FloatArray; recurrentKernel: FloatArray; bias?: FloatArray;
  initialH: FloatArray; initialC?: FloatArray; mask?: FloatArray;
}

export interface SavedValues {
  sequence: Float64Array; h: Float64Array; c?: Float64Array; gates: Float64Array; extra?: Float64Array;
}

export function activate(kind: RecurrentActivation, x: number): number {
  switch (kind) {
    case 'linear': return x;
    case 'relu': return x > 0 ? x : 0;
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'tanh': return Math.tanh(x);
    case 'hardSigmoid': return Math.min(1, Math.max(0, 0.2 * x + 0.5));
  }
}

/** The derivative expressed through the activation's output y (all five allow it). */
export function activationSlope(kind: RecurrentActivation, y: number): number {
  switch (kind) {
    case 'linear': return 1;
    case 'relu': return y > 0 ? 1 : 0;
    case 'sigmoid': return y * (1 - y);
    case 'tanh': return 1 - y * y;
    case 'hardSigmoid': return y > 0 && y < 1 ? 0.2 : 0;
  }
}

const timeOf = (shape: RecurrentShape, step: number): number => (shape.goBackwards ? shape.steps - 1 - step : step);

export function recurrentForwardValues(shape: RecurrentShape, input: RecurrentValues): SavedValues {
  const { cell, batch: B, steps: T, features: F, units: U, activation, recurrentActivation } = shape;
  const G = RECURRENT_GATES[cell];
  const GU = G * U;
  const resetAfter = cell === 'gru' && shape.resetAfter;
  const gates = new Float64Array(B * T * GU);
  const sequence = new Float64Array(B * T * U);
  const extra = cell === 'lstm' || resetAfter ? new Float64Array(B * T * U) : undefined;
  const h = Float64Array.from(input.initialH);
  const c = cell === 'lstm' ? Float64Array.from(input.initialC!) : undefined;
  const pre = new Float64Array(GU);
  const recurrent = new Float64Array(GU);
  for (let s = 0; s < T; s++) {
    const t = timeOf(shape, s);
    for (let b = 0; b < B; b++) {
      // pre = x·W + input bias; recurrent = h·U (+ recurrent bias with resetAfter)
      for (let j = 0; j < GU; j++) {
        let sum = input.bias ? input.bias[j] : 0;
        for (let f = 0; f < F; f++) sum += input.x[(b * T + t) * F + f] * input.kernel[f * GU + j];
        pre[j] = sum;
        let rec = resetAfter && input.bias ? input.bias[GU + j] : 0;
        for (let k = 0; k < U; k++) rec += h[b * U + k] * input.recurrentKernel[k * GU + j];
        recurrent[j] = rec;
      }
      const g = gates.subarray((b * T + t) * GU, (b * T + t + 1) * GU);
      const valid = !input.mask || input.mask[b * T + t] !== 0;
      const newH = new Float64Array(U);
      if (cell === 'lstm') {
        for (let u = 0; u < U; u++) {
          const i = activate(recurrentActivation, pre[u] + recurrent[u]);
          const f = activate(recurrentActivation, pre[U + u] + recurrent[U + u]);
          const cand = activate(activation, pre[2 * U + u] + recurrent[2 * U + u]);
          const o = activate(recurrentActivation, pre[3 * U + u] + recurrent[3 * U + u]);
          g[u] = i; g[U + u] = f; g[2 * U + u] = cand; g[3 * U + u] = o;
          const newC = f * c![b * U + u] + i * cand;
          newH[u] = o * activate(activation, newC);
          if (valid) c![b * U + u] = newC;
          extra![(b * T + s) * U + u] = c![b * U + u];
        }
      } else if (cell === 'gru') {
        for (let u = 0; u < 2 * U; u++) g[u] = activate(recurrentActivation, pre[u] + recurrent[u]);
        for (let u = 0; u < U; u++) {
          let candidatePre: number;
          if (resetAfter) {
            candidatePre = pre[2 * U + u] + g[U + u] * recurrent[2 * U + u];
            extra![(b * T + s) * U + u] = recurrent[2 * U + u];
          } else {
            candidatePre = pre[2 * U + u];
            for (let k = 0; k < U; k++) candidatePre += g[U + k] * h[b * U + k] * input.recurrentKernel[k * GU + 2 * U + u];
          }
          const hh = activate(activation, candidatePre);
          g[2 * U + u] = hh;
          const z = g[u];
          newH[u] = z * h[b * U + u] + (1 - z) * hh;
        }
      } else {
        for (let u = 0; u < U; u++) newH[u] = g[u] = activate(activation, pre[u] + recurrent[u]);
      }
      if (valid) h.set(newH, b * U);
      sequence.set(h.subarray(b * U, (b + 1) * U), (b * T + s) * U);
    }
  }
  return { sequence, h, c, gates, extra };
}

export interface GradientValues {
  dx: Float64Array; dKernel: Float64Array; dRecurrentKernel: Float64Array; dBias: Float64Array;
  dInitialH: Float64Array; dInitialC?: Float64Array;
}

/** Backpropagation through time, one step at a time from the last processed step. */
export function recurrentBackwardValues(
  shape: RecurrentShape, input: RecurrentValues, saved: SavedValues,
  dSequence: FloatArray, dH: FloatArray, dC: FloatArray | undefined,
): GradientValues {
  const { cell, batch: B, steps: T, features: F, units: U, activation, recurrentActivation } = shape;
  const G = RECURRENT_GATES[cell];
  const GU = G * U;
  const resetAfter = cell === 'gru' && shape.resetAfter;
  const W = input.kernel;
  const R = input.recurrentKernel;
  const dx = new Float64Array(B * T * F);
  const dKernel = new Float64Array(F * GU);
  const dRecurrentKernel = new Float64Array(U * GU);
  const dBias = new Float64Array((resetAfter ? 2 : 1) * GU);
  const dh = Float64Array.from(dH);
  const dc = cell === 'lstm' ? Float64Array.from(dC ?? new Float64Array(B * U)) : undefined;
  const dPre = new Float64Array(GU);        // gradient of the input-side pre-activations x·W + b
  const dRecurrent = new Float64Array(GU);  // gradient of h·U (+ recurrent bias)
  for (let s = T - 1; s >= 0; s--) {
    const t = timeOf(shape, s);
    for (let b = 0; b < B; b++) {
      const hGrad = new Float64Array(U);
      for (let u = 0; u < U; u++) hGrad[u] = dh[b * U + u] + dSequence[(b * T + s) * U + u];
      if (input.mask && input.mask[b * T + t] === 0) {
        // The step kept the previous state: its gradient passes straight through.
        dh.set(hGrad, b * U);
        continue;
      }
      const hPrev = (k: number): number => (s > 0 ? saved.sequence[(b * T + s - 1) * U + k] : input.initialH[b * U + k]);
      const g = saved.gates.subarray((b * T + t) * GU, (b * T + t + 1) * GU);
      const hPrevGrad = new Float64Array(U);
      if (cell === 'lstm') {
        for (let u = 0; u < U; u++) {
          const [i, f, cand, o] = [g[u], g[U + u], g[2 * U + u], g[3 * U + u]];
          const cNew = saved.extra![(b * T + s) * U + u];
          const cPrev = s > 0 ? saved.extra![(b * T + s - 1) * U + u] : input.initialC![b * U + u];
          const activeC = activate(activation, cNew);
          const cGrad = dc![b * U + u] + hGrad[u] * o * activationSlope(activation, activeC);
          dPre[u] = cGrad * cand * activationSlope(recurrentActivation, i);
          dPre[U + u] = cGrad * cPrev * activationSlope(recurrentActivation, f);
          dPre[2 * U + u] = cGrad * i * activationSlope(activation, cand);
          dPre[3 * U + u] = hGrad[u] * activeC * activationSlope(recurrentActivation, o);
          dc![b * U + u] = cGrad * f;
        }
        dRecurrent.set(dPre);
      } else if (cell === 'gru') {
        for (let u = 0; u < U; u++) {
          const [z, hh] = [g[u], g[2 * U + u]];
          dPre[u] = hGrad[u] * (hPrev(u) - hh) * activationSlope(recurrentActivation, z);
          dPre[2 * U + u] = hGrad[u] * (1 - z) * activationSlope(activation, hh);
          hPrevGrad[u] = hGrad[u] * z;
        }
        for (let u = 0; u < U; u++) {
          const r = g[U + u];
          let rGrad: number;
          if (resetAfter) {
            rGrad = dPre[2 * U + u] * saved.extra![(b * T + s) * U + u];
            dRecurrent[2 * U + u] = dPre[2 * U + u] * r;
          } else {
            let sum = 0;
            for (let j = 0; j < U; j++) sum += dPre[2 * U + j] * R[u * GU + 2 * U + j];
            rGrad = sum * hPrev(u);
            hPrevGrad[u] += sum * r;
            dRecurrent[2 * U + u] = 0;
          }
          dPre[U + u] = rGrad * activationSlope(recurrentActivation, r);
        }
        for (let j = 0; j < 2 * U; j++) dRecurrent[j] = dPre[j];
      } else {
        for (let u = 0; u < U; u++) dPre[u] = hGrad[u] * activationSlope(activation, g[u]);
        dRecurrent.set(dPre);
      }
      // Input side: dx, dW, input bias.
      for (let j = 0; j < GU; j++) {
        dBias[j] += dPre[j];
        if (resetAfter) dBias[GU + j] += dRecurrent[j];
        for (let f = 0; f < F; f++) {
          dKernel[f * GU + j] += input.x[(b * T + t) * F + f] * dPre[j];
          dx[(b * T + t) * F + f] += dPre[j] * W[f * GU + j];
        }
      }
      // Recurrent side: dU and the gradient reaching h_prev.
      for (let k = 0; k < U; k++) {
        const hk = hPrev(k);
        let sum = hPrevGrad[k];
        for (let j = 0; j < GU; j++) {
          dRecurrentKernel[k * GU + j] += hk * dRecurrent[j];
          sum += dRecurrent[j] * R[k * GU + j];
        }
        dh[b * U + k] = sum;
      }
      if (cell === 'gru' && !resetAfter) {
        for (let k = 0; k < U; k++) {
          const rh = g[U + k] * hPrev(k);
          for (let j = 0; j < U; j++) dRecurrentKernel[k * GU + 2 * U + j] += rh * dPre[2 * U + j];
        }
      }
    }
  }
  return { dx, dKernel, dRecurrentKernel, dBias, dInitialH: dh, dInitialC: dc };
}
