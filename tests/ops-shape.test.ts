// reshape, expandDims, squeeze, transpose, broadcastTo, reverse: forward vs tfjs, gradients vs finite
// differences and tfjs, bad inputs, buffer sharing and memory.
import { expect, it } from 'vitest';
import {
  checkGradients, describeEachBackend, expectSameAsTfjs, loadTfjs, randomInput, randomValues, tf,
} from './helpers.js';

const tfjs = await loadTfjs();

describeEachBackend('reshape, expandDims, squeeze', () => {
  it('reshape infers -1 and matches tfjs', () => {
    const x = randomInput([3, 17], 1);
    for (const shape of [[51], [17, -1], [-1, 3, 1], [1, 51, 1]]) {
      expectSameAsTfjs(tf.reshape(tf.tensor(x.values, x.shape), shape), tfjs.reshape(tfjs.tensor(x.values, x.shape), shape));
    }
    expect(tf.reshape(tf.tensor([1, 2, 3], [3], 'int32'), [3, 1]).dtype).toBe('int32');
    expect(tf.reshape(tf.zeros([0, 3]), [-1, 3]).shape).toEqual([0, 3]);
  });

  it('reshape shares the buffer: no new data buffer, values stay readable after the source is disposed', () => {
    const x = tf.tensor(randomValues(12, 2), [3, 4]);
    const buffers = tf.memory().numDataBuffers;
    const y = tf.reshape(x, [2, 6]);
    const z = tf.expandDims(tf.squeeze(tf.reshape(y, [1, 12])), 1);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    const expected = Array.from(x.dataSync());
    x.dispose();
    expect(Array.from(z.dataSync())).toEqual(expected);
    y.dispose();
    z.dispose();
  });

  it('reshape rejects bad shapes', () => {
    const x = tf.zeros([2, 6]);
    expect(() => tf.reshape(x, [5, 2])).toThrow(/reshape: cannot reshape 12 elements into \[5,2\].*\[2,6\]/);
    expect(() => tf.reshape(x, [-1, -1])).toThrow(/reshape: shape \[-1,-1\] has more than one -1/);
    expect(() => tf.reshape(x, [5, -1])).toThrow(/reshape: cannot reshape 12/);
    expect(() => tf.reshape(x, [2.5, 4])).toThrow(/reshape: invalid target shape/);
    expect(() => tf.reshape(x, [-2, -6])).toThrow(/reshape: invalid target shape/);
  });

  it('expandDims and squeeze match tfjs and check axes', () => {
    const x = randomInput([3, 1, 5], 3);
    for (const axis of [0, 1, 3, -1, -4]) {
      expectSameAsTfjs(tf.expandDims(tf.tensor(x.values, x.shape), axis), tfjs.expandDims(tfjs.tensor(x.values, x.shape), axis));
    }
    const y = randomInput([1, 3, 1, 1], 4);
    for (const axis of [undefined, [0], [2, -1], [0, 2, 3]]) {
      expectSameAsTfjs(tf.squeeze(tf.tensor(y.values, y.shape), axis), tfjs.squeeze(tfjs.tensor(y.values, y.shape), axis));
    }
    expect(() => tf.expandDims(tf.zeros([2, 3]), 3)).toThrow(/expandDims: axis 3 is out of range \[-3, 2\]/);
    expect(() => tf.expandDims(tf.zeros([2, 3]), -4)).toThrow(/expandDims: axis -4/);
    expect(() => tf.squeeze(tf.zeros([1, 2, 1]), [1])).toThrow(/squeeze: cannot squeeze axis 1 of shape \[1,2,1\]: its size is 2/);
    expect(() => tf.squeeze(tf.zeros([1, 2]), 2)).toThrow(/squeeze: axis 2 is out of range/);
  });

  it('reshape / expandDims / squeeze gradients', () => {
    checkGradients(tfjs, (x) => tf.reshape(x, [5, -1]), (x) => tfjs.reshape(x, [5, -1]), [randomInput([3, 5], 5)]);
    checkGradients(tfjs, (x) => tf.squeeze(tf.expandDims(x, 1)), (x) => tfjs.squeeze(tfjs.expandDims(x, 1)), [randomInput([4, 3], 6)]);
  });
});

describeEachBackend('transpose', () => {
  it('matches tfjs for default and explicit perms on odd shapes, every dtype', () => {
    const cases: [number[], number[] | undefined][] = [
      [[17], undefined], [[3, 17], undefined], [[3, 17], [1, 0]], [[2, 3, 5], [2, 0, 1]], [[2, 3, 5], [1, 2, 0]],
      [[2, 1, 3, 4], [3, 1, 0, 2]], [[2, 3, 1, 2, 3], [4, 2, 0, 3, 1]], [[127, 3], [1, 0]], [[2, 3], [0, 1]],
    ];
    for (const [shape, perm] of cases) {
      const x = randomInput(shape, 7);
      expectSameAsTfjs(tf.transpose(tf.tensor(x.values, shape), perm), tfjs.transpose(tfjs.tensor(x.values, shape), perm));
      const ints = Array.from(x.values, (v) => Math.round(v * 100));
      expectSameAsTfjs(tf.transpose(tf.tensor(ints, shape, 'int32'), perm), tfjs.transpose(tfjs.tensor(ints, shape, 'int32'), perm));
    }
    const b = tf.transpose(tf.tensor([true, false, true, false, false, true], [2, 3]));
    expect(b.dtype).toBe('bool');
    expect(b.arraySync()).toEqual([[1, 0], [0, 0], [1, 1]]);
  });

  it('gradient is the inverse permutation', () => {
    checkGradients(tfjs, (x) => tf.transpose(x, [1, 2, 0]), (x) => tfjs.transpose(x, [1, 2, 0]), [randomInput([2, 3, 4], 8)]);
    checkGradients(tfjs, (x) => tf.transpose(x), (x) => tfjs.transpose(x), [randomInput([3, 5], 9)]);
  });

  it('rejects perms that are not permutations', () => {
    const x = tf.zeros([2, 3]);
    expect(() => tf.transpose(x, [0, 0])).toThrow(/transpose: perm \[0,0\] is not a permutation of 0..1/);
    expect(() => tf.transpose(x, [0])).toThrow(/transpose: perm \[0\] must have length 2/);
    expect(() => tf.transpose(x, [0, 2])).toThrow(/transpose: perm/);
  });
});

describeEachBackend('broadcastTo', () => {
  it('matches tfjs', () => {
    const cases: [number[], number[]][] = [[[3], [2, 3]], [[1, 3], [4, 3]], [[2, 1], [2, 5]], [[1], [3, 1, 2]], [[2, 1, 3], [2, 4, 3]], [[3], [3]]];
    for (const [shape, target] of cases) {
      const x = randomInput(shape, 10);
      expectSameAsTfjs(tf.broadcastTo(tf.tensor(x.values, shape), target), tfjs.broadcastTo(tfjs.tensor(x.values, shape), target));
    }
  });

  it('gradient sums over the broadcast axes', () => {
    checkGradients(tfjs, (x) => tf.broadcastTo(x, [3, 4, 5]), (x) => tfjs.broadcastTo(x, [3, 4, 5]), [randomInput([4, 1], 11)]);
    checkGradients(tfjs, (x) => tf.broadcastTo(x, [2, 3]), (x) => tfjs.broadcastTo(x, [2, 3]), [randomInput([3], 12)]);
  });

  it('rejects incompatible shapes', () => {
    expect(() => tf.broadcastTo(tf.zeros([2, 3]), [3, 3])).toThrow(/broadcastTo: \[2,3\] cannot be broadcast to \[3,3\]/);
    expect(() => tf.broadcastTo(tf.zeros([2, 3]), [3])).toThrow(/broadcastTo: cannot broadcast \[2,3\] to the lower-rank/);
    expect(() => tf.broadcastTo(tf.zeros([1]), [1.5])).toThrow(/broadcastTo: target shape/);
  });
});

describeEachBackend('reverse', () => {
  it('matches tfjs on every axis combination', () => {
    const x = randomInput([3, 4, 5], 13);
    for (const axis of [undefined, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2]]) {
      expectSameAsTfjs(tf.reverse(tf.tensor(x.values, x.shape), axis), tfjs.reverse(tfjs.tensor(x.values, x.shape), axis));
    }
    const y = randomInput([127], 14);
    expectSameAsTfjs(tf.reverse(tf.tensor(y.values, y.shape)), tfjs.reverse(tfjs.tensor(y.values, y.shape)));
    expect(tf.reverse(tf.tensor([1, 2, 3], [3], 'int32')).dataSync()).toEqual(new Int32Array([3, 2, 1]));
  });

  it('gradient reverses dy', () => {
    checkGradients(tfjs, (x) => tf.reverse(x, [0, 2]), (x) => tfjs.reverse(x, [0, 2]), [randomInput([2, 3, 4], 15)]);
  });

  it('rejects bad axes', () => {
    expect(() => tf.reverse(tf.zeros([2, 3]), 2)).toThrow(/reverse: axis 2 is out of range/);
  });

  it('leaves no tensors behind inside tidy', () => {
    const x = tf.tensor(randomValues(24, 16), [2, 3, 4]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.reverse(x, 1);
      tf.transpose(x, [2, 0, 1]);
      tf.broadcastTo(tf.reshape(x, [1, 2, 3, 4]), [3, 2, 3, 4]);
      tf.grad((v) => tf.sum(tf.transpose(tf.reverse(v, [0]))))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
