// Comparisons, logical ops and where: forward vs tfjs-cpu with broadcasting and mixed dtypes, NaN,
// where's gradients (to a and b, summed over broadcast axes) vs finite differences and tfjs, errors, memory.
import { expect, it } from 'vitest';
import {
  analyticGradients, checkGradients, describeEachBackend, expectClose, loadTfjs, randomValues, sizeOf, tf,
} from './helpers.js';
import type { Tensor } from './helpers.js';

const tfjs = await loadTfjs();

const COMPARISONS = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const;
const LOGICAL = ['logicalAnd', 'logicalOr', 'logicalXor'] as const;

/** Small integers as floats so that ties (equal elements) are common. */
function ties(n: number, seed: number): number[] {
  return Array.from(randomValues(n, seed, -3, 3), Math.round);
}

const BROADCASTS: [number[], number[]][] = [
  [[1], [1]], [[3], [3]], [[17], [1]], [[127], [127]], [[513], [513]], [[4, 1, 3], [5, 1]], [[1], [2, 3]],
  [[2, 3, 4], [4]], [[6, 1], [1, 7]], [[], [3, 2]],
];

describeEachBackend('comparisons and logical ops', () => {
  for (const name of COMPARISONS) {
    it(`${name}: bool output vs tfjs over broadcasts, odd sizes and dtypes`, () => {
      BROADCASTS.forEach(([aShape, bShape], i) => {
        const a = ties(sizeOf(aShape), 10 + i);
        const b = ties(sizeOf(bShape), 40 + i);
        tf.tidy(() => {
          const out = tf[name](tf.tensor(a, aShape), tf.tensor(b, bShape));
          const expected = tfjs[name](tfjs.tensor(a, aShape), tfjs.tensor(b, bShape));
          expect(out.dtype).toBe('bool');
          expect(out.shape).toEqual(expected.shape);
          expect(Array.from(out.dataSync())).toEqual(Array.from(expected.dataSync()));
          // int32 against float32 upcasts like tfjs
          const mixed = tf[name](tf.tensor(a, aShape, 'int32'), tf.tensor(b.map((v) => v + 0.5), bShape));
          const mixedExpected = tfjs[name](tfjs.tensor(a, aShape, 'int32'), tfjs.tensor(b.map((v) => v + 0.5), bShape));
          expect(Array.from(mixed.dataSync())).toEqual(Array.from(mixedExpected.dataSync()));
        });
      });
    });
  }

  it('NaN compares false except notEqual; plain numbers and arrays are accepted', () => {
    tf.tidy(() => {
      const x = tf.tensor([NaN, 1, NaN]);
      const y = tf.tensor([NaN, NaN, 2]);
      for (const name of COMPARISONS) {
        expect(Array.from(tf[name](x, y).dataSync()), name).toEqual(
          Array.from(tfjs[name](tfjs.tensor([NaN, 1, NaN]), tfjs.tensor([NaN, NaN, 2])).dataSync()),
        );
      }
      expect(Array.from(tf.greater([1, 2, 3], 2).dataSync())).toEqual([0, 0, 1]);
      expect(Array.from(tf.equal(tf.tensor([1, 2], [2], 'int32'), 2).dataSync())).toEqual([0, 1]);
    });
  });

  for (const name of LOGICAL) {
    it(`${name}: bool truth table and broadcasting vs tfjs`, () => {
      BROADCASTS.forEach(([aShape, bShape], i) => {
        const a = ties(sizeOf(aShape), 70 + i).map((v) => v > 0);
        const b = ties(sizeOf(bShape), 90 + i).map((v) => v > 0);
        tf.tidy(() => {
          const out = tf[name](tf.tensor(a, aShape), tf.tensor(b, bShape));
          const expected = tfjs[name](tfjs.tensor(a, aShape), tfjs.tensor(b, bShape));
          expect(out.dtype).toBe('bool');
          expect(out.shape).toEqual(expected.shape);
          expect(Array.from(out.dataSync())).toEqual(Array.from(expected.dataSync()));
        });
      });
    });
  }

  it('logicalNot on odd sizes', () => {
    for (const n of [1, 3, 17, 127, 513]) {
      const a = ties(n, n).map((v) => v > 0);
      tf.tidy(() => {
        const out = tf.logicalNot(tf.tensor(a));
        expect(out.dtype).toBe('bool');
        expect(Array.from(out.dataSync())).toEqual(a.map((v) => (v ? 0 : 1)));
      });
    }
  });

  it('errors: incompatible shapes and non-bool logical inputs name the op and shapes', () => {
    expect(() => tf.less(tf.ones([2, 3]), tf.ones([4]))).toThrow(/less.*\[2,3\].*\[4\]/);
    expect(() => tf.equal(tf.ones([3, 2]), tf.ones([2, 3]))).toThrow(/equal.*broadcast/);
    expect(() => tf.logicalAnd(tf.ones([2]), tf.tensor([true, false]))).toThrow(/logicalAnd.*float32.*\[2\].*bool/);
    expect(() => tf.logicalNot(tf.ones([3]))).toThrow(/logicalNot.*float32/);
  });

  it('comparisons are not differentiable: the gradient through a mask is zero', () => {
    const f = (x: Tensor) => tf.mul(x, tf.cast(tf.greater(x, 0), 'float32'));
    const grad = analyticGradients(f, [{ values: [-1, 2, 3], shape: [3] }])[0];
    expectClose(grad, [0, 1.1, 1.2]);
  });
});

describeEachBackend('where', () => {
  const CASES: [number[], number[], number[]][] = [
    [[1], [1], [1]], [[17], [17], [17]], [[513], [513], [513]], [[3, 1], [1, 4], [3, 4]], [[2, 3, 4], [4], [1]],
    [[5], [3, 5], []], [[1, 1], [2, 1], [1, 3]],
  ];

  it('forward vs tfjs with broadcasting of all three inputs', () => {
    CASES.forEach(([cShape, aShape, bShape], i) => {
      const c = ties(sizeOf(cShape), i).map((v) => v > 0);
      const a = Array.from(randomValues(sizeOf(aShape), 100 + i));
      const b = Array.from(randomValues(sizeOf(bShape), 200 + i));
      tf.tidy(() => {
        const out = tf.where(tf.tensor(c, cShape), tf.tensor(a, aShape), tf.tensor(b, bShape));
        const expected = tfjs.where(tfjs.tensor(c, cShape), tfjs.tensor(a, aShape), tfjs.tensor(b, bShape));
        expect(out.shape).toEqual(expected.shape);
        expectClose(out.dataSync(), expected.dataSync());
      });
    });
  });

  it('dtypes: int32 stays int32, mixed upcasts; NaN passes through', () => {
    tf.tidy(() => {
      const cond = tf.tensor([true, false, true]);
      const ints = tf.where(cond, tf.tensor([1, 2, 3], [3], 'int32'), tf.tensor([4, 5, 6], [3], 'int32'));
      expect(ints.dtype).toBe('int32');
      expect(Array.from(ints.dataSync())).toEqual([1, 5, 3]);
      const mixed = tf.where(cond, tf.tensor([1, 2, 3], [3], 'int32'), tf.tensor([NaN, 0.5, 6]));
      expect(mixed.dtype).toBe('float32');
      expectClose(mixed.dataSync(), [1, 0.5, 3]);
      expectClose(tf.where(tf.tensor([false]), 1, NaN).dataSync(), [NaN]);
    });
  });

  it('gradients to a and b (summed over broadcast axes) vs finite differences and tfjs', () => {
    CASES.forEach(([cShape, aShape, bShape], i) => {
      const condValues = ties(sizeOf(cShape), 300 + i).map((v) => v > 0);
      const a = { values: Array.from(randomValues(sizeOf(aShape), 400 + i)), shape: aShape };
      const b = { values: Array.from(randomValues(sizeOf(bShape), 500 + i)), shape: bShape };
      const f = (x: Tensor, y: Tensor) => tf.where(tf.tensor(condValues, cShape), x, y);
      checkGradients(tfjs, f, (x, y) => tfjs.where(tfjs.tensor(condValues, cShape), x, y), [a, b]);
    });
  });

  it('errors: non-bool condition, incompatible shapes', () => {
    expect(() => tf.where(tf.tensor([1, 0]), tf.ones([2]), tf.zeros([2]))).toThrow(/where.*condition.*float32.*bool/);
    expect(() => tf.where(tf.tensor([true, false, true]), tf.ones([2]), tf.zeros([2]))).toThrow(/where.*\[3\].*\[2\].*\[2\]/);
  });

  it('memory: comparisons, where and its gradient inside tidy leave tensors flat', () => {
    const x = tf.tensor(randomValues(17, 1));
    const before = tf.memory();
    tf.tidy(() => {
      for (const name of COMPARISONS) tf[name](x, 0);
      tf.logicalXor(tf.greater(x, 0), tf.less(x, 0.5));
      tf.logicalNot(tf.greater(x, 0));
      tf.where(tf.greater(x, 0), x, tf.neg(x));
      tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.where(tf.greater(a, 0), a, b)))([x, x]);
    });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    x.dispose();
  });
});
