// Wrappers for the fused in-place optimizer kernels (assembly/optimizer.ts), tfjs semantics.
import type { Runtime } from '../../runtime/types.js';

const GRAIN = 16;

/** SGD, or momentum SGD when velocity != 0 (nesterov as tfjs's useNesterov). Updates param (and velocity). */
export function runSgd(
  rt: Runtime, param: number, grad: number, velocity: number, size: number, lr: number, momentum: number, nesterov: boolean,
): void {
  if (size === 0) return;
  rt.run('sgdUpdate', [param, grad, velocity, lr, momentum, nesterov ? 1 : 0], size, { grain: GRAIN, costPerUnit: 4 });
}

/** Adam / AdamW at 1-based `step`: updates param, m and v in place. */
export function runAdam(
  rt: Runtime, param: number, grad: number, m: number, v: number, size: number, lr: number, beta1: number,
  beta2: number, epsilon: number, weightDecay: number, step: number,
): void {
  if (size === 0) return;
  const biasCorrection1 = 1 - Math.pow(beta1, step);
  const biasCorrection2 = 1 - Math.pow(beta2, step);
  rt.run('adamUpdate', [param, grad, m, v, lr, beta1, beta2, 1 - beta1, 1 - beta2, epsilon, weightDecay, biasCorrection1, biasCorrection2],
    size, { grain: GRAIN, costPerUnit: 16 });
}
