// Reverse-mode differentiation over the tape: grad, grads, valueAndGrad(s), variableGrads, customGrad.
// Intermediate tensors are freed when the gradient call returns; the value and gradients are the caller's.
import { ENGINE } from '../engine.js';
import { Tensor } from '../tensor.js';
import { Variable, registeredVariables } from '../variable.js';
import { Tape, activeTapes, recordOnTapes, withoutTapes } from './tape.js';
import { add } from '../ops/binary.js';
import { onesLike, zerosLike } from '../ops/creation.js';

/** Backpropagates dy from y through the tape; returns the gradient for each watched tensor (or null). */
function backprop(tape: Tape, y: Tensor, dy: Tensor, xs: Tensor[]): (Tensor | null)[] {
  const gradients = new Map<number, Tensor>([[y.id, dy]]);
  for (let n = tape.nodes.length - 1; n >= 0; n--) {
    const node = tape.nodes[n];
    if (!node.outputIds.some((id) => gradients.has(id))) continue;
    const dys = node.outputIds.map((id, i) => gradients.get(id) ?? zerosLike(node.outputs[i]));
    const needs = node.inputIds.map((id) => tape.dependsOnWatched.has(id));
    const inputGrads = node.backward(dys, node.inputs, node.outputs, needs);
    node.inputIds.forEach((id, i) => {
      const grad = inputGrads[i];
      if (!grad || !tape.dependsOnWatched.has(id)) return;
      const input = node.inputs[i];
      if (grad.shape.length !== input.shape.length || grad.shape.some((d, k) => d !== input.shape[k])) {
        throw new Error(`gradient of '${node.name}': input ${i} is [${input.shape}] but its gradient is [${grad.shape}]`);
      }
      const previous = gradients.get(id);
      gradients.set(id, previous ? add(previous, grad) : grad);
    });
  }
  return xs.map((x) => gradients.get(x.id) ?? null);
}

interface GradientResult {
  value: Tensor;
  grads: (Tensor | null)[];
}

function gradientsOf(f: () => Tensor, xs: Tensor[], dy: Tensor | undefined, opName: string): GradientResult {
  for (const x of xs) x.throwIfDisposed(opName);
  const tape = ENGINE.startTape(xs);
  try {
    return ENGINE.tidy(opName, () => {
      let value: Tensor;
      try {
        value = f();
      } finally {
        ENGINE.endTape(tape);
      }
      if (!(value instanceof Tensor)) throw new Error(`${opName}: f must return a Tensor, got ${typeof value}`);
      if (value.dtype !== 'float32') throw new Error(`${opName}: f must return a float32 tensor, got ${value.dtype}`);
      if (dy && (dy.shape.length !== value.shape.length || dy.shape.some((d, i) => d !== value.shape[i]))) {
        throw new Error(`${opName}: dy has shape [${dy.shape}] but f(x) has shape [${value.shape}]`);
      }
      // Gradient ops are recorded on outer tapes only, which is what makes higher-order gradients work.
      const grads = backprop(tape, value, dy ?? onesLike(value), xs);
      return { value, grads };
    });
  } finally {
    tape.release();
  }
}

function requireAll(grads: (Tensor | null)[], opName: string): Tensor[] {
  return grads.map((g, i) => {
    if (!g) {
      throw new Error(
        `${opName}: cannot compute the gradient of y = f(x) with respect to argument ${i}: ` +
          'make sure f encloses every operation from x to y',
      );
    }
    return g;
  });
}

/** f(x) → its gradient function x ↦ df/dx (tfjs grad). */
export function grad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => Tensor {
  return (x, dy) => {
    const { value, grads } = gradientsOf(() => f(x), [x], dy, 'grad');
    value.dispose();
    return requireAll(grads, 'grad')[0];
  };
}

/** f(...xs) → gradient function returning df/dxi for each argument (tfjs grads). */
export function grads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[], dy?: Tensor) => Tensor[] {
  return (xs, dy) => {
    const { value, grads } = gradientsOf(() => f(...xs), xs, dy, 'grads');
    value.dispose();
    return requireAll(grads, 'grads');
  };
}

export function valueAndGrad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => { value: Tensor; grad: Tensor } {
  return (x, dy) => {
    const { value, grads } = gradientsOf(() => f(x), [x], dy, 'valueAndGrad');
    return { value, grad: requireAll(grads, 'valueAndGrad')[0] };
  };
}

export function valueAndGrads(
  f: (...xs: Tensor[]) => Tensor,
): (xs: Tensor[], dy?: Tensor) => { value: Tensor; grads: Tensor[] } {
  return (xs, dy) => {
    const { value, grads } = gradientsOf(() => f(...xs), xs, dy, 'valueAndGrads');
    return { value, grads: requireAll(grads, 'valueAndGrads') };
  };
}

/**
 * Gradient of a scalar f() with respect to the trainable variables (default: all of them).
 * Variables f does not use get no entry, as in tfjs.
 */
export function variableGrads(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: Record<string, Tensor> } {
  const variables = varList ?? [...registeredVariables.values()].filter((v) => v.trainable);
  const { value, grads } = gradientsOf(f, variables, undefined, 'variableGrads');
  if (value.rank !== 0) {
    value.dispose();
    throw new Error(`variableGrads: f must return a scalar, got shape [${value.shape}]`);
  }
  const named: Record<string, Tensor> = {};
  variables.forEach((v, i) => {
    const g = grads[i];
    if (g) named[v.name] = g;
  });
  return { value, grads: named };
}

/** The variables a user can list (tf.variables is not in tfjs, but models need the registry). */
export function variables(): Variable[] {
  return [...registeredVariables.values()];
}

export type CustomGradientFn = (...args: any[]) => {
  value: Tensor;
  gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor | Tensor[];
};

/**
 * An op with a user-defined gradient (tfjs customGrad). f receives the inputs and a `save` function
 * as its last argument and returns {value, gradFunc(dy, saved)}.
 */
export function customGrad(f: CustomGradientFn): (...inputs: Tensor[]) => Tensor {
  return (...inputs: Tensor[]) => {
    let saved: Tensor[] = [];
    const save = (tensors: Tensor[]) => {
      saved = tensors;
    };
    const { value, gradFunc } = withoutTapes(() => f(...inputs, save));
    if (!(value instanceof Tensor)) throw new Error('customGrad: f must return {value: Tensor, gradFunc}');
    if (typeof gradFunc !== 'function') throw new Error('customGrad: f must return {value, gradFunc: (dy, saved) => grads}');
    if (activeTapes.length > 0) {
      // Saved tensors ride along as extra inputs without gradients, so the tape holds and releases them.
      const count = inputs.length;
      recordOnTapes(
        'customGrad',
        [...inputs, ...saved],
        [value],
        ([dy], heldInputs) => {
          const result = gradFunc(dy, heldInputs.slice(count));
          const list = Array.isArray(result) ? result : [result];
          if (list.length !== count) {
            throw new Error(`customGrad: gradFunc returned ${list.length} gradients for ${count} inputs`);
          }
          return [...list, ...saved.map(() => null)];
        },
        (t) => ENGINE.holdForTape(t),
      );
    }
    return value;
  };
}
