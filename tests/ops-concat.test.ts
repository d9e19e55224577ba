// concat and stack: forward vs tfjs, gradients vs finite differences and tfjs, bad inputs, memory.
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

describeEachBackend('concat', () => {
  it('matches tfjs on every axis, odd sizes, 1..4 inputs', () => {
    const cases: [number[][], number][] = [
      [[[17], [3], [1]], 0], [[[3, 17], [3, 1]], 1], [[[3, 2], [5, 2], [1, 2], [2, 2]], 0], [[[2, 3, 4], [2, 1, 4]], -2],
      [[[2, 3, 1], [2, 3, 5], [2, 3, 2]], 2], [[[4, 5]], 1], [[[2, 0], [2, 3]], 1],
    ];
    for (const [shapes, axis] of cases) {
      const xs = shapes.map((s, i) => input(s, 10 + i));
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
      (a, b, c) => tf.concat([a, b, c], 1),
      (a, b, c) => tfjs.concat([a, b, c], 1),
      [input([3, 2], 1), input([3, 5], 2), input([3, 1], 3)],
    );
    checkGradients((a, b) => tf.concat([a, b], 0), (a, b) => tfjs.concat([a, b], 0), [input([1, 4], 4), input([2, 4], 5)]);
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
    const xs = [input([3, 4], 1), input([3, 4], 2), input([3, 4], 3)];
    for (const axis of [0, 1, 2, -1, -3]) {
      expectSameAsTfjs(
        tf.stack(xs.map((x) => tf.tensor(x.values, x.shape)), axis),
        tfjs.stack(xs.map((x) => tfjs.tensor(x.values, x.shape)), axis),
      );
    }
    expectSameAsTfjs(tf.stack([tf.scalar(1), tf.scalar(2)]), tfjs.stack([tfjs.scalar(1), tfjs.scalar(2)]));
  });

  it('gradient', () => {
    checkGradients((a, b) => tf.stack([a, b], 1), (a, b) => tfjs.stack([a, b], 1), [input([2, 3], 6), input([2, 3], 7)]);
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
