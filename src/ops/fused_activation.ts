// The activations fused into matMul and conv2d epilogues: applying the ones the kernel cannot, and the
// derivative of each, shared by fused.matMul and fused.conv2d.
import type { FusedActivation } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { add, mul } from './binary.js';
import { cast } from './cast.js';
import { compare } from './compare.js';
import { elu, gelu, leakyRelu, prelu, relu, relu6, sigmoid, tanh, unaryGradient } from './unary.js';
import { where } from './where.js';

/** Activation names tf.fused.* accept: the epilogue's plus prelu and leakyrelu (composed from ops). */
export type Activation = FusedActivation | 'prelu' | 'leakyrelu';

/** act(z) from ops; prelu needs its weights, leakyrelu its slope. */
export function applyActivation(z: Tensor, activation: Activation, preluWeights: Tensor | undefined, alpha: number, opName: string): Tensor {
  switch (activation) {
    case 'linear': return z;
    case 'relu': return relu(z);
    case 'relu6': return relu6(z);
    case 'sigmoid': return sigmoid(z);
    case 'tanh': return tanh(z);
    case 'gelu': return gelu(z);
    case 'elu': return elu(z);
    case 'leakyrelu': return leakyRelu(z, alpha);
    case 'prelu':
      if (!preluWeights) throw new Error(`${opName}: activation 'prelu' needs preluActivationWeights (output is [${z.shape}])`);
      return prelu(z, preluWeights);
  }
}

/** dz = dy · act'(z), from the output y where it determines act'(z), else from the recomputed z. */
export function activationGradient(
  activation: FusedActivation, dy: Tensor, y: Tensor, preActivation: () => Tensor, opName: string,
): Tensor {
  switch (activation) {
    case 'linear': return dy;
    case 'relu': return unaryGradient('relu', y, dy); // y > 0 exactly where z > 0
    case 'sigmoid': return unaryGradient('sigmoid', y, dy);
    case 'tanh': return unaryGradient('tanh', y, dy);
    case 'relu6': {
      const inside = mul(cast(compare('greater', y, 0, opName), 'float32'), cast(compare('less', y, 6, opName), 'float32'));
      return mul(dy, inside);
    }
    case 'elu': // z ≤ 0: d/dz (e^z − 1) = e^z = y + 1
      return where(compare('greater', y, 0, opName), dy, mul(dy, add(y, 1)));
    case 'gelu': return unaryGradient('gelu', preActivation(), dy);
  }
}
