// pad and tile: forward vs tfjs, gradients vs finite differences and tfjs, bad inputs, memory.
import { expect, it } from 'vitest';
import {
  checkGradients, describeEachBackend, expectSameAsTfjs, loadTfjs, randomInput, randomValues, tf,
} from './helpers.js';

const tfjs = await loadTfjs();

describeEachBackend('pad', () => {
  it('matches tfjs on odd shapes and constants', () => {
    const cases: [number[], [number, number][], number][] = [
      [[17], [[2, 3]], 0], [[3, 17], [[1, 0], [0, 5]], -1.5], [[2, 3, 5], [[0, 0], [1, 1], [3, 0]], 7],
      [[1, 2, 1, 3], [[1, 1], [0, 2], [2, 0], [1, 1]], 0], [[127], [[0, 1]], 2],
    ];
    for (const [shape, paddings, value] of cases) {
      const x = randomInput(shape, 1);
      expectSameAsTfjs(tf.pad(tf.tensor(x.values, shape), paddings, value), tfjs.pad(tfjs.tensor(x.values, shape), paddings, value));
    }
    const ints = tf.pad(tf.tensor([1, 2], [2], 'int32'), [[1, 1]], 9);
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([9, 1, 2, 9]);
  });

  it('gradient slices the padding off', () => {
    checkGradients(tfjs, (x) => tf.pad(x, [[1, 2], [0, 3], [2, 2]], 4), (x) => tfjs.pad(x, [[1, 2], [0, 3], [2, 2]], 4), [randomInput([2, 3, 5], 2)]);
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
      const x = randomInput(shape, 3);
      expectSameAsTfjs(tf.tile(tf.tensor(x.values, shape), reps), tfjs.tile(tfjs.tensor(x.values, shape), reps));
    }
    const b = tf.tile(tf.tensor([true, false]), [2]);
    expect(b.dtype).toBe('bool');
    expect(Array.from(b.dataSync())).toEqual([1, 0, 1, 0]);
  });

  it('gradient sums the repetitions', () => {
    checkGradients(tfjs, (x) => tf.tile(x, [2, 3]), (x) => tfjs.tile(x, [2, 3]), [randomInput([3, 5], 4)]);
    checkGradients(tfjs, (x) => tf.tile(x, [3, 1, 2]), (x) => tfjs.tile(x, [3, 1, 2]), [randomInput([2, 3, 1], 5)]);
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
