// Wrappers for assembly/recurrent.ts and recurrent-backward.ts: whole-sequence LSTM / GRU / simpleRNN.
// Forward: x·W + bias for all T steps is one threaded GEMM into the gates buffer, then the steps run h·U plus
// the gate math: split by batch rows, one dispatch runs the whole sequence; for a small batch, one hand-off per
// step (two for the GRU without resetAfter) split by blocks of units.
// Backward: the same two ways walk back (gate gradients and the gradient reaching h), then
// dx = dGates·Wᵀ, dW = xᵀ·dGates and dU = h_prevᵀ·dGates are big GEMMs over all steps, dBias a column sum.
//   x [B,T,F]  gates, dGates [B,T,G·U] (input time order)  sequence, extra, hPrevious [B,T,U]
import type { DataId, RecurrentArgs, RecurrentGradients, RecurrentState } from '../backend.js';
import { RECURRENT_ACTIVATION_CODE, RECURRENT_GATES, REDUCE_OP_CODE } from '../backend.js';
import type { Runtime } from '../../runtime/types.js';
import { runGemm } from './matmul.js';
import { runReduce } from './reduce.js';

/** What the backend lends these wrappers: its runtime and its buffer bookkeeping. */
export interface RecurrentHost {
  runtime: Runtime;
  /** A new backend buffer of `size` float32 elements (uninitialized). */
  allocate(size: number): DataId & { ptr: number };
  ptr(data: DataId, op: string): number;
}

const MODE = { lstm: 0, gruResetAfter: 1, gruGates: 2, gruCandidate: 3, simpleRnn: 4 } as const;

/** The step kernels' modes for a cell, in the order one step runs them. */
function stepModes(args: RecurrentArgs): number[] {
  if (args.cell === 'lstm') return [MODE.lstm];
  if (args.cell === 'simpleRnn') return [MODE.simpleRnn];
  return args.resetAfter ? [MODE.gruResetAfter] : [MODE.gruGates, MODE.gruCandidate];
}

/** Gate columns a mode multiplies by U, and the first of them. */
const PACKING: Record<number, { firstGate: number; gatesUsed: number }> = {
  [MODE.lstm]: { firstGate: 0, gatesUsed: 4 }, [MODE.gruResetAfter]: { firstGate: 0, gatesUsed: 3 },
  [MODE.gruGates]: { firstGate: 0, gatesUsed: 2 }, [MODE.gruCandidate]: { firstGate: 2, gatesUsed: 1 },
  [MODE.simpleRnn]: { firstGate: 0, gatesUsed: 1 },
};

const timeOf = (args: RecurrentArgs, step: number): number => (args.goBackwards ? args.steps - 1 - step : step);

/**
 * Batch rows never interact, so a thread owning whole rows runs every step with no hand-off (one dispatch per
 * sequence instead of one per step). Only a batch smaller than the thread count (a batch of 1 on 2 threads)
 * splits each step by unit blocks instead, one hand-off per step. Measured on 2 vCPUs at load ~4: batch 4,
 * 256 units, 100 steps: split by units 16.4 ms on 2 threads, by rows 11.9 ms, one thread 11.3 ms.
 */
const MIN_ROWS_PER_THREAD = 1;
function splitByRows(rt: Runtime, batch: number): boolean {
  return rt.info.threads === 1 || batch >= MIN_ROWS_PER_THREAD * rt.info.threads;
}

/**
 * A step split by units pays one hand-off per step: below ~512k flops per thread (the runtime's threshold for
 * waking a worker) a second thread measured no faster or slower (B 1-6, U 128, 2 vCPUs), so such steps stay
 * on the calling thread.
 */
const MIN_STEP_FLOPS_PER_THREAD = 512 * 1024;
const stepThreads = (stepFlops: number): number => Math.max(1, Math.floor(stepFlops / MIN_STEP_FLOPS_PER_THREAD));

/** Temporary wasm blocks freed together. */
class Scratch {
  private blocks: number[] = [];
  constructor(private rt: Runtime) {}
  alloc(floats: number, zero = false): number {
    const ptr = this.rt.alloc(Math.max(floats, 1) * 4);
    this.blocks.push(ptr);
    if (zero) this.rt.f32().fill(0, ptr >> 2, (ptr >> 2) + floats);
    return ptr;
  }
  copyOf(source: number, floats: number): number {
    const ptr = this.alloc(floats);
    const f32 = this.rt.f32();
    f32.copyWithin(ptr >> 2, source >> 2, (source >> 2) + floats);
    return ptr;
  }
  freeAll(): void {
    for (const ptr of this.blocks) this.rt.free(ptr);
    this.blocks = [];
  }
}

/** U's used columns reordered into the step kernel's panels. */
function packWeights(rt: Runtime, scratch: Scratch, weights: number, units: number, rowLength: number, mode: number): number {
  const { firstGate, gatesUsed } = PACKING[mode];
  const groupBlocks = rt.exports.recurrentGroupBlocks(mode) as number;
  const groups = Math.ceil(Math.ceil(units / 4) / groupBlocks);
  const panels = groups * ((groupBlocks * gatesUsed) / 4);
  const packed = scratch.alloc(panels * units * 16);
  rt.run('recurrentPackWeights', [weights, packed, units, rowLength, firstGate, gatesUsed], panels,
    { costPerUnit: units * 16 });
  return packed;
}

/** gates = x·W + bias over all steps (one GEMM); for gru with resetAfter the z, r recurrent biases fold in. */
function projectInputs(host: RecurrentHost, args: RecurrentArgs, scratch: Scratch, gates: number): void {
  const rt = host.runtime;
  const { batch, steps, features, units } = args;
  const width = RECURRENT_GATES[args.cell] * units;
  let bias = args.bias ? host.ptr(args.bias, 'recurrent') : 0;
  if (bias && args.cell === 'gru' && args.resetAfter) {
    const folded = scratch.copyOf(bias, width);
    const f32 = rt.f32();
    for (let j = 0; j < 2 * units; j++) f32[(folded >> 2) + j] += f32[(bias >> 2) + width + j];
    bias = folded;
  }
  if (features === 0) rt.f32().fill(0, gates >> 2, (gates >> 2) + batch * steps * width);
  runGemm(rt, {
    a: host.ptr(args.x, 'recurrent'), b: host.ptr(args.kernel, 'recurrent'), out: gates, bias,
    batch: 1, m: batch * steps, n: width, k: features, strideA: 0, strideB: 0,
    transposeA: false, transposeB: false, activation: 0,
  });
}

export function runRecurrentForward(host: RecurrentHost, args: RecurrentArgs): RecurrentState {
  const rt = host.runtime;
  const { batch: B, steps: T, units: U } = args;
  const G = RECURRENT_GATES[args.cell];
  const scratch = new Scratch(rt);
  const gates = host.allocate(B * T * G * U);
  const sequence = host.allocate(B * T * U);
  const hasExtra = args.cell === 'lstm' || (args.cell === 'gru' && args.resetAfter);
  const extra = hasExtra ? host.allocate(B * T * U) : undefined;
  try {
    projectInputs(host, args, scratch, gates.ptr);
    const modes = stepModes(args);
    const packed = modes.map((mode) => packWeights(rt, scratch, host.ptr(args.recurrentKernel, 'recurrent'), U, G * U, mode));
    const initialH = host.ptr(args.initialH, 'recurrent');
    const initialC = args.initialC ? host.ptr(args.initialC, 'recurrent') : 0;
    const mask = args.mask ? host.ptr(args.mask, 'recurrent') : 0;
    const recurrentBiasH = args.bias && args.resetAfter ? host.ptr(args.bias, 'recurrent') + (G * U + 2 * U) * 4 : 0;
    const zeroBias = args.resetAfter && !args.bias ? scratch.alloc(U, true) : 0;
    const resetTimesH = args.cell === 'gru' && !args.resetAfter ? scratch.alloc(B * U) : 0;
    const workspaceBytes = rt.exports.recurrentStepWorkspaceBytes() as number;
    const activation = RECURRENT_ACTIVATION_CODE[args.activation];
    const recurrentActivation = RECURRENT_ACTIVATION_CODE[args.recurrentActivation];
    const unitBlocks = Math.ceil(U / 4);
    if (splitByRows(rt, B)) {
      rt.run('recurrentForwardSequence', [
        modes[0], gates.ptr, initialH, initialC, packed[0], packed[1] ?? 0, U, T, args.goBackwards ? 1 : 0,
        sequence.ptr, extra?.ptr ?? 0, mask, recurrentBiasH || zeroBias, resetTimesH, activation, recurrentActivation,
      ], B, { grain: 2, costPerUnit: T * (2 * U * G * U + 40 * U), workspaceBytes });
    }
    for (let s = 0; s < T && !splitByRows(rt, B); s++) {
      const t = timeOf(args, s);
      const hPrev = s > 0 ? sequence.ptr + (s - 1) * U * 4 : initialH;
      const hPrevStride = s > 0 ? T * U : U;
      const cPrev = s > 0 && extra ? extra.ptr + (s - 1) * U * 4 : initialC;
      modes.forEach((mode, i) => {
        const { gatesUsed } = PACKING[mode];
        const fromReset = mode === MODE.gruCandidate;
        rt.run('recurrentForwardStep', [
          mode, gates.ptr + t * G * U * 4, T * G * U, fromReset ? resetTimesH : hPrev, fromReset ? U : hPrevStride,
          hPrev, hPrevStride, cPrev, s > 0 ? T * U : U, packed[i], U, B,
          sequence.ptr + s * U * 4, T * U, extra ? extra.ptr + s * U * 4 : 0, T * U, mask ? mask + t * 4 : 0, T,
          recurrentBiasH || zeroBias, resetTimesH, activation, recurrentActivation,
        ], unitBlocks, {
          grain: rt.exports.recurrentGroupBlocks(mode), costPerUnit: 2 * B * U * 4 * gatesUsed + 40 * B, workspaceBytes,
          maxThreads: stepThreads(2 * B * U * gatesUsed * U),
        });
      });
    }
    const lastRow = (source: number): DataId => {
      const out = host.allocate(B * U);
      const f32 = rt.f32();
      for (let b = 0; b < B; b++) {
        const from = (source >> 2) + (b * T + T - 1) * U;
        f32.copyWithin((out.ptr >> 2) + b * U, from, from + U);
      }
      return out;
    };
    return {
      sequence, h: lastRow(sequence.ptr), c: args.cell === 'lstm' ? lastRow(extra!.ptr) : undefined, gates, extra,
    };
  } finally {
    scratch.freeAll();
  }
}

type Needs = { x: boolean; kernel: boolean; recurrentKernel: boolean; bias: boolean; initialH: boolean; initialC: boolean };

export function runRecurrentBackward(
  host: RecurrentHost, args: RecurrentArgs, saved: RecurrentState, dSequenceId: DataId, dHId: DataId,
  dCId: DataId | undefined, needs: Needs,
): RecurrentGradients {
  const rt = host.runtime;
  const { batch: B, steps: T, features: F, units: U } = args;
  const G = RECURRENT_GATES[args.cell];
  const width = G * U;
  const op = 'recurrentBackward';
  const scratch = new Scratch(rt);
  const resetAfter = args.cell === 'gru' && args.resetAfter;
  const plainGru = args.cell === 'gru' && !args.resetAfter;
  try {
    const gates = host.ptr(saved.gates, op);
    const sequence = host.ptr(saved.sequence, op);
    const extra = saved.extra ? host.ptr(saved.extra, op) : 0;
    const initialH = host.ptr(args.initialH, op);
    const initialC = args.initialC ? host.ptr(args.initialC, op) : 0;
    const weights = host.ptr(args.recurrentKernel, op);
    const mask = args.mask ? host.ptr(args.mask, op) : 0;
    const dSequence = host.ptr(dSequenceId, op);
    const dGates = scratch.alloc(B * T * width);
    const recurrentGrads = resetAfter ? scratch.alloc(B * T * width) : dGates;
    const dhCarry = scratch.copyOf(host.ptr(dHId, op), B * U);
    const dcCarry = args.cell === 'lstm'
      ? (dCId ? scratch.copyOf(host.ptr(dCId, op), B * U) : scratch.alloc(B * U, true)) : 0;
    const direct = scratch.alloc(B * U, true);
    const workspaceBytes = rt.exports.recurrentBackwardWorkspaceBytes() as number;
    const activation = RECURRENT_ACTIVATION_CODE[args.activation];
    const recurrentActivation = RECURRENT_ACTIVATION_CODE[args.recurrentActivation];
    const modes = stepModes(args);
    const unitBlocks = Math.ceil(U / 4);
    const cost = 2 * B * width * 4 + 40 * B;
    if (splitByRows(rt, B)) {
      rt.run('recurrentBackwardSequence', [
        modes[0], dGates, recurrentGrads, weights, U, T, args.goBackwards ? 1 : 0, gates, dSequence, initialH, initialC,
        sequence, extra, dhCarry, dcCarry, direct, mask, activation, recurrentActivation,
      ], B, { grain: 2, costPerUnit: T * (2 * width * U + 40 * U), workspaceBytes });
    }
    for (let s = T - 1; s >= 0 && !splitByRows(rt, B); s--) {
      const t = timeOf(args, s);
      const next = s + 1 < T ? timeOf(args, s + 1) : -1;
      for (const mode of modes) {
        rt.run('recurrentBackwardStep', [
          mode, dGates + t * width * 4, T * width, next >= 0 ? recurrentGrads + next * width * 4 : 0, T * width,
          resetAfter ? recurrentGrads + t * width * 4 : 0, weights, width, U, B, gates + t * width * 4, T * width,
          dSequence + s * U * 4, T * U, s > 0 ? sequence + (s - 1) * U * 4 : initialH, s > 0 ? T * U : U,
          extra ? extra + s * U * 4 : 0, s > 0 ? (extra ? extra + (s - 1) * U * 4 : 0) : initialC, T * U, s > 0 ? T * U : U,
          dhCarry, dcCarry, direct, mask ? mask + t * 4 : 0, mask && next >= 0 ? mask + next * 4 : 0, T,
          activation, recurrentActivation,
        ], unitBlocks, { costPerUnit: cost, workspaceBytes, maxThreads: stepThreads(2 * B * width * U) });
      }
    }
    const grads: RecurrentGradients = {};
    if (needs.initialH) {
      const out = host.allocate(B * U);
      const first = timeOf(args, 0);
      rt.run('recurrentInitialStateGrad', [
        modes[0], recurrentGrads + first * width * 4, T * width, weights, width, U, B, dhCarry, direct,
        mask ? mask + first * 4 : 0, T, out.ptr,
      ], unitBlocks, { costPerUnit: cost, workspaceBytes });
      grads.dInitialH = out;
    }
    if (needs.initialC && args.cell === 'lstm') {
      const out = host.allocate(B * U);
      rt.f32().copyWithin(out.ptr >> 2, dcCarry >> 2, (dcCarry >> 2) + B * U);
      grads.dInitialC = out;
    }
    const gemm = (a: number, b: number, out: number, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean) => {
      if (k === 0) rt.f32().fill(0, out >> 2, (out >> 2) + m * n);
      runGemm(rt, { a, b, out, bias: 0, batch: 1, m, n, k, strideA: 0, strideB: 0, transposeA, transposeB, activation: 0 });
    };
    if (needs.x) {
      const dx = host.allocate(B * T * F);
      gemm(dGates, host.ptr(args.kernel, op), dx.ptr, B * T, F, width, false, true);
      grads.dx = dx;
    }
    if (needs.kernel) {
      const dKernel = host.allocate(F * width);
      gemm(host.ptr(args.x, op), dGates, dKernel.ptr, F, width, B * T, true, false);
      grads.dKernel = dKernel;
    }
    if (needs.recurrentKernel) {
      // h_prev of every step, in input time order beside its gate gradients.
      const hPrevious = scratch.alloc(B * T * U);
      const f32 = rt.f32();
      for (let b = 0; b < B; b++) {
        for (let s = 0; s < T; s++) {
          const to = (hPrevious >> 2) + (b * T + timeOf(args, s)) * U;
          const from = s > 0 ? (sequence >> 2) + (b * T + s - 1) * U : (initialH >> 2) + b * U;
          f32.copyWithin(to, from, from + U);
        }
      }
      const dRecurrent = host.allocate(U * width);
      gemm(hPrevious, recurrentGrads, dRecurrent.ptr, U, width, B * T, true, false);
      if (plainGru) {
        // The candidate's columns multiply r·h_prev: a second product, of which its columns are kept.
        const view = rt.f32();
        for (let row = 0; row < B * T; row++) {
          for (let u = 0; u < U; u++) view[(hPrevious >> 2) + row * U + u] *= view[(gates >> 2) + row * width + U + u];
        }
        const candidate = scratch.alloc(U * width);
        gemm(hPrevious, dGates, candidate, U, width, B * T, true, false);
        const after = rt.f32();
        for (let k = 0; k < U; k++) {
          const base = k * width + 2 * U;
          after.copyWithin((dRecurrent.ptr >> 2) + base, (candidate >> 2) + base, (candidate >> 2) + base + U);
        }
      }
      grads.dRecurrentKernel = dRecurrent;
    }
    if (needs.bias && args.bias) {
      const dBias = host.allocate((resetAfter ? 2 : 1) * width);
      // The sum over no rows (an empty batch) is zero; the reduce kernel writes nothing then.
      if (B * T === 0) rt.f32().fill(0, dBias.ptr >> 2, (dBias.ptr >> 2) + (resetAfter ? 2 : 1) * width);
      runReduce(rt, REDUCE_OP_CODE.sum, dGates, dBias.ptr, 1, B * T, width);
      if (resetAfter) runReduce(rt, REDUCE_OP_CODE.sum, recurrentGrads, dBias.ptr + width * 4, 1, B * T, width);
      grads.dBias = dBias;
    }
    return grads;
  } finally {
    scratch.freeAll();
  }
}
