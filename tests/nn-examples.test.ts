// The example scripts as end-to-end checks of the model API on real data:
// - Boston housing: full-batch gradient descent (tf.sequential dense(1) + sgd) reaches the least-squares
//   coefficients, which are computed independently here in float64 plain JS and checked to satisfy the
//   normal equations.
// - Logistic regression (Boston price above/below median): sinew's sgd trajectory equals plain-JS float64
//   gradient descent from the same starting weights, and the held-out accuracy beats the majority-class guess clearly.
// - Iris softmax classifier: held-out accuracy.
// - MNIST MLP 784-128-10: test accuracy after 3 epochs on all 60000 training images (a 30000 subset reaches
//   only ~96.2%, and batch 128 ~96.8%: 97% in 3 epochs needs the full set at Keras's default batch of 32).
import { describe, expect, it } from 'vitest';
import { tf } from './helpers.js';
import { leastSquares, linearMse } from '../examples/shared/least-squares.js';
import { runBostonHousing } from '../examples/boston-housing.js';
import { runLogisticRegression } from '../examples/logistic-regression.js';
import { runIris } from '../examples/iris.js';
import { runMnistMlp } from '../examples/mnist-mlp.js';
import { runRegularizedComparison } from '../examples/mlp-regularized.js';
import { loadMnist } from '../examples/shared/mnist.js';

describe('Boston housing linear regression', () => {
  it('gradient descent converges to the closed-form least-squares fit', async () => {
    const before = tf.memory().numTensors;
    const r = await runBostonHousing({ epochs: 1500, learningRate: 0.1 });
    expect(tf.memory().numTensors).toBe(before);
    const reference = leastSquares(r.xTrain, r.yTrain);
    // The reference really is the minimizer: its residual is orthogonal to every feature and to the intercept.
    const residual = r.xTrain.map((row, i) => row.reduce((acc, v, c) => acc + v * reference.weights[c], reference.intercept) - r.yTrain[i]);
    expect(Math.abs(residual.reduce((a, b) => a + b, 0))).toBeLessThan(1e-8);
    for (let c = 0; c < reference.weights.length; c++) {
      expect(Math.abs(r.xTrain.reduce((acc, row, i) => acc + row[c] * residual[i], 0))).toBeLessThan(1e-8);
    }
    // The example's normal equation (tf.matMul in float32 + Cholesky) and its gradient descent both agree.
    expect(r.closedForm.intercept).toBeCloseTo(reference.intercept, 3);
    for (let c = 0; c < reference.weights.length; c++) {
      expect(Math.abs(r.closedForm.weights[c] - reference.weights[c])).toBeLessThan(2e-3);
      expect(Math.abs(r.gradientDescent.weights[c] - reference.weights[c])).toBeLessThan(2e-2);
    }
    expect(Math.abs(r.gradientDescent.intercept - reference.intercept)).toBeLessThan(1e-3);
    const bestMse = linearMse(reference, r.xTrain, r.yTrain);
    expect(r.trainMse.gradientDescent).toBeGreaterThanOrEqual(bestMse * (1 - 1e-5));
    expect(r.trainMse.gradientDescent).toBeLessThan(bestMse * 1.001);
    expect(r.testMse.gradientDescent).toBeLessThan(40); // ~20-30 is typical for a linear model on Boston
  });
});

describe('logistic regression (Boston above/below median price)', () => {
  it('follows plain-JS float64 gradient descent and classifies held-out tracts', async () => {
    const r = await runLogisticRegression({ epochs: 200, learningRate: 0.5 });
    // float32 vs float64 over 200 steps: agreement to ~1e-7 is typical; 1e-4 leaves room for other kernels.
    expect(Math.abs(r.sinew.intercept - r.plainJs.intercept)).toBeLessThan(1e-4);
    r.plainJs.weights.forEach((w, c) => expect(Math.abs(r.sinew.weights[c] - w)).toBeLessThan(1e-4));
    expect(r.testAccuracy).toBeGreaterThan(0.78);
    expect(r.testAccuracy).toBeGreaterThan(r.testBaseline + 0.2);
  });
});

describe('iris softmax classifier', () => {
  it('reaches high held-out accuracy', async () => {
    const r = await runIris({ epochs: 60 });
    expect(r.testCount).toBe(45);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(r.trainAccuracy).toBeGreaterThanOrEqual(0.9);
  });
});

/** Training images for the MNIST check: all of them (see the header comment). */
const MNIST_TRAIN = 60000;

describe('MNIST MLP 784-128-10', () => {
  it('reaches at least 97% test accuracy after 3 epochs', async () => {
    const data = await loadMnist({ trainSamples: MNIST_TRAIN, testSamples: 10000 });
    const before = tf.memory().numTensors;
    const r = await runMnistMlp(data, { epochs: 3, batchSize: 32, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    console.log(`MNIST MLP: ${MNIST_TRAIN} train, 3 epochs, batch 32: test accuracy ${(100 * r.testAccuracy).toFixed(2)}%, ` +
      `${Math.round(r.trainSamplesPerSecond)} samples/s, fit ${r.fitSeconds.toFixed(1)} s`);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.97);
  }, 120_000);
});

describe('MLP with dropout and L2 (examples/mlp-regularized.ts)', () => {
  it('trains both variants; the regularized one fits the training set less tightly', async () => {
    const runs = await runRegularizedComparison(2000, 4);
    const [plain, regularized] = runs;
    expect(plain.regularized).toBe(false);
    expect(regularized.regularized).toBe(true);
    for (const run of runs) expect(run.testAccuracy).toBeGreaterThan(0.85);
    expect(regularized.trainAccuracy).toBeLessThan(plain.trainAccuracy);
  });
});
