// concat (join along an existing axis; gradient: cut dy back into the inputs' pieces) and stack
// (join along a new axis: expandDims + concat, so its gradient comes for free).
import type { DType } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { cast } from './cast.js';
import { clone } from './creation.js';
import { expandDims } from './shape.js';
import { slice } from './slice.js';
import { toTensor, upcastDtype } from './util.js';

type Arg = Tensor | TensorLike;

function toTensorList(tensors: Arg[], opName: string): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`${opName}: pass at least one tensor`);
  return tensors.map((x, i) => toTensor(x, `tensors[${i}]`, opName));
}

/** Joins tensors along `axis`; every other axis must match. Mixed dtypes upcast like tfjs. */
export function concat(tensors: Arg[], axis = 0): Tensor {
  let xs = toTensorList(tensors, 'concat');
  const rank = xs[0].rank;
  if (rank === 0) throw new Error('concat: cannot concatenate scalars (rank 0); use stack');
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`concat: axis ${axis} is out of range for tensors of rank ${rank}`);
  }
  const a = axis < 0 ? axis + rank : axis;
  for (const [i, x] of xs.entries()) {
    const matches = x.rank === rank && x.shape.every((dim, d) => d === a || dim === xs[0].shape[d]);
    if (!matches) {
      throw new Error(`concat: tensors[${i}] has shape [${x.shape}], which does not match [${xs[0].shape}] except on axis ${a}`);
    }
  }
  const dtype = xs.reduce<DType>((acc, x) => upcastDtype(acc, x.dtype), xs[0].dtype);
  xs = xs.map((x) => (x.dtype === dtype ? x : cast(x, dtype)));
  if (xs.length === 1) return clone(xs[0]);
  const outShape = xs[0].shape.slice();
  outShape[a] = xs.reduce((total, x) => total + x.shape[a], 0);
  return ENGINE.runKernel({
    name: 'concat',
    inputs: xs,
    forward: (backend, inputs) => ({
      dataId: backend.concat(inputs.map((x) => x.dataId), inputs.map((x) => x.shape), a, dtype),
      shape: outShape,
      dtype,
    }),
    backward: ([dy], inputs) => {
      const begin = new Array<number>(rank).fill(0);
      return inputs.map((x) => {
        const piece = slice(dy, begin.slice(), x.shape);
        begin[a] += x.shape[a];
        return piece;
      });
    },
  })[0];
}

/** Stacks same-shape, same-dtype tensors along a new axis `axis` (in [-(rank+1), rank]). */
export function stack(tensors: Arg[], axis = 0): Tensor {
  const xs = toTensorList(tensors, 'stack');
  const first = xs[0];
  for (const [i, x] of xs.entries()) {
    if (x.rank !== first.rank || x.shape.some((dim, d) => dim !== first.shape[d])) {
      throw new Error(`stack: tensors[${i}] has shape [${x.shape}] but tensors[0] has shape [${first.shape}]; all must match`);
    }
    if (x.dtype !== first.dtype) {
      throw new Error(`stack: tensors[${i}] has dtype ${x.dtype} but tensors[0] has dtype ${first.dtype}; all must match`);
    }
  }
  const rank = first.rank;
  if (!Number.isInteger(axis) || axis < -(rank + 1) || axis > rank) {
    throw new Error(`stack: axis ${axis} is out of range [${-(rank + 1)}, ${rank}] for tensors of shape [${first.shape}]`);
  }
  return concat(xs.map((x) => expandDims(x, axis)), axis < 0 ? axis + rank + 1 : axis);
}
