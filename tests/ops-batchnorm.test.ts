// batchNorm (and batchNorm2d/3d/4d): forward vs tfjs-cpu on the per-channel kernel path and the broadcast
// (composed) path, gradients for all five inputs vs float64 finite differences and tfjs, second order,
// bad inputs, memory.
import { expect, it } from 'vitest';
import {
  checkGradients, describeEachBackend, expectClose, loadTfjs, randomInput, randomValues, tf,
  type Tensor, type TfjsTensor,
} from './helpers.js';

const tfjs = await loadTfjs();
const FORWARD = { rtol: 1e-5, atol: 1e-6 };
const PEER_GRADIENT = { rtol: 1e-4, atol: 1e-5 };
const NUMERIC = { rtol: 1e-3, atol: 1e-4 };

interface Case { x: number[]; params: number[]; offset: boolean; scale: boolean; epsilon?: number }
const CASES: Case[] = [
  { x: [2, 3, 5], params: [5], offset: true, scale: true, epsilon: 1e-3 },
  { x: [17], params: [17], offset: false, scale: false },
  { x: [2, 4, 4, 3], params: [3], offset: true, scale: false, epsilon: 1e-5 },
  { x: [513, 3], params: [3], offset: false, scale: true, epsilon: 0.1 },
  { x: [3, 1, 1, 64], params: [64], offset: true, scale: true },
  // Broadcast statistics (not per-channel vectors) take the composed path.
  { x: [3, 5], params: [1, 5], offset: true, scale: true },
  { x: [2, 3, 5], params: [3, 1], offset: true, scale: true, epsilon: 0.01 },
  { x: [4, 3], params: [4, 3], offset: false, scale: true },
  { x: [2, 6], params: [], offset: true, scale: true },
];

/** Inputs in order x, mean, variance (positive), then offset and scale where the case has them. */
function caseInputs(c: Case, seed: number) {
  return [
    randomInput(c.x, seed), randomInput(c.params, seed + 1), randomInput(c.params, seed + 2, 0.1, 2),
    ...(c.offset ? [randomInput(c.params, seed + 3)] : []), ...(c.scale ? [randomInput(c.params, seed + 4, 0.5, 1.5)] : []),
  ];
}

function ours(c: Case) {
  return (x: Tensor, mean: Tensor, variance: Tensor, ...rest: Tensor[]) =>
    tf.batchNorm(x, mean, variance, c.offset ? rest[0] : undefined, c.scale ? rest[c.offset ? 1 : 0] : undefined, c.epsilon);
}

/**
 * tfjs-cpu's batchNorm kernel cycles the statistics over x's flat index, which is broadcasting only when their
 * shape is a suffix of x's, and its gradient only works for [C] statistics with both offset
 * and scale; elsewhere tfjs's own formula from broadcasting ops is the peer.
 */
function theirs(c: Case, forGradients = false) {
  const suffix = c.params.every((d, i) => d === c.x[c.x.length - c.params.length + i]);
  return (x: TfjsTensor, mean: TfjsTensor, variance: TfjsTensor, ...rest: TfjsTensor[]) => {
    const offset = c.offset ? rest[0] : undefined;
    const scale = c.scale ? rest[c.offset ? 1 : 0] : undefined;
    const kernelWorks = forGradients ? c.params.length === 1 && offset && scale : suffix;
    if (kernelWorks) return tfjs.batchNorm(x, mean, variance, offset, scale, c.epsilon);
    let y = tfjs.mul(tfjs.sub(x, mean), tfjs.rsqrt(tfjs.add(variance, c.epsilon ?? 0.001)));
    if (scale) y = tfjs.mul(y, scale);
    return offset ? tfjs.add(y, offset) : y;
  };
}

describeEachBackend('batchNorm', () => {
  it('matches tfjs with and without offset/scale, per-channel and broadcast statistics', () => {
    for (const [i, c] of CASES.entries()) {
      const inputs = caseInputs(c, 10 * i);
      const a = ours(c)(...inputs.map((t) => tf.tensor(t.values, t.shape)) as [Tensor, Tensor, Tensor]);
      const b = theirs(c)(...inputs.map((t) => tfjs.tensor(t.values, t.shape)) as [TfjsTensor, TfjsTensor, TfjsTensor]);
      expect(a.shape).toEqual(b.shape);
      expect(a.dtype).toBe('float32');
      expectClose(a.dataSync(), b.dataSync(), FORWARD);
    }
  });

  it('defaults varianceEpsilon to 0.001 and accepts plain arrays', () => {
    const y = tf.batchNorm([[1, 2], [3, 4]], [1, 1], [1, 4], [0.5, 0], [2, 1]);
    expectClose(y.dataSync(), [0.5, 1 / Math.sqrt(4.001), 2 / Math.sqrt(1.001) * 2 + 0.5, 3 / Math.sqrt(4.001)]);
  });

  it('gradients of all inputs match finite differences and tfjs', () => {
    for (const [i, c] of CASES.entries()) {
      if (c.x[0] === 513) continue; // the large case is for the forward kernel only
      checkGradients(tfjs, ours(c), theirs(c, true), caseInputs(c, 100 + 10 * i), { numeric: NUMERIC, peer: PEER_GRADIENT });
    }
  });

  it('is differentiable twice (the gradient is composed from ops)', () => {
    const c = CASES[0];
    const second = (x: Tensor, mean: Tensor, variance: Tensor, offset: Tensor, scale: Tensor) =>
      tf.grads((v: Tensor, s: Tensor) => tf.sum(tf.square(tf.batchNorm(x, mean, v, offset, s))))([variance, scale])[0];
    checkGradients(tfjs, second, null, caseInputs(c, 200), { numeric: { rtol: 2e-3, atol: 2e-4 } });
  });

  it('batchNorm2d/3d/4d check the rank', () => {
    const x = tf.tensor(randomValues(2 * 4 * 4 * 3, 300), [2, 4, 4, 3]);
    const mean = tf.tensor([0.1, -0.2, 0.3]);
    const variance = tf.tensor([1, 2, 0.5]);
    expectClose(tf.batchNorm4d(x, mean, variance).dataSync(), tf.batchNorm(x, mean, variance).dataSync(), { rtol: 0, atol: 0 });
    expect(() => tf.batchNorm2d(x, mean, variance)).toThrow(/batchNorm2d: x must be rank 2, got shape \[2,4,4,3\]/);
    expect(() => tf.batchNorm3d(tf.zeros([3]), [0], [1])).toThrow(/batchNorm3d: x must be rank 3, got shape \[3\]/);
  });

  it('rejects mismatched statistics naming the shapes', () => {
    const x = tf.zeros([2, 3, 5]);
    expect(() => tf.batchNorm(x, tf.zeros([5]), tf.ones([1, 5]))).toThrow(/batchNorm: mean and variance must have equal ranks: mean is \[5\], variance is \[1,5\]/);
    expect(() => tf.batchNorm(x, tf.zeros([4]), tf.ones([4]))).toThrow(/batchNorm.*\[2,3,5\].*\[4\]/);
    expect(() => tf.batchNorm(x, tf.zeros([5]), tf.ones([5]), tf.zeros([5]), tf.ones([3]))).toThrow(/batchNorm.*\[2,3,5\].*\[3\]/);
    expect(() => tf.batchNorm(x, tf.zeros([1, 1, 1, 5]), tf.ones([1, 1, 1, 5]))).toThrow(/batchNorm: mean \[1,1,1,5\] does not broadcast to x \[2,3,5\]/);
    expect(() => tf.batchNorm(x, tf.zeros([5]), tf.ones([5]), null, null, -1)).toThrow(/batchNorm: varianceEpsilon must be a non-negative number, got -1/);
  });

  it('leaves no tensors behind inside tidy', () => {
    const x = tf.tensor(randomValues(2 * 3 * 5, 400), [2, 3, 5]);
    const mean = tf.tensor(randomValues(5, 401));
    const variance = tf.tensor(randomValues(5, 402, 0.1, 1));
    const scale = tf.tensor(randomValues(5, 403));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.batchNorm(x, mean, variance, undefined, scale);
      tf.grads((a: Tensor, m: Tensor, v: Tensor, s: Tensor) => tf.sum(tf.batchNorm(a, m, v, s, s)))([x, mean, variance, scale]);
      tf.grad((a: Tensor) => tf.sum(tf.batchNorm(a, [[0], [1], [2]], [[1], [1], [2]])))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
