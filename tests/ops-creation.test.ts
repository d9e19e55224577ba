// Creation ops and cast: values, shapes and dtype conversions vs tfjs, bad inputs, variables, clone
// sharing its buffer, memory.
import { expect, it } from 'vitest';
import { describeEachBackend, expectClose, expectSameAsTfjs, loadTfjs, randomValues, tf } from './helpers.js';

const tfjs = await loadTfjs();

describeEachBackend('tensor and tensorNd', () => {
  it('infers shapes and dtypes like tfjs, converts int32 and bool like tfjs', () => {
    const cases: [any, number[] | undefined, any][] = [
      [[[1, 2, 3], [4, 5, 6]], undefined, undefined], [[1.7, -1.7, 2.5, -0.5], [2, 2], 'int32'], [[0, 2, -1, 0.4, 0.6], undefined, 'bool'],
      [[true, false, true], undefined, undefined], [[true, false], [2], 'float32'], [5, undefined, undefined], [[], undefined, undefined],
      [[1, 2, 3, 4, 5, 6], [3, 1, 2], undefined], [[[1, 2], [3, 4]], [2, 2, 1], undefined], [new Int32Array([3, -4]), undefined, undefined],
      [new Float32Array([0.25, 3]), [1, 2], 'int32'], [false, undefined, 'int32'],
    ];
    for (const [values, shape, dtype] of cases) {
      expectSameAsTfjs(tf.tensor(values, shape, dtype), tfjs.tensor(values, shape, dtype));
    }
  });

  it('tensor1d … tensor6d and scalar check ranks', () => {
    expectSameAsTfjs(tf.tensor1d([1, 2, 3], 'int32'), tfjs.tensor1d([1, 2, 3], 'int32'));
    expectSameAsTfjs(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tfjs.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]));
    expectSameAsTfjs(tf.tensor3d([[[1], [2]]]), tfjs.tensor3d([[[1], [2]]]));
    expectSameAsTfjs(tf.tensor4d(randomValues(24, 1), [1, 2, 3, 4]), tfjs.tensor4d(randomValues(24, 1), [1, 2, 3, 4]));
    expect(tf.tensor5d(randomValues(2, 1), [1, 1, 2, 1, 1]).shape).toEqual([1, 1, 2, 1, 1]);
    expect(tf.tensor6d([[[[[[7]]]]]]).shape).toEqual([1, 1, 1, 1, 1, 1]);
    expectSameAsTfjs(tf.scalar(true), tfjs.scalar(true));
    expectSameAsTfjs(tf.scalar(3.5, 'int32'), tfjs.scalar(3.5, 'int32'));
    expect(() => tf.tensor1d([[1]] as any)).toThrow(/tensor1d: values must be a flat array/);
    expect(() => tf.tensor2d([1, 2, 3, 4])).toThrow(/tensor2d: a shape is required when values are flat/);
    expect(() => tf.tensor2d([1, 2], [1, 1, 2])).toThrow(/tensor2d: shape \[1,1,2\] must have rank 2/);
    expect(() => tf.tensor3d([[1, 2]])).toThrow(/tensor3d: values must be nested to rank 3/);
    expect(() => tf.scalar([1] as any)).toThrow(/scalar: value must be a number or boolean/);
  });

  it('rejects shape / value mismatches, bad shapes, ragged arrays and unknown dtypes', () => {
    expect(() => tf.tensor([1, 2, 3], [2, 2])).toThrow(/tensor: shape \[2,2\] needs 4 values but 3 were given/);
    expect(() => tf.tensor(5, [2, 2])).toThrow(/tensor: shape \[2,2\] needs 4 values but 1 were given/);
    expect(() => tf.tensor([1, 2, 3, 4], [-1, 2])).toThrow(/tensor: shape \[-1,2\] must consist of non-negative integers/);
    expect(() => tf.tensor([1, 2], [2.5])).toThrow(/tensor: shape/);
    expect(() => tf.tensor([[1, 2], [3, 4]], [4])).toThrow(/tensor: the nesting of values, \[2,2\], does not match the shape \[4\]/);
    expect(() => tf.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => tf.tensor([1], [1], 'string' as any)).toThrow(/tensor: unknown dtype 'string'/);
  });
});

describeEachBackend('fills, ranges and eye', () => {
  it('zeros, ones, fill, zerosLike, onesLike, fullLike match tfjs', () => {
    expectSameAsTfjs(tf.zeros([3, 17]), tfjs.zeros([3, 17]));
    expectSameAsTfjs(tf.ones([2, 1, 3], 'int32'), tfjs.ones([2, 1, 3], 'int32'));
    expectSameAsTfjs(tf.zeros([2], 'bool'), tfjs.zeros([2], 'bool'));
    expectSameAsTfjs(tf.fill([5], 1.5), tfjs.fill([5], 1.5));
    expectSameAsTfjs(tf.fill([2], -1.5, 'int32'), tfjs.fill([2], -1.5, 'int32'));
    expectSameAsTfjs(tf.fill([2, 2], true as any), tfjs.fill([2, 2], true as any));
    expectSameAsTfjs(tf.ones([]), tfjs.ones([]));
    expectSameAsTfjs(tf.zerosLike(tf.tensor([1, 2], [2], 'int32')), tfjs.zerosLike(tfjs.tensor([1, 2], [2], 'int32')));
    expectSameAsTfjs(tf.onesLike(tf.tensor([true, false])), tfjs.onesLike(tfjs.tensor([true, false])));
    const full = tf.fullLike(tf.zeros([2, 3]), 7);
    expect(full.shape).toEqual([2, 3]);
    expect(Array.from(full.dataSync())).toEqual([7, 7, 7, 7, 7, 7]);
    expect(() => tf.zeros([2, -1])).toThrow(/fill: invalid shape \[2,-1\]/);
    expect(() => tf.ones([1.5])).toThrow(/fill: invalid shape/);
  });

  it('range matches tfjs (decreasing, fractional, int32, empty)', () => {
    const cases: [number, number, number | undefined, any][] = [
      [0, 17, undefined, undefined], [5, 0, undefined, undefined], [0, 1, 0.1, undefined], [10, -3, -2.5, undefined],
      [0, 5, 0.5, 'int32'], [0, 7, 2, 'int32'], [3, 3, 1, undefined], [0, 5, -1, undefined], [5, 0, 2, undefined],
    ];
    for (const [start, stop, step, dtype] of cases) {
      expectSameAsTfjs(tf.range(start, stop, step, dtype), tfjs.range(start, stop, step, dtype));
    }
    expect(() => tf.range(0, 5, 0)).toThrow(/range: step must not be zero/);
    expect(() => tf.range(0, Infinity)).toThrow(/range: stop must be a finite number/);
  });

  it('linspace matches tfjs', () => {
    // tfjs accumulates the step in float32; sinew computes start + i·step, so allow float32 rounding.
    for (const [start, stop, num] of [[0, 1, 5], [-3, 7, 17], [2, 2, 3], [1, 5, 1], [5, -5, 127]]) {
      const ours = tf.linspace(start, stop, num);
      const theirs = tfjs.linspace(start, stop, num);
      expect(ours.shape).toEqual(theirs.shape);
      expectClose(ours.dataSync(), theirs.dataSync() as Float32Array, { rtol: 1e-5, atol: 1e-5 });
      const exact = Array.from({ length: num }, (_, i) => (num === 1 ? start : start + (i * (stop - start)) / (num - 1)));
      expectClose(ours.dataSync(), exact, { rtol: 1e-7, atol: 1e-7 });
    }
    expect(() => tf.linspace(0, 1, 0)).toThrow(/linspace: num must be a positive integer/);
  });

  it('eye matches tfjs (square, wide, tall, batched, int32)', () => {
    const cases: [number, number | undefined, number[] | undefined, any][] = [
      [3, undefined, undefined, undefined], [2, 5, undefined, undefined], [4, 2, undefined, 'int32'], [2, 3, [2], undefined], [3, 3, [2, 1], 'float32'],
    ];
    for (const [rows, columns, batch, dtype] of cases) {
      expectSameAsTfjs(tf.eye(rows, columns, batch as any, dtype), tfjs.eye(rows, columns, batch as any, dtype));
    }
    expect(() => tf.eye(-1)).toThrow(/eye: invalid shape/);
  });
});

describeEachBackend('variable and clone', () => {
  it('variable holds its own reference and honours trainable, name and dtype', () => {
    const initial = tf.tensor([1.5, -2.5]);
    const v = tf.variable(initial, false, 'ops-creation-v1');
    initial.dispose();
    expect(v.trainable).toBe(false);
    expect(v.name).toBe('ops-creation-v1');
    expect(Array.from(v.dataSync())).toEqual([1.5, -2.5]);
    const w = tf.variable([[1.7, 2]], true, undefined, 'int32');
    expect(w.dtype).toBe('int32');
    expect(w.shape).toEqual([1, 2]);
    expect(Array.from(w.dataSync())).toEqual([1, 2]);
    expect(w.trainable).toBe(true);
    expect(() => tf.variable(tf.zeros([1]), true, 'ops-creation-v1')).toThrow(/already exists/);
    v.dispose();
    w.dispose();
  });

  it('variable from plain values leaves no temporary behind', () => {
    const before = tf.memory().numTensors;
    const v = tf.variable([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(before + 1);
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('clone shares the buffer and passes gradients through', () => {
    const x = tf.tensor([1, 2, 3]);
    const buffers = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    const g = tf.grad((t) => tf.sum(tf.mul(tf.clone(t), tf.clone(t))))(y);
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
  });
});

describeEachBackend('cast', () => {
  it('matches tfjs for every dtype pair', () => {
    const values = [1.7, -1.7, 0, 0.2, -0.6, 2.5, 1e9, NaN];
    const sources: any[] = [['float32', values], ['int32', [3, -2, 0, 7]], ['bool', [1, 0, 1]]];
    for (const [from, vals] of sources) {
      for (const to of ['float32', 'int32', 'bool'] as const) {
        expectSameAsTfjs(tf.cast(tf.tensor(vals, undefined, from), to), tfjs.cast(tfjs.tensor(vals, undefined, from), to));
      }
    }
  });

  it('passes dy through float32 → float32 and stops at other dtypes', () => {
    const g = tf.grad((x) => tf.sum(tf.mul(tf.cast(x, 'float32'), 3)))(tf.tensor([1, 2]));
    expect(Array.from(g.dataSync())).toEqual([3, 3]);
    expect(() => tf.grad((x) => tf.sum(tf.cast(tf.cast(x, 'int32'), 'float32')))(tf.tensor([1.5]))).toThrow(/cannot compute the gradient/);
  });

  it('rejects unknown dtypes', () => {
    expect(() => tf.cast(tf.zeros([1]), 'complex64' as any)).toThrow(/cast: unknown dtype 'complex64'/);
  });

  it('creation ops leave no tensors behind inside tidy', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.tensor([1, 2]);
      tf.zeros([3]);
      tf.range(0, 4);
      tf.eye(3);
      tf.cast(tf.linspace(0, 1, 3), 'int32');
      tf.clone(tf.ones([2]));
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
