// Layer normalization over the last axis on the backend's fused kernels, forward and backward:
//   x: [..., C] viewed as [rows, C];  gamma, beta: [C] (optional);  mean, rstd: [rows] (kept for the backward)
//   y = (x - mean) / sqrt(var + epsilon) · gamma + beta,  var the biased variance of each row (Keras)
//
//   const y = tf.layerNorm(x, gamma, beta);        // epsilon 1e-3 as Keras's LayerNormalization
import { activeTapes } from '../autograd/tape.js';
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { add, mul, sub } from './binary.js';
import { cast } from './cast.js';
import { mean as meanOf, sum } from './reduce.js';
import { reshape } from './shape.js';
import { rsqrt, square } from './unary.js';
import { toTensor } from './util.js';

type Arg = Tensor | TensorLike;

function floatArg(value: Arg, name: string): Tensor {
  const t = toTensor(value, name, 'layerNorm', 'float32');
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

/** Whether some tape records the backward itself (a higher-order gradient is being taken). */
function backwardIsRecorded(tensors: (Tensor | undefined)[]): boolean {
  return activeTapes.some((tape) => tensors.some((t) => t && tape.dependsOnWatched.has(t.id)));
}

/**
 * The same gradients composed from ops (statistics recomputed from x), so that they are differentiable
 * again; used only when a higher-order gradient records the backward.
 */
function composedLayerNormGradients(x: Tensor, dy: Tensor, gamma: Tensor | undefined, epsilon: number) {
  const lastAxis = x.rank - 1;
  const cols = x.shape[lastAxis];
  const centered = sub(x, meanOf(x, lastAxis, true));
  const rstd = rsqrt(add(meanOf(square(centered), lastAxis, true), epsilon));
  const xhat = mul(centered, rstd);
  const g = gamma ? mul(dy, gamma) : dy;
  const dx = mul(rstd, sub(sub(g, meanOf(g, lastAxis, true)), mul(xhat, meanOf(mul(g, xhat), lastAxis, true))));
  const rowsOf = (t: Tensor) => reshape(t, [-1, cols]);
  return { dx, dgamma: sum(rowsOf(mul(dy, xhat)), 0), dbeta: sum(rowsOf(dy), 0) };
}

/** dx, dgamma, dbeta from the saved statistics on the fused kernels. */
function layerNormGradients(
  x: Tensor, dy: Tensor, mean: Tensor, rstd: Tensor, gamma: Tensor | undefined, needs: { gamma: boolean; beta: boolean },
): { dx: Tensor; dgamma: Tensor | null; dbeta: Tensor | null } {
  const cols = x.shape[x.rank - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const paramShape = [cols];
  const outputs = ENGINE.runKernel({
    name: 'layerNormGrad',
    inputs: gamma ? [x, dy, mean, rstd, gamma] : [x, dy, mean, rstd],
    forward: (backend, [xt, dyt, meant, rstdt, gammat]) => {
      const grads = backend.layerNormGrad!(xt.dataId, dyt.dataId, meant.dataId, rstdt.dataId, gammat?.dataId, rows, cols, needs);
      return [
        { dataId: grads.dx, shape: xt.shape, dtype: 'float32' as const },
        ...(grads.dgamma ? [{ dataId: grads.dgamma, shape: paramShape, dtype: 'float32' as const }] : []),
        ...(grads.dbeta ? [{ dataId: grads.dbeta, shape: paramShape, dtype: 'float32' as const }] : []),
      ];
    },
  });
  return {
    dx: outputs[0],
    dgamma: needs.gamma ? outputs[1] : null,
    dbeta: needs.beta ? outputs[needs.gamma ? 2 : 1] : null,
  };
}

/** The same function from primitive ops (autograd differentiates it), for backends without the fused pair. */
export function composedLayerNorm(x: Tensor, gamma: Tensor | undefined, beta: Tensor | undefined, epsilon: number): Tensor {
  const lastAxis = x.rank - 1;
  const centered = sub(x, meanOf(x, lastAxis, true));
  const normalized = mul(centered, rsqrt(add(meanOf(square(centered), lastAxis, true), epsilon)));
  const scaled = gamma ? mul(normalized, gamma) : normalized;
  return beta ? add(scaled, beta) : scaled;
}

/** (x - mean)/sqrt(var + epsilon)·gamma + beta over the last axis of x; gamma, beta [C] or null. */
export function layerNorm(xArg: Arg, gammaArg?: Arg | null, betaArg?: Arg | null, epsilon = 1e-3): Tensor {
  const x = floatArg(xArg, 'x');
  if (x.rank === 0) throw new Error('layerNorm: x must have rank >= 1 (normalized over the last axis), got a scalar');
  if (typeof epsilon !== 'number' || !(epsilon >= 0)) {
    throw new Error(`layerNorm: epsilon must be a non-negative number, got ${epsilon}`);
  }
  const cols = x.shape[x.rank - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const gamma = gammaArg === undefined || gammaArg === null ? undefined : floatArg(gammaArg, 'gamma');
  const beta = betaArg === undefined || betaArg === null ? undefined : floatArg(betaArg, 'beta');
  for (const [name, t] of [['gamma', gamma], ['beta', beta]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== cols)) {
      throw new Error(`layerNorm: ${name} must have shape [${cols}] (x's last axis), got [${t.shape}] for x [${x.shape}]`);
    }
  }
  const backend = ENGINE.backendFor('layerNorm');
  if (!backend.layerNorm || !backend.layerNormGrad) return ENGINE.tidy(() => composedLayerNorm(x, gamma, beta, epsilon));
  const statsShape = x.shape.slice(0, -1);
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  const [y, mean, rstd] = ENGINE.runKernel({
    name: 'layerNorm',
    inputs,
    forward: (backend, [xt, ...params]) => {
      const out = backend.layerNorm!(xt.dataId, rows, cols, gamma ? params[0].dataId : undefined,
        beta ? params[gamma ? 1 : 0].dataId : undefined, epsilon);
      return [
        { dataId: out.y, shape: xt.shape, dtype: 'float32' },
        { dataId: out.mean, shape: statsShape, dtype: 'float32' },
        { dataId: out.rstd, shape: statsShape, dtype: 'float32' },
      ];
    },
    // dys[1], dys[2] (for mean and rstd) are always zero: those outputs never leave this file.
    backward: ([dy], [xt, ...params], [, meanT, rstdT], needs) => {
      const gammaT = gamma ? params[0] : undefined;
      const needGamma = !!gamma && (needs[1] ?? true);
      const needBeta = !!beta && (needs[gamma ? 2 : 1] ?? true);
      const grads = backwardIsRecorded([xt, dy, gammaT])
        ? composedLayerNormGradients(xt, dy, gammaT, epsilon)
        : layerNormGradients(xt, dy, meanT, rstdT, gammaT, { gamma: needGamma, beta: needBeta });
      return [
        needs[0] ?? true ? grads.dx : null,
        ...(gamma ? [needGamma ? grads.dgamma : null] : []),
        ...(beta ? [needBeta ? grads.dbeta : null] : []),
      ];
    },
  });
  mean.dispose(); // the tape holds its own references when it needs them
  rstd.dispose();
  return y;
}
