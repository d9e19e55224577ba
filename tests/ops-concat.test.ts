// concat and stack: forward vs tfjs, gradients vs finite differences and tfjs, bad inputs, memory.
import { expect, it } from 'vitest';
import {
  checkGradients, describeEachBackend, expectSameAsTfjs, loadTfjs, randomInput, randomValues, tf,
} from './helpers.js';

const tfjs = await loadTfjs();

describeEachBackend('concat', () => {
  it('matches tfjs on every axis, odd sizes, 1..4 inputs', () => {
    const cases: [number[][], number][] = [
      [[[17], [3], [1]], 0], [[[3, 17], [3, 1]], 1], [[[3, 2], [5, 2], [1, 2], [2, 2]], 0], [[[2, 3, 4], [2, 1, 4]], -2],
      [[[2, 3, 1], [2, 3, 5], [2, 3, 2]], 2], [[[4, 5]], 1], [[[2, 0], [2, 3]], 1],
    ];
    for (const [shapes, axis] of cases) {
      const xs = shapes.map((s, i) => randomInput(s, 10 + i));
      expectSameAsTfjs(
        tf.concat(xs.map((x) => tf.tensor(x.values, x.shape)), axis),
        tfjs.concat(xs.map((x) => tfjs.tensor(x.values, x.shape)), axis),
      );
    }
  });

  it('accepts rank-1 lists, upcasts mixed dtypes like tfjs, keeps int32 and bool', () => {
    expectSameAsTfjs(tf.concat([[1], [2, 3]]), tfjs.concat([[1], [2, 3]]));
    expectSameAsTfjs(
      tf.concat([tf.tensor([1.5, 2]), tf.tensor([3, 4], [2], 'int32')]),
      tfjs.concat([tfjs.tensor([1.5, 2]), tfjs.tensor([3, 4], [2], 'int32')]),
    );
    const ints = tf.concat([tf.tensor([1], [1], 'int32'), tf.tensor([2, 3], [2], 'int32')]);
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([1, 2, 3]);
    const bools = tf.concat([tf.tensor([true]), tf.tensor([false, true])]);
    expect(bools.dtype).toBe('bool');
    expect(Array.from(bools.dataSync())).toEqual([1, 0, 1]);
  });

  it('gradient splits dy back to each input', () => {
    checkGradients(
      tfjs,
      (a, b, c) => tf.concat([a, b, c], 1),
      (a, b, c) => tfjs.concat([a, b, c], 1),
      [randomInput([3, 2], 1), randomInput([3, 5], 2), randomInput([3, 1], 3)],
    );
    checkGradients(tfjs, (a, b) => tf.concat([a, b], 0), (a, b) => tfjs.concat([a, b], 0), [randomInput([1, 4], 4), randomInput([2, 4], 5)]);
  });

  it('rejects mismatched shapes and bad axes', () => {
    expect(() => tf.concat([tf.zeros([2, 3]), tf.zeros([3, 3])], 1)).toThrow(/concat: tensors\[1\] has shape \[3,3\], which does not match \[2,3\] except on axis 1/);
    expect(() => tf.concat([tf.zeros([2, 3]), tf.zeros([2, 3, 1])])).toThrow(/concat: tensors\[1\]/);
    expect(() => tf.concat([tf.zeros([2])], 1)).toThrow(/concat: axis 1 is out of range/);
    expect(() => tf.concat([])).toThrow(/concat: pass at least one tensor/);
    expect(() => tf.concat([tf.scalar(1), tf.scalar(2)])).toThrow(/concat: cannot concatenate scalars/);
  });
});

describeEachBackend('stack', () => {
  it('matches tfjs on every axis', () => {
    const xs = [randomInput([3, 4], 1), randomInput([3, 4], 2), randomInput([3, 4], 3)];
    for (const axis of [0, 1, 2, -1, -3]) {
      expectSameAsTfjs(
        tf.stack(xs.map((x) => tf.tensor(x.values, x.shape)), axis),
        tfjs.stack(xs.map((x) => tfjs.tensor(x.values, x.shape)), axis),
      );
    }
    expectSameAsTfjs(tf.stack([tf.scalar(1), tf.scalar(2)]), tfjs.stack([tfjs.scalar(1), tfjs.scalar(2)]));
  });

  it('gradient', () => {
    checkGradients(tfjs, (a, b) => tf.stack([a, b], 1), (a, b) => tfjs.stack([a, b], 1), [randomInput([2, 3], 6), randomInput([2, 3], 7)]);
  });

  it('rejects mismatched shapes, dtypes and axes', () => {
    expect(() => tf.stack([tf.zeros([2]), tf.zeros([3])])).toThrow(/stack: tensors\[1\] has shape \[3\] but tensors\[0\] has shape \[2\]/);
    expect(() => tf.stack([tf.zeros([2]), tf.zeros([2], 'int32')])).toThrow(/stack: tensors\[1\] has dtype int32/);
    expect(() => tf.stack([tf.zeros([2])], 2)).toThrow(/stack: axis 2 is out of range \[-2, 1\]/);
  });

  it('leaves no tensors behind inside tidy', () => {
    const x = tf.tensor(randomValues(6, 8), [2, 3]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.concat([x, x, x], 1);
      tf.grad((v) => tf.sum(tf.stack([v, v], 2)))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
