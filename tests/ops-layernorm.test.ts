// layerNorm: forward vs a float64 formula written here and vs tfjs-layers' LayerNormalization (same gamma/beta),
// gradients of x, gamma, beta vs float64 finite differences and tfjs (the formula from tfjs ops), second order
// (composed backward), bad inputs, memory.
import { expect, it } from 'vitest';
import {
  checkGradients, describeEachBackend, expectClose, loadTfjs, randomInput, tf, type Tensor, type TfjsTensor,
} from './helpers.js';

const tfjs = await loadTfjs();

interface Case { x: number[]; gamma: boolean; beta: boolean; epsilon?: number }
const CASES: Case[] = [
  { x: [2, 3, 5], gamma: true, beta: true },
  { x: [17], gamma: false, beta: false, epsilon: 1e-5 },
  { x: [4, 1], gamma: true, beta: true },
  { x: [3, 7], gamma: true, beta: false, epsilon: 0.01 },
  { x: [2, 2, 9], gamma: false, beta: true },
  { x: [3, 33], gamma: true, beta: true, epsilon: 1e-5 },
];

function inputs(c: Case, seed: number) {
  const channels = c.x[c.x.length - 1];
  return [
    randomInput(c.x, seed, -2, 3),
    ...(c.gamma ? [randomInput([channels], seed + 1, 0.5, 1.5)] : []),
    ...(c.beta ? [randomInput([channels], seed + 2)] : []),
  ];
}

const ours = (c: Case) => (x: Tensor, ...params: Tensor[]) =>
  tf.layerNorm(x, c.gamma ? params[0] : null, c.beta ? params[c.gamma ? 1 : 0] : null, c.epsilon);

/** tfjs's formula from its own ops (tf.moments), as the gradient peer. */
const theirs = (c: Case) => (x: TfjsTensor, ...params: TfjsTensor[]) => {
  const { mean, variance } = tfjs.moments(x, -1, true);
  let y = tfjs.mul(tfjs.sub(x, mean), tfjs.rsqrt(tfjs.add(variance, c.epsilon ?? 1e-3)));
  if (c.gamma) y = tfjs.mul(y, params[0]);
  return c.beta ? tfjs.add(y, params[c.gamma ? 1 : 0]) : y;
};

/** float64 formula: per row (x - mean)/sqrt(biased var + eps)·gamma + beta. */
function formula(x: ArrayLike<number>, channels: number, gamma: ArrayLike<number> | null, beta: ArrayLike<number> | null, epsilon: number) {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / channels; r++) {
    const row = Array.from({ length: channels }, (_, c) => x[r * channels + c]);
    const mean = row.reduce((a, b) => a + b, 0) / channels;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / channels;
    row.forEach((value, c) => {
      y[r * channels + c] = (value - mean) / Math.sqrt(variance + epsilon) * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
    });
  }
  return y;
}

describeEachBackend('layerNorm', () => {
  it('matches the float64 formula on odd shapes, with and without gamma/beta', () => {
    for (const [i, c] of CASES.entries()) {
      const [x, ...params] = inputs(c, 10 * i);
      const gamma = c.gamma ? params[0].values : null;
      const beta = c.beta ? params[c.gamma ? 1 : 0].values : null;
      const y = ours(c)(tf.tensor(x.values, x.shape), ...params.map((p) => tf.tensor(p.values, p.shape)));
      expect(y.shape).toEqual(c.x);
      expectClose(y.dataSync(), formula(x.values, c.x[c.x.length - 1], gamma, beta, c.epsilon ?? 1e-3), { rtol: 1e-5, atol: 1e-5 });
    }
  });

  it("matches tfjs-layers' layerNormalization with the same weights (epsilon 1e-3 default)", () => {
    const [x, gamma, beta] = inputs(CASES[0], 5);
    const layer = tfjs.layers.layerNormalization({ axis: -1 });
    layer.build([2, 3, 5]);
    layer.setWeights([tfjs.tensor(gamma.values), tfjs.tensor(beta.values)]);
    const expected = (layer.apply(tfjs.tensor(x.values, x.shape)) as TfjsTensor).dataSync();
    expectClose(tf.layerNorm(tf.tensor(x.values, x.shape), tf.tensor(gamma.values), tf.tensor(beta.values)).dataSync(), expected,
      { rtol: 1e-5, atol: 1e-5 });
  });

  it('gradients of x, gamma and beta match finite differences and tfjs', () => {
    for (const [i, c] of CASES.entries()) {
      checkGradients(tfjs, ours(c), theirs(c), inputs(c, 100 + 10 * i), {
        numeric: { rtol: 1e-3, atol: 1e-4 }, peer: { rtol: 1e-4, atol: 1e-5 },
      });
    }
  });

  it('is differentiable twice (a recorded backward is composed from ops)', () => {
    const c = CASES[0];
    const second = (x: Tensor, gamma: Tensor, beta: Tensor) =>
      tf.grads((a: Tensor, g: Tensor) => tf.sum(tf.square(tf.layerNorm(a, g, beta))))([x, gamma])[0];
    checkGradients(tfjs, second, null, inputs(c, 200), { numeric: { rtol: 2e-3, atol: 2e-4 } });
  });

  it('rejects bad gamma/beta shapes, scalars and negative epsilon naming the shapes', () => {
    const x = tf.zeros([2, 5]);
    expect(() => tf.layerNorm(x, tf.ones([4]))).toThrow(/layerNorm: gamma must have shape \[5\].*got \[4\] for x \[2,5\]/);
    expect(() => tf.layerNorm(x, null, tf.ones([1, 5]))).toThrow(/layerNorm: beta must have shape \[5\].*got \[1,5\]/);
    expect(() => tf.layerNorm(tf.scalar(1))).toThrow(/layerNorm: x must have rank >= 1/);
    expect(() => tf.layerNorm(x, null, null, -1)).toThrow(/layerNorm: epsilon must be a non-negative number, got -1/);
  });

  it('leaves no tensors behind inside tidy, forward and backward', () => {
    const [x, gamma, beta] = inputs(CASES[0], 300).map((t) => tf.tensor(t.values, t.shape));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.layerNorm(x, gamma, beta);
      tf.grads((a: Tensor, g: Tensor, b: Tensor) => tf.sum(tf.layerNorm(a, g, b)))([x, gamma, beta]);
      tf.grad((a: Tensor) => tf.sum(tf.layerNorm(a)))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
