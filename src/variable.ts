// Variables: mutable tensors (weights) that live outside tidy() scopes and that variableGrads
// differentiates with respect to.
import type { DType } from './backend/backend.js';
import { ENGINE } from './engine.js';
import { Tensor } from './tensor.js';

let nextVariableNumber = 0;
/** Every live variable by name (variableGrads' default list, duplicate-name checks). */
export const registeredVariables = new Map<string, Variable>();

export class Variable extends Tensor {
  readonly name: string;
  trainable: boolean;

  constructor(initial: Tensor, trainable: boolean, name: string | undefined, dtype?: DType) {
    const value = dtype && dtype !== initial.dtype ? castForVariable(initial, dtype) : initial;
    // The variable holds its own reference to the buffer; the initial tensor stays the caller's.
    value.storage.refCount++;
    super(value.shape, value.dtype, value.storage);
    if (value !== initial) value.dispose();
    this.name = name ?? `variable${nextVariableNumber++}`;
    if (registeredVariables.has(this.name)) {
      this.storage.refCount--;
      throw new Error(`variable: a variable named '${this.name}' already exists`);
    }
    this.trainable = trainable;
    this.kept = true;
    registeredVariables.set(this.name, this);
    ENGINE.adoptVariable(this);
  }

  /** Replaces the value; the new value must have the same shape and dtype. */
  assign(newValue: Tensor): void {
    this.throwIfDisposed('assign');
    newValue.throwIfDisposed('assign');
    if (newValue.dtype !== this.dtype || !sameShape(newValue.shape, this.shape)) {
      throw new Error(
        `assign: variable '${this.name}' is [${this.shape}] ${this.dtype}; the new value is [${newValue.shape}] ${newValue.dtype}`,
      );
    }
    ENGINE.replaceStorage(this, newValue);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    registeredVariables.delete(this.name);
    super.dispose();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

function castForVariable(initial: Tensor, dtype: DType): Tensor {
  const out = ENGINE.backend.cast(initial.storage.dataId, initial.size, initial.dtype, dtype);
  return ENGINE.makeTensor({ dataId: out, shape: initial.shape, dtype });
}
