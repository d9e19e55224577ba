// pad (constant padding; gradient: the slice that cuts the padding off) and tile (repetition;
// gradient: view dy as [r0, d0, r1, d1, …] — out index j = r·d + i on each axis — and sum the r axes).
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';
import { slice } from './slice.js';
import { clone } from './creation.js';
import { toTensor } from './util.js';

type Arg = Tensor | TensorLike;

/** Pads each axis d with paddings[d] = [before, after] copies of constantValue. */
export function pad(x: Arg, paddings: Array<[number, number]> | readonly (readonly [number, number])[], constantValue = 0): Tensor {
  const t = toTensor(x, 'x', 'pad');
  if (t.rank === 0) throw new Error('pad: cannot pad a scalar');
  if (!Array.isArray(paddings) || paddings.length !== t.rank) {
    throw new Error(`pad: paddings must have one [before, after] pair per axis of x, shape [${t.shape}]; got ${JSON.stringify(paddings)}`);
  }
  const pairs = paddings.map((pair, d): [number, number] => {
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((p) => !Number.isInteger(p) || p < 0)) {
      throw new Error(`pad: paddings[${d}] = ${JSON.stringify(pair)} must be two non-negative integers (x shape [${t.shape}])`);
    }
    return [pair[0], pair[1]];
  });
  if (typeof constantValue !== 'number') throw new Error(`pad: constantValue must be a number, got ${typeof constantValue}`);
  if (pairs.every(([a, b]) => a === 0 && b === 0)) return clone(t);
  const outShape = t.shape.map((dim, d) => pairs[d][0] + dim + pairs[d][1]);
  return ENGINE.runKernel({
    name: 'pad',
    inputs: [t],
    forward: (backend, [input]) => ({
      dataId: backend.pad(input.dataId, input.shape, pairs, constantValue, input.dtype),
      shape: outShape,
      dtype: input.dtype,
    }),
    backward: ([dy], [input]) => [slice(dy, pairs.map(([before]) => before), input.shape)],
  })[0];
}

/** Repeats x reps[d] times along each axis d. */
export function tile(x: Arg, reps: number[]): Tensor {
  const t = toTensor(x, 'x', 'tile');
  if (!Array.isArray(reps) || reps.length !== t.rank) {
    throw new Error(`tile: reps [${reps}] must have one entry per axis of x, shape [${t.shape}]`);
  }
  if (reps.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new Error(`tile: reps [${reps}] must be non-negative integers (x shape [${t.shape}])`);
  }
  if (reps.every((r) => r === 1)) return clone(t);
  const outShape = t.shape.map((dim, d) => dim * reps[d]);
  return ENGINE.runKernel({
    name: 'tile',
    inputs: [t],
    forward: (backend, [input]) => ({
      dataId: backend.tile(input.dataId, input.shape, reps, input.dtype),
      shape: outShape,
      dtype: input.dtype,
    }),
    backward: ([dy], [input]) => {
      const interleaved = input.shape.flatMap((dim, d) => [reps[d], dim]);
      const repAxes = input.shape.map((_, d) => 2 * d);
      return [reshape(sum(reshape(dy, interleaved), repAxes), input.shape)];
    },
  })[0];
}
