// The whole-sequence recurrent ops composed from primitive ops, one time step after another (autograd
// differentiates it): for backends without the fused recurrentForward/recurrentBackward pair, and a second
// oracle for the fused kernels. Same formulas and layouts as ops/recurrent.ts (tfjs/Keras gate order).
import type { RecurrentActivation, RecurrentCell } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { add, mul, sub } from './binary.js';
import { stack } from './concat.js';
import { matMul } from './matmul.js';
import { reshape } from './shape.js';
import { slice } from './slice.js';
import { clipByValue, relu, sigmoid, tanh } from './unary.js';

export interface ComposedRecurrentArgs {
  cell: RecurrentCell;
  x: Tensor; kernel: Tensor; recurrentKernel: Tensor; bias: Tensor | null; initialH: Tensor; initialC: Tensor | null;
  /** float32 [B, T], 0 = keep the previous state and output. */
  mask: Tensor | null;
  activation: RecurrentActivation; recurrentActivation: RecurrentActivation;
  goBackwards: boolean; resetAfter: boolean;
}

function activate(kind: RecurrentActivation, t: Tensor): Tensor {
  switch (kind) {
    case 'linear': return t;
    case 'relu': return relu(t);
    case 'sigmoid': return sigmoid(t);
    case 'tanh': return tanh(t);
    case 'hardSigmoid': return clipByValue(add(mul(t, 0.2), 0.5), 0, 1);
  }
}

/** Columns [block·U, (block + count)·U) of a [rows, G·U] matrix. */
const gateColumns = (t: Tensor, units: number, block: number, count = 1): Tensor =>
  slice(t, [0, block * units], [t.shape[0], count * units]);

/** sequence [B,T,U] in processing order, final h (and c for lstm). */
export function composedRecurrent(args: ComposedRecurrentArgs): Tensor[] {
  return ENGINE.tidy(() => {
    const { cell, x, kernel, recurrentKernel: R, bias, mask, activation: a, recurrentActivation: ra } = args;
    const [batch, steps, features] = x.shape;
    const units = R.shape[0];
    const width = kernel.shape[1];
    const resetAfter = cell === 'gru' && args.resetAfter;
    const inputBias = bias ? (resetAfter ? reshape(slice(bias, [0, 0], [1, width]), [width]) : bias) : null;
    const recurrentBias = bias && resetAfter ? reshape(slice(bias, [1, 0], [1, width]), [width]) : null;
    // Every step's input projection in one product: [B·T, F]·[F, G·U] (+ input bias).
    const projected = matMul(reshape(x, [batch * steps, features]), kernel);
    const xw = reshape(inputBias ? add(projected, inputBias) : projected, [batch, steps, width]);
    let h = args.initialH;
    let c = args.initialC;
    const outputs: Tensor[] = [];
    for (let s = 0; s < steps; s++) {
      const t = args.goBackwards ? steps - 1 - s : s;
      const xt = reshape(slice(xw, [0, t, 0], [batch, 1, width]), [batch, width]);
      let newH: Tensor;
      let newC: Tensor | null = null;
      if (cell === 'lstm') {
        const z = add(xt, matMul(h, R));
        const i = activate(ra, gateColumns(z, units, 0));
        const f = activate(ra, gateColumns(z, units, 1));
        const candidate = activate(a, gateColumns(z, units, 2));
        const o = activate(ra, gateColumns(z, units, 3));
        newC = add(mul(f, c!), mul(i, candidate));
        newH = mul(o, activate(a, newC));
      } else if (cell === 'gru') {
        if (resetAfter) {
          // The reset gate scales h·U_h + recurrent bias (Keras's reset_after).
          const rec = recurrentBias ? add(matMul(h, R), recurrentBias) : matMul(h, R);
          const zr = activate(ra, add(gateColumns(xt, units, 0, 2), gateColumns(rec, units, 0, 2)));
          const candidate = activate(a, add(gateColumns(xt, units, 2), mul(gateColumns(zr, units, 1), gateColumns(rec, units, 2))));
          newH = gruUpdate(zr, units, h, candidate);
        } else {
          // The reset gate scales h before its product with U_h.
          const zr = activate(ra, add(gateColumns(xt, units, 0, 2), matMul(h, gateColumns(R, units, 0, 2))));
          const candidate = activate(a, add(gateColumns(xt, units, 2), matMul(mul(gateColumns(zr, units, 1), h), gateColumns(R, units, 2))));
          newH = gruUpdate(zr, units, h, candidate);
        }
      } else {
        newH = activate(a, add(xt, matMul(h, R)));
      }
      if (mask) {
        // A masked step keeps the previous state: m·new + (1 - m)·old, m = mask[:, t] as a column.
        const m = slice(mask, [0, t], [batch, 1]);
        const keep = (next: Tensor, old: Tensor) => add(mul(m, next), mul(sub(1, m), old));
        newH = keep(newH, h);
        if (newC) newC = keep(newC, c!);
      }
      h = newH;
      if (newC) c = newC;
      outputs.push(h);
    }
    return [stack(outputs, 1), h, ...(cell === 'lstm' ? [c!] : [])];
  });
}

/** h' = z·h + (1 - z)·candidate, z the first gate block of the activated [z | r]. */
function gruUpdate(zr: Tensor, units: number, h: Tensor, candidate: Tensor): Tensor {
  const z = gateColumns(zr, units, 0);
  return add(mul(z, h), mul(sub(1, z), candidate));
}
