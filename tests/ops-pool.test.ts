// Pooling ops: maxPool, avgPool and pool (dilated) forward vs tfjs-cpu, gradients vs float64 finite
// differences and tfjs's grads, dtype rules, bad inputs, memory.
import { expect, it } from 'vitest';
import {
  checkGradients, describeEachBackend, expectClose, loadTfjs, randomInput, randomValues, tf,
  type Tensor, type TfjsTensor,
} from './helpers.js';
import type { Padding } from '../src/ops/conv_util.js';

const tfjs = await loadTfjs();
const FORWARD = { rtol: 1e-5, atol: 1e-6 };
const NUMERIC = { rtol: 1e-3, atol: 1e-4 };

/** Distinct values 0.01 apart in a seeded order, so no window's maximum is within a finite-difference step of another. */
function distinctInput(shape: number[], seed: number): { values: Float32Array; shape: number[] } {
  const n = shape.reduce((p, d) => p * d, 1);
  const keys = randomValues(n, seed);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b]);
  const values = new Float32Array(n);
  // Never exactly 0: dilated 'same' pools also see padding zeros.
  order.forEach((index, rank) => { values[index] = (rank - n / 2 + 0.5) * 0.01; });
  return { values, shape };
}

function compare(ours: Tensor, theirs: TfjsTensor): void {
  expect(ours.shape).toEqual(theirs.shape);
  expect(ours.dtype).toBe(theirs.dtype);
  expectClose(ours.dataSync(), theirs.dataSync(), FORWARD);
}

interface PoolCase { x: number[]; size: number | [number, number]; strides: number | [number, number]; pad: Padding; mode?: 'floor' | 'ceil' | 'round' }
const CASES: PoolCase[] = [
  { x: [1, 5, 5, 1], size: 2, strides: 2, pad: 'valid' },
  { x: [2, 7, 6, 3], size: 3, strides: 1, pad: 'same' },
  { x: [1, 9, 8, 17], size: 3, strides: 2, pad: 'same' },
  { x: [2, 6, 7, 4], size: [2, 3], strides: [1, 2], pad: 'valid' },
  { x: [1, 7, 7, 5], size: 3, strides: 2, pad: 1 },
  { x: [1, 6, 5, 2], size: 3, strides: 2, pad: [[0, 0], [1, 0], [0, 2], [0, 0]] },
  { x: [1, 7, 7, 3], size: 2, strides: 2, pad: 0, mode: 'ceil' },
  { x: [1, 7, 7, 3], size: 2, strides: 2, pad: 1, mode: 'floor' },
  { x: [3, 1, 1, 9], size: 1, strides: 1, pad: 'valid' },
];

for (const kind of ['maxPool', 'avgPool'] as const) {
  describeEachBackend(kind, () => {
    const ours = (x: Tensor, c: PoolCase) => tf[kind](x, c.size, c.strides, c.pad, c.mode);
    const theirs = (x: TfjsTensor, c: PoolCase) => tfjs[kind](x as never, c.size, c.strides, c.pad as 'same', c.mode);

    it('matches tfjs on odd shapes, strides and paddings', () => {
      for (const [i, c] of CASES.entries()) {
        const x = randomInput(c.x, 10 + i);
        compare(ours(tf.tensor(x.values, x.shape), c), theirs(tfjs.tensor(x.values, x.shape), c));
      }
      const x = randomInput([6, 5, 3], 30);
      compare(tf[kind](tf.tensor(x.values, x.shape), 3, 1, 'same'), tfjs[kind](tfjs.tensor(x.values, x.shape) as never, 3, 1, 'same'));
    });

    it('keeps an int32 input int32', () => {
      const values = Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => (i * 37) % 23 - 11);
      const ours = tf[kind](tf.tensor(values, [2, 5, 5, 3], 'int32'), 2, 1, 'valid');
      // tfjs's maxPool keeps int32; its avgPool refuses int32, so compare with its float result cast (truncated).
      compare(ours, kind === 'maxPool' ? tfjs.maxPool(tfjs.tensor(values, [2, 5, 5, 3], 'int32') as never, 2, 1, 'valid')
        : tfjs.cast(tfjs.avgPool(tfjs.tensor(values, [2, 5, 5, 3]) as never, 2, 1, 'valid'), 'int32'));
    });

    it('gradients match finite differences and tfjs', () => {
      for (const [i, c] of [CASES[0], CASES[1], CASES[2], CASES[3], CASES[5]].entries()) {
        // tfjs-cpu's avgPool gradient divides by the full window size even where the window overlaps padding
        // (its forward does not): padded avgPool gradients are checked against finite differences only.
        const peer = kind === 'avgPool' && c.pad !== 'valid' ? null : (x: TfjsTensor) => theirs(x, c);
        checkGradients(tfjs, (x) => ours(x, c), peer, [distinctInput([1, ...c.x.slice(1)], 40 + i)], { numeric: NUMERIC });
      }
    });

    it('gradient with tied window values follows tfjs', () => {
      const x = { values: new Float32Array(4 * 4 * 2).fill(0.5), shape: [1, 4, 4, 2] };
      checkGradients(tfjs, (t) => tf[kind](t, [3, 2], 1, 'valid'), (t) => tfjs[kind](t as never, [3, 2], 1, 'valid'), [x], {
        // Finite differences of a tied max are not its derivative: compare with tfjs only.
        numeric: kind === 'maxPool' ? { rtol: Infinity, atol: Infinity } : NUMERIC,
      });
    });

    it('rejects bad inputs naming the op and shapes', () => {
      expect(() => tf[kind](tf.zeros([5, 5]), 2, 2, 'valid')).toThrow(new RegExp(`${kind}: x must be rank 4 \\(or 3\\), got shape \\[5,5\\]`));
      expect(() => tf[kind](tf.zeros([1, 3, 3, 1]), 4, 1, 'valid')).toThrow(new RegExp(`${kind}: the filter \\(4x4 once dilated\\) is larger than the padded input \\(3x3\\).*\\[1,3,3,1\\]`));
      expect(() => tf[kind](tf.zeros([1, 3, 3, 1]), 0, 1, 'valid')).toThrow(new RegExp(`${kind}: filterSize must be a positive integer`));
      expect(() => tf[kind](tf.zeros([1, 3, 3, 1]), 2, 1, 'same', 'ceil')).toThrow(new RegExp(`${kind}: pad must be a number or explicit padding when using dimRoundingMode`));
    });
  });
}

describeEachBackend('pool', () => {
  it('matches tfjs without and with dilations', () => {
    const cases: [number[], number | [number, number], 'max' | 'avg', 'same' | 'valid', number | [number, number], number][] = [
      [[1, 9, 9, 2], 3, 'max', 'same', 2, 1], [[1, 9, 9, 2], 3, 'avg', 'same', 2, 1],
      [[2, 10, 7, 3], [2, 3], 'max', 'valid', [2, 1], 1], [[1, 8, 11, 2], 2, 'avg', 'valid', 3, 1],
      [[2, 7, 6, 3], 3, 'avg', 'same', 1, 2], [[7, 6, 3], 2, 'max', 'valid', 1, 1],
    ];
    for (const [i, [shape, window, type, pad, dilations, strides]] of cases.entries()) {
      const x = randomInput(shape, 50 + i);
      compare(tf.pool(tf.tensor(x.values, shape), window, type, pad, dilations, strides),
        tfjs.pool(tfjs.tensor(x.values, shape) as never, window, type, pad, dilations, strides));
    }
  });

  it('dilated gradients match finite differences and tfjs', () => {
    checkGradients(tfjs, (x) => tf.pool(x, 3, 'max', 'same', 2), (x) => tfjs.pool(x as never, 3, 'max', 'same', 2), [distinctInput([1, 7, 6, 2], 60)], { numeric: NUMERIC });
    checkGradients(tfjs, (x) => tf.pool(x, 2, 'avg', 'valid', 2), (x) => tfjs.pool(x as never, 2, 'avg', 'valid', 2), [randomInput([1, 7, 6, 2], 61)], { numeric: NUMERIC });
    checkGradients(tfjs, (x) => tf.pool(x, 3, 'avg', 'same', [1, 2]), (x) => tfjs.pool(x as never, 3, 'avg', 'same', [1, 2]), [randomInput([1, 5, 7, 2], 62)], { numeric: NUMERIC });
  });

  it('rejects bad arguments', () => {
    const x = tf.zeros([1, 9, 9, 2]);
    expect(() => tf.pool(x, 3, 'min' as 'max', 'same')).toThrow(/pool: poolingType must be 'max' or 'avg', got 'min'/);
    expect(() => tf.pool(x, 3, 'max', 'same', 2, 2)).toThrow(/pool: either strides or dilations must be 1/);
    expect(() => tf.pool(x, 3, 'max', 1, 2)).toThrow(/pool: dilations > 1 take padding 'same' or 'valid'/);
  });
});

describeEachBackend('pooling higher order and memory', () => {
  it('avgPool is differentiable twice; maxPool says it is not', () => {
    const x = randomInput([1, 5, 4, 2], 70);
    // d/dx of sum(grad(avgPool)·x²) goes through the avg backprop op's own gradient.
    checkGradients(tfjs, (t) => tf.mul(tf.grad((v: Tensor) => tf.sum(tf.square(tf.avgPool(v, 2, 1, 'same'))))(t), t), null, [x], { numeric: NUMERIC });
    const t = tf.tensor(x.values, x.shape);
    expect(() => tf.grad((v: Tensor) => tf.sum(tf.grad((w: Tensor) => tf.sum(tf.square(tf.maxPool(w, 2, 1, 'same'))))(v)))(t))
      .toThrow(/maxPool: second-order gradients are not supported/);
  });

  it('leaves no tensors behind inside tidy', () => {
    const x = tf.tensor(randomValues(2 * 6 * 6 * 3, 80), [2, 6, 6, 3]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.maxPool(x, 2, 2, 'valid');
      tf.avgPool(tf.cast(x, 'int32'), 3, 1, 'same');
      tf.grad((v: Tensor) => tf.sum(tf.maxPool(v, 3, 2, 'same')))(x);
      tf.grad((v: Tensor) => tf.sum(tf.avgPool(v, 3, 2, 'same')))(x);
      tf.grad((v: Tensor) => tf.sum(tf.pool(v, 2, 'max', 'same', 2)))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
