// Dataset: a lazily evaluated, re-iterable stream of elements, with tf.data's chainable transforms.
//
//   const ds = tf.data.zip({xs: tf.data.array(images), ys: tf.data.array(labels)}).shuffle(1000, 42).batch(32);
//   await model.fitDataset(ds, {epochs: 3});
//
// Each iteration (for await, iterator(), forEachAsync, toArray) starts the whole chain afresh, so a dataset can
// be consumed once per epoch. Ownership follows tfjs: every tensor an iteration hands out is the consumer's to
// dispose; map and batch dispose the input tensors they consumed, skip disposes what it skips.
import { ENGINE } from '../engine.js';
import { batchElements, disposeExcept } from './containers.js';
import { SeededRandom } from './random.js';

/** tfjs's LazyIterator shape: next() resolves to {value, done}; value is null once done. */
export interface DatasetIterator<T> {
  next(): Promise<IteratorResult<T, null>>;
}

type Source<T> = () => AsyncIterator<T> | Iterator<T>;

export class Dataset<T = unknown> implements AsyncIterable<T> {
  /**
   * `source` starts one pass over the elements; `size` is the element count when known, Infinity for an
   * endless stream and null when unknown (as tfjs's Dataset.size).
   */
  constructor(private readonly source: Source<T>, readonly size: number | null = null) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    const iterator = this.source();
    try {
      for (;;) {
        const step = await iterator.next();
        if (step.done) return;
        yield step.value;
      }
    } finally {
      // Stopping early (take, break) closes the upstream generators too.
      await iterator.return?.();
    }
  }

  /** Starts one pass; like tfjs, `await ds.iterator()` then `await it.next()`. */
  async iterator(): Promise<DatasetIterator<T>> {
    const inner = this[Symbol.asyncIterator]();
    return {
      next: async () => {
        const step = await inner.next();
        return step.done ? { value: null, done: true } : { value: step.value, done: false };
      },
    };
  }

  /** Applies `transform` to each element inside tidy(); input tensors it does not return are disposed. */
  map<U>(transform: (value: T) => U): Dataset<U> {
    const base = this;
    return new Dataset<U>(async function* () {
      for await (const value of base) {
        const mapped = ENGINE.tidy(() => transform(value) as never) as U;
        disposeExcept(value, mapped);
        yield mapped;
      }
    }, this.size);
  }

  /** Like map, for an async transform (no tidy: tensors made across awaits are the transform's to manage). */
  mapAsync<U>(transform: (value: T) => Promise<U>): Dataset<U> {
    const base = this;
    return new Dataset<U>(async function* () {
      for await (const value of base) {
        const mapped = await transform(value);
        disposeExcept(value, mapped);
        yield mapped;
      }
    }, this.size);
  }

  /** Keeps the elements for which `predicate` is true; drops (and disposes) the others. */
  filter(predicate: (value: T) => boolean): Dataset<T> {
    const base = this;
    return new Dataset<T>(async function* () {
      for await (const value of base) {
        if (ENGINE.tidy(() => predicate(value) as never)) yield value;
        else disposeExcept(value, null);
      }
    }, this.size === Infinity ? Infinity : null);
  }

  /**
   * Groups consecutive elements into batches of `batchSize`, stacking tensors along a new first axis
   * (see batchElements). The last, smaller batch is kept unless `smallLastBatch` is false.
   */
  batch(batchSize: number, smallLastBatch = true): Dataset<unknown> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`batch: batchSize must be a positive integer, got ${batchSize}`);
    }
    const base = this;
    const finish = (pending: T[]) => {
      const batched = ENGINE.tidy(() => batchElements(pending) as never);
      for (const element of pending) disposeExcept(element, batched);
      return batched;
    };
    const size = this.size === null || this.size === Infinity ? this.size
      : smallLastBatch ? Math.ceil(this.size / batchSize) : Math.floor(this.size / batchSize);
    return new Dataset<unknown>(async function* () {
      let pending: T[] = [];
      for await (const value of base) {
        pending.push(value);
        if (pending.length === batchSize) {
          const full = pending;
          pending = [];
          yield finish(full);
        }
      }
      if (pending.length > 0) {
        if (smallLastBatch) yield finish(pending);
        else for (const element of pending) disposeExcept(element, null);
      }
    }, size);
  }

  /**
   * Shuffles within a sliding buffer of `bufferSize` elements (a buffer ≥ the dataset size gives a uniform
   * permutation). A seed makes the order reproducible; each new pass draws a new order unless
   * `reshuffleEachIteration` is false.
   */
  shuffle(bufferSize: number, seed?: number | string, reshuffleEachIteration = true): Dataset<T> {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new Error(`shuffle: bufferSize must be a positive integer, got ${bufferSize}`);
    }
    const base = this;
    const seeds = new SeededRandom(seed);
    const fixedSeed = seeds.nextSeed();
    return new Dataset<T>(async function* () {
      const random = new SeededRandom(reshuffleEachIteration ? seeds.nextSeed() : fixedSeed);
      const buffer: T[] = [];
      for await (const value of base) {
        buffer.push(value);
        if (buffer.length === bufferSize) yield takeRandom(buffer, random);
      }
      while (buffer.length > 0) yield takeRandom(buffer, random);
    }, this.size);
  }

  /** The first `count` elements (all when count is negative or ≥ the size, like tfjs). */
  take(count: number): Dataset<T> {
    const base = this;
    const limit = count < 0 ? Infinity : count;
    return new Dataset<T>(async function* () {
      if (limit <= 0) return;
      let taken = 0;
      for await (const value of base) {
        yield value;
        if (++taken >= limit) return;
      }
    }, this.size === null ? null : Math.min(this.size, limit));
  }

  /** Drops (and disposes) the first `count` elements. */
  skip(count: number): Dataset<T> {
    const base = this;
    const drop = Math.max(0, count);
    return new Dataset<T>(async function* () {
      let seen = 0;
      for await (const value of base) {
        if (seen++ < drop) disposeExcept(value, null);
        else yield value;
      }
    }, this.size === null ? null : Math.max(0, this.size - drop));
  }

  /** Repeats the dataset `count` times, or endlessly when count is omitted or negative. */
  repeat(count?: number): Dataset<T> {
    const base = this;
    const times = count === undefined || count < 0 ? Infinity : count;
    const size = this.size === null ? (times === Infinity ? Infinity : null)
      : this.size === 0 || times === 0 ? 0 : this.size * times;
    return new Dataset<T>(async function* () {
      for (let pass = 0; pass < times; pass++) {
        let any = false;
        for await (const value of base) {
          any = true;
          yield value;
        }
        if (!any) return; // an empty dataset repeated forever would spin
      }
    }, size);
  }

  /** This dataset's elements, then `other`'s. */
  concatenate(other: Dataset<T>): Dataset<T> {
    const base = this;
    const size = this.size === null || other.size === null ? null : this.size + other.size;
    return new Dataset<T>(async function* () {
      yield* base;
      yield* other;
    }, size);
  }

  /** Calls `f` on every element of one pass. */
  async forEachAsync(f: (value: T) => void | Promise<void>): Promise<void> {
    for await (const value of this) await f(value);
  }

  /** Collects one pass into an array (refused for an endless dataset). */
  async toArray(): Promise<T[]> {
    if (this.size === Infinity) throw new Error('toArray: the dataset is endless (repeat() without a count)');
    const out: T[] = [];
    for await (const value of this) out.push(value);
    return out;
  }
}

/** Removes and returns a random element in O(1) by moving the last element into its slot. */
function takeRandom<T>(buffer: T[], random: SeededRandom): T {
  const index = random.nextInt(buffer.length);
  const chosen = buffer[index];
  buffer[index] = buffer[buffer.length - 1];
  buffer.pop();
  return chosen;
}

