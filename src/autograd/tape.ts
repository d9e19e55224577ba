// The gradient tape: while a gradient function runs, every op whose inputs depend on a watched tensor
// is recorded with references to its inputs and outputs, so backprop can replay it in reverse.
import type { Tensor } from '../tensor.js';
import type { GradientFn } from '../engine.js';

export interface TapeNode {
  name: string;
  inputIds: number[];
  outputIds: number[];
  /** References held by the tape (same ids as the op's tensors), released when the tape is done. */
  inputs: Tensor[];
  outputs: Tensor[];
  backward: GradientFn;
}

export class Tape {
  readonly nodes: TapeNode[] = [];
  /** Ids of tensors that depend on a watched tensor: only ops touching these are recorded. */
  readonly dependsOnWatched = new Set<number>();
  readonly held: Tensor[] = [];

  constructor(watched: Tensor[]) {
    for (const tensor of watched) this.dependsOnWatched.add(tensor.id);
  }

  /** Releases every reference the tape holds. */
  release(): void {
    for (const tensor of this.held) tensor.dispose();
    this.held.length = 0;
    this.nodes.length = 0;
  }
}

/** Tapes being recorded, innermost last. Higher-order gradients record backprop's ops on outer tapes. */
export const activeTapes: Tape[] = [];

export function recordOnTapes(
  name: string,
  inputs: Tensor[],
  outputs: Tensor[],
  backward: GradientFn,
  hold: (tensor: Tensor) => Tensor,
): void {
  for (const tape of activeTapes) {
    if (!inputs.some((input) => tape.dependsOnWatched.has(input.id))) continue;
    for (const output of outputs) tape.dependsOnWatched.add(output.id);
    const heldInputs = inputs.map(hold);
    const heldOutputs = outputs.map(hold);
    tape.held.push(...heldInputs, ...heldOutputs);
    tape.nodes.push({
      name,
      inputIds: inputs.map((t) => t.id),
      outputIds: outputs.map((t) => t.id),
      inputs: heldInputs,
      outputs: heldOutputs,
      backward,
    });
  }
}

/** Runs fn with no tape recording (customGrad's forward, optimizer updates). */
export function withoutTapes<T>(fn: () => T): T {
  const paused = activeTapes.splice(0, activeTapes.length);
  try {
    return fn();
  } finally {
    activeTapes.unshift(...paused);
  }
}
