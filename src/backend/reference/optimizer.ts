// In-place optimizer updates, written to match tfjs-core's MomentumOptimizer and AdamOptimizer
// (node_modules/@tensorflow/tfjs-core/dist/optimizers/*.js) step for step, in float64.

import type { AdamArgs } from '../backend.js';
import type { Values } from './storage.js';

/**
 * SGD with optional (Nesterov) momentum, as tfjs's MomentumOptimizer:
 *   velocity ← momentum·velocity + grad
 *   param    ← param − lr·(nesterov ? grad + momentum·velocity : velocity)
 * Without a velocity buffer (momentum 0): param ← param − lr·grad.
 */
export function sgdUpdate(
  param: Values, grad: Values, velocity: Values | undefined, size: number,
  learningRate: number, momentum: number, nesterov: boolean,
): void {
  if (!velocity) {
    for (let i = 0; i < size; i++) param[i] -= learningRate * grad[i];
    return;
  }
  for (let i = 0; i < size; i++) {
    const newVelocity = momentum * velocity[i] + grad[i];
    velocity[i] = newVelocity;
    param[i] -= learningRate * (nesterov ? grad[i] + momentum * newVelocity : newVelocity);
  }
}

/**
 * Adam as tfjs writes it (epsilon added after the square root of the bias-corrected v), plus AdamW's
 * decoupled decay in the same step:
 *   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²
 *   m̂ = m / (1 − β1^t);    v̂ = v / (1 − β2^t)
 *   param ← param − lr·(m̂ / (√v̂ + ε) + weightDecay·param)
 * Order: the decay term reads the parameter from *before* this step's update (both terms are
 * computed from the old value, then subtracted together); with weightDecay 0 this is tfjs's Adam.
 */
export function adamUpdate(param: Values, grad: Values, m: Values, v: Values, size: number, args: AdamArgs): void {
  const { learningRate, beta1, beta2, epsilon, step, weightDecay } = args;
  const firstCorrection = 1 - Math.pow(beta1, step);
  const secondCorrection = 1 - Math.pow(beta2, step);
  for (let i = 0; i < size; i++) {
    const g = grad[i];
    const newM = beta1 * m[i] + (1 - beta1) * g;
    const newV = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = newM;
    v[i] = newV;
    const mHat = newM / firstCorrection;
    const vHat = newV / secondCorrection;
    param[i] -= learningRate * (mHat / (Math.sqrt(vHat) + epsilon) + weightDecay * param[i]);
  }
}
