// Kernel-level tests of reduce/reduceInner, softmax/softmaxGrad and the fused optimizer updates against
// plain-JS float64 references: every axis of 3-D tensors, odd sizes, NaN/inf rules, split ranges.
import { beforeAll, describe, expect, it } from 'vitest';
import { REDUCE_OP_CODE, type ReduceOp } from '../src/backend/backend.js';
import { runReduce } from '../src/backend/wasm/reduce.js';
import { runSoftmax, runSoftmaxGrad } from '../src/backend/wasm/softmax.js';
import { runSgd, runAdam } from '../src/backend/wasm/optimizer.js';
import { FakeRuntime, compileKernels, randomValues, relaxedSimdAvailable } from './kernels-harness.js';

/** float64 reference of one reduction over values (tfjs semantics for NaN and ties). */
function reduceReference(op: ReduceOp, values: number[]): number {
  switch (op) {
    case 'sum': return values.reduce((s, v) => s + v, 0);
    case 'prod': return values.reduce((s, v) => s * v, 1);
    case 'max': return values.reduce((m, v) => (Number.isNaN(v) || v > m ? v : m), -Infinity);
    case 'min': return values.reduce((m, v) => (Number.isNaN(v) || v < m ? v : m), Infinity);
    case 'argMax': case 'argMin': {
      let best = values[0], index = 0;
      for (let j = 1; j < values.length; j++) {
        if (op === 'argMax' ? values[j] > best : values[j] < best) { best = values[j]; index = j; }
      }
      return index;
    }
    case 'logSumExp': {
      const m = reduceReference('max', values);
      if (!Number.isFinite(m)) return m;
      return m + Math.log(values.reduce((s, v) => s + Math.exp(v - m), 0));
    }
    case 'any': return values.some((v) => v !== 0) ? 1 : 0;
    case 'all': return values.every((v) => v !== 0) ? 1 : 0;
  }
}

const INTEGER_OUTPUT = new Set<ReduceOp>(['argMax', 'argMin', 'any', 'all']);

function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= rtol * Math.abs(e) + atol;
    if (!ok) expect.fail(`${label}: index ${i}: got ${a}, expected ${e}`);
  }
}

/** Inputs that make each op meaningful: ties for arg ops, 0/1 for any/all, values near 1 for prod. */
function reduceInputs(op: ReduceOp, n: number, seed: number): Float32Array {
  if (op === 'any' || op === 'all') {
    // Rare ones for any, rare zeros for all, so both answers occur.
    return randomValues(n, seed, 0, 1).map((v) => (op === 'any' ? (v > 0.97 ? 1 : 0) : (v < 0.03 ? 0 : 1)));
  }
  if (op === 'argMax' || op === 'argMin') return randomValues(n, seed, -4, 4).map(Math.round); // many ties
  if (op === 'prod') return randomValues(n, seed, 0.9, 1.1);
  if (op === 'logSumExp') return randomValues(n, seed, -30, 30);
  return randomValues(n, seed, -10, 10);
}

for (const features of ['simd', 'simd,relaxed-simd']) {
  describe(`reduce / softmax / optimizer kernels (${features})`, () => {
    const rt = new FakeRuntime();
    let available = true;
    beforeAll(async () => {
      if (features !== 'simd' && !(await relaxedSimdAvailable())) { available = false; return; }
      await rt.init(await compileKernels(features));
    });

    function reduceOnce(op: ReduceOp, x: Float32Array, outer: number, size: number, inner: number, chunks: number): number[] {
      rt.reset();
      rt.chunks = chunks;
      const xPtr = rt.putF32(x), out = rt.alloc(outer * inner * 4);
      runReduce(rt, REDUCE_OP_CODE[op], xPtr, out, outer, size, inner);
      return Array.from(INTEGER_OUTPUT.has(op) ? rt.readI32(out, outer * inner) : rt.readF32(out, outer * inner));
    }

    /** Reference over the middle axis of [outer, size, inner]. */
    function reduceViewReference(op: ReduceOp, x: Float32Array, outer: number, size: number, inner: number): number[] {
      const out: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const column: number[] = [];
          for (let r = 0; r < size; r++) column.push(x[(o * size + r) * inner + i]);
          out.push(reduceReference(op, column));
        }
      }
      return out;
    }

    for (const op of Object.keys(REDUCE_OP_CODE) as ReduceOp[]) {
      it(`reduce ${op} over each axis of 3-D tensors, rows of odd lengths, split ranges`, (ctx) => {
        if (!available) ctx.skip();
        const shapes = [[3, 17, 5], [2, 127, 9], [1, 513, 3], [7, 4, 130], [5, 6, 1]];
        for (const shape of shapes) {
          const total = shape[0] * shape[1] * shape[2];
          const x = reduceInputs(op, total, total + op.length);
          for (let axis = 0; axis < 3; axis++) {
            const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
            const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
            const expected = reduceViewReference(op, x, outer, shape[axis], inner);
            const single = reduceOnce(op, x, outer, shape[axis], inner, 1);
            expectAllClose(single, expected, `${op} ${shape} axis ${axis}`, 1e-5, op === 'sum' ? 2e-5 * shape[axis] : 1e-6);
            expect(reduceOnce(op, x, outer, shape[axis], inner, 3), 'chunked = single call').toEqual(single);
          }
        }
        for (const n of [1, 3, 17, 127, 513, 4099]) { // whole-row reductions (inner == 1)
          const x = reduceInputs(op, n, 7 * n);
          const got = reduceOnce(op, x, 1, n, 1, 1);
          expectAllClose(got, [reduceReference(op, Array.from(x))], `${op} row n=${n}`, 1e-5, op === 'sum' ? 1e-6 * n : 1e-6);
        }
        const columns = reduceInputs(op, 3 * 300, 5); // outer = 1, wide inner: the reduceInner split
        expectAllClose(reduceOnce(op, columns, 1, 3, 300, 4), reduceViewReference(op, columns, 1, 3, 300), `${op} columns`);
      });
    }

    it('NaN and infinity rules follow tfjs (max/min propagate NaN; argMax ignores NaN unless first)', (ctx) => {
      if (!available) ctx.skip();
      const rows = [
        [1, NaN, 3, 2, 0, 5, 5, 1], [NaN, 1, 2, 3, 4, 5, 6, 7], [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
        [Infinity, 1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 2, 2, 2, 2, 2, 2, 2], [-1, -5, 3, -5, 3, 0, 0, -5, 3],
      ];
      for (const op of ['max', 'min', 'argMax', 'argMin', 'logSumExp', 'sum', 'any', 'all'] as ReduceOp[]) {
        for (const row of rows) {
          const x = Float32Array.from(row);
          expectAllClose(reduceOnce(op, x, 1, x.length, 1, 1), [reduceReference(op, row)], `${op} [${row}]`);
          // The same values down a column (inner > 1), 5 columns wide.
          const wide = new Float32Array(x.length * 5).map((_, i) => x[Math.floor(i / 5)]);
          expectAllClose(reduceOnce(op, wide, 1, x.length, 5, 1), new Array(5).fill(reduceReference(op, row)), `${op} column [${row}]`);
        }
      }
    });

    // --- softmax ----------------------------------------------------------------------------------------

    function softmaxReference(x: ArrayLike<number>, rows: number, cols: number, log: boolean): number[] {
      const out: number[] = [];
      for (let r = 0; r < rows; r++) {
        const row = Array.from({ length: cols }, (_, j) => x[r * cols + j]);
        const m = Math.max(...row);
        const sum = row.reduce((s, v) => s + Math.exp(v - m), 0);
        for (const v of row) out.push(log ? v - m - Math.log(sum) : Math.exp(v - m) / sum);
      }
      return out;
    }

    for (const log of [false, true]) {
      it(`${log ? 'log-' : ''}softmax forward and backward on odd widths`, (ctx) => {
        if (!available) ctx.skip();
        for (const [rows, cols] of [[1, 1], [3, 3], [5, 17], [4, 127], [2, 513], [33, 10]]) {
          const x = randomValues(rows * cols, rows * 31 + cols, -20, 20);
          x[0] = 80; // large values must not overflow
          const expected = softmaxReference(x, rows, cols, log);
          const dyValues = randomValues(rows * cols, cols, -1, 1);
          let single: Float32Array | undefined;
          for (const chunks of [1, 4]) {
            rt.reset();
            rt.chunks = chunks;
            const xPtr = rt.putF32(x), yPtr = rt.alloc(x.length * 4);
            runSoftmax(rt, xPtr, yPtr, rows, cols, log);
            const y = rt.readF32(yPtr, x.length);
            expectAllClose(y, expected, `softmax ${rows}x${cols}`, 1e-5, log ? 1e-5 : 1e-7);
            if (single) expect(y).toEqual(single);
            single = y;
            // Backward from the float32 forward output, against the float64 formula on the same y.
            const dyPtr = rt.putF32(dyValues), dxPtr = rt.alloc(x.length * 4);
            runSoftmaxGrad(rt, yPtr, dyPtr, dxPtr, rows, cols, log);
            const expectedDx: number[] = [];
            for (let r = 0; r < rows; r++) {
              let dot = 0;
              for (let j = 0; j < cols; j++) dot += log ? dyValues[r * cols + j] : dyValues[r * cols + j] * y[r * cols + j];
              for (let j = 0; j < cols; j++) {
                const k = r * cols + j;
                expectedDx.push(log ? dyValues[k] - Math.exp(y[k]) * dot : y[k] * (dyValues[k] - dot));
              }
            }
            expectAllClose(rt.readF32(dxPtr, x.length), expectedDx, `softmaxGrad ${rows}x${cols}`, 1e-5, 1e-6);
          }
        }
      });
    }

    // --- optimizers -------------------------------------------------------------------------------------

    for (const [momentum, nesterov] of [[0, false], [0.9, false], [0.9, true]] as [number, boolean][]) {
      it(`sgd (momentum ${momentum}, nesterov ${nesterov}) matches tfjs's formula over several steps`, (ctx) => {
        if (!available) ctx.skip();
        for (const n of [1, 3, 17, 127, 513]) {
          rt.reset();
          rt.chunks = 3;
          const param = Array.from(randomValues(n, n));
          const velocity = new Array(n).fill(0);
          const paramPtr = rt.putF32(param), velocityPtr = momentum ? rt.putF32(velocity) : 0;
          const lr = 0.05;
          for (let step = 0; step < 5; step++) {
            const grad = randomValues(n, 100 * step + n, -2, 2);
            const gradPtr = rt.putF32(grad);
            runSgd(rt, paramPtr, gradPtr, velocityPtr, n, lr, momentum, nesterov);
            for (let i = 0; i < n; i++) {
              if (momentum === 0) { param[i] -= lr * grad[i]; continue; }
              velocity[i] = momentum * velocity[i] + grad[i];
              param[i] -= lr * (nesterov ? grad[i] + momentum * velocity[i] : velocity[i]);
            }
          }
          expectAllClose(rt.readF32(paramPtr, n), param, `sgd params n=${n}`, 1e-5, 1e-6);
          if (momentum) expectAllClose(rt.readF32(velocityPtr, n), velocity, `sgd velocity n=${n}`, 1e-5, 1e-6);
        }
      });
    }

    for (const weightDecay of [0, 0.01]) {
      it(`adam (weightDecay ${weightDecay}) matches the bias-corrected formula over several steps`, (ctx) => {
        if (!available) ctx.skip();
        const lr = 0.01, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7;
        for (const n of [1, 3, 17, 127, 513]) {
          rt.reset();
          rt.chunks = 2;
          const param = Array.from(randomValues(n, n + 5));
          const m = new Array(n).fill(0), v = new Array(n).fill(0);
          const paramPtr = rt.putF32(param), mPtr = rt.putF32(m), vPtr = rt.putF32(v);
          for (let step = 1; step <= 6; step++) {
            const grad = randomValues(n, 10 * step + n, -1, 1);
            const gradPtr = rt.putF32(grad);
            runAdam(rt, paramPtr, gradPtr, mPtr, vPtr, n, lr, beta1, beta2, epsilon, weightDecay, step);
            for (let i = 0; i < n; i++) {
              m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
              v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
              const mHat = m[i] / (1 - beta1 ** step), vHat = v[i] / (1 - beta2 ** step);
              param[i] -= lr * (mHat / (Math.sqrt(vHat) + epsilon) + weightDecay * param[i]);
            }
          }
          expectAllClose(rt.readF32(paramPtr, n), param, `adam params n=${n}`, 1e-5, 1e-6);
          expectAllClose(rt.readF32(mPtr, n), m, `adam m n=${n}`, 1e-5, 1e-7);
          expectAllClose(rt.readF32(vPtr, n), v, `adam v n=${n}`, 1e-5, 1e-8);
        }
      });
    }
  });
}
