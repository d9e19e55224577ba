// The reference backend against @tensorflow/tfjs (cpu backend) on seeded random inputs with odd
// sizes and broadcasting, plus hand-checked tiny cases and float64 finite differences for gradients.
// The backend is used directly (no engine), so this file only depends on src/backend/.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BinaryOp, CompareOp, DataId, DType, ReduceOp, UnaryGradOp, UnaryOp } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { randomValues as random } from './random.js';

const ref = new ReferenceBackend();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// --- helpers -------------------------------------------------------------------------------------

function randomInts(n: number, seed: number, low: number, high: number): Int32Array {
  return Int32Array.from(random(n, seed, low, high), Math.floor);
}

/** |actual − expected| <= atol + rtol·|expected| elementwise; NaN matches NaN, ±∞ must match exactly. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-6, atol = 1e-6, label = ''): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`${label}[${i}]: got ${a}, expected ${e}`);
    }
  }
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const readAll = (id: DataId, dtype: DType, n: number) => Array.from(ref.read(id, dtype, n));
const tfValues = (t: tf.Tensor) => Array.from(t.dataSync());

// --- storage -------------------------------------------------------------------------------------

describe('reference backend: storage', () => {
  it('round-trips each dtype and converts like tfjs on write', () => {
    const before = ref.memory();
    const f = ref.write([1.5, -2, 0.1], 'float32');
    const i = ref.write([3, -4.7, 2 ** 31], 'int32');
    const b = ref.write([0, 2, -1], 'bool');
    expect(ref.read(f, 'float32', 3)).toEqual(new Float32Array([1.5, -2, 0.1]));
    expect(ref.read(i, 'int32', 3)).toEqual(new Int32Array([3, -4, -(2 ** 31)]));
    expect(ref.read(b, 'bool', 3)).toEqual(new Uint8Array([0, 1, 1]));
    expect(ref.readFloat64(f)[2]).toBe(0.1); // number[] input keeps float64 precision
    expect(ref.memory()).toEqual({ bytes: before.bytes + 36, buffers: before.buffers + 3 });
    for (const id of [f, i, b]) ref.dispose(id);
    ref.dispose(f); // idempotent
    expect(ref.memory()).toEqual(before);
    expect(() => ref.read(f, 'float32', 3)).toThrow(/disposed/);
  });

  it('fill', () => {
    expect(readAll(ref.fill(3, 2.5, 'float32'), 'float32', 3)).toEqual([2.5, 2.5, 2.5]);
    expect(readAll(ref.fill(2, -7.9, 'int32'), 'int32', 2)).toEqual([-7, -7]);
    expect(readAll(ref.fill(2, 5, 'bool'), 'bool', 2)).toEqual([1, 1]);
  });
});

// --- elementwise ---------------------------------------------------------------------------------

/** Random values plus the cases where ops have kinks, ties or special rules. */
const specials = [0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 6, 7, -30, 30, NaN, Infinity, -Infinity];
const unaryInput = Float32Array.from([...random(17, 1, -4, 4), ...specials]);

const tfUnary: Partial<Record<UnaryOp, (x: tf.Tensor) => tf.Tensor>> = {
  neg: tf.neg, abs: tf.abs, square: tf.square, sqrt: tf.sqrt, rsqrt: tf.rsqrt, exp: tf.exp, expm1: tf.expm1,
  log: tf.log, log1p: tf.log1p, reciprocal: tf.reciprocal, relu: tf.relu, relu6: tf.relu6,
  leakyRelu: (x) => tf.leakyRelu(x, 0.1), elu: tf.elu, selu: tf.selu, sigmoid: tf.sigmoid, tanh: tf.tanh,
  softplus: tf.softplus, sin: tf.sin, cos: tf.cos, sign: tf.sign, floor: tf.floor, ceil: tf.ceil, round: tf.round,
  step: (x) => tf.step(x), erf: tf.erf,
};

describe('reference backend: unary', () => {
  const n = unaryInput.length;
  const x = ref.write(unaryInput, 'float32');
  for (const [op, tfOp] of Object.entries(tfUnary) as [UnaryOp, (x: tf.Tensor) => tf.Tensor][]) {
    it(`${op} matches tfjs`, () => {
      const out = readAll(ref.unary(op, x, n, 'float32', op === 'leakyRelu' ? 0.1 : undefined), 'float32', n);
      // tfjs approximates erf (~1e-7 abs) and softplus (thresholds near float32 epsilon).
      const tolerance = op === 'erf' || op === 'softplus' ? 3e-6 : 2e-6;
      expectClose(out, tfValues(tfOp(tf.tensor1d(unaryInput))), tolerance, tolerance, op);
    });
  }

  it('gelu and erf are the exact float64 functions (values from mpmath)', () => {
    const xs = [-3, -1, -0.5, 0, 0.5, 1, 2, 4.5];
    const erf = ref.readFloat64(ref.unary('erf', ref.write(xs, 'float32'), xs.length, 'float32'));
    const gelu = ref.readFloat64(ref.unary('gelu', ref.write(xs, 'float32'), xs.length, 'float32'));
    expectClose(erf, [-0.9999779095030014, -0.8427007929497149, -0.5204998778130465, 0, 0.5204998778130465,
      0.8427007929497149, 0.9953222650189527, 0.9999999998033839], 0, 1e-14, 'erf');
    expectClose(gelu, [-0.0040496940948902835, -0.15865525393145705, -0.15426876936299344, 0, 0.34573123063700656,
      0.8413447460685429, 1.9544997361036416, 4.4999847104709385], 1e-13, 1e-15, 'gelu');
  });

  it('int32 and bool inputs', () => {
    const ints = ref.write([-3, 0, 5], 'int32');
    expect(readAll(ref.unary('abs', ints, 3, 'int32'), 'int32', 3)).toEqual([3, 0, 5]);
    expect(readAll(ref.unary('neg', ints, 3, 'int32'), 'int32', 3)).toEqual([3, 0, -5]);
    expect(readAll(ref.unary('sign', ints, 3, 'int32'), 'int32', 3)).toEqual([-1, 0, 1]);
    const bools = ref.write([1, 0, 1], 'bool');
    expect(readAll(ref.unary('logicalNot', bools, 3, 'bool'), 'bool', 3)).toEqual([0, 1, 0]);
  });
});

/** Ops whose unaryGrad reads y = f(x) rather than x. */
const yBased = new Set<UnaryGradOp>(['sigmoid', 'tanh', 'exp', 'sqrt', 'rsqrt']);
const gradOps: UnaryGradOp[] = [
  'relu', 'relu6', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'gelu', 'softplus', 'sqrt', 'rsqrt', 'exp',
  'log', 'abs', 'erf',
];

describe('reference backend: unaryGrad', () => {
  // Away from kinks (|x| > 0.05, x ≠ 6) so finite differences are valid; positive for sqrt/rsqrt/log.
  const raw = random(17, 7, -3, 3).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
  const n = raw.length;
  const dyValues = random(n, 8, -1, 1);
  const dy = ref.write(dyValues, 'float32');

  for (const op of gradOps) {
    it(`${op}: matches float64 central differences`, () => {
      const xs = ['sqrt', 'rsqrt', 'log'].includes(op) ? raw.map(Math.abs) : raw;
      const alpha = op === 'leakyRelu' ? 0.15 : undefined;
      const xId = ref.write(Array.from(xs), 'float32');
      const input = yBased.has(op) ? ref.unary(op as UnaryOp, xId, n, 'float32') : xId;
      const dx = ref.readFloat64(ref.unaryGrad(op, input, dy, n, alpha));
      const h = 1e-5;
      const f = (shift: number) =>
        ref.readFloat64(ref.unary(op as UnaryOp, ref.write(Array.from(xs, (v) => v + shift), 'float32'), n, 'float32', alpha));
      const plus = f(h);
      const minus = f(-h);
      const expected = Array.from(plus, (p, i) => (dyValues[i] * (p - minus[i])) / (2 * h));
      expectClose(dx, expected, 1e-6, 1e-7, op);
    });
  }

  it('kinks: relu\'(0) = 0, abs\'(0) = 0, relu6\' = 1 at 6, leakyRelu\'(0) = slope', () => {
    const x = ref.write([0, 6, 6.5], 'float32');
    const ones = ref.fill(3, 1, 'float32');
    expect(readAll(ref.unaryGrad('relu', x, ones, 3), 'float32', 3)).toEqual([0, 1, 1]);
    expect(readAll(ref.unaryGrad('abs', x, ones, 3), 'float32', 3)).toEqual([0, 1, 1]);
    expect(readAll(ref.unaryGrad('relu6', x, ones, 3), 'float32', 3)).toEqual([0, 1, 0]);
    expect(readAll(ref.unaryGrad('leakyRelu', x, ones, 3, 0.25), 'float32', 3)).toEqual([0.25, 1, 1]);
  });
});

type Case = { a: number[]; b: number[] };
const broadcastCases: Case[] = [
  { a: [3, 1, 17], b: [4, 1] },
  { a: [17], b: [1] },
  { a: [2, 3], b: [2, 3] },
  { a: [1], b: [3, 5] },
  { a: [], b: [5] },
];
const outShapeOf = ({ a, b }: Case) => {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, d) => {
    const da = a[d - (rank - a.length)] ?? 1;
    const db = b[d - (rank - b.length)] ?? 1;
    return Math.max(da, db);
  });
};

const tfBinary: Record<BinaryOp, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, maximum: tf.maximum, minimum: tf.minimum, pow: tf.pow,
  squaredDifference: tf.squaredDifference, floorDiv: (a, b) => tf.floorDiv(a, b), mod: tf.mod, atan2: tf.atan2,
};

describe('reference backend: binary, compare, where', () => {
  for (const [op, tfOp] of Object.entries(tfBinary) as [BinaryOp, typeof tfBinary.add][]) {
    it(`${op} float32 with broadcasting matches tfjs`, () => {
      broadcastCases.forEach((shapes, caseIndex) => {
        const outShape = outShapeOf(shapes);
        // pow needs a positive base for real results; keep divisors away from 0.
        const aValues = random(size(shapes.a), 10 + caseIndex, op === 'pow' ? 0.1 : -5, 5);
        const bValues = random(size(shapes.b), 20 + caseIndex, 0.3, 3).map((v, i) => (i % 2 ? -v : v));
        const out = ref.binary(op, ref.write(aValues, 'float32'), shapes.a, ref.write(bValues, 'float32'), shapes.b,
          outShape, 'float32');
        const expected = tfValues(tfOp(tf.tensor(aValues, shapes.a), tf.tensor(bValues, shapes.b)));
        expectClose(readAll(out, 'float32', size(outShape)), expected, 2e-6, 1e-6, `${op} case ${caseIndex}`);
      });
    });
  }

  for (const op of ['add', 'sub', 'mul', 'div', 'floorDiv', 'mod', 'maximum', 'pow'] as BinaryOp[]) {
    it(`${op} int32 matches tfjs`, () => {
      const aValues = randomInts(17, 31, -20, 20);
      const bValues = randomInts(17, 32, 1, 6).map((v, i) => (i % 3 === 0 ? -v : v));
      if (op === 'pow') bValues.forEach((v, i) => { bValues[i] = Math.abs(v) % 4; });
      const out = ref.binary(op, ref.write(aValues, 'int32'), [17], ref.write(bValues, 'int32'), [17], [17], 'int32');
      const expected = tfBinary[op](tf.tensor1d(aValues, 'int32'), tf.tensor1d(bValues, 'int32'));
      expect(expected.dtype).toBe('int32');
      expect(readAll(out, 'int32', 17)).toEqual(tfValues(expected));
    });
  }

  it('hand cases: mod takes the divisor\'s sign, int32 div floors', () => {
    const a = ref.write([5, -5, 5, -5, 5.5], 'float32');
    const b = ref.write([3, 3, -3, -3, 2], 'float32');
    expect(readAll(ref.binary('mod', a, [5], b, [5], [5], 'float32'), 'float32', 5)).toEqual([2, 1, -1, -2, 1.5]);
    const ai = ref.write([7, -7], 'int32');
    const bi = ref.write([2, 2], 'int32');
    expect(readAll(ref.binary('div', ai, [2], bi, [2], [2], 'int32'), 'int32', 2)).toEqual([3, -4]);
  });

  const tfCompare: Record<CompareOp, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
    equal: tf.equal, notEqual: tf.notEqual, less: tf.less, lessEqual: tf.lessEqual, greater: tf.greater,
    greaterEqual: tf.greaterEqual,
    logicalAnd: (a, b) => tf.logicalAnd(a.cast('bool'), b.cast('bool')),
    logicalOr: (a, b) => tf.logicalOr(a.cast('bool'), b.cast('bool')),
  };
  for (const [op, tfOp] of Object.entries(tfCompare) as [CompareOp, typeof tfCompare.equal][]) {
    it(`${op} with broadcasting matches tfjs`, () => {
      const shapes = { a: [3, 1, 5], b: [4, 1] };
      const outShape = outShapeOf(shapes);
      // Small integers (as float32) so equality and ties actually happen.
      const aValues = Float32Array.from(randomInts(15, 41, -2, 3));
      const bValues = Float32Array.from(randomInts(4, 42, -2, 3));
      const out = ref.compare(op, ref.write(aValues, 'float32'), shapes.a, ref.write(bValues, 'float32'), shapes.b,
        outShape, 'float32');
      const expected = tfOp(tf.tensor(aValues, shapes.a), tf.tensor(bValues, shapes.b));
      expect(readAll(out, 'bool', size(outShape))).toEqual(tfValues(expected));
    });
  }

  it('where with three-way broadcasting matches tfjs', () => {
    const cond = Uint8Array.from(randomInts(6, 51, 0, 2));
    const aValues = random(17, 52);
    const bValues = random(3 * 17, 53);
    const out = ref.where(ref.write(cond, 'bool'), [2, 3, 1], ref.write(aValues, 'float32'), [17],
      ref.write(bValues, 'float32'), [3, 17], [2, 3, 17], 'float32');
    const expected = tf.where(tf.tensor(cond, [2, 3, 1], 'bool'), tf.tensor1d(aValues) as tf.Tensor, tf.tensor(bValues, [3, 17]));
    expect(readAll(out, 'float32', 2 * 3 * 17)).toEqual(tfValues(expected));
  });

  it('cast matches tfjs (truncation, NaN, wrap, bool)', () => {
    const values = Float32Array.from([-2.7, 2.7, -0.5, 0, NaN, 3e10, 1e-30]);
    const x = ref.write(values, 'float32');
    const n = values.length;
    expect(readAll(ref.cast(x, n, 'float32', 'int32'), 'int32', n)).toEqual(tfValues(tf.tensor1d(values).cast('int32')));
    expect(readAll(ref.cast(x, n, 'float32', 'bool'), 'bool', n)).toEqual(tfValues(tf.tensor1d(values).cast('bool')));
    const ints = ref.write([3, -1, 0], 'int32');
    expect(readAll(ref.cast(ints, 3, 'int32', 'float32'), 'float32', 3)).toEqual([3, -1, 0]);
    expect(readAll(ref.cast(ints, 3, 'int32', 'bool'), 'bool', 3)).toEqual([1, 1, 0]);
  });
});

// --- reductions and softmax ----------------------------------------------------------------------

const tfReduce: Record<ReduceOp, (x: tf.Tensor) => tf.Tensor> = {
  sum: (x) => tf.sum(x, 1), max: (x) => tf.max(x, 1), min: (x) => tf.min(x, 1), prod: (x) => tf.prod(x, 1),
  argMax: (x) => tf.argMax(x, 1), argMin: (x) => tf.argMin(x, 1), logSumExp: (x) => tf.logSumExp(x, 1),
  any: (x) => tf.any(x.cast('bool'), 1), all: (x) => tf.all(x.cast('bool'), 1),
};

describe('reference backend: reduce and softmax', () => {
  const views: [number, number, number][] = [[1, 17, 1], [3, 5, 7], [2, 1, 3], [4, 17, 1]];
  for (const [op, tfOp] of Object.entries(tfReduce) as [ReduceOp, typeof tfReduce.sum][]) {
    it(`${op} over [outer, reduce, inner] matches tfjs`, () => {
      for (const [outer, reduceSize, inner] of views) {
        const n = outer * reduceSize * inner;
        // Integers give argMax ties and any/all zeros; prod stays well scaled near 1.
        const values = op === 'prod' ? random(n, 61, 0.5, 1.5)
          : Float32Array.from(randomInts(n, 62, op === 'all' ? 0 : -3, 4), (v) => (op === 'all' && v === 0 && n > 17 ? 1 : v));
        const dtype: DType = op === 'any' || op === 'all' ? 'bool' : 'float32';
        const input = dtype === 'bool' ? Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)) : values;
        const outDtype: DType = op === 'argMax' || op === 'argMin' ? 'int32' : dtype;
        const out = ref.reduce(op, ref.write(input, dtype), outer, reduceSize, inner, dtype);
        const expected = tfValues(tfOp(tf.tensor(values, [outer, reduceSize, inner])));
        expectClose(readAll(out, outDtype, outer * inner), expected, 1e-6, 1e-6, `${op} [${outer},${reduceSize},${inner}]`);
      }
    });
  }

  it('NaN: max propagates, argMax picks the first strictly larger', () => {
    const x = ref.write([1, NaN, 3, NaN, 1, 2], 'float32');
    expect(readAll(ref.reduce('max', x, 2, 3, 1, 'float32'), 'float32', 2)).toEqual([NaN, NaN]);
    expect(readAll(ref.reduce('argMax', x, 2, 3, 1, 'float32'), 'int32', 2)).toEqual([2, 0]);
  });

  it('int32 sum stays int32', () => {
    const x = ref.write([1, 2, 3, 4, 5, 6], 'int32');
    expect(readAll(ref.reduce('sum', x, 1, 3, 2, 'int32'), 'int32', 2)).toEqual([9, 12]);
  });

  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    it(`${name} and its gradient match tfjs`, () => {
      const [rows, cols] = [3, 17];
      const values = random(rows * cols, 71, -5, 5);
      values[0] = 80; // a large logit must not overflow
      const dyValues = random(rows * cols, 72);
      const y = ref.softmax(ref.write(values, 'float32'), rows, cols, log);
      const tfOp = (t: tf.Tensor) => (log ? tf.logSoftmax(t) : tf.softmax(t));
      expectClose(readAll(y, 'float32', rows * cols), tfValues(tfOp(tf.tensor2d(values, [rows, cols]))), 1e-5, 1e-6, name);
      const dx = ref.softmaxGrad(y, ref.write(dyValues, 'float32'), rows, cols, log);
      const expected = tf.grad((t: tf.Tensor) => tfOp(t).mul(tf.tensor2d(dyValues, [rows, cols])).sum())(
        tf.tensor2d(values, [rows, cols]));
      expectClose(readAll(dx, 'float32', rows * cols), tfValues(expected), 1e-5, 1e-6, `${name} grad`);
    });
  }
});

// --- movement ------------------------------------------------------------------------------------

describe('reference backend: movement', () => {
  it('transpose matches tfjs', () => {
    for (const [shape, perm] of [[[2, 3, 5], [2, 0, 1]], [[17, 3], [1, 0]], [[1, 3, 1, 2], [3, 1, 0, 2]]] as const) {
      const values = random(size(shape), 81);
      const out = ref.transpose(ref.write(values, 'float32'), shape, perm, 'float32');
      expect(readAll(out, 'float32', size(shape))).toEqual(tfValues(tf.transpose(tf.tensor(values, [...shape]), [...perm])));
    }
  });

  it('stridedSlice with positive strides matches tfjs; negative strides reverse', () => {
    const shape = [5, 7, 3];
    const values = random(size(shape), 82);
    const x = ref.write(values, 'float32');
    const out = ref.stridedSlice(x, shape, [1, 0, 2], [2, 3, 1], [2, 3, 1], 'float32');
    const expected = tf.stridedSlice(tf.tensor(values, shape), [1, 0, 2], [5, 7, 3], [2, 3, 1]);
    expect(expected.shape).toEqual([2, 3, 1]);
    expect(readAll(out, 'float32', 6)).toEqual(tfValues(expected));
    // Reverse axes 0 and 2 in full: begin at the last index with stride −1.
    const reversed = ref.stridedSlice(x, shape, [4, 0, 2], [-1, 1, -1], shape, 'float32');
    expect(readAll(reversed, 'float32', size(shape))).toEqual(tfValues(tf.reverse(tf.tensor(values, shape), [0, 2])));
  });

  it('concat matches tfjs on every axis', () => {
    const shapes = [[2, 1, 3], [2, 4, 3], [2, 2, 3]];
    const values = shapes.map((shape, j) => random(size(shape), 90 + j));
    const ids = values.map((v) => ref.write(v, 'float32'));
    const out = ref.concat(ids, shapes, 1, 'float32');
    expect(readAll(out, 'float32', 2 * 7 * 3)).toEqual(tfValues(tf.concat(values.map((v, j) => tf.tensor(v, shapes[j])), 1)));
    const first = ref.concat([ids[1], ids[1]], [shapes[1], shapes[1]], 0, 'float32');
    expect(readAll(first, 'float32', 48)).toEqual(tfValues(tf.concat([tf.tensor(values[1], shapes[1]), tf.tensor(values[1], shapes[1])], 0)));
  });

  it('pad and tile match tfjs', () => {
    const shape = [3, 1, 2];
    const values = random(6, 95);
    const x = ref.write(values, 'float32');
    const paddings: [number, number][] = [[1, 2], [0, 3], [2, 0]];
    const padded = ref.pad(x, shape, paddings, 0.5, 'float32');
    const expectedPad = tf.pad(tf.tensor(values, shape), paddings, 0.5);
    expect(readAll(padded, 'float32', size(expectedPad.shape))).toEqual(tfValues(expectedPad));
    const tiled = ref.tile(x, shape, [2, 3, 1], 'float32');
    const expectedTile = tf.tile(tf.tensor(values, shape), [2, 3, 1]);
    expect(readAll(tiled, 'float32', size(expectedTile.shape))).toEqual(tfValues(expectedTile));
  });

  it('gather matches tfjs; scatterAdd is its gradient (duplicates accumulate)', () => {
    const [outer, axisSize, inner] = [3, 5, 4];
    const values = random(outer * axisSize * inner, 101);
    const indices = Int32Array.from([4, 0, 4, 2, 4, 1, 0]);
    const numIndices = indices.length;
    const x = ref.write(values, 'float32');
    const gathered = ref.gather(x, outer, axisSize, inner, ref.write(indices, 'int32'), numIndices, 'float32');
    const tfX = tf.tensor(values, [outer, axisSize, inner]);
    const tfIndices = tf.tensor1d(indices, 'int32');
    expect(readAll(gathered, 'float32', outer * numIndices * inner)).toEqual(tfValues(tf.gather(tfX, tfIndices, 1)));
    const updates = random(outer * numIndices * inner, 102);
    const scattered = ref.scatterAdd(ref.write(updates, 'float32'), outer, axisSize, inner, ref.write(indices, 'int32'), numIndices);
    const expected = tf.grad((t: tf.Tensor) => tf.gather(t, tfIndices, 1).mul(tf.tensor(updates, [outer, numIndices, inner])).sum())(tfX);
    expectClose(readAll(scattered, 'float32', outer * axisSize * inner), tfValues(expected), 1e-6, 1e-6, 'scatterAdd');
  });

  it('oneHot matches tfjs, out-of-range rows all off', () => {
    const indices = Int32Array.from([0, 3, 1, -1, 4, 2]);
    const out = ref.oneHot(ref.write(indices, 'int32'), 6, 4, 5, -1, 'float32');
    expect(readAll(out, 'float32', 24)).toEqual(tfValues(tf.oneHot(tf.tensor1d(indices, 'int32'), 4, 5, -1)));
  });
});

// --- matMul --------------------------------------------------------------------------------------

describe('reference backend: matMul', () => {
  const activations = {
    linear: (t: tf.Tensor) => t, relu: tf.relu, relu6: tf.relu6, sigmoid: tf.sigmoid, tanh: tf.tanh, elu: tf.elu,
    gelu: (t: tf.Tensor) => t.mul(0.5).mul(tf.erf(t.div(Math.SQRT2)).add(1)),
  };

  it('batched with broadcast batches and transposes matches tfjs', () => {
    const [m, n, k] = [3, 17, 5];
    let seed = 110;
    for (const [aBatch, bBatch, batch] of [[1, 1, 1], [4, 1, 4], [1, 4, 4], [2, 2, 2]]) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const aShape = transposeA ? [aBatch, k, m] : [aBatch, m, k];
          const bShape = transposeB ? [bBatch, n, k] : [bBatch, k, n];
          const aValues = random(size(aShape), seed++);
          const bValues = random(size(bShape), seed++);
          const out = ref.matMul({
            a: ref.write(aValues, 'float32'), aBatch, b: ref.write(bValues, 'float32'), bBatch,
            batch, m, n, k, transposeA, transposeB,
          });
          const expected = tf.matMul(tf.tensor(aValues, aShape), tf.tensor(bValues, bShape), transposeA, transposeB);
          expect(expected.shape).toEqual([batch, m, n]);
          expectClose(readAll(out, 'float32', batch * m * n), tfValues(expected), 1e-5, 1e-6,
            `batches ${aBatch}/${bBatch} tA=${transposeA} tB=${transposeB}`);
        }
      }
    }
  });

  for (const [activation, tfActivation] of Object.entries(activations)) {
    it(`fused bias + ${activation} matches tfjs`, () => {
      const [m, n, k] = [17, 3, 7];
      const aValues = random(m * k, 130, -2, 2);
      const bValues = random(k * n, 131, -2, 2);
      const biasValues = random(n, 132);
      const out = ref.matMul({
        a: ref.write(aValues, 'float32'), aBatch: 1, b: ref.write(bValues, 'float32'), bBatch: 1, batch: 1, m, n, k,
        transposeA: false, transposeB: false, bias: ref.write(biasValues, 'float32'),
        activation: activation as keyof typeof activations,
      });
      const linear = tf.matMul(tf.tensor2d(aValues, [m, k]), tf.tensor2d(bValues, [k, n])).add(tf.tensor1d(biasValues));
      expectClose(readAll(out, 'float32', m * n), tfValues(tfActivation(linear)), 1e-5, 2e-6, activation);
    });
  }

  it('tiny hand case', () => {
    // [[1, 2], [3, 4]] · [[5], [6]] = [[17], [39]]
    const out = ref.matMul({
      a: ref.write([1, 2, 3, 4], 'float32'), aBatch: 1, b: ref.write([5, 6], 'float32'), bBatch: 1,
      batch: 1, m: 2, n: 1, k: 2, transposeA: false, transposeB: false,
    });
    expect(readAll(out, 'float32', 2)).toEqual([17, 39]);
  });
});

// --- optimizers ----------------------------------------------------------------------------------

describe('reference backend: optimizer updates', () => {
  const n = 17;
  const initial = random(n, 140);
  const gradients = [random(n, 141), random(n, 142), random(n, 143)];

  /** Runs three tfjs optimizer steps on a variable with the given gradients; returns the values. */
  function tfjsSteps(optimizer: tf.Optimizer, name: string): number[] {
    const variable = tf.variable(tf.tensor1d(initial), true, name);
    for (const g of gradients) optimizer.applyGradients({ [name]: tf.tensor1d(g) });
    const values = tfValues(variable);
    variable.dispose();
    return values;
  }

  for (const nesterov of [false, true]) {
    it(`momentum SGD (nesterov=${nesterov}) matches tf.train.momentum over 3 steps`, () => {
      const param = ref.write(initial, 'float32');
      const velocity = ref.fill(n, 0, 'float32');
      for (const g of gradients) ref.sgdUpdate(param, ref.write(g, 'float32'), velocity, n, 0.1, 0.9, nesterov);
      const expected = tfjsSteps(tf.train.momentum(0.1, 0.9, nesterov), `momentum${nesterov}`);
      expectClose(readAll(param, 'float32', n), expected, 1e-5, 1e-6, 'param');
    });
  }

  it('plain SGD without velocity matches tf.train.sgd', () => {
    const param = ref.write(initial, 'float32');
    for (const g of gradients) ref.sgdUpdate(param, ref.write(g, 'float32'), undefined, n, 0.05, 0, false);
    expectClose(readAll(param, 'float32', n), tfjsSteps(tf.train.sgd(0.05), 'sgd'), 1e-5, 1e-6, 'param');
  });

  it('Adam matches tf.train.adam over 3 steps (large epsilon pins its placement)', () => {
    const param = ref.write(initial, 'float32');
    const m = ref.fill(n, 0, 'float32');
    const v = ref.fill(n, 0, 'float32');
    gradients.forEach((g, i) => {
      ref.adamUpdate(param, ref.write(g, 'float32'), m, v, n,
        { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 0.05, step: i + 1, weightDecay: 0 });
    });
    expectClose(readAll(param, 'float32', n), tfjsSteps(tf.train.adam(0.01, 0.9, 0.999, 0.05), 'adam'), 1e-5, 1e-6, 'param');
  });

  it('AdamW decays the pre-step parameter in the same step (hand case)', () => {
    // step 1: m̂ = g, v̂ = g², so the Adam term is g/(|g| + ε) ≈ sign(g).
    const param = ref.write([2, -1], 'float32');
    const m = ref.fill(2, 0, 'float32');
    const v = ref.fill(2, 0, 'float32');
    ref.adamUpdate(param, ref.write([0.5, 0.5], 'float32'), m, v, 2,
      { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 0, step: 1, weightDecay: 0.01 });
    expectClose(ref.readFloat64(param), [2 - 0.1 * (1 + 0.01 * 2), -1 - 0.1 * (1 - 0.01)], 1e-15, 0, 'param');
    expectClose(ref.readFloat64(m), [0.05, 0.05], 1e-15, 0, 'm');
    expectClose(ref.readFloat64(v), [0.00025, 0.00025], 1e-12, 0, 'v');
  });
});
