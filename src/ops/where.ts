// Elementwise select with numpy broadcasting over all three inputs:
//   condition: bool [...], a: [...], b: [...] → out: broadcast(condition, a, b), out = condition ? a : b.
// Gradient: dy goes to a where the condition holds and to b elsewhere, each summed back to its shape.
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { sumToShape } from './binary.js';
import { cast } from './cast.js';
import { zerosLike } from './creation.js';
import { assertDtype, broadcastShapes, toTensor, upcastDtype } from './util.js';

type Arg = Tensor | TensorLike;

export function where(condition: Arg, aArg: Arg, bArg: Arg): Tensor {
  const cond = toTensor(condition, 'condition', 'where');
  assertDtype(cond, ['bool'], 'where', 'condition');
  let a = toTensor(aArg, 'a', 'where');
  let b = toTensor(bArg, 'b', 'where');
  const dtype = upcastDtype(a.dtype, b.dtype);
  if (a.dtype !== dtype) a = cast(a, dtype);
  if (b.dtype !== dtype) b = cast(b, dtype);
  let outShape: number[];
  try {
    outShape = broadcastShapes(broadcastShapes(cond.shape, a.shape, 'where'), b.shape, 'where');
  } catch {
    throw new Error(`where: shapes of condition [${cond.shape}], a [${a.shape}] and b [${b.shape}] cannot be broadcast together`);
  }
  return ENGINE.runKernel({
    name: 'where',
    inputs: [cond, a, b],
    forward: (backend, [c, x, y]) => ({
      dataId: backend.where(c.dataId, c.shape, x.dataId, x.shape, y.dataId, y.shape, outShape, dtype),
      shape: outShape,
      dtype,
    }),
    backward: dtype === 'float32'
      ? ([dy], [c, x, y]) => {
        const zeros = zerosLike(dy);
        return [null, sumToShape(where(c, dy, zeros), x.shape), sumToShape(where(c, zeros, dy), y.shape)];
      }
      : undefined,
  })[0];
}
