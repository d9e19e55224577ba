// Activation functions by their tfjs-layers names ('relu', 'softmax', 'hardSigmoid'…), as used by the
// `activation` argument of dense/activation layers. Each is built from differentiable ops.
import type { Tensor } from '../tensor.js';
import * as ops from '../ops/index.js';

export type ActivationIdentifier =
  | 'linear' | 'relu' | 'relu6' | 'elu' | 'selu' | 'sigmoid' | 'hardSigmoid' | 'tanh' | 'softmax'
  | 'softplus' | 'softsign' | 'swish' | 'mish' | 'gelu' | 'gelu_new';

/** softmax over the last axis, as tfjs-layers applies it to [batch, ..., classes]. */
function softmaxLastAxis(x: Tensor): Tensor {
  if (x.rank === 0) throw new Error('activation softmax: cannot apply to a scalar');
  return ops.softmax(x, -1);
}

const ACTIVATIONS: Record<ActivationIdentifier, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu: (x) => ops.relu(x),
  relu6: (x) => ops.relu6(x),
  elu: (x) => ops.elu(x),
  selu: (x) => ops.selu(x),
  sigmoid: (x) => ops.sigmoid(x),
  // Keras' piecewise-linear sigmoid: clip(0.2x + 0.5, 0, 1).
  hardSigmoid: (x) => ops.clipByValue(ops.add(ops.mul(x, 0.2), 0.5), 0, 1),
  tanh: (x) => ops.tanh(x),
  softmax: softmaxLastAxis,
  softplus: (x) => ops.softplus(x),
  softsign: (x) => ops.softsign(x),
  swish: (x) => ops.mul(x, ops.sigmoid(x)),
  mish: (x) => ops.mul(x, ops.tanh(ops.softplus(x))),
  gelu: (x) => ops.gelu(x),
  // The tanh approximation: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
  gelu_new: (x) => {
    const inner = ops.mul(Math.sqrt(2 / Math.PI), ops.add(x, ops.mul(0.044715, ops.pow(x, 3))));
    return ops.mul(ops.mul(0.5, x), ops.add(1, ops.tanh(inner)));
  },
};

export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationIdentifier[];

/** Accepts tfjs camelCase names and the Keras snake_case forms ('hard_sigmoid') of model.json files. */
export function normalizeActivationName(name: string | null | undefined, context: string): ActivationIdentifier {
  if (name === null || name === undefined) return 'linear';
  if (name === 'gelu_new' || name === 'geluNew') return 'gelu_new';
  const camel = name.replace(/_+(\w)/g, (_, c: string) => c.toUpperCase());
  if (camel in ACTIVATIONS) return camel as ActivationIdentifier;
  throw new Error(`${context}: unknown activation '${name}' (known: ${ACTIVATION_NAMES.join(', ')})`);
}

/** The function for an activation name; throws listing the known names. */
export function getActivation(name: string | null | undefined, context = 'activation'): (x: Tensor) => Tensor {
  return ACTIVATIONS[normalizeActivationName(name, context)];
}
