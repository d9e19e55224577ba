// Optimizers by name for compile(), with tfjs-layers' defaults, and gradient clipping (clipNorm by the
// global norm over all gradients, clipValue per element) applied before the optimizer sees them.
import { ENGINE } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { add, div, maximum, mul } from '../../ops/binary.js';
import { scalar } from '../../ops/creation.js';
import { sum } from '../../ops/reduce.js';
import { clipByValue, sqrt, square } from '../../ops/unary.js';
import type { NamedTensorMap } from '../../optimizers/state.js';
import { Optimizer } from '../../optimizers/optimizer.js';
import { train } from '../../optimizers/index.js';

/** tfjs-layers' getOptimizer defaults (Keras's learning rates). */
const optimizerFactories: Record<string, () => Optimizer> = {
  sgd: () => train.sgd(0.01),
  adam: () => train.adam(0.001, 0.9, 0.999, 1e-7),
  adamw: () => train.adamw(0.001),
  rmsprop: () => train.rmsprop(0.001, 0.9, 0, 1e-7),
  adagrad: () => train.adagrad(0.01),
  momentum: () => train.momentum(0.01, 0.9),
};
const optimizerAliases: Record<string, string> = {
  SGD: 'sgd', Adam: 'adam', AdamW: 'adamw', RMSProp: 'rmsprop', RMSprop: 'rmsprop', Adagrad: 'adagrad', Momentum: 'momentum',
};

/** An Optimizer object as given, or a fresh one by name. */
export function getOptimizer(identifier: string | Optimizer): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (identifier && typeof identifier === 'object' && typeof (identifier as Optimizer).applyGradients === 'function') {
    return identifier as Optimizer;
  }
  const name = typeof identifier === 'string' ? (optimizerFactories[identifier] ? identifier : optimizerAliases[identifier]) : undefined;
  if (!name) {
    throw new Error(`compile: unknown optimizer '${String(identifier)}'; known optimizers: ${Object.keys(optimizerFactories).join(', ')} (or pass a tf.train optimizer)`);
  }
  return optimizerFactories[name]();
}

export interface ClipOptions {
  clipNorm?: number;
  clipValue?: number;
}

export function checkClipOptions({ clipNorm, clipValue }: ClipOptions): void {
  if (clipNorm != null && !(clipNorm > 0)) throw new Error(`compile: clipNorm must be a positive number, got ${clipNorm}`);
  if (clipValue != null && !(clipValue > 0)) throw new Error(`compile: clipValue must be a positive number, got ${clipValue}`);
}

/** sqrt(Σ over all gradients of Σ g²), a scalar. */
export function globalNorm(gradients: Tensor[]): Tensor {
  return ENGINE.tidy(() => {
    let total: Tensor = scalar(0);
    for (const g of gradients) total = add(total, sum(square(g)));
    return sqrt(total);
  });
}

/**
 * The gradients clipped: clipValue bounds each element to [-clipValue, clipValue]; clipNorm then scales all
 * of them by clipNorm / max(globalNorm, clipNorm) (Keras's global_clipnorm; TF's clip_by_global_norm).
 * Replaced gradients are disposed; the returned map is the caller's.
 */
export function clipGradients(gradients: NamedTensorMap, { clipNorm, clipValue }: ClipOptions): NamedTensorMap {
  if (clipNorm == null && clipValue == null) return gradients;
  const names = Object.keys(gradients);
  const clipped = ENGINE.tidy(() => {
    let values = names.map((name) => gradients[name]);
    if (clipValue != null) values = values.map((g) => clipByValue(g, -clipValue, clipValue));
    if (clipNorm != null && values.length > 0) {
      const scale = div(clipNorm, maximum(globalNorm(values), clipNorm));
      values = values.map((g) => mul(g, scale));
    }
    return values;
  });
  for (const name of names) gradients[name].dispose();
  return Object.fromEntries(names.map((name, i) => [name, clipped[i]]));
}
