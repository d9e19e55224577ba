// The per-step recurrent math composed from ops (matMul + activations; the tape does BPTT): the
// fallback for what the fused whole-sequence ops (src/ops/recurrent.ts) do not cover, e.g. recurrent
// dropout in training or activations outside the fused set.
// Shapes: B = batch, T = time steps, F = features, U = units, G = gates·U (1, 3 or 4 gates).
// Gate order as tfjs/Keras: LSTM [i | f | c | o], GRU [z | r | h].
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { getActivation, type ActivationIdentifier } from '../activations.js';

export type RecurrentKind = 'simpleRnn' | 'lstm' | 'gru';

/** Gate blocks per kind: the kernels are [F, gates·U] and [U, gates·U]. */
export const GATES: Record<RecurrentKind, number> = { simpleRnn: 1, lstm: 4, gru: 3 };

export interface RecurrentWeights {
  kernel: Tensor;           // [F, G]
  recurrentKernel: Tensor;  // [U, G]
  bias: Tensor | null;      // [G], or [2, G] for a GRU with resetAfter (input bias, recurrent bias)
}

export interface ComposedOptions {
  kind: RecurrentKind;
  activation: ActivationIdentifier;
  recurrentActivation: ActivationIdentifier;
  goBackwards: boolean;
  /** [B, T] float 0/1: a 0 step keeps the previous state and repeats the previous output (tfjs). */
  mask: Tensor | null;
  resetAfter: boolean;
  /** [B, U] keep-mask scaled by 1/(1 − rate), multiplied into h before it meets the recurrent kernel. */
  recurrentDropMask: Tensor | null;
}

/**
 * Runs a recurrent layer step by step over x [B, T, F] from `initialStates` ([h] or [h, c], each [B, U]).
 * Returns the outputs in processing order [B, T, U] (reversed time when goBackwards, as tfjs) and the
 * final states.
 */
export function runComposed(x: Tensor, weights: RecurrentWeights, initialStates: Tensor[], options: ComposedOptions)
  : { sequence: Tensor; states: Tensor[] } {
  const [batch, steps, features] = x.shape;
  const gateWidth = weights.kernel.shape[1];
  const { inputBias, recurrentBias } = splitBias(weights.bias, gateWidth);
  // The input projection of every step at once: one [B·T, F]·[F, G] product.
  let projected = ops.matMul(ops.reshape(x, [batch * steps, features]), weights.kernel);
  if (inputBias) projected = ops.add(projected, inputBias);
  const perStep = ops.unstack(ops.reshape(projected, [batch, steps, gateWidth]), 1);
  const step = makeStep(options, weights.recurrentKernel, recurrentBias);
  return runSteps(perStep, initialStates, options.mask, options.goBackwards, (input, states) => {
    const next = step(input, states);
    return { output: next[0], states: next };
  });
}

/** One step of a cell: its output and its new states. */
export type CellStepFn = (input: Tensor, states: Tensor[]) => { output: Tensor; states: Tensor[] };

/**
 * The time loop shared by the layers and tf.layers.rnn: `inputs` are the steps in time order; a masked
 * step keeps the states and repeats the previous output (tfjs; the output starts as states[0]).
 */
export function runSteps(inputs: Tensor[], initialStates: Tensor[], mask: Tensor | null, goBackwards: boolean, step: CellStepFn)
  : { sequence: Tensor; states: Tensor[] } {
  let perStep = inputs;
  let stepMasks = mask ? ops.unstack(ops.expandDims(ops.cast(mask, 'float32'), 2), 1) : null;
  if (goBackwards) {
    perStep = perStep.slice().reverse();
    stepMasks = stepMasks?.reverse() ?? null;
  }
  let states = initialStates;
  let output = initialStates[0];
  const outputs: Tensor[] = [];
  for (let t = 0; t < perStep.length; t++) {
    const next = step(perStep[t], states);
    if (stepMasks) {
      const keep = stepMasks[t]; // [B, 1]
      const blend = (fresh: Tensor, previous: Tensor) => ops.add(previous, ops.mul(keep, ops.sub(fresh, previous)));
      output = blend(next.output, output);
      states = next.states.map((state, i) => blend(state, states[i]));
    } else {
      output = next.output;
      states = next.states;
    }
    outputs.push(output);
  }
  return { sequence: ops.stack(outputs, 1), states };
}

/** A GRU resetAfter bias [2, G] splits into the input and recurrent biases; others are input biases. */
export function splitBias(bias: Tensor | null, gateWidth: number): { inputBias: Tensor | null; recurrentBias: Tensor | null } {
  if (!bias || bias.rank !== 2) return { inputBias: bias, recurrentBias: null };
  return {
    inputBias: ops.squeeze(ops.slice(bias, [0, 0], [1, gateWidth]), [0]),
    recurrentBias: ops.squeeze(ops.slice(bias, [1, 0], [1, gateWidth]), [0]),
  };
}

/** One step from the raw input x_t [B, F] (tf.layers.rnn's cells): the projection, then the gate math. */
export function cellStep(x: Tensor, states: Tensor[], weights: RecurrentWeights, options: Omit<ComposedOptions, 'goBackwards' | 'mask'>): Tensor[] {
  const { inputBias, recurrentBias } = splitBias(weights.bias, weights.kernel.shape[1]);
  let projected = ops.matMul(x, weights.kernel);
  if (inputBias) projected = ops.add(projected, inputBias);
  return makeStep(options, weights.recurrentKernel, recurrentBias)(projected, states);
}

type StepFn = (projectedInput: Tensor, states: Tensor[]) => Tensor[];

/** One step's new states from the step's input projection [B, G] and the previous states. */
function makeStep(options: Omit<ComposedOptions, 'goBackwards' | 'mask'>, recurrentKernel: Tensor, recurrentBias: Tensor | null): StepFn {
  const activation = getActivation(options.activation);
  const recurrentActivation = getActivation(options.recurrentActivation);
  const units = recurrentKernel.shape[0];
  const dropped = (h: Tensor) => (options.recurrentDropMask ? ops.mul(h, options.recurrentDropMask) : h);
  switch (options.kind) {
    case 'simpleRnn':
      return (xw, [h]) => [activation(ops.add(xw, ops.matMul(dropped(h), recurrentKernel)))];
    case 'lstm':
      return (xw, [h, c]) => {
        const [i, f, candidate, o] = ops.split(ops.add(xw, ops.matMul(dropped(h), recurrentKernel)), 4, 1);
        const cell = ops.add(ops.mul(recurrentActivation(f), c), ops.mul(recurrentActivation(i), activation(candidate)));
        return [ops.mul(recurrentActivation(o), activation(cell)), cell];
      };
    case 'gru': {
      if (options.resetAfter) {
        // Keras's default: the reset gate multiplies the recurrent projection (bias included).
        return (xw, [previous]) => {
          const h = dropped(previous);
          let inner = ops.matMul(h, recurrentKernel);
          if (recurrentBias) inner = ops.add(inner, recurrentBias);
          const [xz, xr, xh] = ops.split(xw, 3, 1);
          const [iz, ir, ih] = ops.split(inner, 3, 1);
          const z = recurrentActivation(ops.add(xz, iz));
          const r = recurrentActivation(ops.add(xr, ir));
          const candidate = activation(ops.add(xh, ops.mul(r, ih)));
          return [ops.add(ops.mul(z, h), ops.mul(ops.sub(1, z), candidate))];
        };
      }
      // tfjs: the reset gate multiplies h before the candidate's recurrent product.
      const gatesKernel = ops.slice(recurrentKernel, [0, 0], [units, 2 * units]);
      const candidateKernel = ops.slice(recurrentKernel, [0, 2 * units], [units, units]);
      return (xw, [previous]) => {
        const h = dropped(previous);
        const [xz, xr, xh] = ops.split(xw, 3, 1);
        const [iz, ir] = ops.split(ops.matMul(h, gatesKernel), 2, 1);
        const z = recurrentActivation(ops.add(xz, iz));
        const r = recurrentActivation(ops.add(xr, ir));
        const candidate = activation(ops.add(xh, ops.matMul(ops.mul(r, h), candidateKernel)));
        return [ops.add(ops.mul(z, h), ops.mul(ops.sub(1, z), candidate))];
      };
    }
  }
}

/** A keep-mask [rows, cols] scaled by 1/(1 − rate) (inverted dropout), drawn once per call. */
export function dropoutKeepMask(shape: number[], rate: number): Tensor {
  return ops.dropoutMask(shape, rate);
}

