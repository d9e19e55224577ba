// tf.data-style datasets vs @tensorflow/tfjs's tf.data (same elements, batching, zip, sizes), shuffle by seed,
// tensor ownership (memory stays flat), and the preprocessing helpers vs float64 references.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, loadTfjs, expectClose } from './helpers.js';
import type { Tfjs } from './helpers.js';
import { data, Dataset, preprocessing, SeededRandom, permutation } from '../src/data/index.js';

let tfjs: Tfjs;
beforeAll(async () => {
  tfjs = await loadTfjs();
});

/** Any element (ours or tfjs's) as plain JSON: tensors become {shape, dtype, values}. */
function plain(value: unknown): unknown {
  if (value && typeof value === 'object' && 'dataSync' in value && 'shape' in value) {
    const t = value as { shape: number[]; dtype: string; dataSync(): ArrayLike<number> };
    return { shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) };
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

async function expectSameAsTfjs(ours: Dataset<unknown>, theirs: { toArray(): Promise<unknown[]>; size: number | null }) {
  expect(ours.size).toBe(theirs.size);
  expect(plain(await ours.toArray())).toEqual(plain(await theirs.toArray()));
}

describe('data vs tfjs.data', () => {
  it('batches numbers, numeric tuples, objects and tensors the same way', async () => {
    const numbers = [1, 2, 3, 4, 5, 6, 7];
    for (const [size, small] of [[2, true], [3, false], [7, true], [10, true], [1, true]] as [number, boolean][]) {
      await expectSameAsTfjs(data.array(numbers).batch(size, small), tfjs.data.array(numbers).batch(size, small));
    }
    const tuples = [[1, 2], [3, 4], [5, 6]];
    await expectSameAsTfjs(data.array(tuples).batch(2), tfjs.data.array(tuples).batch(2));
    const objects = [{ a: 1, b: [1, 2], c: { d: 3 } }, { a: 2, b: [3, 4], c: { d: 4 } }, { a: 3, b: [5, 6], c: { d: 5 } }];
    await expectSameAsTfjs(data.array(objects).batch(2), tfjs.data.array(objects).batch(2));
    await expectSameAsTfjs(data.array([true, false, true]).batch(2), tfjs.data.array([true, false, true]).batch(2));
    const rows = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15]];
    const ours = data.array(rows.map((r) => tf.tensor2d([r, r.map((v) => -v)])));
    const theirs = tfjs.data.array(rows.map((r) => tfjs.tensor2d([r, r.map((v) => -v)])));
    await expectSameAsTfjs(ours.batch(2), theirs.batch(2));
  });

  it('zips arrays and objects of datasets, stopping at the shortest', async () => {
    await expectSameAsTfjs(data.zip([data.array([1, 2, 3]), data.array([4, 5])]),
      tfjs.data.zip([tfjs.data.array([1, 2, 3]), tfjs.data.array([4, 5])]));
    const xs = [[1, 2], [3, 4], [5, 6]];
    const ys = [0, 1, 0];
    await expectSameAsTfjs(data.zip({ xs: data.array(xs), ys: data.array(ys) }).batch(2),
      tfjs.data.zip({ xs: tfjs.data.array(xs), ys: tfjs.data.array(ys) }).batch(2));
  });

  it('take, skip, repeat, map and filter match, sizes included', async () => {
    const items = [1, 2, 3, 4, 5];
    await expectSameAsTfjs(data.array(items).repeat(3).skip(2).take(9), tfjs.data.array(items).repeat(3).skip(2).take(9));
    // take(-1) keeps everything; tfjs reports its size as -1, we report the real 5.
    expect(await data.array(items).take(-1).toArray()).toEqual(await tfjs.data.array(items).take(-1).toArray());
    expect(data.array(items).take(-1).size).toBe(5);
    await expectSameAsTfjs(data.array(items).skip(9), tfjs.data.array(items).skip(9));
    await expectSameAsTfjs(data.array(items).map((x) => x * 10).batch(2), tfjs.data.array(items).map((x) => x * 10).batch(2));
    expect(plain(await data.array(items).filter((x) => x % 2 === 1).toArray()))
      .toEqual(await tfjs.data.array(items).filter((x) => x % 2 === 1).toArray());
    expect(data.array(items).repeat().size).toBe(tfjs.data.array(items).repeat().size);
    expect(data.array(items).repeat().take(12).size).toBe(12);
    expect(await data.array(items).repeat().take(12).toArray()).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2]);
  });

  it('map of tensors matches tfjs and leaves no tensors behind', async () => {
    const values = [[1, -2, 3], [-4, 5, -6], [7, -8, 9]];
    const before = tf.memory().numTensors;
    const ours = data.array(values).map((v) => tf.relu(tf.tensor1d(v as number[]).mul(2)));
    const theirs = tfjs.data.array(values).map((v) => tfjs.relu(tfjs.tensor1d(v as number[]).mul(2)));
    const out = await ours.batch(2).toArray();
    expect(plain(out)).toEqual(plain(await theirs.batch(2).toArray()));
    tf.dispose(out);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Dataset', () => {
  it('iterator() and for-await give every element once per pass, re-iterable', async () => {
    const ds = data.array([1, 2, 3]);
    const it1 = await ds.iterator();
    expect(await it1.next()).toEqual({ value: 1, done: false });
    expect(await it1.next()).toEqual({ value: 2, done: false });
    expect(await it1.next()).toEqual({ value: 3, done: false });
    expect(await it1.next()).toEqual({ value: null, done: true });
    const seen: number[] = [];
    for await (const v of ds) seen.push(v);
    await ds.forEachAsync((v) => void seen.push(v));
    expect(seen).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('generator datasets (sync and async) restart on each pass', async () => {
    const ds = data.generator(function* () {
      for (let i = 0; i < 4; i++) yield i * i;
    });
    expect(await ds.toArray()).toEqual([0, 1, 4, 9]);
    expect(await ds.toArray()).toEqual([0, 1, 4, 9]);
    const asyncDs = data.generator(async function* () {
      yield 'a';
      yield 'b';
    });
    expect(await asyncDs.batch(2).toArray()).toEqual([['a', 'b']]);
    await expect(data.generator((() => 5) as never).toArray()).rejects.toThrow(/must return an iterator/);
  });

  it('shuffle is a permutation, reproducible by seed, reshuffled per pass unless told not to', async () => {
    const items = Array.from({ length: 37 }, (_, i) => i);
    const first = await data.array(items).shuffle(100, 7).toArray();
    expect([...first].sort((a, b) => a - b)).toEqual(items);
    expect(first).not.toEqual(items);
    expect(await data.array(items).shuffle(100, 7).toArray()).toEqual(first);
    expect(await data.array(items).shuffle(100, 8).toArray()).not.toEqual(first);
    const reshuffled = data.array(items).shuffle(100, 7);
    const passA = await reshuffled.toArray();
    const passB = await reshuffled.toArray();
    expect(passA).toEqual(first);
    expect(passB).not.toEqual(passA);
    const fixed = data.array(items).shuffle(100, 'seed', false);
    expect(await fixed.toArray()).toEqual(await fixed.toArray());
    // A buffer of 1 keeps the order; a small buffer only moves elements a bounded distance forward.
    expect(await data.array(items).shuffle(1, 3).toArray()).toEqual(items);
    const local = await data.array(items).shuffle(4, 3).toArray();
    local.forEach((v, i) => expect(v).toBeLessThanOrEqual(i + 3));
  });

  it('shuffle + batch + zip of tensors in an epoch loop keeps memory flat', async () => {
    const xs = Array.from({ length: 10 }, (_, i) => tf.tensor1d([i, i + 0.5]));
    const ys = Array.from({ length: 10 }, (_, i) => i % 3);
    const ds = data.zip({ xs: data.array(xs), ys: data.array(ys) }).shuffle(10, 1).batch(4);
    const before = tf.memory().numTensors;
    for (let epoch = 0; epoch < 2; epoch++) {
      const labels: number[] = [];
      await ds.forEachAsync((batch) => {
        const { xs: bx, ys: by } = batch as { xs: InstanceType<typeof tf.Tensor>; ys: InstanceType<typeof tf.Tensor> };
        expect(bx.shape[1]).toBe(2);
        const xv = bx.dataSync();
        const yv = Array.from(by.dataSync());
        yv.forEach((y, r) => expect(xv[r * 2] % 3).toBe(y)); // rows stay paired with their labels
        labels.push(...yv);
        tf.dispose([bx, by]);
      });
      expect(labels.length).toBe(10);
      expect(tf.memory().numTensors).toBe(before);
    }
    // skip disposes what it drops, take stops the upstream early: both leave nothing behind.
    tf.dispose(await data.array(xs).skip(3).take(2).toArray());
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(xs);
  });

  it('refuses bad arguments with clear errors', async () => {
    expect(() => data.array([1]).batch(0)).toThrow(/batch: batchSize must be a positive integer, got 0/);
    expect(() => data.array([1]).shuffle(0)).toThrow(/shuffle: bufferSize/);
    await expect(data.array([1]).repeat().toArray()).rejects.toThrow(/endless/);
    expect(() => data.zip([data.array([1]), [1] as never])).toThrow(/member '1' is not a Dataset/);
    expect(() => data.array(5 as never)).toThrow(/items must be an array/);
    await expect(data.array([{ a: 1 }, { b: 2 }]).batch(2).toArray()).rejects.toThrow(/element 1 does not have the structure/);
    await expect(data.array([tf.tensor1d([1, 2]), tf.tensor1d([1, 2, 3])]).batch(2).toArray()).rejects.toThrow(/stack/);
  });
});

describe('preprocessing', () => {
  const x = [[1, 10, 5], [2, 20, 5], [4, 60, 5], [7, 30, 5]];
  const columns = (m: number[][]) => m[0].map((_, c) => m.map((row) => row[c]));

  it('standardScaler: population mean/std per feature, constant feature kept, inverse round trip', () => {
    const scaler = preprocessing.standardScaler().fit(x);
    const means = columns(x).map((col) => col.reduce((a, b) => a + b) / col.length);
    const stds = columns(x).map((col, c) => Math.sqrt(col.reduce((a, v) => a + (v - means[c]) ** 2, 0) / col.length));
    expect(scaler.mean).toEqual(means);
    expectClose(Array.from(scaler.scale!), stds.map((s) => s || 1), { rtol: 1e-12, atol: 0 });
    const scaled = scaler.transform(tf.tensor2d(x));
    const expected = x.map((row) => row.map((v, c) => (v - means[c]) / (stds[c] || 1)));
    expectClose(Array.from(scaled.dataSync()), expected.flat(), { rtol: 1e-6, atol: 1e-6 });
    expectClose(Array.from(scaler.inverseTransform(scaled).dataSync()), x.flat(), { rtol: 1e-6, atol: 1e-5 });
    expect(() => preprocessing.standardScaler().transform(x)).toThrow(/call fit\(x\) first/);
    expect(() => scaler.transform([[1, 2]])).toThrow(/shape \[N, 3\].*got \[1,2\]/);
    expect(() => scaler.fit([1, 2, 3])).toThrow(/2-D/);
  });

  it('minMaxScaler maps each feature onto the range, inverse round trip', () => {
    const scaler = preprocessing.minMaxScaler([-1, 1]).fit(x);
    const cols = columns(x);
    const expected = x.map((row) => row.map((v, c) => {
      const lo = Math.min(...cols[c]), hi = Math.max(...cols[c]);
      return -1 + (2 * (v - lo)) / (hi - lo || 1);
    }));
    const scaled = scaler.transform(x);
    expectClose(Array.from(scaled.dataSync()), expected.flat(), { rtol: 1e-6, atol: 1e-6 });
    expectClose(Array.from(scaler.inverseTransform(scaled).dataSync()), x.flat(), { rtol: 1e-6, atol: 1e-5 });
    expect(() => preprocessing.minMaxScaler([1, 1])).toThrow(/low < high/);
  });

  it('oneHot gives float32 rows and refuses out-of-range labels', () => {
    const encoded = preprocessing.oneHot([2, 0, 1], 3);
    expect(encoded.dtype).toBe('float32');
    expect(encoded.arraySync()).toEqual([[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
    expect(() => preprocessing.oneHot([0, 3], 3)).toThrow(/label 3 at index 1/);
    expect(() => preprocessing.oneHot([0.5], 3)).toThrow(/not an integer/);
  });

  it('trainTestSplit keeps rows paired, is seeded, and sizes the test split by ceil', () => {
    const n = 17;
    const xs = tf.tensor2d(Array.from({ length: n }, (_, i) => [i, 100 + i]));
    const ys = tf.tensor1d(Array.from({ length: n }, (_, i) => i));
    const before = tf.memory().numTensors;
    const split = preprocessing.trainTestSplit(xs, ys, { testFraction: 0.25, seed: 3 });
    expect(tf.memory().numTensors).toBe(before + 4);
    expect(split.xTest.shape).toEqual([5, 2]);
    expect(split.xTrain.shape).toEqual([12, 2]);
    const trainIds = Array.from(split.yTrain.dataSync());
    const testIds = Array.from(split.yTest.dataSync());
    expect([...trainIds, ...testIds].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const xTrain = split.xTrain.arraySync() as number[][];
    trainIds.forEach((id, r) => expect(xTrain[r]).toEqual([id, 100 + id]));
    const again = preprocessing.trainTestSplit(xs, ys, { testFraction: 0.25, seed: 3 });
    expect(Array.from(again.yTest.dataSync())).toEqual(testIds);
    const ordered = preprocessing.trainTestSplit(xs, ys, { testFraction: 0.25, shuffle: false });
    expect(Array.from(ordered.yTest.dataSync())).toEqual([12, 13, 14, 15, 16]);
    expect(() => preprocessing.trainTestSplit(xs, tf.tensor1d([1, 2]), {})).toThrow(/same number of rows/);
    expect(() => preprocessing.trainTestSplit(xs, ys, { testFraction: 1 })).toThrow(/testFraction must be in \(0, 1\)/);
    tf.dispose([xs, ys, split, again, ordered]);
  });

  it('SeededRandom is uniform enough and permutation is a permutation', () => {
    const random = new SeededRandom(123);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) buckets[random.nextInt(10)]++;
    for (const count of buckets) expect(Math.abs(count - 2000)).toBeLessThan(200);
    const order = Array.from(permutation(101, new SeededRandom('x')));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 101 }, (_, i) => i));
  });
});
