// Reductions: forward vs tfjs-cpu over contiguous and non-contiguous axis sets, keepDims, dtypes,
// NaN; gradients vs float64 finite differences and tfjs (ties for max/min, zeros for prod); moments;
// errors; memory.
import { expect, it } from 'vitest';
import {
  analyticGradients, describeEachBackend, expectClose, loadTfjs, numericGradients, randomValues, sizeOf, tf,
  tfjsGradients,
} from './helpers.js';
import type { Tensor, Tfjs } from './helpers.js';

const tfjs = await loadTfjs();

type Axis = number | number[] | null;
const FLOAT_REDUCTIONS = ['sum', 'mean', 'max', 'min', 'prod', 'logSumExp'] as const;

/** Shapes with axis sets: whole tensor, single axes, contiguous runs, gaps, gaps bridged by size-1 axes. */
const LAYOUTS: [number[], Axis][] = [
  [[513], null], [[1], 0], [[3], -1], [[17], [0]], [[3, 17], 0], [[3, 17], 1], [[3, 17], [0, 1]], [[127, 3], -1],
  [[2, 3, 4, 5], [0, 2]], [[2, 3, 4, 5], [1, 3]], [[2, 3, 4, 5], [1, 2]], [[2, 3, 4, 5], [0, 1, 2, 3]],
  [[2, 3, 4, 5], [3, 0]], [[4, 1, 3], [0, 2]], [[5, 1, 1, 2], [0, 3]], [[], null], [[2, 3], []],
];

const label = ([shape, axis]: [number[], Axis]) => `[${shape}] axis ${JSON.stringify(axis)}`;

/** Values in a range that keeps prod and logSumExp well scaled. */
function inputFor(op: string, n: number, seed: number): number[] {
  return Array.from(randomValues(n, seed, op === 'prod' ? 0.7 : -2, op === 'prod' ? 1.3 : 2));
}

describeEachBackend('reductions', () => {
  for (const op of FLOAT_REDUCTIONS) {
    it(`${op}: forward vs tfjs over axis layouts, keepDims both ways`, () => {
      LAYOUTS.forEach((layout, i) => {
        const [shape, axis] = layout;
        const values = inputFor(op, sizeOf(shape), 7 * i + 1);
        for (const keepDims of [false, true]) {
          tf.tidy(() => {
            const out = tf[op](tf.tensor(values, shape), axis, keepDims);
            const expected = tfjs[op](tfjs.tensor(values, shape), axis ?? undefined, keepDims);
            expect(out.shape, `${op} ${label(layout)} keepDims ${keepDims}`).toEqual(expected.shape);
            expect(out.dtype).toBe('float32');
            try {
              expectClose(out.dataSync(), expected.dataSync(), { rtol: 2e-5, atol: 2e-5 });
            } catch (error) {
              throw new Error(`${op} ${label(layout)} keepDims ${keepDims}: ${(error as Error).message}`);
            }
          });
        }
      });
    });

    it(`${op}: gradient vs finite differences and tfjs`, () => {
      const layouts: [number[], Axis][] = [[[3, 4, 5], [0, 2]], [[3, 4, 5], 1], [[17], null], [[2, 3], -1]];
      layouts.forEach((layout, i) => {
        const [shape, axis] = layout;
        for (const keepDims of [false, true]) {
          const input = { values: inputFor(op, sizeOf(shape), 100 + i), shape };
          const analytic = analyticGradients((x) => tf[op](x, axis, keepDims), [input])[0];
          const numeric = numericGradients((x) => tf[op](x, axis, keepDims), [input])[0];
          // tfjs's prod gradient mishandles negative axes, so it gets the normalized axis.
          const tfjsAxis = typeof axis === 'number' && axis < 0 ? axis + shape.length : axis;
          const reference = tfjsGradients(tfjs, (x) => tfjs[op](x, tfjsAxis ?? undefined, keepDims), [input])[0];
          try {
            expectClose(analytic, numeric, { rtol: 1e-3, atol: 1e-4 });
            expectClose(analytic, reference, { rtol: 1e-4, atol: 1e-5 });
          } catch (error) {
            throw new Error(`${op} ${label(layout)} keepDims ${keepDims}: ${(error as Error).message}`);
          }
        }
      });
    });
  }

  it('dtypes follow tfjs: sum/prod of int32 and bool are int32, mean is float32, max of bool is bool', () => {
    tf.tidy(() => {
      const ints = tf.tensor([[3, -2, 7], [1, 4, -5]], [2, 3], 'int32');
      const bools = tf.tensor([[true, false, true], [false, false, true]]);
      const checks: [Tensor, ReturnType<Tfjs['sum']>][] = [
        [tf.sum(ints, 1), tfjs.sum(tfjs.tensor([[3, -2, 7], [1, 4, -5]], [2, 3], 'int32'), 1)],
        [tf.sum(bools, 0), tfjs.sum(tfjs.tensor([[true, false, true], [false, false, true]]), 0)],
        [tf.prod(ints, 0), tfjs.prod(tfjs.tensor([[3, -2, 7], [1, 4, -5]], [2, 3], 'int32'), 0)],
        [tf.mean(ints), tfjs.mean(tfjs.tensor([[3, -2, 7], [1, 4, -5]], [2, 3], 'int32'))],
        [tf.max(ints, 1), tfjs.max(tfjs.tensor([[3, -2, 7], [1, 4, -5]], [2, 3], 'int32'), 1)],
        [tf.min(ints, 1), tfjs.min(tfjs.tensor([[3, -2, 7], [1, 4, -5]], [2, 3], 'int32'), 1)],
        [tf.max(bools, 1), tfjs.max(tfjs.tensor([[true, false, true], [false, false, true]]), 1)],
        [tf.min(bools, 1), tfjs.min(tfjs.tensor([[true, false, true], [false, false, true]]), 1)],
        [tf.logSumExp(ints, 1), tfjs.logSumExp(tfjs.tensor([[3, -2, 7], [1, 4, -5]], [2, 3], 'int32'), 1)],
      ];
      checks.forEach(([actual, expected], i) => {
        expect(actual.dtype, `case ${i}`).toBe(expected.dtype);
        expectClose(actual.dataSync(), expected.dataSync(), { rtol: 1e-6 });
      });
      expect(Array.from(tf.sum(ints, 1).dataSync())).toEqual([8, 0]);
    });
  });

  it('NaN propagates through sum, max, min, mean', () => {
    tf.tidy(() => {
      const x = tf.tensor([[1, NaN, 3], [4, 5, 6]]);
      for (const op of ['sum', 'max', 'min', 'mean'] as const) {
        expectClose(tf[op](x, 1).dataSync(), [NaN, op === 'sum' ? 15 : op === 'max' ? 6 : op === 'min' ? 4 : 5], { rtol: 1e-6 });
      }
    });
  });

  it('argMax/argMin: default axis 0, int32, first index on ties, vs tfjs', () => {
    const layouts: [number[], number][] = [[[513], 0], [[3, 17], 1], [[3, 17], 0], [[2, 3, 4, 5], 2], [[2, 3, 4, 5], -1], [[1], 0], [[4, 1, 3], 0]];
    layouts.forEach(([shape, axis], i) => {
      const values = Array.from(randomValues(sizeOf(shape), 900 + i, -3, 3), Math.round); // many ties
      for (const op of ['argMax', 'argMin'] as const) {
        tf.tidy(() => {
          const out = tf[op](tf.tensor(values, shape), axis);
          const expected = tfjs[op](tfjs.tensor(values, shape), axis);
          expect(out.dtype).toBe('int32');
          expect(out.shape).toEqual(expected.shape);
          expect(Array.from(out.dataSync()), `${op} [${shape}] axis ${axis}`).toEqual(Array.from(expected.dataSync()));
        });
      }
    });
    tf.tidy(() => {
      expect(Array.from(tf.argMax(tf.tensor([[1, 9], [8, 2]])).dataSync())).toEqual([1, 0]);
      expect(Array.from(tf.argMin(tf.tensor([5, 1, 1, 7], [4], 'int32')).dataSync())).toEqual([1]);
      expect(Array.from(tf.argMax(tf.tensor([false, true, true])).dataSync())).toEqual([1]);
    });
  });

  it('any/all: bool only, axes and keepDims vs tfjs', () => {
    const layouts: [number[], Axis][] = [[[513], null], [[3, 17], 1], [[2, 3, 4, 5], [0, 2]], [[4, 1, 3], [0, 2]], [[5], 0]];
    layouts.forEach(([shape, axis], i) => {
      const values = Array.from(randomValues(sizeOf(shape), 1000 + i), (v) => v > 0.6);
      for (const op of ['any', 'all'] as const) {
        for (const keepDims of [false, true]) {
          tf.tidy(() => {
            const out = tf[op](tf.tensor(values, shape), axis, keepDims);
            const expected = tfjs[op](tfjs.tensor(values, shape), axis ?? undefined, keepDims);
            expect(out.dtype).toBe('bool');
            expect(out.shape).toEqual(expected.shape);
            expect(Array.from(out.dataSync())).toEqual(Array.from(expected.dataSync()));
          });
        }
      }
    });
  });

  it('max/min gradients go to every tied extremum, as tfjs', () => {
    const input = { values: [1, 3, 3, -2, 5, -2], shape: [2, 3] };
    for (const op of ['max', 'min'] as const) {
      for (const axis of [null, 1, 0]) {
        const analytic = analyticGradients((x) => tf[op](x, axis), [input])[0];
        expectClose(analytic, tfjsGradients(tfjs, (x) => tfjs[op](x, axis ?? undefined), [input])[0]);
      }
    }
  });

  it('prod gradient with zeros (one zero, two zeros, none) matches the product of the others', () => {
    const input = { values: [0, 2, 3, 1, 2, 3, 0, 1.5, 0, -2, 0.5, 4], shape: [4, 3] };
    const analytic = analyticGradients((x) => tf.prod(x, 1), [input])[0];
    const weights = [1, 1.1, 1.2, 1.3];
    const expected: number[] = [];
    for (let row = 0; row < 4; row++) {
      const v = input.values.slice(3 * row, 3 * row + 3);
      for (let j = 0; j < 3; j++) expected.push(weights[row] * v.reduce((p, x, k) => (k === j ? p : p * x), 1));
    }
    expectClose(analytic, expected, { rtol: 1e-6 });
    expectClose(analytic, tfjsGradients(tfjs, (x) => tfjs.prod(x, 1), [input])[0], { rtol: 1e-6 });
  });

  it('second derivative of logSumExp vs finite differences', () => {
    const input = { values: Array.from(randomValues(12, 77)), shape: [3, 4] };
    const first = (x: Tensor) => tf.grad((u: Tensor) => tf.sum(tf.mul(tf.logSumExp(u, 1), tf.tensor([1, 2, 3]))))(x);
    expectClose(analyticGradients(first, [input])[0], numericGradients(first, [input])[0], { rtol: 2e-3, atol: 2e-4 });
  });

  it('moments: mean and variance vs tfjs, keepDims, gradients vs finite differences', () => {
    const layouts: [number[], Axis][] = [[[513], null], [[3, 17], 0], [[2, 3, 4, 5], [0, 2, 3]], [[4, 5], -1]];
    layouts.forEach(([shape, axis], i) => {
      const values = Array.from(randomValues(sizeOf(shape), 1100 + i, -3, 5));
      for (const keepDims of [false, true]) {
        tf.tidy(() => {
          const { mean, variance } = tf.moments(tf.tensor(values, shape), axis, keepDims);
          const expected = tfjs.moments(tfjs.tensor(values, shape), axis ?? undefined, keepDims);
          expect(mean.shape).toEqual(expected.mean.shape);
          expect(variance.shape).toEqual(expected.variance.shape);
          expectClose(mean.dataSync(), expected.mean.dataSync(), { rtol: 1e-5, atol: 1e-5 });
          expectClose(variance.dataSync(), expected.variance.dataSync(), { rtol: 1e-5, atol: 1e-5 });
        });
      }
    });
    const input = { values: Array.from(randomValues(24, 1200)), shape: [2, 3, 4] };
    for (const part of ['mean', 'variance'] as const) {
      const f = (x: Tensor) => tf.moments(x, [0, 2])[part];
      expectClose(analyticGradients(f, [input])[0], numericGradients(f, [input])[0], { rtol: 1e-3, atol: 1e-4 });
    }
    expect(tf.tidy(() => tf.moments(tf.tensor([1, 2, 4], [3], 'int32')).mean.dtype)).toBe('float32');
  });

  it('errors: bad axes and dtypes name the op and the shape', () => {
    expect(() => tf.sum(tf.ones([2, 3]), 2)).toThrow(/sum.*axis 2.*rank 2/);
    expect(() => tf.mean(tf.ones([2, 3]), [0, -3])).toThrow(/mean.*axis -3/);
    expect(() => tf.max(tf.ones([4]), 1.5)).toThrow(/max.*axis 1.5/);
    expect(() => tf.any(tf.ones([2]))).toThrow(/any.*float32.*\[2\].*bool/);
    expect(() => tf.all(tf.ones([2], 'int32'))).toThrow(/all.*int32/);
    expect(() => tf.argMax(tf.ones([2, 3]), 2)).toThrow(/argMax.*axis 2/);
    expect(() => tf.argMin(tf.ones([2, 3]), [0, 1] as unknown as number)).toThrow(/argMin.*axis/);
    expect(() => tf.argMax(tf.scalar(3))).toThrow(/argMax.*scalar/);
  });

  it('memory: reductions and their gradients inside tidy leave tensors and bytes flat', () => {
    const x = tf.tensor(randomValues(60, 5, 0.5, 1.5), [3, 4, 5]);
    const before = tf.memory();
    tf.tidy(() => {
      for (const op of FLOAT_REDUCTIONS) {
        tf[op](x, [0, 2]);
        tf.grad((u: Tensor) => tf.sum(tf[op](u, [0, 2], true)))(x);
      }
      tf.argMax(x, 1);
      tf.any(tf.greater(x, 1), 2);
      tf.moments(x, [0, 1]);
    });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    x.dispose();
  });
});
