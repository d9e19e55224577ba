// Per-variable optimizer state (velocity, m, v…) and the guards that make in-place updates safe.
// The fused kernels (backend.sgdUpdate / adamUpdate) write into the parameter and state buffers, so each
// buffer they touch must live on the current backend and belong to exactly one tensor.
import { ENGINE } from '../engine.js';
import { Tensor } from '../tensor.js';
import { Variable, registeredVariables } from '../variable.js';
import { fill } from '../ops/creation.js';

/** A tensor with a name, as tfjs's NamedTensor (optimizer weights, gradient lists). */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}
export type NamedTensorMap = Record<string, Tensor>;

/** A fresh buffer on the current backend holding t's values (never shared with anything). */
function freshCopy(t: Tensor): Tensor {
  if (t.storage.backendName === ENGINE.getBackend()) {
    // A same-dtype cast is an exact copy into a new buffer (keeps the reference backend's float64 values).
    const dataId = ENGINE.backend.cast(t.dataId, t.size, t.dtype, t.dtype);
    return ENGINE.makeTensor({ dataId, shape: t.shape, dtype: t.dtype });
  }
  return ENGINE.fromValues(ENGINE.readSync(t), t.shape, t.dtype);
}

/**
 * Makes the variable the only tensor over its buffer, on the current backend. Variables share storage
 * when built from a live tensor or assigned one (refCount > 1), or sit on the backend they were made on
 * after setBackend; an in-place update would then change other tensors or miss the current backend.
 */
export function ownBufferForUpdate(variable: Variable): void {
  const storage = variable.storage;
  if (storage.backendName === ENGINE.getBackend() && storage.refCount === 1) return;
  const copy = freshCopy(variable);
  variable.assign(copy);
  copy.dispose();
}

/** The gradient on the current backend: itself, or a temporary copy the caller disposes (`temporary`). */
export function gradientOnCurrentBackend(gradient: Tensor): { tensor: Tensor; temporary: boolean } {
  if (gradient.storage.backendName === ENGINE.getBackend()) return { tensor: gradient, temporary: false };
  return { tensor: freshCopy(gradient), temporary: true };
}

/** Looks up the variable a gradient belongs to and checks that the pair can be updated. */
export function checkedVariable(opName: string, name: string, gradient: Tensor | null | undefined): Variable {
  const variable = registeredVariables.get(name);
  if (!variable) throw new Error(`${opName}: no variable named '${name}' (was it disposed?)`);
  variable.throwIfDisposed(`${opName}(${name})`);
  if (variable.dtype !== 'float32') {
    throw new Error(`${opName}: variable '${name}' is ${variable.dtype}; optimizers update float32 variables only`);
  }
  if (gradient != null) {
    gradient.throwIfDisposed(`${opName}(${name})`);
    if (gradient.dtype !== 'float32' || !sameShape(gradient.shape, variable.shape)) {
      throw new Error(
        `${opName}: variable '${name}' is [${variable.shape}] float32 but its gradient is [${gradient.shape}] ${gradient.dtype}`,
      );
    }
  }
  return variable;
}

/** Normalizes applyGradients' argument (a name→tensor map or a {name, tensor} list) to a list. */
export function gradientList(variableGradients: NamedTensorMap | NamedTensor[]): { name: string; tensor: Tensor | null }[] {
  if (Array.isArray(variableGradients)) return variableGradients.map(({ name, tensor }) => ({ name, tensor: tensor ?? null }));
  return Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] ?? null }));
}

/**
 * State slots per variable, keyed by variable name (so a variable missing from one step's gradients does
 * not shift the others' state, which tfjs's positional lists would). Names follow tfjs: `${variable}/${slot}`,
 * listed slot by slot in the order variables were first seen.
 */
export class SlotState {
  private entries = new Map<string, Tensor[]>();

  /** `initialValue(slot)`: what a slot starts at (0 for moments, Adagrad's initialAccumulatorValue). */
  constructor(
    private readonly opName: string,
    readonly slotNames: readonly string[],
    private readonly initialValue: (slot: string) => number = () => 0,
  ) {}

  /** The variable's slots, created on first use, each the sole owner of a buffer on the current backend. */
  slotsFor(variable: Variable): Tensor[] {
    let slots = this.entries.get(variable.name);
    if (!slots) {
      slots = this.slotNames.map((slot) => ENGINE.keep(fill(variable.shape, this.initialValue(slot), 'float32')));
      this.entries.set(variable.name, slots);
    }
    slots.forEach((slot, i) => {
      if (!sameShape(slot.shape, variable.shape)) {
        throw new Error(
          `${this.opName}: state '${variable.name}/${this.slotNames[i]}' is [${slot.shape}] but the variable is [${variable.shape}]`,
        );
      }
      if (slot.storage.backendName !== ENGINE.getBackend() || slot.storage.refCount !== 1) {
        slots![i] = ENGINE.keep(freshCopy(slot));
        slot.dispose();
      }
    });
    return slots;
  }

  /** Replaces one slot's tensor (composite optimizers build new tensors instead of updating in place). */
  replace(variableName: string, slotIndex: number, value: Tensor): void {
    const slots = this.entries.get(variableName)!;
    slots[slotIndex].dispose();
    slots[slotIndex] = ENGINE.keep(value);
  }

  /** Copies of every slot, named like tfjs (the caller owns them; later steps do not change them). */
  snapshot(): NamedTensor[] {
    const out: NamedTensor[] = [];
    this.slotNames.forEach((slot, s) => {
      for (const [name, slots] of this.entries) out.push({ name: `${name}/${slot}`, tensor: freshCopy(slots[s]) });
    });
    return out;
  }

  /** Replaces all state with copies of `weights`, laid out as snapshot() writes them. */
  restore(weights: NamedTensor[]): void {
    const slotCount = this.slotNames.length;
    if (weights.length % slotCount !== 0) {
      throw new Error(`${this.opName}.setWeights: expected a multiple of ${slotCount} state tensors after 'iter', got ${weights.length}`);
    }
    const perSlot = weights.length / slotCount;
    // Validate everything before copying anything, so a bad list leaves the current state intact.
    const layout = new Map<string, Tensor[]>();
    this.slotNames.forEach((slot, s) => {
      for (let i = 0; i < perSlot; i++) {
        const { name, tensor } = weights[s * perSlot + i];
        const suffix = `/${slot}`;
        if (typeof name !== 'string' || !name.endsWith(suffix)) {
          throw new Error(`${this.opName}.setWeights: weight ${s * perSlot + i} should be named '<variable>${suffix}', got '${name}'`);
        }
        tensor.throwIfDisposed(`${this.opName}.setWeights`);
        if (tensor.dtype !== 'float32') throw new Error(`${this.opName}.setWeights: '${name}' is ${tensor.dtype}, expected float32`);
        const variableName = name.slice(0, -suffix.length);
        const slots = layout.get(variableName) ?? [];
        if (slots.length !== s) throw new Error(`${this.opName}.setWeights: '${name}' has no matching earlier slot`);
        slots.push(tensor);
        layout.set(variableName, slots);
      }
    });
    const restored = new Map<string, Tensor[]>();
    for (const [name, tensors] of layout) restored.set(name, tensors.map((t) => ENGINE.keep(freshCopy(t))));
    this.dispose();
    this.entries = restored;
  }

  dispose(): void {
    for (const slots of this.entries.values()) for (const slot of slots) slot.dispose();
    this.entries.clear();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
