// The Tensor type: an immutable n-d array whose data lives in a backend buffer.
// Chained methods (x.add(y).relu()) are attached by src/ops/chain.ts to avoid import cycles.
import type { DataId, DType, Shape, TypedArray } from './backend/backend.js';
import { rowMajorStrides, sizeOf } from './backend/shape.js';

/** A backend buffer shared by every tensor that views it (reshape shares; dispose drops a reference). */
export interface Storage {
  dataId: DataId;
  backendName: string;
  refCount: number;
  /** Element count of the buffer (4 bytes each on every backend). */
  size: number;
}

/** Nested arrays as returned by array(). */
export type NestedArray = number | NestedArray[];
/** Nested arrays accepted by tensor(): numbers or booleans at any depth. */
export type NestedLike = (number | boolean | NestedLike)[];
export type TensorLike = number | boolean | TypedArray | NestedLike;

/** Hooks the engine installs so Tensor needs no import of it (engine imports Tensor). */
export interface TensorHost {
  readSync(t: Tensor): TypedArray;
  read(t: Tensor): Promise<TypedArray>;
  disposeTensor(t: Tensor): void;
}
let host: TensorHost;
export function setTensorHost(h: TensorHost): void {
  host = h;
}

let nextTensorId = 0;

export class Tensor {
  readonly id: number;
  readonly shape: number[];
  readonly dtype: DType;
  readonly size: number;
  /** Set once disposed; every read or op on it then throws. */
  isDisposedInternal = false;
  /** Set for tensors kept out of tidy() scopes by keep(). */
  kept = false;

  /** `id` is shared by the tape's saved references to this tensor, so graph identity survives dispose. */
  constructor(shape: Shape, dtype: DType, public storage: Storage, id?: number) {
    this.id = id ?? nextTensorId++;
    this.shape = shape.slice();
    this.dtype = dtype;
    this.size = sizeOf(shape);
  }

  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.isDisposedInternal;
  }
  /** tfjs name for the backend data handle. */
  get dataId(): DataId {
    return this.storage.dataId;
  }
  /** Row-major strides in elements (tfjs exposes them without the last axis). */
  get strides(): number[] {
    return rowMajorStrides(this.shape).slice(0, -1);
  }

  /** Copies the values out: Float32Array, Int32Array or Uint8Array (bool). */
  dataSync<D extends TypedArray = TypedArray>(): D {
    return host.readSync(this) as D;
  }
  /** Async form of dataSync, as in tfjs (the CPU backends resolve at once; a GPU backend reads back). */
  async data<D extends TypedArray = TypedArray>(): Promise<D> {
    return (await host.read(this)) as D;
  }
  arraySync(): NestedArray {
    return toNested(Array.from(this.dataSync() as ArrayLike<number>), this.shape, this.dtype);
  }
  async array(): Promise<NestedArray> {
    return toNested(Array.from((await this.data()) as ArrayLike<number>), this.shape, this.dtype);
  }
  /** Frees the tensor's reference to its buffer. Idempotent. */
  dispose(): void {
    host.disposeTensor(this);
  }
  throwIfDisposed(op = 'use'): void {
    if (this.isDisposedInternal) {
      throw new Error(`${op}: tensor ${this.id} (shape [${this.shape}], ${this.dtype}) is disposed`);
    }
  }

  toString(verbose = false): string {
    const values = this.isDisposedInternal ? '<disposed>' : formatValues(this.arraySync(), this.dtype, 4);
    const header = verbose ? `Tensor\n  dtype: ${this.dtype}\n  rank: ${this.rank}\n  shape: [${this.shape}]\n  values:\n` : 'Tensor\n';
    return header + values.split('\n').map((line) => '    ' + line).join('\n');
  }
  /** Prints the tensor like tfjs's print(). */
  print(verbose = false): void {
    console.log(this.toString(verbose));
  }
}

/** Number of elements of a shape (tfjs's util name for it). */
export { sizeOf as sizeFromShape };

function toNested(values: number[], shape: number[], dtype: DType): NestedArray {
  const convert = dtype === 'bool' ? (v: number) => (v ? 1 : 0) : (v: number) => v;
  if (shape.length === 0) return convert(values[0]);
  const build = (offset: number, axis: number): NestedArray[] => {
    const out: NestedArray[] = [];
    const stride = sizeOf(shape.slice(axis + 1));
    for (let i = 0; i < shape[axis]; i++) {
      out.push(axis === shape.length - 1 ? convert(values[offset + i]) : build(offset + i * stride, axis + 1));
    }
    return out;
  };
  return build(0, 0);
}

function formatValues(nested: NestedArray, dtype: DType, digits: number): string {
  const fmt = (v: number): string =>
    dtype === 'bool' ? (v ? 'true' : 'false') : dtype === 'int32' ? String(v) : Number.isInteger(v) ? String(v) : v.toFixed(digits);
  const render = (x: NestedArray, indent: number): string => {
    if (!Array.isArray(x)) return fmt(x);
    if (x.length === 0 || !Array.isArray(x[0])) return '[' + x.map((v) => fmt(v as number)).join(', ') + ']';
    const pad = ' '.repeat(indent + 1);
    return '[' + x.map((row, i) => (i === 0 ? '' : pad) + render(row, indent + 1)).join(',\n') + ']';
  };
  return render(nested, 0);
}
