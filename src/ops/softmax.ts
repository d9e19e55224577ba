// softmax and logSoftmax over one axis, on backend.softmax / softmaxGrad.
//   logits: [..., C] viewed as [rows, C] → same shape. Another axis is swapped to the end and back.
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { mul, sub } from './binary.js';
import { cast } from './cast.js';
import { sum } from './reduce.js';
import { transpose } from './shape.js';
import { exp } from './unary.js';
import { toTensor } from './util.js';

type Arg = Tensor | TensorLike;

/**
 * The backward kernel as an op of its own, so that second derivatives work. Per row, with s = Σ dy·y:
 *   softmax:     dx = y·(dy − s)
 *   log-softmax: dx = dy − exp(y)·Σ dy
 */
function softmaxGradient(y: Tensor, dy: Tensor, log: boolean): Tensor {
  const cols = y.shape[y.rank - 1];
  const rows = cols === 0 ? 0 : y.size / cols;
  return ENGINE.runKernel({
    name: log ? 'logSoftmaxGrad' : 'softmaxGrad',
    inputs: [y, dy],
    forward: (backend, [output, upstream]) => ({
      dataId: backend.softmaxGrad(output.dataId, upstream.dataId, rows, cols, log),
      shape: output.shape,
      dtype: 'float32',
    }),
    backward: ([g], [output, upstream]) => {
      const lastAxis = output.rank - 1;
      if (log) {
        // ∂/∂dy = g − Σ g·exp(y);  ∂/∂y = −g·exp(y)·Σ dy
        const probabilities = exp(output);
        return [
          mul(mul(g, probabilities), mul(sum(upstream, lastAxis, true), -1)),
          sub(g, sum(mul(g, probabilities), lastAxis, true)),
        ];
      }
      // ∂/∂y_m = g_m·(dy_m − s) − dy_m·Σ g·y;  ∂/∂dy = softmaxGrad(y, g)
      const s = sum(mul(upstream, output), lastAxis, true);
      const gy = sum(mul(g, output), lastAxis, true);
      return [sub(mul(g, sub(upstream, s)), mul(upstream, gy)), softmaxGradient(output, g, false)];
    },
  })[0];
}

function softmaxOp(opName: string, logitsArg: Arg, axis: number, log: boolean): Tensor {
  let logits = toTensor(logitsArg, 'logits', opName);
  if (logits.rank === 0) throw new Error(`${opName}: logits must have rank >= 1, got a scalar`);
  if (!Number.isInteger(axis) || axis < -logits.rank || axis >= logits.rank) {
    throw new Error(`${opName}: axis ${axis} is out of range for logits of shape [${logits.shape}]`);
  }
  if (logits.dtype !== 'float32') logits = cast(logits, 'float32');
  const normalized = axis < 0 ? axis + logits.rank : axis;
  const lastAxis = logits.rank - 1;
  if (normalized !== lastAxis) {
    const perm = logits.shape.map((_, i) => (i === normalized ? lastAxis : i === lastAxis ? normalized : i));
    return transpose(softmaxOp(opName, transpose(logits, perm), -1, log), perm);
  }
  const cols = logits.shape[lastAxis];
  const rows = cols === 0 ? 0 : logits.size / cols;
  return ENGINE.runKernel({
    name: opName,
    inputs: [logits],
    forward: (backend, [x]) => ({
      dataId: backend.softmax(x.dataId, rows, cols, log),
      shape: x.shape,
      dtype: 'float32',
    }),
    backward: ([dy], _, [y]) => [softmaxGradient(y, dy, log)],
  })[0];
}

/** exp(x) / Σ exp(x) along `dim` (default the last axis). */
export function softmax(logits: Arg, dim = -1): Tensor {
  return softmaxOp('softmax', logits, dim, false);
}

/** x − log Σ exp(x) along `axis` (default the last axis). */
export function logSoftmax(logits: Arg, axis = -1): Tensor {
  return softmaxOp('logSoftmax', logits, axis, true);
}
