// gather (and its adjoint scatterAdd, the gradient) and oneHot: forward vs tfjs, gradients with
// repeated indices vs finite differences and tfjs, index range checks, memory.
import { expect, it } from 'vitest';
import {
  checkGradients, describeEachBackend, expectSameAsTfjs, loadTfjs, randomInput, randomValues, sizeOf, tf, expectIndexError } from './helpers.js';
import type { Tensor } from '../src/index.js';

const tfjs = await loadTfjs();

/** Random int32 indices in [0, size). */
function indicesFor(n: number, size: number, seed: number): number[] {
  return Array.from(randomValues(n, seed, 0, size), (v) => Math.min(size - 1, Math.floor(v)));
}

describeEachBackend('gather', () => {
  it('matches tfjs on every axis with multi-dimensional indices', () => {
    const cases: [number[], number[], number][] = [
      [[17], [5], 0], [[3, 17], [2, 3], 1], [[5, 3, 4], [7], 0], [[2, 5, 3], [2, 2], -2], [[2, 3, 7], [1], 2], [[127, 3], [13], 0],
    ];
    for (const [shape, indexShape, axis] of cases) {
      const x = randomInput(shape, 1);
      const a = axis < 0 ? axis + shape.length : axis;
      const idx = indicesFor(sizeOf(indexShape), shape[a], 2);
      expectSameAsTfjs(
        tf.gather(tf.tensor(x.values, shape), tf.tensor(idx, indexShape, 'int32'), axis),
        tfjs.gather(tfjs.tensor(x.values, shape), tfjs.tensor(idx, indexShape, 'int32'), axis),
      );
    }
  });

  it('accepts plain index arrays (truncated to int32) and gathers int32 / bool values', () => {
    expectSameAsTfjs(tf.gather(tf.tensor([1, 2, 3], [3], 'int32'), [2, 0, 2]), tfjs.gather(tfjs.tensor([1, 2, 3], [3], 'int32'), [2, 0, 2]));
    expectSameAsTfjs(tf.gather([10, 20, 30], [1.7, 0]), tfjs.gather([10, 20, 30], [1.7, 0]));
    const b = tf.gather(tf.tensor([true, false]), [1, 1, 0]);
    expect(b.dtype).toBe('bool');
    expect(Array.from(b.dataSync())).toEqual([0, 0, 1]);
  });

  it('gradient scatters dy back, accumulating repeated indices', () => {
    for (const [shape, idx, axis] of [[[5, 3], [4, 0, 4, 4, 2], 0], [[2, 6, 3], [5, 1, 5], 1], [[3, 4], [3, 3, 0], 1]] as [number[], number[], number][]) {
      const x = randomInput(shape, 3);
      checkGradients(
        tfjs,
        (t) => tf.gather(t, tf.tensor(idx, [idx.length], 'int32'), axis),
        (t) => tfjs.gather(t, tfjs.tensor(idx, [idx.length], 'int32'), axis),
        [x],
      );
    }
  });

  it('second-order gradient goes through scatterAdd back to gather', () => {
    // f(x) = sum(gather(x, idx)^2): f'(x)_i = 2·count_i·x_i, so d/dx sum(f'(x)) = 2·count.
    const idx = tf.tensor([0, 2, 2, 3, 2], [5], 'int32');
    const f = (x: Tensor) => tf.sum(tf.square(tf.gather(x, idx)));
    const second = tf.grad((x) => tf.sum(tf.grad(f)(x)))(tf.tensor([1, 2, 3, 4]));
    expect(Array.from(second.dataSync())).toEqual([2, 0, 6, 2]);
  });

  it('rejects out-of-range indices, float index tensors and bad axes', async () => {
    const x = tf.zeros([3, 4]);
    await expectIndexError(() => tf.gather(x, [0, 3]), /gather: index 3 \(at position 1\) is out of range \[0, 2\] for axis 0 of x, shape \[3,4\]/);
    await expectIndexError(() => tf.gather(x, [-1]), /gather: index -1/);
    await expectIndexError(() => tf.gather(x, [4], 1), /gather: index 4.*axis 1/);
    expect(() => tf.gather(x, tf.tensor([0, 1]))).toThrow(/gather: indices must be an int32 tensor, got a float32 tensor/);
    expect(() => tf.gather(x, [0], 2)).toThrow(/gather: axis 2 is out of range/);
    expect(() => tf.gather(x, [0], 0, 1)).toThrow(/gather: batchDims = 1 is not supported/);
    expect(() => tf.gather(tf.scalar(1), [0])).toThrow(/gather: x must have rank >= 1/);
  });

  it('leaves no tensors behind, also for plain index arrays and failed calls', async () => {
    const x = tf.tensor(randomValues(12, 4), [4, 3]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.gather(x, [3, 1]);
      tf.grad((v) => tf.sum(tf.gather(v, [0, 0, 2], 0)))(x);
    });
    await expectIndexError(() => tf.gather(x, [9]), /gather: index 9/);
    tf.dispose(tf.gather(x, [1]));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeEachBackend('oneHot', () => {
  it('matches tfjs (default int32, custom values and dtype, out-of-range rows all off)', () => {
    expectSameAsTfjs(tf.oneHot(tf.tensor([1, 0, 2, 5, -1], [5], 'int32'), 3), tfjs.oneHot(tfjs.tensor([1, 0, 2, 5, -1], [5], 'int32'), 3));
    expectSameAsTfjs(tf.oneHot([[0, 3], [2, 1]], 4, 0.9, 0.1, 'float32'), tfjs.oneHot([[0, 3], [2, 1]], 4, 0.9, 0.1, 'float32'));
    const idx = indicesFor(17, 127, 5);
    expectSameAsTfjs(tf.oneHot(idx, 127), tfjs.oneHot(idx, 127));
  });

  it('rejects float index tensors and bad depths', () => {
    expect(() => tf.oneHot(tf.tensor([1, 2]), 3)).toThrow(/oneHot: indices must be an int32 tensor/);
    expect(() => tf.oneHot([1], 1)).toThrow(/oneHot: depth must be an integer >= 2/);
    expect(() => tf.oneHot([1], 2.5)).toThrow(/oneHot: depth/);
  });
});
