// Binary arithmetic (src/ops/binary.ts): forward vs tfjs-cpu with broadcasting and odd sizes, dtype rules,
// special values, gradients (summed over broadcast axes) vs float64 finite differences and tfjs, errors, memory.
import { expect, it } from 'vitest';
import {
  analyticGradients, describeEachBackend, expectClose, loadTfjs, numericGradients, randomValues, sizeOf, tf,
  tfjsGradients,
} from './helpers.js';
import type { Tensor } from './helpers.js';

const tfjs = await loadTfjs();

const OPS = [
  'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'squaredDifference', 'mod', 'floorDiv', 'atan2', 'divNoNan',
] as const;
type Op = (typeof OPS)[number];

/** Input ranges: pow needs a positive base; divisors stay away from 0 (and from sign changes for mod). */
function operands(op: Op, aSize: number, bSize: number, seed: number): [number[], number[]] {
  const a = Array.from(randomValues(aSize, seed, op === 'pow' ? 0.2 : -4, op === 'pow' ? 3 : 4));
  let b = Array.from(randomValues(bSize, seed + 1, op === 'pow' ? -2 : 0.4, op === 'pow' ? 2 : 3));
  if (['div', 'mod', 'floorDiv', 'divNoNan', 'atan2', 'add', 'sub', 'mul', 'maximum', 'minimum', 'squaredDifference'].includes(op)) {
    b = b.map((v, i) => (i % 2 ? -v : v));
  }
  return [a, b];
}

const BROADCASTS: [number[], number[]][] = [
  [[1], [1]], [[3], [3]], [[17], [17]], [[127], [1]], [[513], [513]], [[], [3, 2]], [[4, 1, 3], [5, 1]],
  [[2, 3, 4], [4]], [[6, 1], [1, 7]], [[3, 1, 17], [1, 5, 1]],
];

describeEachBackend('binary ops', () => {
  for (const op of OPS) {
    it(`${op}: forward vs tfjs with broadcasting and odd sizes`, () => {
      BROADCASTS.forEach(([aShape, bShape], i) => {
        const [a, b] = operands(op, sizeOf(aShape), sizeOf(bShape), 10 * i + 1);
        tf.tidy(() => {
          const out = tf[op](tf.tensor(a, aShape), tf.tensor(b, bShape));
          const expected = tfjs[op](tfjs.tensor(a, aShape), tfjs.tensor(b, bShape));
          const what = `${op} [${aShape}] with [${bShape}]`;
          expect(out.shape, what).toEqual(expected.shape);
          expect(out.dtype, what).toBe(expected.dtype);
          try {
            expectClose(out.dataSync(), expected.dataSync(), { rtol: 2e-5, atol: 2e-6 });
          } catch (error) {
            throw new Error(`${what}: ${(error as Error).message}`);
          }
        });
      });
    });
  }

  it('int32 arithmetic stays int32 and matches tfjs (div and floorDiv floor, mod takes the divisor sign)', () => {
    const a = [7, -7, 9, -9, 0, 5, 13, -13];
    const b = [2, 2, -4, -4, 3, 1, 5, 3];
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'squaredDifference', 'mod', 'floorDiv', 'divNoNan'] as const) {
      tf.tidy(() => {
        const out = tf[op](tf.tensor(a, [8], 'int32'), tf.tensor(b, [8], 'int32'));
        const expected = tfjs[op](tfjs.tensor(a, [8], 'int32'), tfjs.tensor(b, [8], 'int32'));
        expect(out.dtype, op).toBe('int32');
        expect(Array.from(out.dataSync()), op).toEqual(Array.from(expected.dataSync()));
      });
    }
    tf.tidy(() => {
      const power = tf.pow(tf.tensor([2, -3, 5], [3], 'int32'), tf.tensor([3, 3, 0], [3], 'int32'));
      expect(power.dtype).toBe('int32');
      expect(Array.from(power.dataSync())).toEqual([8, -27, 1]);
    });
  });

  it('mixed dtypes upcast like tfjs; floorDiv of floats is int32 as in tfjs', () => {
    tf.tidy(() => {
      const ints = tf.tensor([5, -5, 7], [3], 'int32');
      const floats = tf.tensor([2.5, -1.5, 0.5]);
      for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'mod'] as const) {
        const out = tf[op](ints, floats);
        const expected = tfjs[op](tfjs.tensor([5, -5, 7], [3], 'int32'), tfjs.tensor([2.5, -1.5, 0.5]));
        expect(out.dtype, op).toBe('float32');
        expectClose(out.dataSync(), expected.dataSync(), { rtol: 1e-6 });
      }
      const quotient = tf.floorDiv(tf.tensor([5.5, -5, 7]), tf.tensor([2, 3, -2]));
      expect(quotient.dtype).toBe('int32');
      expect(Array.from(quotient.dataSync())).toEqual([2, -2, -4]);
      expect(tf.add(tf.tensor([true, false]), tf.tensor([true, true])).dtype).toBe('int32');
    });
  });

  it('special values: division by zero, divNoNan, NaN in maximum/minimum, pow edge cases', () => {
    tf.tidy(() => {
      expectClose(tf.div(tf.tensor([1, -1, 0]), tf.tensor([0, 0, 0])).dataSync(), [Infinity, -Infinity, NaN]);
      expectClose(tf.divNoNan(tf.tensor([1, -1, 0, 6]), tf.tensor([0, 0, 0, 3])).dataSync(), [0, 0, 0, 2]);
      expectClose(tf.maximum(tf.tensor([NaN, 1]), tf.tensor([1, NaN])).dataSync(), [NaN, NaN]);
      expectClose(tf.minimum(tf.tensor([NaN, 1]), tf.tensor([1, NaN])).dataSync(), [NaN, NaN]);
      const base = [-2, 0, 0, 4, -8];
      const exponent = [3, 0, -1, 0.5, 1 / 3];
      expectClose(tf.pow(tf.tensor(base), tf.tensor(exponent)).dataSync(),
        tfjs.pow(tfjs.tensor(base), tfjs.tensor(exponent)).dataSync(), { rtol: 1e-6 });
      expectClose(tf.atan2(tf.tensor([0, 0, 1, -1]), tf.tensor([1, -1, 0, 0])).dataSync(), [0, Math.PI, Math.PI / 2, -Math.PI / 2], { rtol: 1e-6 });
    });
  });

  /** Ops whose gradient tfjs defines the same way we do. */
  const DIFFERENTIABLE = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'squaredDifference', 'mod', 'atan2'] as const;
  const GRAD_BROADCASTS: [number[], number[]][] = [[[17], [17]], [[3, 1], [1, 4]], [[2, 3, 4], [4]], [[], [2, 3]], [[5, 1, 3], [2, 1]]];

  for (const op of DIFFERENTIABLE) {
    it(`${op}: gradients to both inputs (summed over broadcast axes) vs finite differences and tfjs`, () => {
      GRAD_BROADCASTS.forEach(([aShape, bShape], i) => {
        let [a, b] = operands(op, sizeOf(aShape), sizeOf(bShape), 100 + 10 * i);
        if (op === 'maximum' || op === 'minimum') b = b.map((v, k) => v + 0.01 * k); // no ties
        if (op === 'mod') a = a.map((v) => v * 0.1); // stay away from mod's jumps at multiples of b
        const inputs = [{ values: a, shape: aShape }, { values: b, shape: bShape }];
        const f = (x: Tensor, y: Tensor) => tf[op](x, y);
        const analytic = analyticGradients(f, inputs);
        const numeric = numericGradients(f, inputs);
        // tfjs's maximum/minimum/squaredDifference gradients do not reduce over broadcast axes (they fail).
        const tfjsBroken = ['maximum', 'minimum', 'squaredDifference'].includes(op) && aShape.join() !== bShape.join();
        const reference = tfjsBroken ? undefined : tfjsGradients(tfjs, (x, y) => tfjs[op](x, y), inputs);
        for (let k = 0; k < 2; k++) {
          try {
            expectClose(analytic[k], numeric[k], { rtol: 2e-3, atol: 2e-4 });
            if (reference) expectClose(analytic[k], reference[k], { rtol: 1e-4, atol: 1e-5 });
          } catch (error) {
            throw new Error(`${op} [${aShape}] with [${bShape}], input ${k}: ${(error as Error).message}`);
          }
        }
      });
    });
  }

  it('maximum/minimum send tied gradients to a, as tfjs; pow sends 0 to the exponent where base <= 0', () => {
    const a = { values: [1, 2, 3, -1], shape: [4] };
    const b = { values: [1, 3, 3, -2], shape: [4] };
    for (const op of ['maximum', 'minimum'] as const) {
      const analytic = analyticGradients((x, y) => tf[op](x, y), [a, b]);
      const reference = tfjsGradients(tfjs, (x, y) => tfjs[op](x, y), [a, b]);
      expectClose(analytic[0], reference[0]);
      expectClose(analytic[1], reference[1]);
    }
    const base = { values: [-1.5, 0, 2], shape: [3] };
    const exponent = { values: [2, 3, 0.5], shape: [3] };
    const analytic = analyticGradients((x, y) => tf.pow(x, y), [base, exponent]);
    const reference = tfjsGradients(tfjs, (x, y) => tfjs.pow(x, y), [base, exponent]);
    expectClose(analytic[0], reference[0], { rtol: 1e-6 });
    expectClose(analytic[1], reference[1], { rtol: 1e-6 });
  });

  it('divNoNan gradient: the quotient rule where b != 0, zero where b == 0', () => {
    const a = { values: [1, 2, 3, -4], shape: [4] };
    const b = { values: [0, 2, -1, 0], shape: [4] };
    const analytic = analyticGradients((x, y) => tf.divNoNan(x, y), [a, b]);
    const w = [1, 1.1, 1.2, 1.3];
    expectClose(analytic[0], [0, w[1] / 2, w[2] / -1, 0], { rtol: 1e-6 });
    expectClose(analytic[1], [0, (-w[1] * 2) / 4, (-w[2] * 3) / 1, 0], { rtol: 1e-6 });
  });

  it('second derivatives: d²(a·b²)/da db and d²(a/b)/db² vs finite differences', () => {
    const inputs = [{ values: Array.from(randomValues(5, 7, 0.5, 2)), shape: [5] }, { values: Array.from(randomValues(5, 8, 0.5, 2)), shape: [5] }];
    const first = (x: Tensor, y: Tensor) => tf.grads((u: Tensor, v: Tensor) => tf.sum(tf.add(tf.mul(u, tf.mul(v, v)), tf.div(u, v))))([x, y])[1];
    const analytic = analyticGradients(first, inputs);
    const numeric = numericGradients(first, inputs);
    expectClose(analytic[0], numeric[0], { rtol: 2e-3, atol: 2e-4 });
    expectClose(analytic[1], numeric[1], { rtol: 2e-3, atol: 2e-4 });
  });

  it('errors: incompatible shapes name the op and both shapes', () => {
    for (const op of OPS) {
      expect(() => tf[op](tf.ones([2, 3]), tf.ones([4])), op).toThrow(new RegExp(`${op}.*\\[2,3\\].*\\[4\\]`));
    }
    expect(() => tf.add(tf.ones([2]), undefined as unknown as Tensor)).toThrow(/add.*'b'/);
  });

  it('memory: forward and gradients inside tidy leave tensors and bytes flat', () => {
    const a = tf.tensor(randomValues(12, 1, 0.5, 2), [3, 4]);
    const b = tf.tensor(randomValues(4, 2, 0.5, 2), [4]);
    const before = tf.memory();
    tf.tidy(() => {
      for (const op of OPS) tf[op](a, b);
      for (const op of DIFFERENTIABLE) tf.grads((x: Tensor, y: Tensor) => tf.sum(tf[op](x, y)))([a, b]);
      tf.grads((x: Tensor, y: Tensor) => tf.sum(tf.divNoNan(x, y)))([a, b]);
    });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    tf.dispose([a, b]);
  });
});
