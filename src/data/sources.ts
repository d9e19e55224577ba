// Where datasets come from: in-memory arrays, other datasets zipped together, and generator functions.
import { Dataset } from './dataset.js';
import { cloneElement, disposeExcept } from './containers.js';

/** A dataset of the given elements; each pass hands out fresh tensor handles, so consumers may dispose them. */
export function array<T>(items: T[]): Dataset<T> {
  if (!Array.isArray(items)) throw new Error(`data.array: items must be an array, got ${typeof items}`);
  return new Dataset<T>(function* () {
    for (const item of items) yield cloneElement(item);
  }, items.length);
}

type DatasetsOf<T> = { [K in keyof T]: Dataset<T[K]> };

/**
 * Zips datasets element by element into arrays (`zip([a, b])` → [a_i, b_i]) or objects
 * (`zip({xs, ys})` → {xs: xs_i, ys: ys_i}); stops with the shortest, like tfjs.
 */
export function zip<T extends unknown[]>(datasets: DatasetsOf<T>): Dataset<T>;
export function zip<T extends Record<string, unknown>>(datasets: DatasetsOf<T>): Dataset<T>;
export function zip(datasets: Dataset<unknown>[] | Record<string, Dataset<unknown>>): Dataset<unknown> {
  if (datasets === null || typeof datasets !== 'object') {
    throw new Error('data.zip: expected an array or an object of datasets');
  }
  const keys = Array.isArray(datasets) ? datasets.map((_, i) => i) : Object.keys(datasets);
  const members = keys.map((k) => (datasets as Record<string | number, Dataset<unknown>>)[k]);
  members.forEach((m, i) => {
    if (!(m instanceof Dataset)) throw new Error(`data.zip: member '${String(keys[i])}' is not a Dataset`);
  });
  const sizes = members.map((m) => m.size);
  const size = sizes.length === 0 ? 0 : sizes.includes(null) ? null : Math.min(...(sizes as number[]));
  return new Dataset<unknown>(async function* () {
    if (members.length === 0) return;
    const iterators = members.map((m) => m[Symbol.asyncIterator]());
    try {
      for (;;) {
        const steps = await Promise.all(iterators.map((it) => it.next()));
        if (steps.some((s) => s.done)) {
          // Elements already drawn from the longer members belong to no zipped element: dispose them.
          for (const s of steps) if (!s.done) disposeExcept(s.value, null);
          return;
        }
        const values = steps.map((s) => s.value);
        yield Array.isArray(datasets) ? values : Object.fromEntries(keys.map((k, i) => [k, values[i]]));
      }
    } finally {
      await Promise.all(iterators.map((it) => it.return?.()));
    }
  }, size);
}

/**
 * A dataset from a generator function (sync or async), called once per pass:
 * `tf.data.generator(function* () { for (let i = 0; i < 3; i++) yield {xs: ..., ys: ...}; })`.
 */
export function generator<T>(makeIterator: () => Iterator<T> | AsyncIterator<T> | Promise<Iterator<T> | AsyncIterator<T>>): Dataset<T> {
  if (typeof makeIterator !== 'function') throw new Error('data.generator: expected a function that returns an iterator');
  return new Dataset<T>(async function* () {
    const iterator = await makeIterator();
    if (!iterator || typeof iterator.next !== 'function') {
      throw new Error('data.generator: the function must return an iterator (use function* or async function*)');
    }
    for (;;) {
      const step = await iterator.next();
      if (step.done) return;
      yield step.value;
    }
  });
}
