// Binary logistic regression on a real dataset: is a Boston census tract's median house price above the
// dataset median? (Chosen over iris setosa-vs-rest, which is linearly separable and so too easy to show
// anything, and over scikit-learn's breast-cancer CSV, which no npm package ships.)
// One dense unit with a sigmoid, binaryCrossentropy, full-batch sgd — the same iteration as textbook gradient
// descent, which the script also runs in plain float64 JS from the same starting weights to show the two agree.
//   npx tsx examples/logistic-regression.ts [--epochs 300] [--lr 0.5]
import * as tf from '../src/index.js';
import { preprocessing } from '../src/data/index.js';
import { loadBoston } from './shared/datasets.js';
import { isMain, numberFlag } from './shared/cli.js';

export interface LogisticFit {
  intercept: number;
  weights: number[];
}

export interface LogisticResult {
  sinew: LogisticFit;
  /** Plain float64 JS full-batch gradient descent with the same start, rate and epochs. */
  plainJs: LogisticFit;
  trainAccuracy: number;
  testAccuracy: number;
  testCount: number;
  /** Fraction of the test split in the majority class: the accuracy of always guessing it. */
  testBaseline: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Full-batch gradient descent on mean binary cross-entropy: ∇ = Xᵀ(σ(Xw+b) − y)/N. */
export function logisticRegressionByHand(x: number[][], y: number[], epochs: number, learningRate: number, start: LogisticFit): LogisticFit {
  const n = x.length;
  const weights = start.weights.slice();
  let intercept = start.intercept;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gradient = new Array<number>(weights.length).fill(0);
    let gradientIntercept = 0;
    x.forEach((row, r) => {
      const error = sigmoid(row.reduce((acc, v, c) => acc + v * weights[c], intercept)) - y[r];
      row.forEach((v, c) => (gradient[c] += (error * v) / n));
      gradientIntercept += error / n;
    });
    weights.forEach((_, c) => (weights[c] -= learningRate * gradient[c]));
    intercept -= learningRate * gradientIntercept;
  }
  return { intercept, weights };
}

function accuracyOf(fit: LogisticFit, x: number[][], y: number[]): number {
  const correct = x.filter((row, r) => (row.reduce((acc, v, c) => acc + v * fit.weights[c], fit.intercept) > 0 ? 1 : 0) === y[r]);
  return correct.length / x.length;
}

export async function runLogisticRegression(options: { epochs?: number; learningRate?: number; seed?: number } = {}): Promise<LogisticResult> {
  const { epochs = 300, learningRate = 0.5, seed = 11 } = options;
  tf.setRandomSeed(seed);
  const boston = loadBoston();
  const sorted = [...boston.target].sort((a, b) => a - b);
  const median = (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
  const labels = boston.target.map((price) => (price > median ? 1 : 0));

  const split = preprocessing.trainTestSplit(boston.features, labels, { testFraction: 0.25, seed });
  const scaler = preprocessing.standardScaler().fit(split.xTrain);
  const xTrain = scaler.transform(split.xTrain);
  const xTest = scaler.transform(split.xTest);
  const yTrain = tf.reshape(split.yTrain, [-1, 1]);

  const model = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [boston.featureNames.length], units: 1, activation: 'sigmoid' }),
  ] });
  const optimizer = tf.train.sgd(learningRate);
  model.compile({ optimizer, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const readFit = (): LogisticFit => {
    const [kernel, bias] = model.getWeights();
    const fit = { intercept: bias.dataSync()[0], weights: Array.from(kernel.dataSync()) };
    tf.dispose([kernel, bias]);
    return fit;
  };
  const start = readFit();
  await model.fit(xTrain, yTrain, { epochs, batchSize: xTrain.shape[0], shuffle: false, verbose: 0 });
  const sinew = readFit();

  const xTrainRows = xTrain.arraySync() as number[][];
  const xTestRows = xTest.arraySync() as number[][];
  const yTrainValues = Array.from(split.yTrain.dataSync());
  const yTestValues = Array.from(split.yTest.dataSync());
  const plainJs = logisticRegressionByHand(xTrainRows, yTrainValues, epochs, learningRate, start);
  const positives = yTestValues.filter((v) => v === 1).length / yTestValues.length;
  tf.dispose([split, xTrain, xTest, yTrain]);
  model.dispose();
  optimizer.dispose();
  return {
    sinew,
    plainJs,
    trainAccuracy: accuracyOf(sinew, xTrainRows, yTrainValues),
    testAccuracy: accuracyOf(sinew, xTestRows, yTestValues),
    testCount: yTestValues.length,
    testBaseline: Math.max(positives, 1 - positives),
  };
}

if (isMain(import.meta.url)) {
  const epochs = numberFlag('epochs', 300);
  const r = await runLogisticRegression({ epochs, learningRate: numberFlag('lr', 0.5) });
  console.log('Logistic regression: Boston tract median price above the dataset median?');
  console.log(`train accuracy ${(100 * r.trainAccuracy).toFixed(1)}%, held-out accuracy ${(100 * r.testAccuracy).toFixed(1)}% ` +
    `on ${r.testCount} tracts (majority-class guess: ${(100 * r.testBaseline).toFixed(1)}%)`);
  const gap = Math.max(Math.abs(r.sinew.intercept - r.plainJs.intercept), ...r.sinew.weights.map((w, i) => Math.abs(w - r.plainJs.weights[i])));
  console.log(`largest weight difference vs plain-JS float64 gradient descent after ${epochs} epochs: ${gap.toExponential(2)}`);
}
