// Kernel-level tests of unary, unaryGrad, binary, compare and transpose (assembly/ + src/backend/wasm/
// wrappers) against plain-JS float64 references, on odd sizes, special values and split ranges.
import { beforeAll, describe, expect, it } from 'vitest';
import { UNARY_OP_CODE, BINARY_OP_CODE, COMPARE_OP_CODE, type UnaryOp, type UnaryGradOp, type BinaryOp, type CompareOp } from '../src/backend/backend.js';
import { runUnary, runUnaryGrad, runBinary, runCompare } from '../src/backend/wasm/elementwise.js';
import { runTranspose } from '../src/backend/wasm/transpose.js';
import { broadcastStrides, collapsedBroadcast } from '../src/backend/wasm/broadcast.js';
import { FakeRuntime, compileKernels, randomValues, relaxedSimdAvailable } from './kernels-harness.js';

// --- float64 references ---------------------------------------------------------------------------------

function erfSeries(x: number): number {
  let sum = 0;
  let term = x;
  for (let n = 0; n < 300; n++) {
    const contribution = term / (2 * n + 1);
    sum += contribution;
    term *= -x * x / (n + 1);
    if (Math.abs(contribution) < 1e-17 * Math.abs(sum)) break;
  }
  return sum * 2 / Math.sqrt(Math.PI);
}
/** erfc for x >= 2.5 by its continued fraction (evaluated backwards). */
function erfcContinuedFraction(x: number): number {
  let f = 0;
  for (let k = 300; k >= 1; k--) f = (k / 2) / (x + f);
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
}
function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  return x < 2.5 ? 1 - erfSeries(x) : erfcContinuedFraction(x);
}
function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < 2.5) return erfSeries(x);
  return Math.sign(x) * (1 - erfcContinuedFraction(Math.abs(x)));
}
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_ALPHA = 1.6732632423543772848170429916717;
const normalCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Round half to even, like tf.round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const UNARY_REFERENCE: Record<UnaryOp, (x: number, alpha: number) => number> = {
  neg: (x) => -x, abs: Math.abs, square: (x) => x * x, sqrt: Math.sqrt, rsqrt: (x) => 1 / Math.sqrt(x),
  exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, reciprocal: (x) => 1 / x,
  relu: (x) => (Number.isNaN(x) ? NaN : Math.max(0, x)), relu6: (x) => (Number.isNaN(x) ? NaN : Math.min(6, Math.max(0, x))),
  leakyRelu: (x, a) => (x > 0 ? x : a * x), elu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)), sigmoid, tanh: Math.tanh,
  gelu: (x) => x * normalCdf(x), softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  sin: Math.sin, cos: Math.cos, sign: (x) => (Number.isNaN(x) ? 0 : Math.sign(x)), floor: Math.floor, ceil: Math.ceil, round: roundHalfEven,
  step: (x, a) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : a), erf, logicalNot: (x) => (x === 0 ? 1 : 0),
};

/** Inputs per op: where the function is defined and interesting. */
function unaryInputs(op: UnaryOp, n: number, seed: number): Float32Array {
  if (op === 'log' || op === 'sqrt' || op === 'rsqrt') return randomValues(n, seed, 1e-3, 50);
  if (op === 'log1p') return randomValues(n, seed, -0.999, 20);
  if (op === 'exp' || op === 'expm1') return randomValues(n, seed, -30, 30);
  if (op === 'sin' || op === 'cos') return randomValues(n, seed, -100, 100);
  if (op === 'logicalNot') return randomValues(n, seed, 0, 1).map((v) => (v < 0.5 ? 0 : 1));
  if (op === 'round') return randomValues(n, seed, -6, 6).map((v, i) => (i % 3 === 0 ? Math.trunc(v) + 0.5 : v));
  return randomValues(n, seed, -12, 12);
}

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1e30, -1e30, 1e-30, -1e-30, 1e-40, -1e-40, 88.5, 89, -87.5,
  -103, -110, 1, -1, 0.5, -0.5, 2.5, 1e-7, 9, -9, 15, -15, 17, 3.4e38, -3.4e38, 0.99999994, 1.0000001];
/** sin/cos use a float64 Cody–Waite reduction: accurate for |x| < 2^30, not beyond (documented gap). */
const TRIG_SPECIALS = SPECIALS.filter((v) => !(Math.abs(v) > 1e9));

// Looser than the 1e-5 default where the float32 input itself is ill-conditioned for the function:
// (tan/exp of large arguments amplify the input's rounding, but the reference sees the same float32 input,
// so no op needs it except the float64-evaluated trig near its zeros).
const RTOL = 1e-5;

/** |actual - expected| <= rtol |expected| + atol, NaN matches NaN, infinities must match exactly. */
function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, rtol = RTOL, atol = 1e-37): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = Math.fround(expected[i]);
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= rtol * Math.abs(e) + atol;
    if (!ok) expect.fail(`${label}: index ${i}: got ${a}, expected ${e} (float64 ${expected[i]})`);
  }
}

const SIZES = [1, 3, 17, 127, 513];

for (const features of ['simd', 'simd,relaxed-simd']) {
  describe(`elementwise kernels (${features})`, () => {
    const rt = new FakeRuntime();
    let available = true;
    beforeAll(async () => {
      if (features !== 'simd' && !(await relaxedSimdAvailable())) { available = false; return; }
      await rt.init(await compileKernels(features));
    });

    function unaryOnce(op: UnaryOp, input: ArrayLike<number>, alpha: number, chunks = 1): Float32Array {
      rt.reset();
      rt.chunks = chunks;
      const x = rt.putF32(input);
      const y = rt.alloc(input.length * 4);
      runUnary(rt, UNARY_OP_CODE[op], x, y, input.length, alpha);
      return rt.readF32(y, input.length);
    }

    for (const op of Object.keys(UNARY_OP_CODE) as UnaryOp[]) {
      it(`unary ${op}: random sizes, special values, split ranges`, (ctx) => {
        if (!available) ctx.skip();
        const alpha = op === 'leakyRelu' ? 0.2 : op === 'step' ? 0.3 : 0;
        const reference = UNARY_REFERENCE[op];
        for (const n of SIZES) {
          const input = unaryInputs(op, n, n + op.length);
          const got = unaryOnce(op, input, alpha);
          expectAllClose(got, Array.from(input, (v) => reference(v, alpha)), `${op} n=${n}`);
          if (n === 513) expect(unaryOnce(op, input, alpha, 7)).toEqual(got);
        }
        const specials = Float32Array.from(op === 'sin' || op === 'cos' ? TRIG_SPECIALS : SPECIALS);
        expectAllClose(unaryOnce(op, specials, alpha), Array.from(specials, (v) => reference(v, alpha)), `${op} specials`);
      });
    }

    it('exp, log, tanh, sigmoid, erf, gelu stay within a few ulp over a dense sweep', (ctx) => {
      if (!available) ctx.skip();
      const sweep = (lo: number, hi: number, n: number) => Float32Array.from({ length: n }, (_, i) => lo + (hi - lo) * i / (n - 1));
      const cases: [UnaryOp, Float32Array, number][] = [
        ['exp', sweep(-103, 88.7, 20001), 3e-7], ['expm1', sweep(-20, 20, 20001), 3e-7],
        ['log', Float32Array.from({ length: 20001 }, (_, i) => Math.pow(2, -140 + i * 268 / 20000)), 2e-7],
        ['log1p', sweep(-0.99, 5, 20001), 3e-7], ['tanh', sweep(-10, 10, 20001), 4e-7],
        ['sigmoid', sweep(-80, 40, 20001), 4e-7], ['erf', sweep(-5, 5, 20001), 6e-7],
        ['gelu', sweep(-13, 8, 20001), 1e-6], ['softplus', sweep(-80, 40, 20001), 4e-7],
      ];
      for (const [op, input, rtol] of cases) {
        expectAllClose(unaryOnce(op, input, 0), Array.from(input, (v) => UNARY_REFERENCE[op](v, 0)), `${op} sweep`, rtol, 1e-44);
      }
    });

    const GRAD_REFERENCE: Record<UnaryGradOp, { usesY: boolean; derivative: (v: number, alpha: number) => number }> = {
      relu: { usesY: false, derivative: (x) => (x > 0 ? 1 : 0) },
      relu6: { usesY: false, derivative: (x) => (x > 0 && x <= 6 ? 1 : 0) },
      leakyRelu: { usesY: false, derivative: (x, a) => (x > 0 ? 1 : a) },
      elu: { usesY: false, derivative: (x) => (x > 0 ? 1 : Math.exp(x)) },
      selu: { usesY: false, derivative: (x) => SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x)) },
      sigmoid: { usesY: true, derivative: (y) => y * (1 - y) },
      tanh: { usesY: true, derivative: (y) => 1 - y * y },
      gelu: { usesY: false, derivative: (x) => normalCdf(x) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI) },
      softplus: { usesY: false, derivative: sigmoid },
      sqrt: { usesY: true, derivative: (y) => 1 / (2 * y) },
      rsqrt: { usesY: true, derivative: (y) => -0.5 * y * y * y },
      exp: { usesY: true, derivative: (y) => y },
      log: { usesY: false, derivative: (x) => 1 / x },
      abs: { usesY: false, derivative: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0) },
      erf: { usesY: false, derivative: (x) => 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) },
    };

    for (const op of Object.keys(GRAD_REFERENCE) as UnaryGradOp[]) {
      it(`unaryGrad ${op} = dy * f'`, (ctx) => {
        if (!available) ctx.skip();
        const { usesY, derivative } = GRAD_REFERENCE[op];
        const alpha = op === 'leakyRelu' ? 0.1 : 0;
        for (const n of SIZES) {
          let input = randomValues(n, 3 * n + 1, -6, 6);
          if (op === 'log') input = randomValues(n, 3 * n + 1, 0.01, 10);
          if (usesY) input = input.map((x) => UNARY_REFERENCE[op](x, alpha)); // the kernel reads y = f(x)
          if (op === 'sqrt' || op === 'rsqrt') input = randomValues(n, 3 * n + 1, 0.1, 5);
          if (n === 17) input[0] = 0; // relu'(0) = 0, abs'(0) = 0 (tfjs: -1; see assembly/unary.ts)
          const dyValues = randomValues(n, 5 * n + 2, -2, 2);
          for (const chunks of [1, 5]) {
            rt.reset();
            rt.chunks = chunks;
            const xPtr = rt.putF32(input), dyPtr = rt.putF32(dyValues), dxPtr = rt.alloc(n * 4);
            runUnaryGrad(rt, UNARY_OP_CODE[op], xPtr, dyPtr, dxPtr, n, alpha);
            const expected = Array.from(input, (v, i) => dyValues[i] * derivative(v, alpha));
            expectAllClose(rt.readF32(dxPtr, n), expected, `${op}' n=${n}`, 2e-6, 1e-6);
          }
        }
      });
    }

    // --- broadcasting ---------------------------------------------------------------------------------

    const BINARY_REFERENCE: Record<BinaryOp, (a: number, b: number) => number> = {
      add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b,
      maximum: Math.max, minimum: Math.min, pow: Math.pow, squaredDifference: (a, b) => (a - b) * (a - b),
      floorDiv: (a, b) => Math.floor(a / b),
      mod: (a, b) => { const r = a % b; return (a < 0 && b < 0) || (a >= 0 && b >= 0) ? r : (r + b) % b; },
      atan2: Math.atan2,
    };
    const COMPARE_REFERENCE: Record<CompareOp, (a: number, b: number) => boolean> = {
      equal: (a, b) => a === b, notEqual: (a, b) => a !== b, less: (a, b) => a < b, lessEqual: (a, b) => a <= b,
      greater: (a, b) => a > b, greaterEqual: (a, b) => a >= b,
      logicalAnd: (a, b) => a !== 0 && b !== 0, logicalOr: (a, b) => a !== 0 || b !== 0,
    };

    /** Plain broadcast walk of the output, independent of the collapsing helpers. */
    function broadcastReference(aShape: number[], a: ArrayLike<number>, bShape: number[], b: ArrayLike<number>,
      outShape: number[], f: (x: number, y: number) => number): number[] {
      const total = outShape.reduce((p, d) => p * d, 1);
      const out: number[] = [];
      const indexOf = (shape: number[], coords: number[]) => {
        let index = 0;
        const offset = coords.length - shape.length;
        for (let d = 0; d < shape.length; d++) index = index * shape[d] + (shape[d] === 1 ? 0 : coords[offset + d]);
        return index;
      };
      for (let i = 0; i < total; i++) {
        const coords: number[] = [];
        let rest = i;
        for (let d = outShape.length - 1; d >= 0; d--) { coords[d] = rest % outShape[d]; rest = Math.floor(rest / outShape[d]); }
        out.push(f(a[indexOf(aShape, coords)], b[indexOf(bShape, coords)]));
      }
      return out;
    }

    const SHAPE_CASES: [number[], number[], number[]][] = [
      [[513], [513], [513]], [[3, 1, 5], [1, 4, 5], [3, 4, 5]], [[], [127], [127]], [[17], [], [17]],
      [[17], [4, 17], [4, 17]], [[4, 1], [1, 17], [4, 17]], [[2, 3, 4, 5], [3, 1, 5], [2, 3, 4, 5]],
      [[5, 1, 3], [5, 7, 1], [5, 7, 3]], [[1], [1], [1]], [[2, 1, 1, 9], [1, 6, 1, 1], [2, 6, 1, 9]],
    ];

    function binaryLike(kind: 'binary' | 'compare', op: number, aShape: number[], a: Float32Array, bShape: number[],
      b: Float32Array, outShape: number[], chunks: number): Float32Array | Int32Array {
      rt.reset();
      rt.chunks = chunks;
      const total = outShape.reduce((p, d) => p * d, 1);
      const aPtr = rt.putF32(a), bPtr = rt.putF32(b), outPtr = rt.alloc(total * 4);
      (kind === 'binary' ? runBinary : runCompare)(rt, op, aPtr, aShape, bPtr, bShape, outPtr, outShape);
      expect(rt.allocatedBytes()).toBe((a.length + b.length + total) * 4); // meta freed
      return kind === 'binary' ? rt.readF32(outPtr, total) : rt.readI32(outPtr, total);
    }

    for (const op of Object.keys(BINARY_OP_CODE) as BinaryOp[]) {
      it(`binary ${op} with broadcasting`, (ctx) => {
        if (!available) ctx.skip();
        for (const [aShape, bShape, outShape] of SHAPE_CASES) {
          const sizeOf = (s: number[]) => s.reduce((p, d) => p * d, 1);
          let a = randomValues(sizeOf(aShape), 11 + sizeOf(aShape), -5, 5);
          let b = randomValues(sizeOf(bShape), 13 + sizeOf(bShape), -5, 5);
          if (op === 'pow') { // integer exponents for negative bases, and positive bases with real exponents
            b = b.map((v, i) => (i % 2 === 0 ? Math.round(v) : v));
            a = a.map((v, i) => (i % 3 === 0 ? Math.abs(v) : v));
          }
          if (op === 'floorDiv' || op === 'mod') b = b.map((v) => (Math.abs(v) < 0.5 ? v + 1 : v));
          const expected = broadcastReference(aShape, a, bShape, b, outShape, BINARY_REFERENCE[op]);
          for (const chunks of [1, 3]) {
            const got = binaryLike('binary', BINARY_OP_CODE[op], aShape, a, bShape, b, outShape, chunks);
            expectAllClose(got, expected, `${op} ${aShape}x${bShape} chunks=${chunks}`, 2e-6, 1e-6);
          }
        }
      });
    }

    it('binary special values: pow, mod, floorDiv, atan2, maximum with NaN/inf', (ctx) => {
      if (!available) ctx.skip();
      const values = [0, -0, 1, -1, 2, -2, 0.5, -3, Infinity, -Infinity, NaN, 7.5, -7.5];
      const a: number[] = [], b: number[] = [];
      for (const x of values) for (const y of values) { a.push(x); b.push(y); }
      for (const op of ['pow', 'mod', 'floorDiv', 'atan2', 'maximum', 'minimum', 'div'] as BinaryOp[]) {
        const got = binaryLike('binary', BINARY_OP_CODE[op], [a.length], Float32Array.from(a), [b.length], Float32Array.from(b), [a.length], 1);
        expectAllClose(got, a.map((x, i) => BINARY_REFERENCE[op](x, b[i])), `${op} specials`, 1e-6, 0);
      }
    });

    for (const op of Object.keys(COMPARE_OP_CODE) as CompareOp[]) {
      it(`compare ${op} writes i32 0/1 with broadcasting`, (ctx) => {
        if (!available) ctx.skip();
        for (const [aShape, bShape, outShape] of SHAPE_CASES) {
          const sizeOf = (s: number[]) => s.reduce((p, d) => p * d, 1);
          // Few distinct values so that equality happens; some zeros and NaNs for the logical ops.
          const pick = (n: number, seed: number) => randomValues(n, seed, 0, 5).map((v) => [0, 1, 2, NaN, -1][Math.floor(v)]);
          const a = pick(sizeOf(aShape), 17 + sizeOf(aShape)), b = pick(sizeOf(bShape), 19 + sizeOf(bShape));
          const expected = broadcastReference(aShape, a, bShape, b, outShape, (x, y) => (COMPARE_REFERENCE[op](x, y) ? 1 : 0));
          for (const chunks of [1, 4]) {
            expect(Array.from(binaryLike('compare', COMPARE_OP_CODE[op], aShape, a, bShape, b, outShape, chunks))).toEqual(expected);
          }
        }
      });
    }

    // --- transpose -------------------------------------------------------------------------------------

    function transposeReference(values: ArrayLike<number>, shape: number[], perm: number[]): number[] {
      const outShape = perm.map((axis) => shape[axis]);
      const inStrides = shape.map((_, d) => shape.slice(d + 1).reduce((p, s) => p * s, 1));
      const total = shape.reduce((p, d) => p * d, 1);
      const out: number[] = [];
      for (let i = 0; i < total; i++) {
        let rest = i, offset = 0;
        for (let d = outShape.length - 1; d >= 0; d--) { offset += (rest % outShape[d]) * inStrides[perm[d]]; rest = Math.floor(rest / outShape[d]); }
        out.push(values[offset]);
      }
      return out;
    }

    it('transpose: 2-D tiles, batched last-two swaps, general permutations, identity', (ctx) => {
      if (!available) ctx.skip();
      const cases: [number[], number[]][] = [
        [[1, 1], [1, 0]], [[3, 17], [1, 0]], [[127, 65], [1, 0]], [[64, 64], [1, 0]], [[5, 7, 9], [0, 2, 1]],
        [[2, 3, 4, 5], [3, 1, 0, 2]], [[4, 1, 6], [2, 1, 0]], [[2, 3, 4], [0, 1, 2]], [[6, 5, 4, 3], [0, 2, 3, 1]],
        [[3, 4, 5, 6], [1, 0, 2, 3]], [[513, 3], [1, 0]],
      ];
      for (const [shape, perm] of cases) {
        const total = shape.reduce((p, d) => p * d, 1);
        const values = Int32Array.from({ length: total }, (_, i) => i * 7 + 1);
        for (const chunks of [1, 3]) {
          rt.reset();
          rt.chunks = chunks;
          const x = rt.putI32(values), out = rt.alloc(total * 4);
          runTranspose(rt, x, out, shape, perm);
          expect(Array.from(rt.readI32(out, total)), `${shape} ${perm}`).toEqual(transposeReference(values, shape, perm));
          expect(rt.allocatedBytes()).toBe(total * 8);
        }
      }
    });
  });
}

describe('broadcast helpers', () => {
  it('broadcastStrides gives 0 on broadcast dims', () => {
    expect(broadcastStrides([3, 1, 5], [3, 4, 5])).toEqual([5, 0, 1]);
    expect(broadcastStrides([5], [2, 3, 5])).toEqual([0, 0, 1]);
    expect(broadcastStrides([], [2, 3])).toEqual([0, 0]);
  });
  it('collapses dims every operand walks contiguously', () => {
    expect(collapsedBroadcast([2, 3, 4], [2, 3, 4], [2, 3, 4])).toEqual({ shape: [24], strides: [[1], [1]] });
    expect(collapsedBroadcast([2, 3, 4], [4], [2, 3, 4])).toEqual({ shape: [6, 4], strides: [[4, 1], [0, 1]] });
    expect(collapsedBroadcast([4, 1], [1, 17], [4, 17])).toEqual({ shape: [4, 17], strides: [[1, 0], [0, 1]] });
    expect(collapsedBroadcast([], [], [1, 1])).toEqual({ shape: [1], strides: [[1], [1]] });
  });
});
