// softmax / logSoftmax: forward vs tfjs-cpu and a float64 reference on odd widths and any axis,
// stability on large logits, gradients and second derivatives vs finite differences and tfjs, errors, memory.
import { expect, it } from 'vitest';
import {
  analyticGradients, describeEachBackend, expectClose, loadTfjs, numericGradients, randomValues, sizeOf, tf,
  tfjsGradients,
} from './helpers.js';
import type { Tensor } from './helpers.js';

const tfjs = await loadTfjs();

/** Softmax (or log-softmax) in float64 along `axis`. */
function softmax64(values: ArrayLike<number>, shape: number[], axis: number, log: boolean): number[] {
  const a = axis < 0 ? axis + shape.length : axis;
  const inner = sizeOf(shape.slice(a + 1));
  const n = shape[a];
  const outer = sizeOf(shape.slice(0, a));
  const out = new Array<number>(values.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => o * n * inner + j * inner + i;
      let max = -Infinity;
      for (let j = 0; j < n; j++) max = Math.max(max, values[at(j)]);
      let total = 0;
      for (let j = 0; j < n; j++) total += Math.exp(values[at(j)] - max);
      for (let j = 0; j < n; j++) {
        out[at(j)] = log ? values[at(j)] - max - Math.log(total) : Math.exp(values[at(j)] - max) / total;
      }
    }
  }
  return out;
}

const OPS = [['softmax', false], ['logSoftmax', true]] as const;

describeEachBackend('softmax and logSoftmax', () => {
  for (const [name, log] of OPS) {
    it(`${name}: last axis vs tfjs and float64 at widths 1, 3, 17, 127, 513`, () => {
      for (const [shape, seed] of [[[1], 1], [[4, 3], 2], [[2, 3, 17], 3], [[5, 127], 4], [[3, 513], 5], [[1, 1], 6]] as const) {
        const values = randomValues(sizeOf([...shape]), seed, -8, 8);
        tf.tidy(() => {
          const out = tf[name](tf.tensor(values, [...shape]));
          expect(out.shape).toEqual([...shape]);
          expectClose(out.dataSync(), softmax64(values, [...shape], -1, log), { rtol: 1e-5, atol: 1e-6 });
          expectClose(out.dataSync(), tfjs[name](tfjs.tensor(values, [...shape])).dataSync(), { rtol: 1e-5, atol: 1e-6 });
        });
      }
    });

    it(`${name}: any axis (transposed to the end and back) vs float64`, () => {
      const shape = [3, 4, 5];
      const values = randomValues(60, 9, -3, 3);
      for (const axis of [0, 1, 2, -2, -3]) {
        tf.tidy(() => {
          const out = tf[name](tf.tensor(values, shape), axis);
          expect(out.shape).toEqual(shape);
          expectClose(out.dataSync(), softmax64(values, shape, axis, log), { rtol: 1e-5, atol: 1e-6 });
        });
      }
    });

    it(`${name}: stable on large logits (no overflow) and int32 logits are computed in float32`, () => {
      tf.tidy(() => {
        const big = [1000, 1001, 999, -1000, 0, 1000];
        const out = tf[name](tf.tensor(big, [2, 3]));
        expectClose(out.dataSync(), softmax64(big, [2, 3], -1, log), { rtol: 1e-5, atol: 1e-6 });
        const ints = tf[name](tf.tensor([1, 2, 3], [3], 'int32'));
        expect(ints.dtype).toBe('float32');
        expectClose(ints.dataSync(), softmax64([1, 2, 3], [3], -1, log), { rtol: 1e-6 });
      });
    });

    it(`${name}: gradient vs finite differences and tfjs (last axis), and along axis 0`, () => {
      for (const shape of [[17], [3, 5], [2, 3, 4]]) {
        const input = { values: Array.from(randomValues(sizeOf(shape), 20 + shape.length, -2, 2)), shape };
        const f = (x: Tensor) => tf[name](x);
        const analytic = analyticGradients(f, [input])[0];
        expectClose(analytic, numericGradients(f, [input])[0], { rtol: 1e-3, atol: 1e-4 });
        expectClose(analytic, tfjsGradients(tfjs, (x) => tfjs[name](x), [input])[0], { rtol: 1e-4, atol: 1e-5 });
      }
      const input = { values: Array.from(randomValues(12, 33, -2, 2)), shape: [4, 3] };
      const alongRows = (x: Tensor) => tf[name](x, 0);
      expectClose(analyticGradients(alongRows, [input])[0], numericGradients(alongRows, [input])[0], { rtol: 1e-3, atol: 1e-4 });
    });

    it(`${name}: second derivative vs finite differences of the first`, () => {
      const input = { values: Array.from(randomValues(12, 44, -2, 2)), shape: [3, 4] };
      const mix = [0.3, -1.2, 2, 0.7, 1.5, -0.4, 0.1, 0.9, -2, 1.1, 0.2, -0.6];
      const first = (x: Tensor) => tf.grad((u: Tensor) => tf.sum(tf.mul(tf[name](u), tf.tensor(mix, [3, 4]))))(x);
      expectClose(analyticGradients(first, [input])[0], numericGradients(first, [input])[0], { rtol: 2e-3, atol: 2e-4 });
    });
  }

  it('errors: bad axis and scalar logits name the op and the shape', () => {
    expect(() => tf.softmax(tf.ones([2, 3]), 2)).toThrow(/softmax.*axis 2.*\[2,3\]/);
    expect(() => tf.logSoftmax(tf.ones([2, 3]), -3)).toThrow(/logSoftmax.*axis -3/);
    expect(() => tf.softmax(tf.scalar(1))).toThrow(/softmax.*scalar/);
  });

  it('memory: forward, gradients and second derivatives inside tidy leave tensors flat', () => {
    const x = tf.tensor(randomValues(15, 3), [3, 5]);
    const before = tf.memory();
    tf.tidy(() => {
      tf.softmax(x);
      tf.logSoftmax(x, 0);
      tf.grad((u: Tensor) => tf.sum(tf.mul(tf.softmax(u), u)))(x);
      tf.grad((u: Tensor) => tf.sum(tf.grad((v: Tensor) => tf.sum(tf.mul(tf.logSoftmax(v, 0), v)))(u)))(x);
    });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    x.dispose();
  });
});
