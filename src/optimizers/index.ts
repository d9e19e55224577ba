// tf.train: optimizer factories with tfjs's names, argument order and defaults (plus adamw, from Keras).
import { AdamOptimizer, AdamWOptimizer } from './adam.js';
import { AdagradOptimizer, RMSPropOptimizer } from './rmsprop.js';
import { MomentumOptimizer, SGDOptimizer } from './sgd.js';

export { Optimizer } from './optimizer.js';
export type { NamedTensor, NamedTensorMap, OptimizerConfig } from './optimizer.js';
export { SGDOptimizer, MomentumOptimizer } from './sgd.js';
export { AdamOptimizer, AdamWOptimizer } from './adam.js';
export { RMSPropOptimizer, AdagradOptimizer } from './rmsprop.js';

export const train = {
  sgd: (learningRate: number): SGDOptimizer => new SGDOptimizer(learningRate),
  momentum: (learningRate: number, momentum: number, useNesterov = false): MomentumOptimizer =>
    new MomentumOptimizer(learningRate, momentum, useNesterov),
  /** epsilon defaults to tfjs's float32 backend epsilon, 1e-7. */
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): AdamOptimizer =>
    new AdamOptimizer(learningRate, beta1, beta2, epsilon),
  /** Keras-style AdamW; weightDecay 0.01 (PyTorch's default; Keras's is 0.004). */
  adamw: (learningRate = 0.001, weightDecay = 0.01, beta1 = 0.9, beta2 = 0.999, epsilon?: number): AdamWOptimizer =>
    new AdamWOptimizer(learningRate, weightDecay, beta1, beta2, epsilon),
  rmsprop: (learningRate: number, decay = 0.9, momentum = 0, epsilon?: number, centered = false): RMSPropOptimizer =>
    new RMSPropOptimizer(learningRate, decay, momentum, epsilon, centered),
  adagrad: (learningRate: number, initialAccumulatorValue = 0.1): AdagradOptimizer =>
    new AdagradOptimizer(learningRate, initialAccumulatorValue),
};
