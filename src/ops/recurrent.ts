// Fused whole-sequence recurrent ops (lstm, gru, simpleRnn) with BPTT gradients w.r.t. every input.
// Gate order and layouts are tfjs/Keras's: LSTM columns [i | f | c | o], GRU [z | r | h].
//   x [B,T,F]  kernel [F,G·U]  recurrentKernel [U,G·U]  bias [G·U] (gru resetAfter: [2,G·U])  h, c [B,U]
//   mask [B,T]  → sequence [B,T,U] in processing order (reversed input time with goBackwards, as tfjs).
//
//   const { sequence, h, c } = lstm(x, kernel, recurrentKernel, bias, zeros([B, U]), zeros([B, U]));
import type { RecurrentActivation, RecurrentArgs, RecurrentCell, RecurrentState } from '../backend/backend.js';
import { RECURRENT_GATES } from '../backend/backend.js';
import { ENGINE, type KernelOutput } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { cast } from './cast.js';
import { composedRecurrent } from './recurrent-composed.js';

export type { RecurrentActivation } from '../backend/backend.js';

export interface RecurrentOpOptions {
  activation?: RecurrentActivation;            // default 'tanh'
  recurrentActivation?: RecurrentActivation;   // default 'hardSigmoid' (tfjs's default; Keras uses 'sigmoid')
  goBackwards?: boolean;
  mask?: Tensor;                               // [B, T], 1 = step valid, 0 = keep previous state and output
}

const ACTIVATIONS: readonly RecurrentActivation[] = ['linear', 'relu', 'sigmoid', 'tanh', 'hardSigmoid'];

interface CellInputs {
  x: Tensor; kernel: Tensor; recurrentKernel: Tensor; bias: Tensor | null; initialH: Tensor; initialC: Tensor | null;
}

const shapeText = (t: Tensor): string => `[${t.shape}]`;

function checkShape(opName: string, name: string, t: Tensor, expected: number[]): void {
  if (t.rank !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${opName}: ${name} must have shape [${expected}], got ${shapeText(t)}`);
  }
}

function checkFloat(opName: string, name: string, t: Tensor): void {
  t.throwIfDisposed(opName);
  if (t.dtype !== 'float32') throw new Error(`${opName}: ${name} must be float32, got ${t.dtype}`);
}

function checkActivation(opName: string, name: string, value: string): RecurrentActivation {
  if (!ACTIVATIONS.includes(value as RecurrentActivation)) {
    throw new Error(`${opName}: ${name} '${value}' is not one of ${ACTIVATIONS.join(', ')}`);
  }
  return value as RecurrentActivation;
}

/** Validates every input and runs the fused kernel; outputs [sequence, h, (c)]. */
function runRecurrent(cell: RecurrentCell, opName: string, inputs: CellInputs, options: RecurrentOpOptions, resetAfter: boolean): Tensor[] {
  const { x, kernel, recurrentKernel, bias, initialH, initialC } = inputs;
  checkFloat(opName, 'x', x);
  if (x.rank !== 3) throw new Error(`${opName}: x must be [batch, steps, features], got ${shapeText(x)}`);
  const [batch, steps, features] = x.shape;
  if (steps < 1) throw new Error(`${opName}: x must have at least one time step, got ${shapeText(x)}`);
  checkFloat(opName, 'recurrentKernel', recurrentKernel);
  const gates = RECURRENT_GATES[cell];
  const units = recurrentKernel.shape[0];
  if (recurrentKernel.rank !== 2 || units < 1) {
    throw new Error(`${opName}: recurrentKernel must be [units, ${gates}·units], got ${shapeText(recurrentKernel)}`);
  }
  checkShape(opName, 'recurrentKernel', recurrentKernel, [units, gates * units]);
  checkFloat(opName, 'kernel', kernel);
  checkShape(opName, 'kernel', kernel, [features, gates * units]);
  if (bias) {
    checkFloat(opName, 'bias', bias);
    checkShape(opName, 'bias', bias, resetAfter ? [2, gates * units] : [gates * units]);
  }
  checkFloat(opName, 'initialH', initialH);
  checkShape(opName, 'initialH', initialH, [batch, units]);
  if (initialC) {
    checkFloat(opName, 'initialC', initialC);
    checkShape(opName, 'initialC', initialC, [batch, units]);
  }
  let mask = options.mask ?? null;
  if (mask) {
    mask.throwIfDisposed(opName);
    checkShape(opName, 'mask', mask, [batch, steps]);
    if (mask.dtype !== 'float32') mask = cast(mask, 'float32');
  }
  const activation = checkActivation(opName, 'activation', options.activation ?? 'tanh');
  const recurrentActivation = checkActivation(opName, 'recurrentActivation', options.recurrentActivation ?? 'hardSigmoid');

  // Inputs in a fixed order; absent optional ones are skipped and found again by these slots.
  const list: Tensor[] = [x, kernel, recurrentKernel, initialH];
  const biasSlot = bias ? list.push(bias) - 1 : -1;
  const cSlot = initialC ? list.push(initialC) - 1 : -1;
  const maskSlot = mask ? list.push(mask) - 1 : -1;
  const argsFor = (t: Tensor[]): RecurrentArgs => ({
    cell, batch, steps, features, units, activation, recurrentActivation,
    goBackwards: options.goBackwards ?? false, resetAfter,
    x: t[0].dataId, kernel: t[1].dataId, recurrentKernel: t[2].dataId, initialH: t[3].dataId,
    bias: biasSlot >= 0 ? t[biasSlot].dataId : undefined,
    initialC: cSlot >= 0 ? t[cSlot].dataId : undefined,
    mask: maskSlot >= 0 ? t[maskSlot].dataId : undefined,
  });
  const fused = ENGINE.backendFor(opName);
  if (!fused.recurrentForward || !fused.recurrentBackward) {
    const outputs = composedRecurrent({
      cell, x, kernel, recurrentKernel, bias, initialH, initialC, mask, activation, recurrentActivation,
      goBackwards: options.goBackwards ?? false, resetAfter,
    });
    if (mask && mask !== options.mask) mask.dispose();
    return outputs;
  }
  const hasC = cell === 'lstm';
  const hasExtra = cell === 'lstm' || (cell === 'gru' && resetAfter);
  const sequenceShape = [batch, steps, units];
  const stateShape = [batch, units];

  const outputs = ENGINE.runKernel({
    name: opName,
    inputs: list,
    forward: (backend, t) => {
      const state = backend.recurrentForward!(argsFor(t));
      const out: KernelOutput[] = [
        { dataId: state.sequence, shape: sequenceShape, dtype: 'float32' },
        { dataId: state.h, shape: stateShape, dtype: 'float32' },
      ];
      if (hasC) out.push({ dataId: state.c!, shape: stateShape, dtype: 'float32' });
      // Saved for the backward (the tape holds them as outputs): gates, then the cell-specific extra.
      out.push({ dataId: state.gates, shape: [batch, steps, gates * units], dtype: 'float32' });
      if (hasExtra) out.push({ dataId: state.extra!, shape: sequenceShape, dtype: 'float32' });
      return out;
    },
    backward: (dys, t, outs, needs) => {
      const need = (slot: number): boolean => slot >= 0 && (needs?.[slot] ?? true);
      const saved: RecurrentState = {
        sequence: outs[0].dataId, h: outs[1].dataId, c: hasC ? outs[2].dataId : undefined,
        gates: outs[hasC ? 3 : 2].dataId, extra: hasExtra ? outs[hasC ? 4 : 3].dataId : undefined,
      };
      const wanted = {
        x: need(0), kernel: need(1), recurrentKernel: need(2), initialH: need(3), bias: need(biasSlot), initialC: need(cSlot),
      };
      const upstream = [dys[0], dys[1], ...(hasC ? [dys[2]] : [])];
      const order = ['dx', 'dKernel', 'dRecurrentKernel', 'dInitialH', 'dBias', 'dInitialC'] as const;
      const shapes = [x.shape, kernel.shape, recurrentKernel.shape, initialH.shape, bias?.shape, initialC?.shape];
      const present: number[] = [];
      const grads = ENGINE.runKernel({
        name: `${opName}Grad`,
        inputs: [...t, ...upstream],
        forward: (backend, all) => {
          const [dSequence, dH, dC] = all.slice(t.length);
          const result = backend.recurrentBackward!(argsFor(all), saved, dSequence.dataId, dH.dataId, dC?.dataId, wanted);
          const out: KernelOutput[] = [];
          order.forEach((key, i) => {
            const dataId = result[key];
            if (dataId) {
              present.push(i);
              out.push({ dataId, shape: shapes[i]!, dtype: 'float32' });
            }
          });
          return out;
        },
      });
      const byInput: (Tensor | null)[] = [null, null, null, null, null, null];
      present.forEach((i, j) => { byInput[i] = grads[j]; });
      const result: (Tensor | null)[] = list.map(() => null);
      [0, 1, 2, 3].forEach((slot) => { result[slot] = byInput[slot]; });
      if (biasSlot >= 0) result[biasSlot] = byInput[4];
      if (cSlot >= 0) result[cSlot] = byInput[5];
      return result;
    },
  });
  if (mask && mask !== options.mask) mask.dispose();
  // The saved tensors are the tape's business; the caller sees only sequence, h (and c).
  const visible = hasC ? 3 : 2;
  for (const saved of outputs.slice(visible)) saved.dispose();
  return outputs.slice(0, visible);
}

/** LSTM over a whole sequence: kernel [F,4U], recurrentKernel [U,4U], bias [4U] with columns [i|f|c|o]. */
export function lstm(
  x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null, initialH: Tensor, initialC: Tensor,
  options: RecurrentOpOptions = {},
): { sequence: Tensor; h: Tensor; c: Tensor } {
  if (!initialC) throw new Error('lstm: initialC [batch, units] is required');
  const [sequence, h, c] = runRecurrent('lstm', 'lstm', { x, kernel, recurrentKernel, bias, initialH, initialC }, options, false);
  return { sequence, h, c };
}

/**
 * GRU over a whole sequence: kernel [F,3U], recurrentKernel [U,3U] with columns [z|r|h]. resetAfter (Keras;
 * tfjs lacks it) applies the reset gate after the recurrent product and takes bias [2,3U] (input, recurrent).
 */
export function gru(
  x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null, initialH: Tensor,
  options: RecurrentOpOptions & { resetAfter?: boolean } = {},
): { sequence: Tensor; h: Tensor } {
  const [sequence, h] = runRecurrent('gru', 'gru', { x, kernel, recurrentKernel, bias, initialH, initialC: null }, options,
    options.resetAfter ?? false);
  return { sequence, h };
}

/** Fully connected RNN over a whole sequence: h' = activation(x·kernel + h·recurrentKernel + bias). */
export function simpleRnn(
  x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null, initialH: Tensor,
  options: RecurrentOpOptions = {},
): { sequence: Tensor; h: Tensor } {
  const [sequence, h] = runRecurrent('simpleRnn', 'simpleRnn', { x, kernel, recurrentKernel, bias, initialH, initialC: null }, options, false);
  return { sequence, h };
}
