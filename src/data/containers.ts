// Dataset elements are "containers": a Tensor, a number/boolean/string, a tensor-like nested numeric array,
// or an array/object holding further elements ({xs, ys}, [x, y]). These helpers walk them the way tf.data does.
import { Tensor } from '../tensor.js';
import { stack } from '../ops/concat.js';
import { tensor } from '../ops/creation.js';
import { clone } from '../ops/creation.js';

/** A numeric/boolean leaf or nested array of them: becomes one tensor when batched. */
function isTensorLikeArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  return value.every((v) => typeof v === 'number' || typeof v === 'boolean' || isTensorLikeArray(v));
}

function isContainer(value: unknown): value is unknown[] | Record<string, unknown> {
  if (value instanceof Tensor || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return false;
  return Array.isArray(value) ? !isTensorLikeArray(value) : true;
}

/** Every tensor inside a container (deduplicated). */
export function tensorsIn(value: unknown, into = new Set<Tensor>()): Set<Tensor> {
  if (value instanceof Tensor) into.add(value);
  else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const item of Array.isArray(value) ? value : Object.values(value)) tensorsIn(item, into);
  }
  return into;
}

/** Disposes the tensors of `value` that do not also appear in `keep`. */
export function disposeExcept(value: unknown, keep: unknown): void {
  const kept = tensorsIn(keep);
  for (const t of tensorsIn(value)) if (!kept.has(t) && !t.isDisposed) t.dispose();
}

/** A copy of the container whose tensors are new handles on the same storage (so consumers may dispose them). */
export function cloneElement<T>(value: T): T {
  if (value instanceof Tensor) return clone(value) as T;
  if (Array.isArray(value)) return value.map(cloneElement) as T;
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneElement(v)])) as T;
  }
  return value;
}

/**
 * Combines a list of same-structured elements into one batch: tensors of shape S → one tensor [B, ...S],
 * numbers/booleans/numeric arrays → a tensor [B, ...], strings → a string array; arrays and objects recurse.
 */
export function batchElements(elements: unknown[], where = 'batch'): unknown {
  const first = elements[0];
  if (isContainer(first)) {
    const keys = Array.isArray(first) ? first.map((_, i) => i) : Object.keys(first);
    const pick = (element: unknown, key: string | number, index: number) => {
      if (!isContainer(element) || Array.isArray(element) !== Array.isArray(first) || !(key in (element as object))) {
        throw new Error(`${where}: element ${index} does not have the structure of element 0 (missing '${key}')`);
      }
      return (element as Record<string | number, unknown>)[key];
    };
    const parts = keys.map((key) => batchElements(elements.map((e, i) => pick(e, key, i)), `${where}: '${key}'`));
    return Array.isArray(first) ? parts : Object.fromEntries(keys.map((key, i) => [key, parts[i]]));
  }
  if (first instanceof Tensor) {
    elements.forEach((e, i) => {
      if (!(e instanceof Tensor)) throw new Error(`${where}: element ${i} is not a tensor but element 0 is`);
    });
    return stack(elements as Tensor[]);
  }
  if (typeof first === 'string') return elements.slice();
  if (typeof first === 'number' || typeof first === 'boolean' || isTensorLikeArray(first)) {
    return tensor(elements as number[]);
  }
  throw new Error(`${where}: cannot batch elements of type ${first === null ? 'null' : typeof first}`);
}
