// Buffers of the reference backend. float32 tensors live in Float64Array so that every kernel
// computes and stores in float64 (finite differences through the oracle stay accurate); int32 lives
// in Int32Array and bool in Uint8Array, so storing a float64 result into them applies exactly the
// conversion tfjs applies (ToInt32: truncate toward zero, NaN → 0, wrap modulo 2³²).

import type { DataId, DType, TypedArray } from '../backend.js';

/** The storage of one buffer; its type follows the dtype (see allocate). */
export type Values = Float64Array | Int32Array | Uint8Array;

/** The handle the reference backend hands out: the values themselves, no indirection. */
export class ReferenceData implements DataId {
  readonly backend = 'reference';
  constructor(readonly values: Values) {}
}

/** A zeroed buffer of `size` elements in the storage type for `dtype`. */
export function allocate(size: number, dtype: DType): Values {
  switch (dtype) {
    case 'float32': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
    case 'bool': return new Uint8Array(size);
  }
}

/** Copies user values into storage for `dtype`: bool becomes 0/1, int32 truncates, float32 keeps float64. */
export function fromUser(values: ArrayLike<number>, dtype: DType): Values {
  const out = allocate(values.length, dtype);
  if (dtype === 'bool') {
    for (let i = 0; i < values.length; i++) out[i] = values[i] !== 0 ? 1 : 0;
  } else {
    for (let i = 0; i < values.length; i++) out[i] = values[i];
  }
  return out;
}

/** Copies storage out as the TypedArray the interface promises for `dtype` (float32 rounds here). */
export function toUser(values: Values, dtype: DType, size: number): TypedArray {
  const view = values.subarray(0, size);
  switch (dtype) {
    case 'float32': return new Float32Array(view);
    case 'int32': return new Int32Array(view);
    case 'bool': return new Uint8Array(view);
  }
}

/** Bytes reported per element: what a user sees for float32 and int32 (bool is counted the same). */
export const BYTES_PER_ELEMENT = 4;

/** Tracks the live buffers, so memory() can report them and use-after-dispose fails loudly. */
export class BufferRegistry {
  private readonly live = new Set<ReferenceData>();
  private liveElements = 0;

  register(values: Values): ReferenceData {
    const data = new ReferenceData(values);
    this.live.add(data);
    this.liveElements += values.length;
    return data;
  }

  release(data: DataId): void {
    const ref = data as ReferenceData;
    if (this.live.delete(ref)) this.liveElements -= ref.values.length;
  }

  /** The values behind a handle; throws if the handle is foreign or already disposed. */
  valuesOf(data: DataId, op: string): Values {
    if (data.backend !== 'reference') {
      throw new Error(`reference backend: ${op} got a buffer of backend '${data.backend}'`);
    }
    const ref = data as ReferenceData;
    if (!this.live.has(ref)) throw new Error(`reference backend: ${op} used a disposed buffer`);
    return ref.values;
  }

  get bytes(): number { return this.liveElements * BYTES_PER_ELEMENT; }
  get buffers(): number { return this.live.size; }
}
