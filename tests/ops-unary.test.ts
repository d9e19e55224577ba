// Unary ops: forward vs tfjs-cpu (and a float64 erf/gelu for the ops tfjs lacks), dtype rules,
// special values, gradients vs float64 finite differences and vs tfjs, second derivatives, errors, memory.
import { expect, it } from 'vitest';
import {
  analyticGradients, checkGradients, describeEachBackend, expectClose, loadTfjs, numericGradients, randomValues, tf,
  tfjsGradients,
} from './helpers.js';
import type { Tensor, TfjsTensor } from './helpers.js';

const tfjs = await loadTfjs();

/** erf by its Maclaurin series in float64; exact to ~1e-12 for |x| <= 4, which is all the tests use. */
function erf64(x: number): number {
  let term = x;
  let total = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const next = term / (2 * n + 1);
    total += next;
    if (Math.abs(next) < 1e-17 * Math.abs(total)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}
const gelu64 = (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2));

interface UnaryCase {
  name: string;
  op: (x: Tensor) => Tensor;
  /** The tfjs op, or (exact) a float64 scalar function where tfjs has none. */
  peer?: (x: TfjsTensor) => TfjsTensor;
  exact?: (x: number) => number;
  low: number;
  high: number;
  /** Differentiable: gradient checked vs finite differences (and tfjs when `expected` is a tfjs op). */
  grad?: boolean;
  rtol?: number;
}

const CASES: UnaryCase[] = [
  { name: 'neg', op: tf.neg, peer: (x) => tfjs.neg(x), low: -3, high: 3, grad: true },
  { name: 'abs', op: tf.abs, peer: (x) => tfjs.abs(x), low: -3, high: 3, grad: true },
  { name: 'square', op: tf.square, peer: (x) => tfjs.square(x), low: -3, high: 3, grad: true },
  { name: 'sqrt', op: tf.sqrt, peer: (x) => tfjs.sqrt(x), low: 0.1, high: 9, grad: true },
  { name: 'rsqrt', op: tf.rsqrt, peer: (x) => tfjs.rsqrt(x), low: 0.1, high: 9, grad: true },
  { name: 'exp', op: tf.exp, peer: (x) => tfjs.exp(x), low: -10, high: 10, grad: true },
  { name: 'expm1', op: tf.expm1, peer: (x) => tfjs.expm1(x), low: -3, high: 3, grad: true },
  { name: 'log', op: tf.log, peer: (x) => tfjs.log(x), low: 0.05, high: 20, grad: true },
  { name: 'log1p', op: tf.log1p, peer: (x) => tfjs.log1p(x), low: -0.9, high: 5, grad: true },
  { name: 'reciprocal', op: tf.reciprocal, peer: (x) => tfjs.reciprocal(x), low: 0.2, high: 4, grad: true },
  { name: 'relu', op: tf.relu, peer: (x) => tfjs.relu(x), low: -3, high: 3, grad: true },
  { name: 'relu6', op: tf.relu6, peer: (x) => tfjs.relu6(x), low: -3, high: 9, grad: true },
  { name: 'leakyRelu', op: (x) => tf.leakyRelu(x), peer: (x) => tfjs.leakyRelu(x), low: -3, high: 3, grad: true },
  { name: 'leakyRelu(0.05)', op: (x) => tf.leakyRelu(x, 0.05), peer: (x) => tfjs.leakyRelu(x, 0.05), low: -3, high: 3, grad: true },
  { name: 'elu', op: tf.elu, peer: (x) => tfjs.elu(x), low: -4, high: 3, grad: true },
  { name: 'selu', op: tf.selu, peer: (x) => tfjs.selu(x), low: -4, high: 3, grad: true },
  { name: 'sigmoid', op: tf.sigmoid, peer: (x) => tfjs.sigmoid(x), low: -12, high: 12, grad: true },
  { name: 'tanh', op: tf.tanh, peer: (x) => tfjs.tanh(x), low: -6, high: 6, grad: true },
  { name: 'gelu', op: tf.gelu, exact: gelu64, low: -4, high: 4, grad: true },
  { name: 'softplus', op: tf.softplus, peer: (x) => tfjs.softplus(x), low: -20, high: 20, grad: true },
  { name: 'softsign', op: tf.softsign, exact: (x: number) => x / (1 + Math.abs(x)), low: -5, high: 5, grad: true },
  { name: 'logSigmoid', op: tf.logSigmoid, peer: (x) => tfjs.logSigmoid(x), low: -20, high: 20, grad: true },
  { name: 'sin', op: tf.sin, peer: (x) => tfjs.sin(x), low: -6, high: 6, grad: true },
  { name: 'cos', op: tf.cos, peer: (x) => tfjs.cos(x), low: -6, high: 6, grad: true },
  { name: 'erf', op: tf.erf, exact: erf64, low: -3.5, high: 3.5, grad: true },
  { name: 'sign', op: tf.sign, peer: (x) => tfjs.sign(x), low: -3, high: 3 },
  { name: 'floor', op: tf.floor, peer: (x) => tfjs.floor(x), low: -5, high: 5 },
  { name: 'ceil', op: tf.ceil, peer: (x) => tfjs.ceil(x), low: -5, high: 5 },
  { name: 'round', op: tf.round, peer: (x) => tfjs.round(x), low: -5, high: 5 },
  { name: 'step', op: (x) => tf.step(x), peer: (x) => tfjs.step(x), low: -3, high: 3 },
  { name: 'step(0.3)', op: (x) => tf.step(x, 0.3), peer: (x) => tfjs.step(x, 0.3), low: -3, high: 3 },
];

/** Moves values that sit within 0.05 of a kink (0, and 6 for relu6) away from it, for finite differences. */
function awayFromKinks(values: Float32Array): number[] {
  return Array.from(values, (v) => {
    for (const kink of [0, 6]) if (Math.abs(v - kink) < 0.05) return kink + (v < kink ? -0.1 : 0.1);
    return v;
  });
}

function expectedValues(c: UnaryCase, values: ArrayLike<number>, shape: number[]): ArrayLike<number> {
  if (c.exact) return Array.from(values, c.exact);
  return c.peer!(tfjs.tensor(Array.from(values), shape)).dataSync();
}

describeEachBackend('unary ops', () => {
  for (const c of CASES) {
    it(`${c.name}: forward vs ${c.exact ? 'float64' : 'tfjs'} at sizes 1, 3, 17, 127, 513`, () => {
      for (const [size, seed] of [[1, 1], [3, 2], [17, 3], [127, 4], [513, 5]]) {
        const values = randomValues(size, seed, c.low, c.high);
        const shape = size === 513 ? [27, 19] : [size];
        const actual = tf.tidy(() => c.op(tf.tensor(values, shape)).dataSync());
        expectClose(actual, expectedValues(c, values, shape), { rtol: c.rtol ?? 2e-5, atol: 2e-6 });
      }
    });

    if (c.grad) {
      it(`${c.name}: gradient vs finite differences${c.exact ? '' : ' and tfjs'}`, () => {
        const input = { values: awayFromKinks(randomValues(17, 11, c.low, c.high)), shape: [17] };
        const analytic = analyticGradients(c.op, [input])[0];
        expectClose(analytic, numericGradients(c.op, [input])[0], { rtol: 2e-3, atol: 2e-4 });
        if (c.peer) {
          const reference = tfjsGradients(tfjs, c.peer, [input])[0];
          expectClose(analytic, reference, { rtol: 1e-3, atol: 1e-5 });
        }
      });
    }
  }

  it('second derivatives (grad of grad) vs finite differences of the first derivative', () => {
    const ops: [string, (x: Tensor) => Tensor, number, number][] = [
      ['tanh', tf.tanh, -2, 2], ['sigmoid', tf.sigmoid, -4, 4], ['gelu', tf.gelu, -3, 3], ['softplus', tf.softplus, -4, 4],
      ['elu', tf.elu, -3, 3], ['selu', tf.selu, -3, 3], ['exp', tf.exp, -2, 2], ['log', tf.log, 0.3, 3],
      ['sqrt', tf.sqrt, 0.3, 4], ['rsqrt', tf.rsqrt, 0.3, 4], ['erf', tf.erf, -2, 2], ['sin', tf.sin, -3, 3],
      ['reciprocal', tf.reciprocal, 0.5, 3], ['logSigmoid', tf.logSigmoid, -4, 4],
    ];
    for (const [name, op, low, high] of ops) {
      const firstDerivative = (x: Tensor) => tf.grad((u: Tensor) => tf.sum(op(u)))(x);
      const input = { values: awayFromKinks(randomValues(9, 21, low, high)), shape: [9] };
      const analytic = analyticGradients(firstDerivative, [input])[0];
      const numeric = numericGradients(firstDerivative, [input])[0];
      try {
        expectClose(analytic, numeric, { rtol: 3e-3, atol: 3e-4 });
      } catch (error) {
        throw new Error(`${name}'' : ${(error as Error).message}`);
      }
    }
  });

  it('third derivative of tanh through the fused gradient kernels', () => {
    const second = (x: Tensor) => tf.grad((u: Tensor) => tf.sum(tf.grad((v: Tensor) => tf.sum(tf.tanh(v)))(u)))(x);
    const input = { values: Array.from(randomValues(5, 31, -1.5, 1.5)), shape: [5] };
    // d³/dx³ tanh = −2 sech²(x) (1 − 3 tanh²(x))
    const third = input.values.map((x) => -2 * (1 - Math.tanh(x) ** 2) * (1 - 3 * Math.tanh(x) ** 2));
    const weights = input.values.map((_, i) => 1 + 0.1 * (i % 7));
    expectClose(analyticGradients(second, [input])[0], third.map((v, i) => v * weights[i]), { rtol: 1e-3, atol: 1e-4 });
  });

  it('dtypes: integer-exact ops keep int32 (bool counts as int32), float math returns float32', () => {
    tf.tidy(() => {
      const ints = tf.tensor([-3, 0, 2], [3], 'int32');
      for (const op of [tf.neg, tf.abs, tf.square, tf.sign, tf.relu, tf.relu6, tf.floor, tf.ceil, tf.round, (x: Tensor) => tf.step(x)]) {
        expect(op(ints).dtype).toBe('int32');
      }
      expect(Array.from(tf.neg(ints).dataSync())).toEqual([3, -0, -2].map((v) => v + 0));
      expect(Array.from(tf.square(ints).dataSync())).toEqual([9, 0, 4]);
      expect(Array.from(tf.sign(ints).dataSync())).toEqual([-1, 0, 1]);
      expect(Array.from(tf.relu(ints).dataSync())).toEqual([0, 0, 2]);
      expect(Array.from(tf.round(ints).dataSync())).toEqual([-3, 0, 2]);
      const e = tf.exp(ints);
      expect(e.dtype).toBe('float32');
      expectClose(e.dataSync(), [Math.exp(-3), 1, Math.exp(2)], { rtol: 1e-6 });
      expect(tf.sigmoid(tf.tensor([true, false])).dtype).toBe('float32');
      expect(tf.abs(tf.tensor([true, false])).dtype).toBe('int32');
      expect(tf.leakyRelu(ints).dtype).toBe('float32');
      expect(tf.step(ints, 0.5).dtype).toBe('float32');
      const clippedInts = tf.clipByValue(ints, -1, 1);
      expect(clippedInts.dtype).toBe('int32');
      expect(Array.from(clippedInts.dataSync())).toEqual([-1, 0, 1]);
    });
  });

  it('special values: NaN, ±Infinity, signed zero, round half to even, large |x|', () => {
    tf.tidy(() => {
      const special = tf.tensor([NaN, Infinity, -Infinity, 0, -0, 2.5, -2.5, 0.5, 1.5, 3.5]);
      const round = tf.round(special).dataSync();
      expectClose(Array.from(round).slice(5), [2, -2, 0, 2, 4]);
      expect(Number.isNaN(round[0])).toBe(true);
      expectClose(tf.sign(special).dataSync(), tfjs.sign(tfjs.tensor([NaN, Infinity, -Infinity, 0, -0, 2.5, -2.5, 0.5, 1.5, 3.5])).dataSync());
      expectClose(tf.relu(tf.tensor([NaN, -1, 2])).dataSync(), [NaN, 0, 2]);
      expectClose(tf.sigmoid(tf.tensor([-100, 100, 0])).dataSync(), [0, 1, 0.5], { atol: 1e-30 });
      expectClose(tf.softplus(tf.tensor([-100, 100, 0])).dataSync(), [Math.exp(-100), 100, Math.LN2], { rtol: 1e-5, atol: 1e-40 });
      expectClose(tf.logSigmoid(tf.tensor([-100, 100])).dataSync(), [-100, -Math.exp(-100)], { rtol: 1e-5, atol: 1e-40 });
      expectClose(tf.tanh(tf.tensor([-50, 50])).dataSync(), [-1, 1]);
      expectClose(tf.exp(tf.tensor([-Infinity, 100])).dataSync(), [0, Infinity]);
      expectClose(tf.log(tf.tensor([0, -1])).dataSync(), [-Infinity, NaN]);
      expectClose(tf.step(tf.tensor([NaN, -1, 0, 1]), 0.3).dataSync(), [NaN, 0.3, 0.3, 1], { rtol: 1e-6 });
      expectClose(tf.gelu(tf.tensor([-10, 10])).dataSync(), [0, 10], { atol: 1e-6 });
    });
  });

  // gelu(±∞) is left out: x·Φ(x) is −∞·0 = NaN at −∞ in TensorFlow too.
  it('infinities: erf(±∞) = ±1 (as tfjs), sigmoid/tanh/softplus/elu saturate', () => {
    tf.tidy(() => {
      const infinities = [-Infinity, Infinity];
      expectClose(tf.erf(tf.tensor(infinities)).dataSync(), [-1, 1]);
      expectClose(tf.sigmoid(tf.tensor(infinities)).dataSync(), [0, 1]);
      expectClose(tf.tanh(tf.tensor(infinities)).dataSync(), [-1, 1]);
      expectClose(tf.softplus(tf.tensor(infinities)).dataSync(), [0, Infinity]);
      expectClose(tf.elu(tf.tensor(infinities)).dataSync(), [-1, Infinity]);
    });
  });

  it('isNaN, isInf, isFinite are bool and match tfjs', () => {
    const values = [NaN, Infinity, -Infinity, 0, -3.5, 1e30];
    tf.tidy(() => {
      const x = tf.tensor(values);
      for (const name of ['isNaN', 'isInf', 'isFinite'] as const) {
        const out = tf[name](x);
        expect(out.dtype).toBe('bool');
        expect(Array.from(out.dataSync())).toEqual(Array.from(tfjs[name](tfjs.tensor(values)).dataSync()));
      }
      expect(Array.from(tf.isFinite(tf.tensor([1, 2], [2], 'int32')).dataSync())).toEqual([1, 1]);
      expect(Array.from(tf.isNaN(tf.tensor([1, 2], [2], 'int32')).dataSync())).toEqual([0, 0]);
    });
  });

  it('prelu: forward and gradients (x and a broadcast alpha) vs tfjs and finite differences', () => {
    const x = { values: awayFromKinks(randomValues(12, 41, -2, 2)), shape: [4, 3] };
    const alpha = { values: Array.from(randomValues(3, 42, 0.05, 0.5)), shape: [3] };
    const f = (a: Tensor, b: Tensor) => tf.prelu(a, b);
    const g = (a: TfjsTensor, b: TfjsTensor) => tfjs.prelu(a, b);
    const forward = tf.tidy(() => f(tf.tensor(x.values, x.shape), tf.tensor(alpha.values, alpha.shape)).dataSync());
    expectClose(forward, g(tfjs.tensor(x.values, x.shape), tfjs.tensor(alpha.values, alpha.shape)).dataSync(), { rtol: 1e-6 });
    checkGradients(tfjs, f, g, [x, alpha], { numeric: { rtol: 2e-3, atol: 2e-4 } });
  });

  it('clipByValue: forward, inclusive-bound gradient as tfjs, finite differences', () => {
    const values = [-2, -1, -0.5, 0, 0.7, 1, 3];
    const f = (x: Tensor) => tf.clipByValue(x, -1, 1);
    const forward = tf.tidy(() => f(tf.tensor(values)).dataSync());
    expectClose(forward, [-1, -1, -0.5, 0, 0.7, 1, 1]);
    const analytic = analyticGradients(f, [{ values, shape: [7] }])[0];
    expectClose(analytic, tfjsGradients(tfjs, (x) => tfjs.clipByValue(x, -1, 1), [{ values, shape: [7] }])[0]);
    const smooth = { values: Array.from(randomValues(17, 51, -3, 3)).map((v) => (Math.abs(Math.abs(v) - 1) < 0.05 ? v * 1.2 : v)), shape: [17] };
    expectClose(analyticGradients(f, [smooth])[0], numericGradients(f, [smooth])[0], { rtol: 2e-3, atol: 2e-4 });
  });

  it('non-differentiable ops pass zero gradients, like tfjs', () => {
    for (const op of [tf.sign, tf.floor, tf.ceil, tf.round, (x: Tensor) => tf.step(x)]) {
      const grad = analyticGradients(op, [{ values: [-1.3, 0.4, 2.6], shape: [3] }])[0];
      expect(Array.from(grad)).toEqual([0, 0, 0]);
    }
  });

  it('bad inputs fail naming the op', () => {
    expect(() => tf.clipByValue(tf.tensor([1, 2]), 2, 1)).toThrow(/clipByValue.*clipValueMin/);
    expect(() => tf.prelu(tf.tensor([[1, 2, 3]]), tf.tensor([1, 2]))).toThrow(/\[1,3\].*\[2\]|\[2\].*\[1,3\]/);
    expect(() => tf.exp(null as unknown as Tensor)).toThrow(/exp/);
    expect(() => tf.sigmoid([[1, 2], [3]] as unknown as number[])).toThrow(/sigmoid.*ragged/);
    const disposed = tf.tensor([1]);
    disposed.dispose();
    expect(() => tf.tanh(disposed)).toThrow(/tanh.*disposed/);
  });

  it('memory: forward and gradients inside tidy leave tensors and bytes flat', () => {
    const x = tf.tensor(randomValues(33, 61, 0.1, 2));
    const before = tf.memory();
    tf.tidy(() => {
      for (const c of CASES) c.op(x);
      tf.isFinite(x);
      tf.clipByValue(x, 0.5, 1.5);
      tf.prelu(x, 0.1);
    });
    for (const c of CASES.filter((k) => k.grad)) {
      tf.tidy(() => {
        tf.grad((u: Tensor) => tf.sum(c.op(u)))(x);
      });
    }
    tf.tidy(() => {
      tf.grad((u: Tensor) => tf.sum(tf.grad((v: Tensor) => tf.sum(tf.gelu(v)))(u)))(x);
    });
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    x.dispose();
  });
});
