// cast: dtype conversion. float32 → int32 truncates toward zero (NaN → 0), anything → bool is x != 0,
// bool → number is 0/1 — the conversions tfjs applies.
import type { DType } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { toTensor } from './util.js';

const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

/** x converted to `dtype`; only float32 → float32 passes a gradient (the others are not differentiable). */
export function cast(x: Tensor | TensorLike, dtype: DType): Tensor {
  const t = toTensor(x, 'x', 'cast');
  if (!DTYPES.includes(dtype)) throw new Error(`cast: unknown dtype '${dtype}' (expected ${DTYPES.join(', ')})`);
  const sameDtype = t.dtype === dtype;
  return ENGINE.runKernel({
    name: 'cast',
    inputs: [t],
    // A cast to the same dtype is a view of the same buffer, like tfjs's clone.
    forward: (backend, [input]) => ({
      dataId: sameDtype ? input.dataId : backend.cast(input.dataId, input.size, input.dtype, dtype),
      shape: input.shape,
      dtype,
    }),
    backward: t.dtype === 'float32' && dtype === 'float32' ? ([dy]) => [dy] : undefined,
  })[0];
}
