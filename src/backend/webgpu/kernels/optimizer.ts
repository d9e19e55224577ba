// In-place optimizer updates (float32), as tfjs's MomentumOptimizer and AdamOptimizer (see
// reference/optimizer.ts): param and the state buffers are read_write outputs of one elementwise dispatch.
import type { AdamArgs } from '../../backend.js';
import { Words, type GpuExecutor } from '../executor.js';
import { elementwiseKernel, header } from '../wgsl.js';

/** velocity ← momentum·velocity + grad; param ← param − lr·(nesterov ? grad + momentum·velocity : velocity). */
export function sgdUpdate(
  exec: GpuExecutor, _outs: number[], param: number, grad: number, velocity: number | undefined, size: number,
  learningRate: number, momentum: number, nesterov: boolean,
): void {
  if (size === 0) return;
  const wg = exec.workgroupSize;
  // Uniform words: 0 size, 1 lr, 2 momentum.
  const words = new Words().u(size).f(learningRate, momentum);
  if (velocity === undefined) {
    exec.dispatch({
      name: 'sgdUpdate', code: elementwiseKernel(header([['G', 'f32']], [['P', 'f32']]), wg, 0, '  P[i] = P[i] - f(1u) * G[i];'),
      inputs: [grad], outputs: [param], uniforms: words, workgroups: exec.grid(Math.ceil(size / wg)),
    });
    return;
  }
  const step = nesterov ? '(g + f(2u) * nv)' : 'nv';
  exec.dispatch({
    name: 'sgdUpdate',
    code: elementwiseKernel(header([['G', 'f32']], [['P', 'f32'], ['V', 'f32']]), wg, 0,
      `  let g = G[i];\n  let nv = f(2u) * V[i] + g;\n  V[i] = nv;\n  P[i] = P[i] - f(1u) * ${step};`),
    inputs: [grad], outputs: [param, velocity], uniforms: words, workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

/** Adam / AdamW: m, v updated in place; param ← param − lr·(m̂ / (√v̂ + ε) + weightDecay·param). */
export function adamUpdate(exec: GpuExecutor, _outs: number[], param: number, grad: number, m: number, v: number, size: number, args: AdamArgs): void {
  if (size === 0) return;
  const { learningRate, beta1, beta2, epsilon, step, weightDecay } = args;
  const wg = exec.workgroupSize;
  // Uniform words: 0 size, 1 lr, 2 beta1, 3 beta2, 4 1−beta1, 5 1−beta2, 6 epsilon, 7 weightDecay,
  // 8 1−beta1^t, 9 1−beta2^t (bias corrections computed in float64 here).
  const words = new Words().u(size).f(learningRate, beta1, beta2, 1 - beta1, 1 - beta2, epsilon, weightDecay, 1 - Math.pow(beta1, step), 1 - Math.pow(beta2, step));
  exec.dispatch({
    name: 'adamUpdate',
    code: elementwiseKernel(header([['G', 'f32']], [['P', 'f32'], ['M', 'f32'], ['V', 'f32']]), wg, 0, `  let g = G[i];
  let nm = f(2u) * M[i] + f(4u) * g;
  let nv = f(3u) * V[i] + f(5u) * g * g;
  M[i] = nm;
  V[i] = nv;
  let mHat = nm / f(8u);
  let vHat = nv / f(9u);
  let p = P[i];
  P[i] = p - f(1u) * (mHat / (sqrt(vHat) + f(6u)) + f(7u) * p);`),
    inputs: [grad], outputs: [param, m, v], uniforms: words, workgroups: exec.grid(Math.ceil(size / wg)),
  });
}
