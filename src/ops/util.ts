// Shared helpers for ops: input conversion, shape checks with clear messages, broadcasting,
// and reducing a broadcast gradient back to an input's shape.
import type { DType, Shape, TypedArray } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import { sizeFromShape, Tensor, TensorLike } from '../tensor.js';

/** Accepts a Tensor or anything tensor() accepts; names the op and argument in errors. */
export function toTensor(x: Tensor | TensorLike, argName: string, opName: string, dtype?: DType): Tensor {
  if (x instanceof Tensor) {
    x.throwIfDisposed(opName);
    return x;
  }
  if (x === null || x === undefined) {
    throw new Error(`${opName}: argument '${argName}' must be a Tensor or TensorLike, got ${x}`);
  }
  const { values, shape, inferredDtype } = flattenTensorLike(x, `${opName}: argument '${argName}'`);
  return ENGINE.fromValues(values, shape, dtype ?? inferredDtype);
}

/** Flattens nested arrays / typed arrays into values and the shape implied by the nesting. */
export function flattenTensorLike(
  x: TensorLike,
  context: string,
): { values: TypedArray | number[]; shape: number[]; inferredDtype: DType } {
  if (x instanceof Float32Array) return { values: x, shape: [x.length], inferredDtype: 'float32' };
  if (x instanceof Int32Array) return { values: x, shape: [x.length], inferredDtype: 'int32' };
  if (x instanceof Uint8Array) return { values: x, shape: [x.length], inferredDtype: 'bool' };
  if (typeof x === 'number') return { values: [x], shape: [], inferredDtype: 'float32' };
  if (typeof x === 'boolean') return { values: [x ? 1 : 0], shape: [], inferredDtype: 'bool' };
  if (!Array.isArray(x)) throw new Error(`${context}: expected a number, boolean, array or typed array, got ${typeof x}`);
  const shape: number[] = [];
  let level: unknown = x;
  while (Array.isArray(level) || ArrayBuffer.isView(level)) {
    shape.push((level as ArrayLike<unknown>).length);
    level = (level as ArrayLike<unknown>)[0];
  }
  const values: number[] = [];
  let sawBool = false;
  const walk = (node: unknown, axis: number): void => {
    if (axis === shape.length) {
      if (typeof node === 'boolean') {
        sawBool = true;
        values.push(node ? 1 : 0);
      } else if (typeof node === 'number') {
        values.push(node);
      } else {
        throw new Error(`${context}: element at depth ${axis} is ${typeof node}, expected a number or boolean`);
      }
      return;
    }
    const items = node as ArrayLike<unknown>;
    if (!(Array.isArray(items) || ArrayBuffer.isView(items)) || items.length !== shape[axis]) {
      throw new Error(`${context}: ragged nested array: expected length ${shape[axis]} at depth ${axis} (shape [${shape}])`);
    }
    for (let i = 0; i < items.length; i++) walk(items[i], axis + 1);
  };
  walk(x, 0);
  return { values, shape, inferredDtype: sawBool ? 'bool' : 'float32' };
}

export function assertShapesEqual(a: Shape, b: Shape, context: string): void {
  if (a.length !== b.length || a.some((dim, i) => dim !== b[i])) {
    throw new Error(`${context}: shapes [${a}] and [${b}] must match`);
  }
}

/** numpy broadcasting of two shapes; throws naming the op when they are incompatible. */
export function broadcastShapes(a: Shape, b: Shape, opName: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const dimA = a[a.length - rank + i] ?? 1;
    const dimB = b[b.length - rank + i] ?? 1;
    if (dimA !== dimB && dimA !== 1 && dimB !== 1) {
      throw new Error(`${opName}: shapes [${a}] and [${b}] cannot be broadcast together (axis ${i}: ${dimA} vs ${dimB})`);
    }
    out[i] = dimA === 1 ? dimB : dimA;
  }
  return out;
}

/** Axes of outShape along which a tensor of `shape` was broadcast (for summing gradients back). */
export function broadcastedAxes(shape: Shape, outShape: Shape): number[] {
  const axes: number[] = [];
  const offset = outShape.length - shape.length;
  for (let i = 0; i < outShape.length; i++) {
    const dim = i < offset ? 1 : shape[i - offset];
    if (dim === 1 && outShape[i] !== 1) axes.push(i);
    else if (i < offset) axes.push(i);
  }
  return axes;
}

/** Normalizes axis arguments (negative counts from the end); throws on out-of-range axes. */
export function parseAxes(axis: number | number[] | undefined | null, rank: number, opName: string): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axis) ? axis : [axis];
  const out: number[] = [];
  for (const a of list) {
    if (!Number.isInteger(a) || a < -Math.max(rank, 1) || a >= Math.max(rank, 1)) {
      throw new Error(`${opName}: axis ${a} is out of range for a tensor of rank ${rank}`);
    }
    const normalized = a < 0 ? a + rank : a;
    if (!out.includes(normalized)) out.push(normalized);
  }
  return out.sort((x, y) => x - y);
}

export function assertDtype(t: Tensor, allowed: readonly DType[], opName: string, argName = 'x'): void {
  if (!allowed.includes(t.dtype)) {
    throw new Error(`${opName}: argument '${argName}' has dtype ${t.dtype} (shape [${t.shape}]); expected ${allowed.join(' or ')}`);
  }
}

export function assertIntegerShape(shape: Shape, opName: string): void {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) throw new Error(`${opName}: invalid shape [${shape}]: dimensions must be non-negative integers`);
  }
}

/** Fills unknown -1 in a target shape (reshape) and checks the element count. */
export function inferReshape(shape: Shape, size: number, opName: string): number[] {
  const out = shape.slice();
  const unknown = out.indexOf(-1);
  if (unknown !== out.lastIndexOf(-1)) throw new Error(`${opName}: shape [${shape}] has more than one -1`);
  if (unknown >= 0) {
    const known = sizeFromShape(out.filter((d) => d !== -1));
    if (known === 0 || size % known !== 0) throw new Error(`${opName}: cannot reshape ${size} elements into [${shape}]`);
    out[unknown] = size / known;
  }
  assertIntegerShape(out, opName);
  if (sizeFromShape(out) !== size) throw new Error(`${opName}: cannot reshape ${size} elements into [${shape}]`);
  return out;
}

/** Output dtype of an arithmetic op on two inputs, as tfjs upcasts (bool < int32 < float32). */
export function upcastDtype(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'int32' || b === 'int32') return 'int32';
  return 'bool';
}
