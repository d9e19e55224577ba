// pad and tile: forward vs tfjs, gradients vs finite differences and tfjs, bad inputs, memory.
import { beforeAll, expect, it } from 'vitest';
import {
  analyticGradients, describeEachBackend, expectClose, loadTfjs, numericGradients, randomValues, tf,
} from './helpers.js';
import type { Tensor } from '../src/index.js';

type Tfjs = Awaited<ReturnType<typeof loadTfjs>>;
let tfjs: Tfjs;
beforeAll(async () => {
  tfjs = await loadTfjs();
});

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const input = (shape: number[], seed: number) => ({ values: randomValues(sizeOf(shape), seed), shape });

function tfjsGradients(f: (...xs: any[]) => any, inputs: { values: ArrayLike<number>; shape: number[] }[]): Float32Array[] {
  return tfjs.tidy(() => {
    const xs = inputs.map((x) => tfjs.tensor(Array.from(x.values), x.shape));
    const weighted = (...args: any[]) => {
      const y = f(...args);
      const w = tfjs.tensor(Array.from({ length: y.size }, (_, i) => 1 + 0.1 * (i % 7)), y.shape);
      return tfjs.sum(tfjs.mul(y, w));
    };
    return tfjs.grads(weighted)(xs).map((g: any) => g.dataSync() as Float32Array);
  });
}

function checkGradients(ours: (...xs: Tensor[]) => Tensor, theirs: (...xs: any[]) => any, inputs: { values: Float32Array; shape: number[] }[]) {
  const analytic = analyticGradients(ours, inputs);
  const numeric = numericGradients(ours, inputs);
  const reference = tfjsGradients(theirs, inputs);
  analytic.forEach((g, i) => {
    expectClose(g, numeric[i], { rtol: 1e-3, atol: 1e-4 });
    expectClose(g, reference[i], { rtol: 1e-5, atol: 1e-6 });
  });
}

function expectSameAsTfjs(ours: Tensor, theirs: any) {
  expect(ours.shape).toEqual(theirs.shape);
  expect(ours.dtype).toBe(theirs.dtype);
  expectClose(ours.dataSync(), theirs.dataSync(), { rtol: 0, atol: 0 });
}

describeEachBackend('pad', () => {
  it('matches tfjs on odd shapes and constants', () => {
    const cases: [number[], [number, number][], number][] = [
      [[17], [[2, 3]], 0], [[3, 17], [[1, 0], [0, 5]], -1.5], [[2, 3, 5], [[0, 0], [1, 1], [3, 0]], 7],
      [[1, 2, 1, 3], [[1, 1], [0, 2], [2, 0], [1, 1]], 0], [[127], [[0, 1]], 2],
    ];
    for (const [shape, paddings, value] of cases) {
      const x = input(shape, 1);
      expectSameAsTfjs(tf.pad(tf.tensor(x.values, shape), paddings, value), tfjs.pad(tfjs.tensor(x.values, shape), paddings, value));
    }
    const ints = tf.pad(tf.tensor([1, 2], [2], 'int32'), [[1, 1]], 9);
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([9, 1, 2, 9]);
  });

  it('gradient slices the padding off', () => {
    checkGradients((x) => tf.pad(x, [[1, 2], [0, 3], [2, 2]], 4), (x) => tfjs.pad(x, [[1, 2], [0, 3], [2, 2]], 4), [input([2, 3, 5], 2)]);
  });

  it('rejects bad paddings', () => {
    const x = tf.zeros([2, 3]);
    expect(() => tf.pad(x, [[1, 1]])).toThrow(/pad: paddings must have one \[before, after\] pair per axis.*\[2,3\]/);
    expect(() => tf.pad(x, [[1, -1], [0, 0]])).toThrow(/pad: paddings\[0\].*non-negative integers/);
    expect(() => tf.pad(x, [[1, 0.5], [0, 0]])).toThrow(/pad: paddings\[0\]/);
    expect(() => tf.pad(tf.scalar(1), [])).toThrow(/pad: cannot pad a scalar/);
  });
});

describeEachBackend('tile', () => {
  it('matches tfjs', () => {
    const cases: [number[], number[]][] = [[[17], [3]], [[3, 1], [2, 5]], [[2, 3, 4], [1, 3, 2]], [[1, 2, 1, 3], [2, 1, 3, 1]], [[3, 2], [1, 1]], [[2], [0]]];
    for (const [shape, reps] of cases) {
      const x = input(shape, 3);
      expectSameAsTfjs(tf.tile(tf.tensor(x.values, shape), reps), tfjs.tile(tfjs.tensor(x.values, shape), reps));
    }
    const b = tf.tile(tf.tensor([true, false]), [2]);
    expect(b.dtype).toBe('bool');
    expect(Array.from(b.dataSync())).toEqual([1, 0, 1, 0]);
  });

  it('gradient sums the repetitions', () => {
    checkGradients((x) => tf.tile(x, [2, 3]), (x) => tfjs.tile(x, [2, 3]), [input([3, 5], 4)]);
    checkGradients((x) => tf.tile(x, [3, 1, 2]), (x) => tfjs.tile(x, [3, 1, 2]), [input([2, 3, 1], 5)]);
  });

  it('rejects bad reps', () => {
    expect(() => tf.tile(tf.zeros([2, 3]), [1])).toThrow(/tile: reps \[1\] must have one entry per axis of x, shape \[2,3\]/);
    expect(() => tf.tile(tf.zeros([2, 3]), [1, -1])).toThrow(/tile: reps \[1,-1\] must be non-negative integers/);
  });

  it('leaves no tensors behind inside tidy', () => {
    const x = tf.tensor(randomValues(6, 6), [2, 3]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.pad(x, [[1, 1], [2, 0]]);
      tf.grad((v) => tf.sum(tf.tile(tf.pad(v, [[0, 1], [1, 0]]), [2, 2])))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
