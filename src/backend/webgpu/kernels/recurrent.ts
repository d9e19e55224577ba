// Whole-sequence LSTM / GRU / simpleRNN on the GPU, split as the wasm backend splits them:
//   forward:  gates = x·W + bias for all steps is one tiled GEMM (matmul.ts) into the gates buffer; then per step
//             one kernel (two for the GRU without resetAfter) adds h·U and applies the gate math in place, writing
//             the sequence row and extra (recurrent-gates.ts); the final h and c are sliced out at the end.
//   backward: per step in reverse one kernel (two for that GRU) writes the step's gate gradients and carries dh
//             (the product dRec·Uᵀ reaching h_prev is taken by the next kernel, from the dGates row just written),
//             then whole-sequence GEMMs: dx = dGates·Wᵀ, dW = xᵀ·dGates, dU = h_prevᵀ·dRec (h_prev gathered once
//             from initialH and the sequence), and dBias a column sum.
// Every dispatch goes into the executor's encoder, nothing is read back; shapes and the step index are uniforms,
// so a new shape or step compiles nothing. The per-step product is a dot product per (b, j) invocation rather
// than a tiled GEMM: with B·U outputs and a K of U it needs no workgroup memory, no barrier and no extra launch
// for the gate math (not yet measured on a hardware adapter; CI has only llvmpipe).
//   x [B,T,F]  W [F,G·U]  U [U,G·U]  gates, dGates [B,T,G·U] (input time order)  sequence, extra [B,T,U] (processing order)
import type { RecurrentArgs } from '../../backend.js';
import { RECURRENT_GATES } from '../../backend.js';
import { Words, type GpuExecutor } from '../executor.js';
import { Scratch } from '../scratch.js';
import { elementwiseKernel, header } from '../wgsl.js';
import { type GemmShape, type GemmTiling, gemmTiling, tileCols, tileRows, tiledGemmMain } from './gemm-tile.js';
import { gemm } from './matmul.js';
import { stridedSlice, transpose } from './movement.js';
import {
  activationHelpers, backwardStepBody, forwardModes, forwardStepBody, recurrentGradHelper,
  type BackwardMode, type CellSpec,
} from './recurrent-gates.js';

/** RecurrentArgs as the backend sends them: buffer ids in place of DataIds. */
type Args = Omit<RecurrentArgs, 'x' | 'kernel' | 'recurrentKernel' | 'bias' | 'initialH' | 'initialC' | 'mask'> & {
  x: number; kernel: number; recurrentKernel: number; bias?: number; initialH: number; initialC?: number; mask?: number;
};
type Saved = { sequence: number; gates: number; extra?: number };
type Binding = readonly [name: string, id: number];

function specOf(args: Args): CellSpec {
  return {
    cell: args.cell, gates: RECURRENT_GATES[args.cell], activation: args.activation, recurrentActivation: args.recurrentActivation,
    resetAfter: args.cell === 'gru' && args.resetAfter, hasBias: args.bias !== undefined, hasMask: args.mask !== undefined,
    hasInitialC: args.initialC !== undefined,
  };
}

const timeOf = (args: Args, step: number): number => (args.goBackwards ? args.steps - 1 - step : step);


/** One 1-D dispatch over B·U (or `count`) invocations with named bindings. */
function runPerUnit(exec: GpuExecutor, name: string, inputs: Binding[], outputs: Binding[], body: string, helpers: string,
  words: Words, count: number): void {
  const wg = exec.workgroupSize;
  exec.dispatch({
    name, code: elementwiseKernel(header(inputs.map(([n]) => [n, 'f32']), outputs.map(([n]) => [n, 'f32'])), wg, 0, body, helpers),
    inputs: inputs.map(([, id]) => id), outputs: outputs.map(([, id]) => id), uniforms: words, workgroups: exec.grid(Math.ceil(count / wg)),
  });
}

export function recurrentForward(exec: GpuExecutor, [sequence, h, c, gates, extra]: number[], args: Args): void {
  const { batch: B, steps: T, features: F, units: U } = args;
  const spec = specOf(args);
  const width = spec.gates * U;
  const lstm = args.cell === 'lstm';
  const hasExtra = lstm || spec.resetAfter;
  exec.create(sequence, B * T * U);
  exec.create(gates, B * T * width);
  exec.create(extra, hasExtra ? B * T * U : 0);
  // The input projection of every step; with resetAfter only the input bias row (the recurrent one is added per step).
  gemm(exec, {
    a: args.x, b: args.kernel, out: gates, bias: args.bias, batch: 1, m: B * T, n: width, k: F,
    transposeA: false, transposeB: false, activation: 'linear', aBatchStride: 0, bBatchStride: 0,
  });
  const scratch = new Scratch(exec);
  try {
    const resetH = args.cell === 'gru' && !spec.resetAfter ? scratch.create(B * U) : -1;
    const helpers = activationHelpers(spec);
    for (let s = 0; s < T; s++) {
      const words = new Words().u(B * U, U, T, s, timeOf(args, s));
      for (const mode of forwardModes(spec)) {
        const inputs: Binding[] = [['R', args.recurrentKernel], ['H0', args.initialH]];
        if (lstm && args.initialC !== undefined) inputs.push(['C0', args.initialC]);
        if (args.mask !== undefined) inputs.push(['MASK', args.mask]);
        if (mode === 'gruResetAfter' && args.bias !== undefined) inputs.push(['BIAS', args.bias]);
        if (mode === 'gruCandidate') inputs.push(['RH', resetH]);
        // gruGates only reads the sequence (h_prev) and hands r·h_prev to gruCandidate.
        if (mode === 'gruGates') inputs.push(['SEQ', sequence]);
        const outputs: Binding[] = mode === 'gruGates' ? [['GATES', gates], ['RH', resetH]] : [['GATES', gates], ['SEQ', sequence]];
        if (hasExtra) outputs.push(['EXTRA', extra]);
        runPerUnit(exec, `recurrentForward ${mode}`, inputs, outputs, forwardStepBody(spec, mode), helpers, words, B * U);
      }
    }
  } finally {
    scratch.freeAll();
  }
  // The final states are the last processed step's rows.
  const lastRow = (out: number, from: number) => stridedSlice(exec, [out], from, [B, T, U], [0, T - 1, 0], [1, 1, 1], [B, 1, U], 'float32');
  lastRow(h, sequence);
  if (lstm) lastRow(c, extra);
  else exec.create(c, 0);
}

type GradientName = 'dx' | 'dKernel' | 'dRecurrentKernel' | 'dBias' | 'dInitialH' | 'dInitialC';

export function recurrentBackward(
  exec: GpuExecutor, outs: number[], args: Args, saved: Saved, dSequence: number, dH: number, dC: number | undefined,
  present: GradientName[],
): void {
  const { batch: B, steps: T, units: U } = args;
  const spec = specOf(args);
  const width = spec.gates * U;
  const lstm = args.cell === 'lstm';
  const out = (name: GradientName): number | undefined => {
    const i = present.indexOf(name);
    return i < 0 ? undefined : outs[i];
  };
  const scratch = new Scratch(exec);
  try {
    const dGates = scratch.create(B * T * width);
    // dh, then (lstm) dc: seeded with the upstream gradients of the final states.
    const carry = scratch.create((lstm ? 2 : 1) * B * U);
    exec.copy(dH, 0, carry, 0, B * U);
    if (lstm && dC !== undefined) exec.copy(dC, 0, carry, B * U, B * U);
    const transposed = scratch.id();
    transpose(exec, [transposed], args.recurrentKernel, [U, width], [1, 0], 'float32');
    const needsPrevious = args.cell === 'gru' || out('dRecurrentKernel') !== undefined;
    const hPrevious = needsPrevious ? gatherPreviousH(exec, scratch, args, saved.sequence) : -1;
    const helpers = `${activationHelpers(spec)}\n${recurrentGradHelper(spec)}`;
    const stepKernel = (mode: BackwardMode, words: Words): void => {
      const inputs: Binding[] = [['RT', transposed], ['GATES', saved.gates]];
      if (args.cell === 'gru') inputs.push(['HPREV', hPrevious]);
      if (mode === 'gates') inputs.push(['DSEQ', dSequence]);
      if (mode === 'gates' && saved.extra !== undefined) inputs.push(['EXTRA', saved.extra]);
      if (mode === 'gates' && lstm && args.initialC !== undefined) inputs.push(['C0', args.initialC]);
      if (args.mask !== undefined) inputs.push(['MASK', args.mask]);
      runPerUnit(exec, `recurrentBackward ${mode}`, inputs, [['DG', dGates], ['CARRY', carry]], backwardStepBody(spec, mode), helpers,
        words, B * U);
    };
    for (let s = T - 1; s >= 0; s--) {
      const next = s + 1 < T ? timeOf(args, s + 1) : 0;
      const words = new Words().u(B * U, U, T, s, timeOf(args, s), next, s === T - 1 ? 1 : 0, dC !== undefined ? 1 : 0);
      stepKernel('gates', words);
      if (args.cell === 'gru' && !spec.resetAfter) stepKernel('gruReset', words);
    }
    const dInitialH = out('dInitialH');
    if (dInitialH !== undefined) {
      exec.create(dInitialH, B * U);
      runPerUnit(exec, 'recurrentBackward initialH', [['RT', transposed], ['GATES', saved.gates], ['DG', dGates], ['CARRY', carry]],
        [['DH0', dInitialH]], backwardStepBody(spec, 'initialH'), helpers, new Words().u(B * U, U, T, 0, 0, timeOf(args, 0)), B * U);
    }
    const dInitialC = lstm ? out('dInitialC') : undefined;
    if (dInitialC !== undefined) {
      exec.create(dInitialC, B * U);
      exec.copy(carry, B * U, dInitialC, 0, B * U);
    }
    weightGradients(exec, args, spec, hPrevious, saved.gates, dGates, out);
  } finally {
    scratch.freeAll();
  }
}

/** h_prev of every step [B,T,U] in input time order, beside its gate gradients: initialH or sequence row s-1. */
function gatherPreviousH(exec: GpuExecutor, scratch: Scratch, args: Args, sequence: number): number {
  const { batch: B, steps: T, units: U } = args;
  const hPrevious = scratch.create(B * T * U);
  const body = `  let Un = u(1u); let T = u(2u);
  let j = i % Un; let bt = i / Un; let t = bt % T; let b = bt / T;
  let s = select(t, T - 1u - t, u(3u) == 1u);
  if (s == 0u) { HPREV[i] = H0[b * Un + j]; } else { HPREV[i] = SEQ[(b * T + s - 1u) * Un + j]; }`;
  runPerUnit(exec, 'recurrentBackward hPrevious', [['SEQ', sequence], ['H0', args.initialH]], [['HPREV', hPrevious]], body, '',
    new Words().u(B * T * U, U, T, args.goBackwards ? 1 : 0), B * T * U);
  return hPrevious;
}

/** dx, dW, dU and dBias from the whole sequence's gate gradients. */
function weightGradients(exec: GpuExecutor, args: Args, spec: CellSpec, hPrevious: number, gates: number, dGates: number,
  out: (name: GradientName) => number | undefined): void {
  const { batch: B, steps: T, features: F, units: U } = args;
  const width = spec.gates * U;
  const rows = B * T;
  const plain = { batch: 1, activation: 'linear', aBatchStride: 0, bBatchStride: 0 } as const;
  const dx = out('dx');
  if (dx !== undefined) {
    exec.create(dx, rows * F);
    gemm(exec, { ...plain, a: dGates, b: args.kernel, out: dx, m: rows, n: F, k: width, transposeA: false, transposeB: true });
  }
  const dKernel = out('dKernel');
  if (dKernel !== undefined) {
    exec.create(dKernel, F * width);
    gemm(exec, { ...plain, a: args.x, b: dGates, out: dKernel, m: F, n: width, k: rows, transposeA: true, transposeB: false });
  }
  const dRecurrentKernel = out('dRecurrentKernel');
  if (dRecurrentKernel !== undefined) {
    exec.create(dRecurrentKernel, U * width);
    const run = (part: 'hPrev' | 'resetHPrev', n: number, columnOffset: number) => {
      const tiling = gemmTiling(exec.limits, U, n);
      exec.dispatch({
        name: 'recurrentBackward dRecurrentKernel', code: recurrentKernelGradSource(spec, part, tiling, { m: U, n, k: rows }),
        inputs: [hPrevious, dGates, gates], outputs: [dRecurrentKernel], uniforms: new Words().u(U, n, rows, U, columnOffset, width),
        workgroups: [Math.ceil(n / tileCols(tiling)), Math.ceil(U / tileRows(tiling))],
      });
    };
    // The GRU's candidate columns (without resetAfter) multiply r·h_prev, the other columns h_prev.
    if (args.cell === 'gru' && !spec.resetAfter) {
      run('hPrev', 2 * U, 0);
      run('resetHPrev', U, 2 * U);
    } else {
      run('hPrev', width, 0);
    }
  }
  const dBias = out('dBias');
  if (dBias !== undefined) {
    const count = (spec.resetAfter ? 2 : 1) * width;
    exec.create(dBias, count);
    runPerUnit(exec, 'recurrentBackward dBias', [['DG', dGates], ['GATES', gates]], [['DB', dBias]], biasGradBody(spec), '',
      new Words().u(count, rows, width, U), count);
  }
}

/**
 * dU[k, c] = Σ_rows h_prev[row, k]·dRec[row, c] on the shared GEMM tiles: h_prev times r for the plain GRU's
 * candidate part, dRec = dGates except the candidate's with resetAfter, dGates·r (both formed as loaded).
 * Uniform words: 0 M (U), 1 N (columns of this part), 2 K (B·T), 3 U, 4 first column, 5 G·U.
 */
function recurrentKernelGradSource(spec: CellSpec, part: 'hPrev' | 'resetHPrev', tiling: GemmTiling, shape: GemmShape): string {
  return `${header([['HPREV', 'f32'], ['DG', 'f32'], ['GATES', 'f32']], [['OUT', 'f32']])}
fn loadA(row: u32, kk: u32) -> f32 {
  let h = HPREV[kk * u(3u) + row];
  ${part === 'resetHPrev' ? 'return h * GATES[kk * u(5u) + u(3u) + row];' : 'return h;'}
}
fn loadB(kk: u32, col: u32) -> f32 {
  let c = col + u(4u); let at = kk * u(5u) + c;
  ${spec.resetAfter ? 'if (c >= 2u * u(3u)) { return DG[at] * GATES[at - u(3u)]; }' : ''}
  return DG[at];
}
fn store(row: u32, col: u32, v: f32) { OUT[row * u(5u) + col + u(4u)] = v; }
${tiledGemmMain(`  let M = u(0u); let N = u(1u); let K = u(2u);
  let row0 = group.y * TILE_ROWS;
  let col0 = group.x * TILE_COLS;`, tiling, shape)}`;
}

/**
 * Column sums of dGates over the B·T rows, one invocation per output (reads coalesce across columns); with
 * resetAfter the second row sums the recurrent-side gradients, whose candidate columns are dGates·r.
 * Uniform words: 0 count, 1 rows, 2 G·U, 3 U.
 */
function biasGradBody(spec: CellSpec): string {
  return `  let rows = u(1u); let GU = u(2u); let Un = u(3u);
  let col = i % GU;
  var sum = 0.0;
  ${spec.resetAfter ? `if (i >= GU && col >= 2u * Un) {
    for (var r = 0u; r < rows; r++) { sum += DG[r * GU + col] * GATES[r * GU + col - Un]; }
    DB[i] = sum;
    return;
  }` : ''}
  for (var r = 0u; r < rows; r++) { sum += DG[r * GU + col]; }
  DB[i] = sum;`;
}
